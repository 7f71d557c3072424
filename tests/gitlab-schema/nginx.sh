# shellcheck shell=bash
# tests/gitlab-schema/nginx.sh: contrib/nginx/glia-gitlab.conf, as an
# operator installs it beside GitLab. Sourced by tests/gitlab-schema/run
# once its glia with schema = gitlab ($SOCK, $GITLAB_PID) answers from
# GitLab's tables; stops that glia at its end.
#
# A private nginx runs that very file, with glia's and Workhorse's sockets,
# the listen address and the log paths substituted; a stand-in Workhorse (a
# python3 HTTP server on a unix socket) answers every request with a marker
# that says what it was sent. Asserts which of the two answers each route:
# glia its five routes, with its exact answers and refusals; Workhorse
# every other route, what glia hands on (snippets, branch deletions, a
# wiki's or a design repository's LFS token) with
# the method and body intact, and glia's routes while glia is down; nginx's
# own errors are glia's JSON.

# From run: its glias' sockets, and what its assertions use.
: "${SOCK:?}" "${GLIA_SOCK:?}" "${GITLAB_PID:?}"

# glia itself, over FastCGI: what it leaves to Rails carries X-Accel-Redirect
# to the named location nginx passes as GLIA_NOT_SERVED; nothing else does.
handed_on() { # SOCKET FORM|"" [VAR=VALUE...]: prints X-Accel-Redirect's value
	local sock=$1 form=$2 uri=$A method=POST
	shift 2
	if [ -z "$form" ]; then uri=/api/v4/internal/pre_receive; fi
	printf %s "$form" >"$E2E_TMP/form"
	fcgi_body_raw "$sock" "$method" "$uri" "$E2E_TMP/form" "${H[@]}" CONTENT_TYPE=application/x-www-form-urlencoded \
		CONTENT_LENGTH="${#form}" "$@" | sed -n 's/^X-Accel-Redirect: //p'
}
SNIPPET="user_id=1003&project=ga-group/public/snippets/1501&$PULL"
for c in "@glia_workhorse|$SNIPPET|@glia_workhorse|a snippet" \
	"@glia_workhorse||@glia_workhorse|a route not served (pre_receive)" \
	"@glia_workhorse|user_id=1003&project=ga-group/private&action=git-receive-pack&protocol=ssh&changes=$(urlencode "$S1 $Z refs/heads/feature")|@glia_workhorse|a branch deletion" \
	"@glia_workhorse|user_id=1003&project=ga-group/nothing&$PULL||a refusal 404: none" \
	"@glia_workhorse|user_id=1003&project=ga-group/public&$PULL||an answer: none" \
	"/workhorse|$SNIPPET||not a named location: none" "@a b|$SNIPPET||not a plain name: none"; do
	IFS='|' read -r param form want what <<<"$c"
	desc "X-Accel-Redirect with GLIA_NOT_SERVED=$param: $what"
	got=$(handed_on "$SOCK" "$form" GLIA_NOT_SERVED="$param")
	if [ "$got" = "$want" ]; then _report 1 x; else _report 0 x "got: '$got', expected '$want'"; fi
done
desc "X-Accel-Redirect: none without GLIA_NOT_SERVED (a snippet is a plain 404)"
got=$(handed_on "$SOCK" "$SNIPPET")
if [ -z "$got" ]; then _report 1 x; else _report 0 x "got: $got"; fi
desc "X-Accel-Redirect: none with schema = glia (its 404 is not GitLab's to answer)"
got=$(handed_on "$GLIA_SOCK" "" GLIA_NOT_SERVED=@glia_workhorse; handed_on "$GLIA_SOCK" "user_id=1003&project=ga-group/nothing&$PULL" GLIA_NOT_SERVED=@glia_workhorse)
if [ -z "$got" ]; then _report 1 x; else _report 0 x "got: $got"; fi

NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
if ! [ -x "$NGINX_BIN" ] || ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
	echo "# SKIP glia-gitlab.conf: needs nginx ($NGINX_BIN), python3 and curl"
	return 0
fi

