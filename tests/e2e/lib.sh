# shellcheck shell=bash
# Shared helpers of the end-to-end tests (tests/e2e/t_*.sh).
#
# A test file sources this, which sources _stack/env (contrib/dev/stack start
# wrote it), then calls `expect` and friends. Output is TAP (tests/lib/tap.sh):
# `ok N - desc` or `not ok N - desc` followed by `#` lines with the request,
# what was expected and what came back; `finish` prints the plan and exits 1
# if anything failed.

set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$E2E_DIR/../lib/tap.sh"
: "${GLIA_STACK_ENV:=$E2E_DIR/../../_stack/env}"
if [ ! -s "$GLIA_STACK_ENV" ]; then
	echo "Bail out! no $GLIA_STACK_ENV: start the stack first (contrib/dev/stack start)"
	exit 1
fi
# shellcheck source=/dev/null
. "$GLIA_STACK_ENV"

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/glia-e2e.XXXXXX")
E2E_CLEANUPS=()
e2e_cleanup() {
	local c
	for c in "${E2E_CLEANUPS[@]}"; do eval "$c" || true; done
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT
# on_exit CMD: runs CMD (a string) when the test file exits, however it exits.
on_exit() { E2E_CLEANUPS+=("$1"); }

# The shell secret as the file holds it, without its trailing newline.
SECRET=$(cat "$GLIA_SHELL_SECRET_FILE")
# What gitlab-shell sends: base64 of the secret.
# shellcheck disable=SC2034 # used by the test files
AUTH="Gitlab-Shared-Secret: $(printf %s "$SECRET" | base64 -w0)"

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# kas_jwt HEADER_JSON PAYLOAD_JSON [DIGEST [HEXKEY]]: a JWT signed with the
# stack's KAS secret (32 raw bytes, so HMAC takes it as a hex key) or HEXKEY.
kas_jwt() {
	local head body sig key=${4:-}
	[ -n "$key" ] || key=$(base64 -d <"$GLIA_KAS_SECRET_FILE" | od -An -tx1 | tr -d ' \n')
	head=$(printf %s "$1" | b64url)
	body=$(printf %s "$2" | b64url)
	sig=$(printf %s "$head.$body" | openssl dgst "-${3:-sha256}" -mac HMAC -macopt "hexkey:$key" -binary | b64url)
	printf %s "$head.$body.$sig"
}

# jwt HEADER_JSON PAYLOAD_JSON [KEY [DIGEST]]: a JWT signed with HMAC-DIGEST
# (sha256 unless told) and KEY (the shell secret unless told).
jwt() {
	local head body sig key=${3:-$SECRET} digest=${4:-sha256}
	head=$(printf %s "$1" | b64url)
	body=$(printf %s "$2" | b64url)
	sig=$(printf %s "$head.$body" | openssl dgst "-$digest" -hmac "$key" -binary | b64url)
	printf %s "$head.$body.$sig"
}

# shell_jwt: what current gitlab-shell sends in Gitlab-Shell-Api-Request:
# HS256, iss gitlab-shell, iat now, exp now + 60 s.
shell_jwt() {
	local now
	now=$(date +%s)
	shell_jwt_with "$(printf '{"iss":"gitlab-shell","iat":%d,"exp":%d}' "$now" "$((now + 60))")"
}

# shell_jwt_with CLAIMS_JSON: an HS256 JWT with these claims.
shell_jwt_with() { jwt '{"alg":"HS256","typ":"JWT"}' "$1"; }

# urlencode STRING: percent-encodes everything but unreserved characters.
urlencode() {
	local s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-zA-Z0-9.~_-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf %s "$out"
}

# import FILE: loads a data set with glia-admin (idempotent).
import() {
	"$GLIA_ADMIN" -c "$GLIA_CONFIG" import "$1" >"$E2E_TMP/import.out" 2>&1 || {
		echo "Bail out! glia-admin import $1 failed:"
		sed 's/^/# /' "$E2E_TMP/import.out"
		exit 1
	}
}

# key_line FILE ID: the "key" of the key with "id": ID in a data set laid out
# one key per line, as contrib/dev/demo-data.json is.
key_line() {
	sed -n "s/.*\"id\": *$2,.*\"key\": *\"\\([^\"]*\\)\".*/\\1/p" "$1" | head -n 1
}

# The names the test files use for tests/lib/tap.sh's tap_result and check
# (desc TEXT, from there too, names the next assertion).
_report() { tap_result "$@"; } # PASS(0|1) DEFAULT_DESC [DETAIL_LINES...]
ok_if() { check "$@"; }         # DESC CMD...: one assertion that CMD succeeds

# request METHOD PATH [CURL_ARGS...]: sends one request through nginx; sets
# STATUS, BODY and leaves the headers in $E2E_TMP/headers.
request() {
	local method=$1 path=$2
	shift 2
	local m=(-X "$method")
	[ "$method" = HEAD ] && m=(--head)
	: >"$E2E_TMP/headers"
	: >"$E2E_TMP/body"
	STATUS=$(curl -sS -g --path-as-is --max-time 20 "${m[@]}" -o "$E2E_TMP/body" \
		-D "$E2E_TMP/headers" -w '%{http_code}' "$@" "$GLIA_URL$path" 2>"$E2E_TMP/curl.err") ||
		STATUS="curl failed: $(cat "$E2E_TMP/curl.err")"
	BODY=$(cat "$E2E_TMP/body")
	[ "$method" = HEAD ] && BODY= # curl --head writes the headers there
	return 0
}

# header NAME: the value of response header NAME of the last request (first
# occurrence, case-insensitive name, CR removed); empty when absent.
header() {
	tr -d '\r' <"$E2E_TMP/headers" | awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }'
}

