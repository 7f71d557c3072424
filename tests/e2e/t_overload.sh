#!/usr/bin/env bash
# Overload: what a caller gets when glia cannot keep up (issue 16).
#   - a request that waited in the listen queue longer than max_queue_wait
#     (X-Request-Start, which nginx sets) gets a JSON 503 with Retry-After at
#     once, without touching the database (its table is locked meanwhile);
#   - a value of X-Request-Start that is not plainly a recent time is
#     ignored, the request served; a client cannot send its own through
#     nginx;
#   - nginx's own 502 (glia unreachable) and 504 (glia too slow) reach the
#     caller as a JSON 503 with Retry-After, through contrib/nginx/glia.conf
#     in a private nginx (the stack's site with another socket and a 1 s
#     fastcgi_read_timeout).
# The load itself is measured by contrib/bench/run --overload.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_glia.sh
. "$(dirname "$0")/lib_glia.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
D="/api/v4/internal/discover?username=rubi"
RUBI='{"id":7,"name":"Dede Eichmann","username":"rubi"}'
SHED='{"message":"503 Service Unavailable - too many requests, try again"}'
SS=HTTP_GITLAB_SHARED_SECRET=$SECRET_B64
on_exit unlock_table # never leave the users table locked

# start_ago MS: X-Request-Start as nginx writes it, MS milliseconds ago.
start_ago() {
	local ms
	ms=$(($(date +%s%3N) - $1))
	printf 't=%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# fcgi_header NAME: a header of the last fcgi answer.
fcgi_header() { sed -n "s/^$1: //Ip" <<<"$HEADERS" | head -n 1; }

# --- shedding, straight to glia's socket (nginx would set the time itself)

desc "a request that waited 50 ms is served"
fcgi_expect 200 "$RUBI" "$GLIA_SOCKET" GET "$D" "$SS" HTTP_X_REQUEST_START="$(start_ago 50)"

if ! lock_table users 25; then
	echo "Bail out! could not lock the users table"
	exit 1
fi
t0=$(ms)
desc "a request that waited 5 s: JSON 503 at once, the users table locked"
fcgi_expect 503 "$SHED" "$GLIA_SOCKET" GET "$D" "$SS" HTTP_X_REQUEST_START="$(start_ago 5000)"
took=$(($(ms) - t0))
ra=$(fcgi_header Retry-After)
ok_if "with Retry-After 1 to 3 (got '$ra')" grep -qE '^[123]$' <<<"$ra"
ok_if "and Content-Type application/json ($(fcgi_header Content-Type))" test "$(fcgi_header Content-Type)" = application/json
ok_if "answered without waiting for the lock ($took ms)" test "$took" -lt 1500
# Each of the 4 workers sheds, whichever takes the request.
codes=
for _ in 1 2 3 4 5 6 7 8; do
	fcgi "$GLIA_SOCKET" GET "$D" "$SS" HTTP_X_REQUEST_START="$(start_ago 3000)"
	codes+="$STATUS "
done
ok_if "8 more (every worker): all 503 ($codes)" test "$codes" = "$(printf '503 %.0s' 1 2 3 4 5 6 7 8)"
ok_if "logged with the wait" logged_since 1 "GET /api/v4/internal/discover 503 [0-9]+ms route=discover rid=[^ ]+ queue=[0-9]{4}ms"
t0=$(ms)
fcgi "$GLIA_SOCKET" GET "$D" "$SS"
took=$(($(ms) - t0))
ok_if "while a request without X-Request-Start waits for the lock ($STATUS after $took ms)" \
	test "$took" -ge 2000
unlock_table
# A worker whose first database work was that request spent it connecting
# (its statements wait on the lock too), failed, and refuses for its 100 ms
# reconnect backoff: let that pass.
sleep 0.3

desc "the database untouched meanwhile: the next request is served"
fcgi_expect 200 "$RUBI" "$GLIA_SOCKET" GET "$D" "$SS" HTTP_X_REQUEST_START="$(start_ago 0)"

# A wrong X-Request-Start is no reason to refuse: each of these is served.
now_s=$(date +%s)
for v in "t=abc" "t=" "t=-$now_s.000" "t=$now_s" "t=${now_s}000" "t=99999999999999999999" \
	"t=18446744073709551617.5" "t=$now_s.1234567" "t=$((now_s - 5)).5.5" " t=$((now_s - 5)).000" \
	"t=$((now_s - 7200)).000" "t=$((now_s + 3600)).000" "t=4102444800.000" "T=$((now_s - 5)).000" \
	"t=0x$(printf %x $((now_s - 5)))"; do
	desc "X-Request-Start '$v' is ignored: served"
	fcgi_expect 200 "$RUBI" "$GLIA_SOCKET" GET "$D" "$SS" HTTP_X_REQUEST_START="$v"
done
desc "Apache's form, microseconds, 5 s ago: shed"
fcgi_expect 503 "$SHED" "$GLIA_SOCKET" GET "$D" "$SS" HTTP_X_REQUEST_START="t=$((($(date +%s%3N) - 5000) * 1000))"

desc "with max_queue_wait = 0 nothing is shed"
reload_with "max_queue_wait = 0"
fcgi_expect 200 "$RUBI" "$GLIA_SOCKET" GET "$D" "$SS" HTTP_X_REQUEST_START="$(start_ago 5000)"
reload_with

# --- through nginx

desc "a client's own X-Request-Start never reaches glia: nginx sets its own"
expect 200 "$RUBI" GET "$D" -H "$AUTH" -H "X-Request-Start: t=1000000000.000"
desc "and nginx's own time is recent: served"
expect 200 "$RUBI" GET "$D" -H "$AUTH"

# A private nginx with the stack's site (contrib/nginx/glia.conf), its
# port, its socket and a 1 s fastcgi_read_timeout: a socket nobody accepts on
# (504) and one that does not exist (502).
N=$E2E_TMP/nginx
mkdir -p "$N"
chmod 0755 "$E2E_TMP" "$N"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SILENT=$N/silent.sock
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(64)
import os; os.chmod(sys.argv[1], 0o666); time.sleep(60)' "$SILENT" &
silent_pid=$!
on_exit "kill $silent_pid 2>/dev/null"
for _ in $(seq 50); do [ -S "$SILENT" ] && [ -w "$SILENT" ] && break; sleep 0.1; done
sleep 0.2 # chmod follows bind
sed -e "s|listen 127.0.0.1:[0-9]*; listen unix:[^;]*;|listen 127.0.0.1:$PORT;|" \
	-e "s|fastcgi_pass unix:[^;]*;|fastcgi_pass unix:$SILENT;|" \
	-e "s|location ~ \^/-/|location ~ ^/-/gone/|" \
	-e "s|fastcgi_read_timeout 60s;|fastcgi_read_timeout 1s;|" \
	-e "s|access_log [^;]*;|access_log $N/access.log glia;|" \
	-e "s|error_log [^;]*;|error_log $N/error.log;|" \
	"$GLIA_STACK_DIR/nginx-glia.conf" >"$N/site.conf"
# The health location gets a socket that does not exist: nginx's 502.
python3 - "$N/site.conf" "$N/gone.sock" <<'PY'
import re, sys
p, gone = sys.argv[1:]
s = open(p).read()
s = s.replace("location ~ ^/-/gone/(liveness|readiness|metrics)$ {", "location = /api/v4/internal/gone {", 1)
i = s.index("location = /api/v4/internal/gone {")
j = s.index("fastcgi_pass", i)
k = s.index(";", j)
s = s[:j] + "fastcgi_pass unix:" + gone + s[k:]
open(p, "w").write(s)
PY
{
	[ "$(id -u)" = 0 ] && echo "user www-data;"
	echo "worker_processes 1;"
	echo "pid $N/nginx.pid;"
	echo "error_log $N/error.log;"
	echo "events { worker_connections 64; }"
	echo "http {"
	echo "    client_body_temp_path $N/body; fastcgi_temp_path $N/fastcgi; proxy_temp_path $N/proxy;"
	echo "    include $N/site.conf;"
	echo "}"
} >"$N/nginx.conf"
if ! nginx -t -q -c "$N/nginx.conf" -e "$N/error.log" 2>"$N/t.out" || ! nginx -c "$N/nginx.conf" -e "$N/error.log"; then
	echo "Bail out! the private nginx did not start: $(tr '\n' ' ' <"$N/t.out")"
	exit 1
fi
on_exit "kill -QUIT \$(cat $N/nginx.pid) 2>/dev/null"
for _ in $(seq 50); do [ -s "$N/nginx.pid" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT

# nginx_answer PATH: status, Retry-After, Content-Type and body through the
# private nginx, on one line.
nginx_answer() {
	curl -s -D "$N/h" -o "$N/b" --max-time 10 -H "$AUTH" "$URL$1" >/dev/null || true
	printf '%s|%s|%s|%s' "$(sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p' "$N/h")" \
		"$(tr -d '\r' <"$N/h" | sed -n 's/^Retry-After: //Ip')" \
		"$(tr -d '\r' <"$N/h" | sed -n 's/^Content-Type: //Ip')" "$(cat "$N/b")"
}
got=$(nginx_answer "$D")
want='503|1|application/json|{"message":"503 Service Unavailable - glia took too long, try again"}'
ok_if "glia too slow (nginx's 504): $got" test "$got" = "$want"
got=$(nginx_answer /api/v4/internal/gone)
want='503|1|application/json|{"message":"503 Service Unavailable - glia did not answer, try again"}'
ok_if "glia unreachable (nginx's 502): $got" test "$got" = "$want"
ok_if "nginx logged them as 503" test "$(grep -c '" 503 ' "$N/access.log")" = 2

finish