NX=$E2E_TMP/nginx
mkdir -p "$NX/run"
WH_SOCK=$NX/run/workhorse.sock API_SOCK=$NX/run/api.sock
# The stand-in Workhorse: every method, answered 200 with what it got.
cat >"$NX/workhorse.py" <<-'PY'
	import http.server, json, os, socketserver, sys
	class H(http.server.BaseHTTPRequestHandler):
	    protocol_version = "HTTP/1.1"
	    def address_string(self): return "workhorse"
	    def log_message(self, *a): pass
	    def answer(self):
	        n = int(self.headers.get("Content-Length") or 0)
	        body = self.rfile.read(n).decode() if n else ""
	        out = json.dumps({"workhorse": True, "method": self.command, "uri": self.path, "body": body,
	                          "x_request_id": self.headers.get("X-Request-Id"),
	                          "x_request_start": self.headers.get("X-Request-Start")},
	                         separators=(",", ":")).encode()
	        self.send_response(200)
	        self.send_header("Content-Type", "application/json")
	        self.send_header("Content-Length", str(len(out)))
	        self.end_headers()
	        if self.command != "HEAD":
	            self.wfile.write(out)
	    def __getattr__(self, name):
	        if name.startswith("do_"):
	            return self.answer
	        raise AttributeError(name)
	class S(socketserver.UnixStreamServer):
	    def get_request(self):
	        conn, _ = self.socket.accept()
	        return conn, ("workhorse", 0)
	path = sys.argv[1]
	if os.path.exists(path):
	    os.unlink(path)
	S(path, H).serve_forever()
PY
WH_PID=''
start_workhorse() {
	python3 "$NX/workhorse.py" "$WH_SOCK" 2>>"$NX/workhorse.log" &
	WH_PID=$!
	for ((i = 0; i < 50; i++)); do [ -S "$WH_SOCK" ] && return 0; sleep 0.1; done
	echo "# the stand-in Workhorse did not come up: $(tail -n 3 "$NX/workhorse.log")"
}
stop_workhorse() {
	[ -n "$WH_PID" ] || return 0
	kill "$WH_PID" 2>/dev/null || true
	wait "$WH_PID" 2>/dev/null || true
	WH_PID=''
	rm -f "$WH_SOCK"
}
on_exit stop_workhorse
start_workhorse

# The file as contrib/dev/stack substitutes glia.conf: sockets, listen
# address and logs; nothing else.
sed -e "s|unix:/run/glia/glia.sock|unix:$SOCK|" \
	-e "s|unix:/var/opt/gitlab/gitlab-workhorse/sockets/socket|unix:$WH_SOCK|" \
	-e "s|listen 127.0.0.1:8095;|listen unix:$API_SOCK;|" \
	-e "s|/var/log/gitlab/nginx/glia-gitlab-access.log|$NX/access.log|" \
	-e "s|/var/log/gitlab/nginx/glia-gitlab-error.log|$NX/error.log|" \
	"$SRC/contrib/nginx/glia-gitlab.conf" >"$NX/glia-gitlab.conf"
{
	# glia's private socket is 0600, root's or this user's: nginx's
	# workers run as the same user.
	[ "$(id -u)" = 0 ] && echo "user root;"
	echo "worker_processes 1;"
	echo "pid $NX/nginx.pid;"
	echo "error_log $NX/error.log;"
	echo "events { worker_connections 64; }"
	echo "http {"
	echo "    client_body_temp_path $NX/client_body;"
	echo "    fastcgi_temp_path $NX/fastcgi;"
	echo "    proxy_temp_path $NX/proxy;"
	echo "    include $NX/glia-gitlab.conf;"
	echo "}"
} >"$NX/nginx.conf"
desc "glia-gitlab.conf: the lines the test substitutes are there"
if grep -q "unix:$SOCK;" "$NX/glia-gitlab.conf" && grep -q "unix:$WH_SOCK;" "$NX/glia-gitlab.conf" &&
	grep -q "listen unix:$API_SOCK;" "$NX/glia-gitlab.conf"; then _report 1 x; else
	_report 0 x "contrib/nginx/glia-gitlab.conf no longer has the lines tests/gitlab-schema/nginx.sh substitutes"; fi
