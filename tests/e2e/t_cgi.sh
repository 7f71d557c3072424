#!/usr/bin/env bash
# glia with no socket (no `listen`, nothing inherited) answers one request as
# a CGI program: the request in its environment and on stdin, the response
# on stdout.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_glia.sh
. "$(dirname "$0")/lib_glia.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
CHECK=/api/v4/internal/check
D=/api/v4/internal/discover
ROOT='{"id":1,"name":"Administrator","username":"root"}'
RUBI='{"id":7,"name":"Dede Eichmann","username":"rubi"}'
T=$E2E_TMP

# The stack's configuration without listen, listen_mode and listen_group.
{
	grep -vE '^(listen|listen_mode|listen_group|database) *=' "$GLIA_CONFIG"
	echo "database = \"$(stack_database) application_name=glia-e2e-cgi\""
} >"$T/cgi.conf"
ok_if "the CGI configuration has no listen" test -z "$(grep -E '^listen *=' "$T/cgi.conf" || true)"

# cgi [VAR=VALUE...]: runs glia -c cgi.conf with only these variables (and
# the sanitizer settings), stdin from $CGI_IN (/dev/null unless set); sets
# RC, RAW (stdout as written), ERR, and STATUS, HEADERS, BODY.
cgi() {
	RC=0
	timeout 20 env -i PATH=/usr/bin:/bin "${SAN_ENV[@]}" GATEWAY_INTERFACE=CGI/1.1 \
		SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 "$@" "$GLIA_BIN" -c "$T/cgi.conf" \
		<"${CGI_IN:-/dev/null}" >"$T/cgi.out" 2>"$T/cgi.err" || RC=$?
	RAW=$(cat -A "$T/cgi.out" | head -c 600)
	ERR=$(cat "$T/cgi.err")
	cgi_parse "$(tr -d '\r' <"$T/cgi.out")"
}
# cgi_header NAME: the value of header NAME of the last CGI response.
cgi_header() { sed -n "s/^$1: //Ip" <<<"$HEADERS" | head -n 1; }
# cgi_clean: the last run exited 0 without a sanitizer report.
cgi_clean() {
	if [ "$RC" = 0 ] && sanitizer_clean "$T/cgi.err"; then
		_report 1 "glia exited 0, no sanitizer report"
	else
		_report 0 "glia exited 0, no sanitizer report" "got: exit $RC; stderr: $(head -c 600 "$T/cgi.err" | tr '\n' ' ')"
	fi
}

# What the stack's glia answers through nginx, to compare bodies exactly.
request GET "$CHECK" -H "$AUTH"
STACK_CHECK=$BODY

# --- GET /internal/check with the shared secret
cgi REQUEST_METHOD=GET DOCUMENT_URI="$CHECK" HTTP_GITLAB_SHARED_SECRET="$(base64 -w0 <"$GLIA_SHELL_SECRET_FILE")"
ok_if "check: stdout starts with 'Status: 200 OK' and CRLF (stdout: $RAW)" \
	test "$(head -n 1 "$T/cgi.out")" = $'Status: 200 OK\r'
ok_if "check: Content-Type: application/json (got '$(cgi_header Content-Type)')" \
	test "$(cgi_header Content-Type)" = application/json
ok_if "check: X-Content-Type-Options: nosniff (got '$(cgi_header X-Content-Type-Options)')" \
	test "$(cgi_header X-Content-Type-Options)" = nosniff
ok_if "check: Content-Length matches the body ($(cgi_header Content-Length) for ${#BODY} bytes)" \
	test "$(cgi_header Content-Length)" = "${#BODY}"
ok_if "check: body is the check body with redis true ($BODY)" grep -qE "$(check_body_re true)" <<<"$BODY"
ok_if "check: body is exactly what the stack's glia answers through nginx ($STACK_CHECK)" \
	test "$BODY" = "$STACK_CHECK"
cgi_clean

# --- without the header
cgi REQUEST_METHOD=GET DOCUMENT_URI="$CHECK"
ok_if "check without the secret: 'Status: 401 Unauthorized' (stdout: $RAW)" \
	test "$(head -n 1 "$T/cgi.out")" = $'Status: 401 Unauthorized\r'
ok_if "check without the secret: body {\"message\":\"401 Unauthorized\"} (got $BODY)" \
	test "$BODY" = '{"message":"401 Unauthorized"}'
cgi_clean

# --- a query string and the database
cgi REQUEST_METHOD=GET DOCUMENT_URI="$D" QUERY_STRING=username=root HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "discover?username=root: 200 $ROOT (got $STATUS $BODY)" test "$STATUS" = 200 -a "$BODY" = "$ROOT"
cgi_clean

# --- a body on stdin (CONTENT_LENGTH bytes)
printf 'key_id=7' >"$T/form"
CGI_IN=$T/form cgi REQUEST_METHOD=GET DOCUMENT_URI="$D" CONTENT_LENGTH=8 \
	CONTENT_TYPE=application/x-www-form-urlencoded HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "discover with key_id=7 in a form body on stdin: 200 $RUBI (got $STATUS $BODY)" \
	test "$STATUS" = 200 -a "$BODY" = "$RUBI"
cgi_clean

# --- POST on a GET endpoint
printf 'username=root&x=1' >"$T/post"
CGI_IN=$T/post cgi REQUEST_METHOD=POST DOCUMENT_URI="$D" CONTENT_LENGTH=17 \
	CONTENT_TYPE=application/x-www-form-urlencoded HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "POST discover (17-byte body): 'Status: 405 Method Not Allowed' (stdout: $RAW)" \
	test "$(head -n 1 "$T/cgi.out")" = $'Status: 405 Method Not Allowed\r'
ok_if "POST discover: body {\"error\":\"405 Not Allowed\"} (got $BODY)" test "$BODY" = '{"error":"405 Not Allowed"}'
ok_if "POST discover: Allow: GET, HEAD (got '$(cgi_header Allow)')" test "$(cgi_header Allow)" = 'GET, HEAD'
cgi_clean

# --- neither a socket nor a CGI request
cgi
ok_if "no socket, no REQUEST_METHOD: exit 1 (got $RC)" test "$RC" = 1
ok_if "no socket, no REQUEST_METHOD: the message says there is no socket ($ERR)" grep -q 'no socket' <<<"$ERR"
ok_if "no socket, no REQUEST_METHOD: nothing on stdout ($RAW)" test ! -s "$T/cgi.out"
ok_if "no socket, no REQUEST_METHOD: no sanitizer report" sanitizer_clean "$T/cgi.err"

finish