# The headers every glia response carries; sets _missing.
_common_headers() {
	_missing=()
	[ "$(header Content-Type)" = application/json ] || _missing+=("Content-Type: application/json (got '$(header Content-Type)')")
	[ "$(header X-Frame-Options)" = SAMEORIGIN ] || _missing+=("X-Frame-Options: SAMEORIGIN (got '$(header X-Frame-Options)')")
	[ "$(header X-Content-Type-Options)" = nosniff ] || _missing+=("X-Content-Type-Options: nosniff (got '$(header X-Content-Type-Options)')")
}

_check_response() { # MODE(exact|match) STATUS BODY METHOD PATH [CURL_ARGS...]
	local mode=$1 want_status=$2 want_body=$3 method=$4 path=$5
	shift 5
	request "$method" "$path" "$@"
	_common_headers
	local body_ok=0
	if [ "$mode" = exact ]; then
		[ "$BODY" = "$want_body" ] && body_ok=1
	else
		[[ $BODY =~ $want_body ]] && body_ok=1
	fi
	local shown_path=$path
	[ "${#shown_path}" -gt 160 ] && shown_path="${shown_path:0:160}... (${#path} bytes)"
	local shown_body=$BODY
	[ "${#shown_body}" -gt 400 ] && shown_body="${shown_body:0:400}... (${#BODY} bytes)"
	if [ "$STATUS" = "$want_status" ] && [ "$body_ok" = 1 ] && [ "${#_missing[@]}" -eq 0 ]; then
		_report 1 "$method $shown_path -> $want_status"
	else
		local lines=("request:  $method $shown_path")
		[ $# -gt 0 ] && lines+=("curl args: $(printf '%q ' "$@" | cut -c1-300)")
		if [ "$mode" = exact ]; then
			lines+=("expected: $want_status $want_body")
		else
			lines+=("expected: $want_status (matching) $want_body")
		fi
		lines+=("got:      $STATUS $shown_body")
		local h
		for h in "${_missing[@]}"; do lines+=("missing header: $h"); done
		_report 0 "$method $shown_path -> $want_status" "${lines[@]}"
	fi
}

# expect STATUS BODY METHOD PATH [CURL_ARGS...]: the response has exactly
# this status and body, and the headers every glia response has.
expect() { _check_response exact "$@"; }

# expect_match STATUS REGEX METHOD PATH [CURL_ARGS...]: the same, with the body
# matched against an extended regular expression (anchor it).
expect_match() { _check_response match "$@"; }

# expect_header NAME VALUE: the last response's header NAME is exactly VALUE.
expect_header() {
	local got
	got=$(header "$1")
	if [ "$got" = "$2" ]; then
		_report 1 "header $1: $2"
	else
		_report 0 "header $1: $2" "expected: $1: $2" "got:      $1: $got"
	fi
}

# The body of /internal/check, for expect_match; $1 is true or false (redis).
check_body_re() {
	printf '^\\{"api_version":"v4","gitlab_version":"14\\.1\\.0","gitlab_rev":"([0-9a-f]{7,40}|Unknown)","redis":%s\\}$' "$1"
}

# Worker pids of the glia master, one per line.
workers() { pgrep -P "$GLIA_PID" | sort || true; }

# pg_ctl_stack ARGS...: pg_ctl on the stack's cluster, as its owner.
pg_ctl_stack() {
	if [ "$GLIA_PG_OSUSER" = "$(id -un)" ]; then
		"$GLIA_PG_BIN/pg_ctl" -D "$GLIA_PGDATA" "$@"
	else
		(cd / && runuser -u "$GLIA_PG_OSUSER" -- "$GLIA_PG_BIN/pg_ctl" -D "$GLIA_PGDATA" "$@")
	fi
}

# finish: prints the plan; exits 1 if an assertion failed.
finish() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ] || { echo "# $T_FAILED of $T_N failed"; exit 1; }
}