nginx_() { "$NGINX_BIN" -c "$NX/nginx.conf" -e "$NX/error.log" "$@"; }
stop_nginx() {
	[ -r "$NX/nginx.pid" ] || return 0
	nginx_ -s stop 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do [ -e "$NX/nginx.pid" ] || break; sleep 0.1; done
}
on_exit stop_nginx
desc "glia-gitlab.conf: nginx -t accepts it"
if out=$(nginx_ -t 2>&1); then _report 1 x; else _report 0 x "$out"; fi
nginx_ 2>>"$NX/error.log" || true
for ((i = 0; i < 50; i++)); do [ -S "$API_SOCK" ] && break; sleep 0.1; done

# web METHOD URI [CURL_ARGS...]: sets STATUS, BODY and HEADERS (lower case).
web() {
	local how=(-X "$1") uri=$2
	[ "$1" = HEAD ] && how=(-I)
	shift 2
	: >"$NX/headers"
	BODY=$(curl -sS --unix-socket "$API_SOCK" "${how[@]}" -D "$NX/headers" "$@" "http://gitlab.test$uri" 2>&1) || true
	STATUS=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$NX/headers")
	HEADERS=$(tr -d '\r' <"$NX/headers" | tr '[:upper:]' '[:lower:]')
}
SS=(-H "Gitlab-Shared-Secret: $SECRET_B64")
form_args() { printf '%s\n' -H "Content-Type: application/x-www-form-urlencoded" --data-binary "$1"; }
# web_expect DESC STATUS BODY METHOD URI [CURL_ARGS...]
web_expect() {
	local d=$1 want_status=$2 want_body=$3
	shift 3
	desc "$d"
	web "$@"
	if [ "$STATUS" = "$want_status" ] && [ "$BODY" = "$want_body" ]; then _report 1 x; else
		_report 0 x "expected: $want_status $want_body" "got:      $STATUS ${BODY:0:400}"; fi
}
# workhorse_expect DESC METHOD URI BODY [CURL_ARGS...]: Workhorse answered,
# and was sent METHOD, URI and BODY; nothing of glia's answer is left in
# the caller's (nginx drops a handed-on answer, headers and all).
workhorse_expect() {
	local d=$1 method=$2 uri=$3 body=$4 got
	shift 4
	desc "$d"
	web "$method" "$uri" "$@"
	got=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["workhorse"], d["method"], d["uri"], d["body"], sep="|")' \
		"$BODY" 2>/dev/null || true)
	if [ "$STATUS" = 200 ] && [ "$got" = "True|$method|$uri|$body" ] &&
		! grep -qE '^(x-accel-redirect|x-request-id|x-frame-options):' <<<"$HEADERS"; then _report 1 x; else
		_report 0 x "expected Workhorse's marker for $method $uri ($body)" "got: $STATUS ${BODY:0:400}" \
			"headers: $(tr '\n' ' ' <<<"$HEADERS")"; fi
}

# glia's five routes: glia's own answers.
desc "nginx: check -> glia"
web GET /api/v4/internal/check "${SS[@]}"
if [ "$STATUS" = 200 ] && [[ $BODY =~ $(check_body_re true) ]]; then _report 1 x; else
	_report 0 x "got: $STATUS $BODY"; fi
web_expect "nginx: authorized_keys -> glia, root's key" 200 \
	"{\"id\":11,\"title\":\"admin@example.com\",\"key\":\"$ROOT_LINE\",\"created_at\":\"2019-06-27T15:29:02.219Z\",\"expires_at\":null}" \
	GET "$AK?key=$(urlencode "$(cut -d' ' -f2 <<<"$ROOT_LINE")")" "${SS[@]}"
web_expect "nginx: authorized_keys -> glia's 404 for an unknown key" 404 "$KEY_NOT_FOUND" \
	GET "$AK?key=$(urlencode "$(key_body nobody)")" "${SS[@]}"
web_expect "nginx: discover -> glia" 200 '{"id":7,"name":"Dede Eichmann","username":"rubi"}' \
	GET "$D?key_id=7" "${SS[@]}"
