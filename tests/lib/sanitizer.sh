# shellcheck shell=bash
# What an AddressSanitizer, LeakSanitizer or UBSan report looks like in a
# log of the asan build, and the checks on it. Sourced, never run.

SANITIZER_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'

# sanitizer_clean LOG...: every LOG can be read and holds no report.
sanitizer_clean() {
	local l
	for l; do
		[ -r "$l" ] && ! grep -qE "$SANITIZER_RE" "$l" || return 1
	done
}

# show_sanitizer LOG...: the reports on one line, for a failure's detail.
show_sanitizer() { grep -hE -A8 "$SANITIZER_RE" "$@" | head -n 20 | tr '\n' ' '; }

# sanitizer_reports LOG...: the reports as they are, 20 lines each, 80 in all.
sanitizer_reports() { grep -hE -A20 "$SANITIZER_RE" "$@" | head -n 80; }
