# shellcheck shell=bash
# TAP for the test runners (tests/run, tests/*/run, tests/deploy/run.sh and,
# through tests/e2e/lib.sh, the end-to-end files): `ok N - what`, or
# `not ok N - what` followed by `#   ` detail lines; `# ` notes; the counts,
# and the summary line `NAME: N passed, M failed` that tests/run gathers.
# Sourced, never run.

# tap_begin NAME: starts counting; NAME prefixes say, die and tap_summary.
tap_begin() {
	TAP_NAME=$1
	T_N=0 T_FAILED=0 T_DESC=
}
: "${TAP_NAME:=${0##*/}}" "${T_N:=0}" "${T_FAILED:=0}" "${T_DESC:=}"

say() { printf '%s: %s\n' "$TAP_NAME" "$*"; }
die() { printf '%s: error: %s\n' "$TAP_NAME" "$*" >&2; exit 1; }
note() { printf '# %s\n' "$*"; }

# desc TEXT: the description of the next result, instead of its own.
desc() { T_DESC=$1; }

# tap_result PASS(1|0) DESC [DETAIL...]: one numbered result line; a failure
# prints each DETAIL as a `#   ` line under it.
tap_result() {
	local pass=$1 d=${T_DESC:-$2} l
	shift 2
	T_N=$((T_N + 1))
	T_DESC=
	if [ "$pass" = 1 ]; then
		echo "ok $T_N - $d"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $d"
		for l in "$@"; do printf '#   %s\n' "$l"; done
	fi
}
ok() { tap_result 1 "$*"; }
nok() { tap_result 0 "$@"; } # DESC [DETAIL...]

# check DESC CMD...: ok when CMD succeeds.
check() {
	local d=$1
	shift
	if "$@"; then tap_result 1 "$d"; else tap_result 0 "$d" "command failed: $*"; fi
}

# tap_counts FILE: "PASSED FAILED", the ok and not ok lines of a TAP output.
tap_counts() {
	echo "$(grep -c '^ok ' "$1" || true) $(grep -c '^not ok ' "$1" || true)"
}

# tap_add FILE: counts the results of FILE, another runner's TAP output that
# was printed as it is, as this runner's.
tap_add() {
	local p f
	read -r p f < <(tap_counts "$1")
	T_N=$((T_N + p + f))
	T_FAILED=$((T_FAILED + f))
}

# tap_summary [NOTE]: `NAME: N passed, M failed`, NOTE in brackets after it.
# shellcheck disable=SC2120 # NOTE is optional
tap_summary() { echo "$TAP_NAME: $((T_N - T_FAILED)) passed, $T_FAILED failed${1:+ ($1)}"; }

# tap_passed: whether no result failed.
tap_passed() { [ "$T_FAILED" = 0 ]; }

# fail_log FILE [LINES]: the end of FILE (25 lines), indented, after a failure.
fail_log() {
	[ -f "$1" ] && tail -n "${2:-25}" "$1" | sed 's/^/#   /'
	return 0
}