web_expect "nginx: discover, percent-encoded path -> glia" 200 '{"id":7,"name":"Dede Eichmann","username":"rubi"}' \
	GET "/api/v4/internal/%64iscover?key_id=7" "${SS[@]}"
web_expect "nginx: without the secret -> glia's 401" 401 '{"message":"401 Unauthorized"}' GET "$D?key_id=7"
FORM="user_id=1003&project=ga-group/public&$PULL"
want=$(allowed_raw "$SOCK" "$FORM")
want=${want#*$'\n\n'}
mapfile -t fa < <(form_args "$FORM")
web_expect "nginx: allowed, a pull -> glia, its answer as over FastCGI" 200 "$want" POST "$A" "${SS[@]}" "${fa[@]}"
mapfile -t fa < <(form_args "user_id=1003&project=ga-group/nothing&$PULL")
web_expect "nginx: allowed, a refusal 404 stays glia's (body and all)" 404 \
	'{"status":false,"message":"The project you were looking for could not be found."}' POST "$A" "${SS[@]}" "${fa[@]}"
mapfile -t fa < <(form_args "user_id=1001&project=ga-group/private&action=git-receive-pack&protocol=ssh&changes=$(urlencode "$S1 $Z refs/heads/feature")")
web_expect "nginx: allowed, a refusal 401 stays glia's" 401 \
	'{"status":false,"message":"You are not allowed to push code to this project."}' POST "$A" "${SS[@]}" "${fa[@]}"
web_expect "nginx: GET on allowed -> glia's 405" 405 '{"error":"405 Not Allowed"}' GET "$A" "${SS[@]}"
desc "nginx: glia echoes the caller's X-Request-Id"
web GET "$D?key_id=7" "${SS[@]}" -H "X-Request-Id: nginx-rid-1"
if grep -qx 'x-request-id: nginx-rid-1' <<<"$HEADERS"; then _report 1 x; else _report 0 x "headers: $HEADERS"; fi
desc "nginx: without one, glia gets nginx's request id"
web GET "$D?key_id=7" "${SS[@]}"
if grep -qE '^x-request-id: [0-9a-f]{32}$' <<<"$HEADERS"; then _report 1 x; else _report 0 x "headers: $HEADERS"; fi

# What glia leaves to Rails: Workhorse, with the same request.
FORM="user_id=1003&project=ga-group/public/snippets/1501&$PULL"
mapfile -t fa < <(form_args "$FORM")
workhorse_expect "nginx: allowed for a snippet -> Workhorse, POST and body intact" POST "$A" "$FORM" "${SS[@]}" "${fa[@]}"
FORM="user_id=1003&gl_repository=snippet-1501&$PULL"
mapfile -t fa < <(form_args "$FORM")
workhorse_expect "nginx: allowed for snippet-1501 -> Workhorse" POST "$A" "$FORM" "${SS[@]}" "${fa[@]}"
FORM="user_id=1003&project=ga-group/private&action=git-receive-pack&protocol=ssh&changes=$(urlencode "$S1 $Z refs/heads/feature")"
mapfile -t fa < <(form_args "$FORM")
workhorse_expect "nginx: allowed for a push deleting a branch -> Workhorse" POST "$A" "$FORM" "${SS[@]}" "${fa[@]}"
desc "nginx: Workhorse gets the caller's request id and nginx's X-Request-Start"
web POST "$A" "${SS[@]}" "${fa[@]}" -H "X-Request-Id: nginx-rid-2" -H "X-Request-Start: t=1"
re='"x_request_id":"nginx-rid-2","x_request_start":"t=[0-9]{10}\.[0-9]{3}"'
if [[ $BODY =~ $re ]]; then _report 1 x; else
	_report 0 x "got: $STATUS $BODY"; fi
desc "nginx: the access log names both for what glia handed on"
if grep -q "POST $A HTTP/1.1\" 200 .* upstream=unix:$SOCK : unix:$WH_SOCK" "$NX/access.log" &&
	! grep -q 'secret_token\|key=' "$NX/access.log"; then _report 1 x; else
	_report 0 x "log: $(tail -n 3 "$NX/access.log")"; fi

# Every other route: Workhorse.
for r in "POST /api/v4/internal/two_factor_recovery_codes" \
	"POST /api/v4/internal/pre_receive" "POST /api/v4/internal/post_receive" \
	"GET /api/v4/internal/kubernetes/agent_info" "GET /api/v4/projects/1" "GET /api/v4/internal/checks" \
	"GET /api/v4/internal/allowed/x" "GET /users/sign_in" "HEAD /api/v4/internal/check/"; do
	if [ "${r% *}" = HEAD ]; then
		desc "nginx: $r -> Workhorse"
		web HEAD "${r#* }" "${SS[@]}"
		# Workhorse's stand-in sends no X-Request-Id; glia would.
		if [ "$STATUS" = 200 ] && ! grep -q '^x-request-id' <<<"$HEADERS"; then _report 1 x; else
			_report 0 x "got: $STATUS $HEADERS"; fi
		continue
	fi
	workhorse_expect "nginx: $r -> Workhorse" "${r% *}" "${r#* }" "" "${SS[@]}"
done
workhorse_expect "nginx: a query string reaches Workhorse as sent" GET "/api/v4/projects?search=a%20b&x=1" ""
mapfile -t fa < <(form_args "key_id=1300&project=ga-group/public")
desc "nginx: lfs_authenticate -> glia, GitLab's token"
web POST /api/v4/internal/lfs_authenticate "${SS[@]}" "${fa[@]}"
re='^\{"username":"ga-dev","lfs_token":"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+","repository_http_path":"http://gitlab\.example\.com/ga-group/public\.git","expires_in":7200\}$'
if [ "$STATUS" = 200 ] && [[ $BODY =~ $re ]]; then _report 1 x; else _report 0 x "got: $STATUS ${BODY:0:400}"; fi
for FORM in "key_id=1300&project=ga-group/public.wiki" "key_id=1300&project=ga-group/public.design"; do
	mapfile -t fa < <(form_args "$FORM")
	workhorse_expect "nginx: lfs_authenticate for ${FORM##*/} -> Workhorse, body intact" POST \
		/api/v4/internal/lfs_authenticate "$FORM" "${SS[@]}" "${fa[@]}"
done

# nginx's own errors: glia's JSON.
web_expect "nginx: a request line over 16 KiB -> JSON 414" 414 '{"message":"414 Request-URI Too Large"}' \
	GET "$D?key_id=7&x=$(head -c 17000 /dev/zero | tr '\0' a)" "${SS[@]}"
head -c $((21 * 1024 * 1024)) /dev/zero >"$NX/big"
web_expect "nginx: a body over 20 MiB to glia's route -> JSON 413" 413 '{"message":"413 Request Entity Too Large"}' \
	POST "$A" "${SS[@]}" -H "Content-Type: application/x-www-form-urlencoded" --data-binary "@$NX/big"
rm -f "$NX/big"

# glia down: Workhorse answers glia's routes, as before glia.
stop_private "$GITLAB_PID" 5
GITLAB_PID=''
workhorse_expect "nginx: glia down -> check goes to Workhorse" GET /api/v4/internal/check "" "${SS[@]}"
FORM="user_id=1003&project=ga-group/public&$PULL"
mapfile -t fa < <(form_args "$FORM")
workhorse_expect "nginx: glia down -> allowed goes to Workhorse, body intact" POST "$A" "$FORM" "${SS[@]}" "${fa[@]}"
# Workhorse down too: JSON 503 with Retry-After, never nginx's HTML.
stop_workhorse
for r in "GET /api/v4/projects/1" "POST $A"; do
	desc "nginx: $r with Workhorse down (and glia) -> JSON 503, Retry-After"
	web "${r% *}" "${r#* }" "${SS[@]}" "${fa[@]}"
	if [ "$STATUS" = 503 ] && [ "$BODY" = '{"message":"503 Service Unavailable - GitLab did not answer, try again"}' ] &&
		grep -q '^retry-after: 1' <<<"$HEADERS" && grep -q '^content-type: application/json' <<<"$HEADERS"; then
		_report 1 x; else _report 0 x "got: $STATUS $BODY"; fi
done
stop_nginx
