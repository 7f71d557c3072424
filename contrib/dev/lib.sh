# shellcheck shell=bash
# Shared functions of contrib/dev/{stack,test,demo}: packages, build, paths.
# Sourced, never run. The caller has `set -euo pipefail`.

GLIA_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GLIA_STACK_DIR=${GLIA_STACK_DIR:-$GLIA_SRC/_stack}

# What a fresh Debian 12 needs to build, unit-test and run the whole stack
# (ruby and ruby-jwt: the gitlab-schema stage checks glia's LFS tokens with
# the JWT library GitLab itself checks them with; openssh-client: its
# real-client run makes a key for gitlab-sshd before any later stage
# installs OpenSSH).
GLIA_PACKAGES="build-essential autoconf automake pkg-config
  libfcgi-dev libfcgi-bin libjson-c-dev libpq-dev libjwt-dev libssl-dev
  check libsubunit-dev clang libclang-rt-14-dev
  postgresql-15 postgresql-client-15 pgbouncer nginx-light
  curl ca-certificates procps psmisc iproute2 openssl
  prometheus python3 wrk valgrind ruby ruby-jwt openssh-client
  debhelper dpkg-dev fakeroot lintian apache2-bin libapache2-mod-fcgid spawn-fcgi"

say() { printf '%s: %s\n' "${0##*/}" "$*"; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Installs the packages of GLIA_PACKAGES that are missing (apt-get update once).
ensure_packages() {
	local p missing=()
	for p in $GLIA_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Installing nginx, apache2, postgresql or prometheus would start their
	# default instances, which hold ports and outlive the run: policy-rc.d
	# (Debian's invoke-rc.d policy hook) forbids starting services meanwhile.
	local policy=/usr/sbin/policy-rc.d added=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
	fi
	local rc=0
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
	[ "$added" = 1 ] && rm -f "$policy"
	[ "$rc" = 0 ] || die "apt-get install ${missing[*]} failed"
}

# Generates ./configure in the source directory when missing or stale.
ensure_configure() {
	local f stale=0
	[ -f "$GLIA_SRC/config.status" ] &&
		die "$GLIA_SRC was configured in place; run 'make distclean' there (glia builds out of tree in _build/)"
	[ -x "$GLIA_SRC/configure" ] || stale=1
	for f in configure.ac Makefile.am; do
		[ "$GLIA_SRC/$f" -nt "$GLIA_SRC/configure" ] && stale=1
	done
	if [ "$stale" = 1 ]; then
		say "autoreconf -fi"
		mkdir -p "$GLIA_SRC/m4" # ACLOCAL_AMFLAGS = -I m4 names it; git keeps no empty dir
		(cd "$GLIA_SRC" && autoreconf -fi)
	fi
}

# build DIR: configures (once) and makes the build directory DIR (absolute);
# a DIR named asan gets the clang + AddressSanitizer/UBSan flavour.
build() {
	local dir=$1 args=()
	ensure_configure
	[ "${CI:-}" = true ] && args+=(--enable-werror)
	mkdir -p "$dir"
	# Configure again when the arguments changed (e.g. CI=true adds -Werror).
	if [ "$(cat "$dir/.configure-args" 2>/dev/null)" != "${args[*]}" ]; then rm -f "$dir/Makefile"; fi
	if [ ! -f "$dir/Makefile" ]; then
		say "configuring ${dir#"$GLIA_SRC"/}"
		case ${dir##*/} in
		asan) (cd "$dir" && CC=clang \
			CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
			LDFLAGS="-fsanitize=address,undefined" "$GLIA_SRC/configure" "${args[@]}" >configure.out) ;;
		*) (cd "$dir" && "$GLIA_SRC/configure" "${args[@]}" >configure.out) ;;
		esac || { tail -n 40 "$dir/config.log" >&2 || true; die "configure failed in $dir"; }
		echo "${args[*]}" >"$dir/.configure-args"
	fi
	say "make in ${dir#"$GLIA_SRC"/}"
	make -C "$dir" -j2 -s >/dev/null || die "build failed in $dir"
}

# Sanitizer settings for anything run from _build/asan.
export_sanitizer_options() {
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	# Stack traces with function names and lines: llvm-symbolizer comes
	# with llvm-14 (only recommended by clang); addr2line (binutils) also works.
	local s
	for s in "${ASAN_SYMBOLIZER_PATH:-}" /usr/lib/llvm-14/bin/llvm-symbolizer /usr/bin/addr2line; do
		if [ -n "$s" ] && [ -x "$s" ]; then export ASAN_SYMBOLIZER_PATH=$s; break; fi
	done
}