# db_lacks DATABASE STRING...: a data-only dump of DATABASE ("" for the
# default) could be made, is not empty, and holds none of the STRINGs.
db_lacks() {
	local db=$1 dump s rc=0
	shift
	dump=$(mktemp)
	if ! pg_dump -a ${db:+"$db"} >"$dump" 2>/dev/null || [ ! -s "$dump" ]; then
		rc=1
	else
		for s; do grep -qF -- "$s" "$dump" && rc=1; done
	fi
	rm -f "$dump"
	return "$rc"
}

# logged_since LINE PATTERN: glia's log has an extended regex PATTERN match
# at or after line LINE (take LINE as $(log_line) before the request).
log_line() { echo $(($(wc -l <"$GLIA_LOG") + 1)); }
logged_since() { [ -r "$GLIA_LOG" ] && grep -qE -- "$2" <(tail -n "+$1" "$GLIA_LOG"); }

# count: the non-empty lines of stdin (0 for none).
count() { grep -c . || true; }

# reload_with LINES...: the stack's configuration as it was when the test
# began, plus these lines; then SIGHUP, and wait until every worker has been
# replaced. The first call arranges for the original to come back (and be
# reloaded) when the test exits.
reload_with() {
	local old w i
	if [ -z "${E2E_ORIG_CONF:-}" ]; then
		E2E_ORIG_CONF=$E2E_TMP/glia.conf.orig
		cp "$GLIA_CONFIG" "$E2E_ORIG_CONF"
		on_exit reload_with
	fi
	old=$(workers)
	cp "$E2E_ORIG_CONF" "$GLIA_CONFIG"
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$GLIA_CONFIG"
	kill -HUP "$GLIA_PID"
	for ((i = 0; i < 100; i++)); do
		sleep 0.1
		w=$(workers)
		[ -n "$w" ] && [ -z "$(comm -12 <(echo "$old") <(echo "$w"))" ] && return 0
	done
	echo "Bail out! glia's workers were not replaced after SIGHUP"
	exit 1
}
