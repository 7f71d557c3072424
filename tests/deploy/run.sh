#!/usr/bin/env bash
# tests/deploy/run.sh: glia deployed the way its users deploy it, tested live.
#
#   1. builds the Debian package from a copy of the working tree (tracked and
#      untracked files, not the ignored ones: no _build/, _stack/) with
#      `dpkg-buildpackage -us -uc -b`, and the source package with
#      `dpkg-source -b`; lintian on both must print no E: and no W: line;
#   2. `apt-get install ./glia_*.deb` on this machine; checks the user, the
#      secrets (0640 root:glia, kept on reinstall) and the conffile;
#   3. a throwaway PostgreSQL cluster; `glia-admin migrate` and a small import
#      with the installed glia-admin;
#   4. glia started as glia.service starts it (systemd is not PID 1 here:
#      the unit's ExecStart as its User/Group/SupplementaryGroups, with
#      /run/glia made as RuntimeDirectory= makes it), then nginx (the
#      packaged snippet) and Apache (mod_proxy_fcgi, the packaged snippet,
#      its own ServerRoot-less config, not Debian's instance) in front;
#      overload through both: every worker stopped for 2 s, a request
#      that waited is shed with glia's JSON 503 (the X-Request-Start each
#      server stamps), Apache's timeout is a JSON 504; glia stopped, both
#      answer a JSON 503 with Retry-After themselves, never HTML;
#      then glia.socket's socket activation, emulated with
#      systemd-socket-activate (LISTEN_FDS), as the same user;
#   5. glia started by spawn-fcgi on the same socket path: checks through
#      nginx and Apache, a killed worker replaced by glia's master, Apache's
#      JSON 503 once glia stopped and left the socket; then Apache with
#      mod_fcgid spawning glia itself (the packaged glia-fcgid.conf), and
#      its JSON 500 for a program that dies at once;
#   6. `apt-get purge -y glia`: no /etc/glia, /usr/sbin/glia or glia user left.
#
# Prints TAP lines (tests/lib/tap.sh), then `deploy: N passed, M failed`, and
# exits non-zero if any failed.
# Changes this machine (installs, then purges the glia package); one run at
# a time (a lock in /run/lock), and a run cleans up after an aborted one.
#
# Environment: GLIA_DEPLOY_NGINX_PORT (8093), GLIA_DEPLOY_APACHE_PORT (8094),
# GLIA_DEPLOY_KEEP=1 keeps the temporary directory.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
NGINX_PORT=${GLIA_DEPLOY_NGINX_PORT:-8093}
APACHE_PORT=${GLIA_DEPLOY_APACHE_PORT:-8094}
PGBIN=/usr/lib/postgresql/15/bin
UNIT=/lib/systemd/system/glia.service
SOCK=/run/glia/glia.sock
export DEBIAN_FRONTEND=noninteractive
# contrib/dev/test runs this with the dev stack's environment (_stack/env):
# libpq and glia must not pick up its database or configuration.
unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE GLIA_CONFIG \
	ASAN_OPTIONS UBSAN_OPTIONS ASAN_SYMBOLIZER_PATH

[ "$(id -u)" = 0 ] || { echo "not ok - tests/deploy/run.sh must run as root (it installs a package)"; exit 1; }

# shellcheck source=tests/lib/tap.sh
. "$SRC/tests/lib/tap.sh"
tap_begin deploy
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }

exec 9>/run/lock/glia-deploy-test.lock
flock -w 900 9 || { nok "another tests/deploy/run.sh holds /run/lock/glia-deploy-test.lock"; exit 1; }

TMP=$(mktemp -d /tmp/glia-deploy.XXXXXX)
chmod 0755 "$TMP" # postgres, glia and www-data reach the sockets in it
PG=$TMP/pg

# --- cleanup (also of a previous, aborted run)
pids=()
stop_pid() { # PID: TERM, then KILL after 10 s (never 0, -1 or empty: kill's groups)
	local pid=${1:-} i
	[[ $pid =~ ^[1-9][0-9]*$ ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}
purge_glia() {
	if dpkg-query -W -f='${Status}' glia 2>/dev/null | grep -q 'installed\|config-files'; then
		apt-get purge -y -qq glia >"$TMP/purge.log" 2>&1 || { cat "$TMP/purge.log"; return 1; }
	fi
}
cleanup() {
	local p
	[ -s "$TMP/apache/httpd.pid" ] && stop_pid "$(cat "$TMP/apache/httpd.pid")"
	[ -s "$TMP/nginx/nginx.pid" ] && stop_pid "$(cat "$TMP/nginx/nginx.pid")"
	for p in "${pids[@]}"; do stop_pid "$p"; done
	purge_glia >/dev/null 2>&1 || true
	if [ -s "$PG/data/PG_VERSION" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ "${GLIA_DEPLOY_KEEP:-}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if dpkg-query -W -f='${Status}' glia 2>/dev/null | grep -q 'installed\|config-files'; then
	note "glia is installed (an earlier run?): purging it first"
	purge_glia
fi

# --- 1. build
mkdir "$TMP/glia-0.1.0"
tree=$TMP/glia-0.1.0
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	# Files deleted in the working tree but still tracked are left out.
	(cd "$SRC" && git ls-files -z -co --exclude-standard | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -xf - -C "$tree"
	git -C "$SRC" rev-parse --short=11 HEAD >"$tree/REVISION"
else
	(cd "$SRC" && tar --exclude=./_build --exclude=./_stack --exclude=./autom4te.cache --exclude=./config.status \
		--exclude=./debian/glia --exclude=./debian/.debhelper -cf - .) | tar -xf - -C "$tree"
fi
version=$(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)
if (cd "$TMP" && dpkg-source -b glia-0.1.0 >"$TMP/source.log" 2>&1); then
	ok "dpkg-source -b: glia_$version.dsc"
else
	nok "dpkg-source -b failed"; fail_log "$TMP/source.log"
fi
if (cd "$tree" && dpkg-buildpackage -us -uc -b >"$TMP/build.log" 2>&1); then
	ok "dpkg-buildpackage -us -uc -b: $(cd "$TMP" && ls glia_*.deb) ($(elapsed))"
else
	nok "dpkg-buildpackage -us -uc -b failed (make check runs in it)"; fail_log "$TMP/build.log"
	exit 1
fi
deb=$(ls "$TMP"/glia_"$version"_*.deb)

# lintian exits 2 for errors (--fail-on) and 1 when it failed to run;
# warnings are read from its output. A lintian that did not run must not
# read as a clean report.
lint_rc=0
lint=$(cd "$TMP" && lintian --display-info glia_"$version"_*.changes glia_"$version".dsc 2>&1) || lint_rc=$?
lint=$(printf '%s\n' "$lint" | grep -v '^running with root privileges' || true)
[ -n "$lint" ] && printf '%s\n' "$lint" | sed 's/^/# lintian: /'
if ! command -v lintian >/dev/null || [ "$lint_rc" = 1 ] || [ "$lint_rc" -gt 2 ]; then
	nok "lintian did not run (exit $lint_rc)"
elif [ "$lint_rc" = 2 ] || printf '%s\n' "$lint" | grep -q '^[EW]: '; then
	nok "lintian reports errors or warnings"
else
	ok "lintian: no errors, no warnings (.changes, .deb, .dsc)"
fi

# --- 2. install
if apt-get install -y -qq "$deb" >"$TMP/install.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb")"
else
	nok "apt-get install ./$(basename "$deb")"; fail_log "$TMP/install.log"; exit 1
fi
# The package's autopkgtest (debian/tests/control), as autopkgtest runs it
# against the installed package.
if sh "$tree/debian/tests/smoke" >"$TMP/smoke.log" 2>&1; then
	ok "autopkgtest smoke (debian/tests/smoke): $(tail -n 1 "$TMP/smoke.log")"
else
	nok "autopkgtest smoke (debian/tests/smoke)"; fail_log "$TMP/smoke.log"
fi
if [ "$(id -u glia 2>/dev/null)" ] && [ "$(id -gn glia)" = glia ] && [ "$(getent passwd glia | cut -d: -f6-7)" = /nonexistent:/usr/sbin/nologin ]; then
	ok "system user and group glia ($(id glia))"
else
	nok "no glia system user/group: $(id glia 2>&1)"
fi
secrets_ok=1
for f in gitlab_shell_secret kas_secret token_pepper lfs_secret; do
	s=$(stat -c '%a %U:%G' "/etc/glia/$f" 2>/dev/null || echo missing)
	[ "$s" = "640 root:glia" ] || { secrets_ok=0; note "/etc/glia/$f: $s"; }
done
grep -qxE '[0-9a-f]{32}' /etc/glia/gitlab_shell_secret || { secrets_ok=0; note "shell secret is not 32 hex digits"; }
[ "$(base64 -d /etc/glia/kas_secret 2>/dev/null | wc -c)" = 32 ] || { secrets_ok=0; note "kas_secret is not base64 of 32 bytes"; }
[ "$secrets_ok" = 1 ] && ok "secrets generated, mode 0640 root:glia" || nok "secrets"
if dpkg-query -W -f='${Conffiles}\n' glia | grep -q '^ /etc/glia/glia.conf '; then
	ok "/etc/glia/glia.conf is a conffile"
else
	nok "/etc/glia/glia.conf is not a conffile"
fi
conf_ok=1
for line in 'listen = unix:/run/glia/glia.sock' 'user = glia' \
	'shell_secret_file = /etc/glia/gitlab_shell_secret' 'kas_secret_file = /etc/glia/kas_secret' \
	'token_pepper_file = /etc/glia/token_pepper' 'lfs_secret_file = /etc/glia/lfs_secret'; do
	grep -qxF "$line" /etc/glia/glia.conf || { conf_ok=0; note "glia.conf lacks: $line"; }
done
[ "$conf_ok" = 1 ] && ok "the installed glia.conf names the socket, the user and the secrets" || nok "installed glia.conf"
sums=$(sha256sum /etc/glia/*secret* /etc/glia/token_pepper)
apt-get install -y -qq --reinstall "$deb" >"$TMP/reinstall.log" 2>&1 || { nok "reinstall"; fail_log "$TMP/reinstall.log"; }
[ "$(sha256sum /etc/glia/*secret* /etc/glia/token_pepper)" = "$sums" ] && ok "reinstall keeps the secrets" ||
	nok "reinstall changed a secret"

# --- 3. PostgreSQL and data, with the installed glia-admin
mkdir -p "$PG" && chown postgres "$PG"
runuser -u postgres -- "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust -E UTF8 --locale=C -N >"$TMP/initdb.log" 2>&1 ||
	{ nok "initdb"; fail_log "$TMP/initdb.log"; exit 1; }
cat >>"$PG/data/postgresql.conf" <<EOF
listen_addresses = ''
port = 5432
unix_socket_directories = '$PG'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/postgres.log" -w -t 60 start >/dev/null ||
	{ nok "PostgreSQL did not start"; fail_log "$PG/postgres.log"; exit 1; }
psql -X -q -h "$PG" -p 5432 -U postgres -d postgres -c 'CREATE ROLE glia LOGIN' -c 'CREATE DATABASE glia OWNER glia' >/dev/null
# What an administrator does: point `database` at the cluster.
sed -i "s|^database = .*|database = \"host=$PG port=5432 dbname=glia user=glia application_name=glia\"|" /etc/glia/glia.conf
if runuser -u glia -- glia-admin -c /etc/glia/glia.conf migrate >"$TMP/migrate.log" 2>&1; then
	ok "runuser -u glia -- glia-admin migrate ($(tail -n 1 "$TMP/migrate.log"))"
else
	nok "glia-admin migrate"; fail_log "$TMP/migrate.log"
fi
TOKEN=glpat-deploy-$(od -An -vtx1 -N8 /dev/urandom | tr -d ' \n')
cat >"$TMP/data.json" <<EOF
{"users": [{"username": "root", "name": "Administrator", "email": "admin@example.com",
            "state": "active", "admin": true}],
 "personal_access_tokens": [{"user": "root", "name": "billing", "token": "$TOKEN",
                             "scopes": ["api"], "expires_at": null}]}
EOF
chmod 0644 "$TMP/data.json"
if glia-admin -c /etc/glia/glia.conf import "$TMP/data.json" >"$TMP/import.log" 2>&1; then
	ok "glia-admin import (an admin user and its token)"
else
	nok "glia-admin import"; fail_log "$TMP/import.log"
fi

SECRET_HDR="Gitlab-Shared-Secret: $(base64 -w0 </etc/glia/gitlab_shell_secret)"
rev=$(cat "$tree/REVISION" 2>/dev/null || echo Unknown)
CHECK_BODY="{\"api_version\":\"v4\",\"gitlab_version\":\"14.1.0\",\"gitlab_rev\":\"$rev\",\"redis\":true}"
# shellcheck disable=SC2016 # a sed script
CHECK_RE="^$(printf '%s' "$CHECK_BODY" | sed 's/[][\.*^$(){}+?|]/\\&/g')\$"

# expect NAME STATUS BODY_REGEX CURL_ARGS...: one request, status and body
expect() {
	local name=$1 status=$2 re=$3 out code body
	shift 3
	out=$(curl -s --max-time 10 -w '\n%{http_code}' "$@" 2>&1) || true
	code=${out##*$'\n'}
	body=${out%$'\n'*}
	if [ "$code" = "$status" ] && [[ $body =~ $re ]]; then
		ok "$name"
	else
		nok "$name: got $code $body (expected $status, body ~ $re)"
	fi
}

# fetch OUT CURL_ARGS...: one request, its headers in OUT.h and its body in
# OUT.b (to check later: it may run in the background).
fetch() {
	local out=$1
	shift
	curl -s --max-time 10 -D "$out.h" -o "$out.b" "$@" >/dev/null 2>&1 || true
}
# header OUT NAME: the values of response header NAME in OUT.h, one a line.
header() { sed -n "s/^$2: *//Ip" "$1.h" | tr -d '\r'; }
# check_refusal NAME OUT STATUS BODY RETRY_AFTER_RE: the answer fetched into
# OUT is STATUS with exactly BODY, as application/json (not a server's HTML
# page) and one Retry-After matching RETRY_AFTER_RE.
check_refusal() {
	local name=$1 out=$2 status=$3 want=$4 ra_re=$5 code body ctype ra
	code=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$out.h" 2>/dev/null)
	body=$(cat "$out.b" 2>/dev/null)
	ctype=$(header "$out" Content-Type 2>/dev/null)
	ra=$(header "$out" Retry-After 2>/dev/null)
	if [ "$code" = "$status" ] && [ "$body" = "$want" ] && [ "$ctype" = application/json ] && [[ $ra =~ $ra_re ]]; then
		ok "$name"
	else
		nok "$name" "got $code, Content-Type '$ctype', Retry-After '${ra//$'\n'/, }', body $(head -c 300 "$out.b" 2>/dev/null | tr '\n' ' ')" \
			"expected $status, application/json, Retry-After ~ $ra_re, body $want"
	fi
}
# expect_refusal NAME STATUS BODY RETRY_AFTER_RE CURL_ARGS...: both at once.
expect_refusal() {
	local name=$1 status=$2 want=$3 ra_re=$4 out
	shift 4
	out=$(mktemp "$TMP/answer.XXXXXX")
	fetch "$out" "$@"
	check_refusal "$name" "$out" "$status" "$want" "$ra_re"
}
DOWN='{"message":"503 Service Unavailable - glia did not answer, try again"}'
SHED='{"message":"503 Service Unavailable - too many requests, try again"}'

# wait_for COMMAND...: until it succeeds, for 10 s at most
wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
socket_ready() { [ -S "$SOCK" ]; }

# The checks every deployment must pass, through the web server at URL.
smoke() { # LABEL URL
	local l=$1 u=$2
	expect "$l: GET /api/v4/internal/check with the shell secret answers exactly" 200 "$CHECK_RE" \
		"$u/api/v4/internal/check" -H "$SECRET_HDR"
	expect "$l: GET /api/v4/internal/check without the secret -> 401 JSON" 401 '^\{"message":"401 Unauthorized"\}$' \
		"$u/api/v4/internal/check"
	expect "$l: GET /internal/discover?username=root (query string, percent-encoded path)" 200 '"username":"root"' \
		"$u/api/v4/internal/disc%6Fver?username=root" -H "$SECRET_HDR"
	expect "$l: GET /internal/discover with a form body (secret_token and username in it)" 200 '"username":"root"' \
		-X GET "$u/api/v4/internal/discover" --data-urlencode "secret_token=$(cat /etc/glia/gitlab_shell_secret)" \
		--data-urlencode username=root
	expect "$l: billing with a wrong PRIVATE-TOKEN -> 401 JSON" 401 '^\{"message":"401 Unauthorized"\}$' \
		"$u/api/v4/namespaces/999/gitlab_subscription" -H 'PRIVATE-TOKEN: glpat-wrong'
	expect "$l: billing with the admin's PRIVATE-TOKEN gets past authentication (404 JSON)" 404 '^\{"message":' \
		"$u/api/v4/namespaces/999/gitlab_subscription" -H "PRIVATE-TOKEN: $TOKEN"
	expect "$l: billing with a wrong Authorization: Bearer -> 401 JSON" 401 '^\{"message":"401 Unauthorized"\}$' \
		"$u/api/v4/namespaces/999/gitlab_subscription" -H 'Authorization: Bearer glpat-wrong'
	expect "$l: billing with the admin's token as Authorization: Bearer (404 JSON: the header arrived)" 404 '^\{"message":' \
		"$u/api/v4/namespaces/999/gitlab_subscription" -H "Authorization: Bearer $TOKEN"
}

# --- 4. glia as glia.service starts it
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
exec_start=$(unit_value ExecStart)
u_user=$(unit_value User)
u_group=$(unit_value Group)
u_supp=$(unit_value SupplementaryGroups)
u_rtdir=$(unit_value RuntimeDirectory)
u_rtmode=$(unit_value RuntimeDirectoryMode)
note "glia.service: User=$u_user Group=$u_group SupplementaryGroups=$u_supp RuntimeDirectory=$u_rtdir ExecStart=$exec_start"
install -d -o "$u_user" -g "$u_group" -m "${u_rtmode:-0755}" "/run/$u_rtdir"
# shellcheck disable=SC2086 # ExecStart is a command line
setpriv --reuid="$u_user" --regid="$u_group" --groups="${u_supp// /,}" --inh-caps=-all --no-new-privs -- \
	$exec_start </dev/null >"$TMP/glia-unit.log" 2>&1 &
unit_pid=$!
pids+=("$unit_pid")
if wait_for socket_ready && kill -0 "$unit_pid" 2>/dev/null; then
	ok "glia started as the unit starts it (pid $unit_pid, user $(ps -o user= -p "$unit_pid"))"
else
	nok "glia did not start as the unit does"; fail_log "$TMP/glia-unit.log"
fi
s=$(stat -c '%a %U:%G' "$SOCK" 2>/dev/null || echo missing)
[ "$s" = "660 glia:www-data" ] && ok "$SOCK: mode 0660 glia:www-data" || nok "$SOCK: $s"

# nginx with the packaged snippet, its own prefix, port $NGINX_PORT
mkdir -p "$TMP/nginx"
sed -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$NGINX_PORT;|" \
	-e "s|/var/log/nginx/glia-access.log|$TMP/nginx/access.log|" \
	-e "s|/var/log/nginx/glia-error.log|$TMP/nginx/error.log|" \
	-e "s|include fastcgi_params;|include /etc/nginx/fastcgi_params;|" \
	/usr/share/doc/glia/examples/nginx/glia.conf >"$TMP/nginx/glia.conf"
grep -q "127.0.0.1:$NGINX_PORT;" "$TMP/nginx/glia.conf" || nok "the packaged nginx snippet no longer has 'listen 127.0.0.1:8080;'"
cat >"$TMP/nginx/nginx.conf" <<EOF
user www-data;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 64; }
http {
    client_body_temp_path $TMP/nginx/body;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    proxy_temp_path $TMP/nginx/proxy;
    include $TMP/nginx/glia.conf;
}
EOF
if nginx -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" >"$TMP/nginx/start.log" 2>&1; then
	ok "nginx with the packaged snippet on 127.0.0.1:$NGINX_PORT"
else
	nok "nginx did not start"; fail_log "$TMP/nginx/start.log"
fi
smoke "unit+nginx" "http://127.0.0.1:$NGINX_PORT"

# Apache with the packaged snippet, its own config directory, port $APACHE_PORT
mkdir -p "$TMP/apache"
M=/usr/lib/apache2/modules
cat >"$TMP/apache/httpd.conf" <<EOF
ServerRoot $TMP/apache
ServerName localhost
Listen 127.0.0.1:$APACHE_PORT
PidFile $TMP/apache/httpd.pid
DefaultRuntimeDir $TMP/apache
Mutex file:$TMP/apache default
ErrorLog $TMP/apache/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule setenvif_module $M/mod_setenvif.so
LoadModule proxy_module $M/mod_proxy.so
LoadModule proxy_fcgi_module $M/mod_proxy_fcgi.so
LoadModule headers_module $M/mod_headers.so
LogFormat "%a \"%m %U %H\" %>s %b" glia
CustomLog $TMP/apache/access.log glia
Include $TMP/apache/timeout.conf
Include /usr/share/doc/glia/examples/apache/glia.conf
EOF
# The test's own: one path under the snippet's /api/v4/ that gives glia 1 s
# instead of the snippet's 60 before Apache answers 504 itself. Before the
# snippet: the first ProxyPass that matches wins.
cat >"$TMP/apache/timeout.conf" <<EOF
ProxyPass "/api/v4/internal/check-1s" "unix:$SOCK|fcgi://timeout-test/api/v4/internal/check" retry=0 timeout=1
EOF
if apache2 -f "$TMP/apache/httpd.conf" -k start >"$TMP/apache/start.log" 2>&1 &&
	wait_for test -s "$TMP/apache/httpd.pid"; then
	ok "Apache (mod_proxy_fcgi) with the packaged snippet on 127.0.0.1:$APACHE_PORT"
else
	nok "Apache did not start"; fail_log "$TMP/apache/start.log"; fail_log "$TMP/apache/error.log"
fi
smoke "unit+apache" "http://127.0.0.1:$APACHE_PORT"
# The snippet's AllowEncodedSlashes: a namespace's full path reaches glia
# (its JSON 401 for want of a token), not Apache's HTML 404.
expect "unit+apache: an encoded slash in :id reaches glia" 401 '^\{"message":"401 Unauthorized"\}$' \
	"http://127.0.0.1:$APACHE_PORT/api/v4/namespaces/group%2Fsub/gitlab_subscription"

# The snippet's X-Request-Start ("%t", microseconds) reaches glia, which logs
# the wait it read from it. It replaces the client's own: a time in 2000,
# which glia would ignore, as it ignores a header given twice.
rid=deploy-xrs-$$
curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$APACHE_PORT/api/v4/internal/check" -H "$SECRET_HDR" \
	-H "X-Request-Id: $rid" -H 'X-Request-Start: t=946684800000000' || true
if wait_for grep -qE "rid=$rid queue=[0-9]+ms" "$TMP/glia-unit.log"; then
	ok "unit+apache: glia reads Apache's X-Request-Start ($(grep -oE "rid=$rid queue=[0-9]+ms" "$TMP/glia-unit.log"))"
else
	nok "unit+apache: glia logged no queue wait: Apache's X-Request-Start did not reach it" \
		"$(grep -F "rid=$rid" "$TMP/glia-unit.log" || echo "no line with rid=$rid")"
fi

# Overload, deterministic: every worker stopped for 2 s, so that requests wait
# in glia's listen queue longer than max_queue_wait (100 ms, and the second a
# burst may take). Once the workers go on, the ones through nginx and Apache
# get glia's JSON 503 with Retry-After (1 to 3 s) at once, a proof that each
# server's X-Request-Start arrived and was read; without it they would be
# served (200). Meanwhile Apache gives up on the one with a 1 s timeout
# (timeout.conf) and answers a JSON 504 itself.
workers=$(pgrep -P "$unit_pid" | tr '\n' ' ')
if [ -n "$workers" ]; then
	# shellcheck disable=SC2086 # one pid a word
	kill -STOP $workers
	fetch "$TMP/shed-apache" "http://127.0.0.1:$APACHE_PORT/api/v4/internal/check" -H "$SECRET_HDR" &
	shed_pids=$!
	fetch "$TMP/shed-nginx" "http://127.0.0.1:$NGINX_PORT/api/v4/internal/check" -H "$SECRET_HDR" &
	shed_pids+=" $!"
	fetch "$TMP/timeout-apache" "http://127.0.0.1:$APACHE_PORT/api/v4/internal/check-1s" -H "$SECRET_HDR" &
	shed_pids+=" $!"
	sleep 2
	# shellcheck disable=SC2086
	kill -CONT $workers
	# shellcheck disable=SC2086
	wait $shed_pids
	check_refusal "unit+apache: a request that waited 2 s for a worker: glia's JSON 503 with Retry-After" \
		"$TMP/shed-apache" 503 "$SHED" '^[123]$'
	check_refusal "unit+nginx: the same through nginx" "$TMP/shed-nginx" 503 "$SHED" '^[123]$'
	check_refusal "unit+apache: glia too slow (timeout): Apache's 504 as JSON with Retry-After" \
		"$TMP/timeout-apache" 504 '{"message":"504 Gateway Timeout - glia took too long, try again"}' '^1$'
	expect "unit+apache: served again once the workers go on" 200 "$CHECK_RE" \
		"http://127.0.0.1:$APACHE_PORT/api/v4/internal/check" -H "$SECRET_HDR"
else
	nok "glia started as the unit starts it has no workers to stop"
fi

stop_pid "$unit_pid"
if ! kill -0 "$unit_pid" 2>/dev/null && [ ! -e "$SOCK" ]; then
	ok "SIGTERM stops glia; it removes its socket"
else
	nok "glia still runs or left $SOCK after SIGTERM"
fi
# glia stopped, its socket gone: each web server answers itself, a JSON 503
# with Retry-After as glia's own refusals, never its HTML error page.
expect_refusal "apache, glia stopped: JSON 503 with Retry-After: 1" 503 "$DOWN" '^1$' \
	"http://127.0.0.1:$APACHE_PORT/api/v4/internal/check" -H "$SECRET_HDR"
expect_refusal "nginx, glia stopped: JSON 503 with Retry-After: 1" 503 "$DOWN" '^1$' \
	"http://127.0.0.1:$NGINX_PORT/api/v4/internal/check" -H "$SECRET_HDR"
grep -q 'Sanitizer\|segfault\|killed by signal' "$TMP/glia-unit.log" && { nok "glia's log reports a crash"; fail_log "$TMP/glia-unit.log"; }

# --- socket activation as glia.socket does it (LISTEN_FDS, fd 3), emulated by
# systemd-socket-activate, with the packaged glia.conf as it is (its
# `listen` names the same path: the inherited socket wins)
sock_value() { sed -n "s/^$1=//p" "${UNIT%.service}.socket" | tail -n 1; }
if command -v systemd-socket-activate >/dev/null; then
	# shellcheck disable=SC2086 # ExecStart is a command line
	systemd-socket-activate -l "$(sock_value ListenStream)" -- \
		setpriv --reuid="$u_user" --regid="$u_group" --groups="${u_supp// /,}" --inh-caps=-all --no-new-privs -- \
		$exec_start </dev/null >"$TMP/glia-activated.log" 2>&1 &
	sa_pid=$!
	pids+=("$sa_pid")
	wait_for socket_ready || true
	# What SocketUser=, SocketGroup= and SocketMode= of glia.socket do.
	chown "$(sock_value SocketUser):$(sock_value SocketGroup)" "$SOCK" && chmod "$(sock_value SocketMode)" "$SOCK"
	expect "socket activation (LISTEN_FDS)+nginx: GET /api/v4/internal/check answers exactly" 200 "$CHECK_RE" \
		"http://127.0.0.1:$NGINX_PORT/api/v4/internal/check" -H "$SECRET_HDR"
	if grep -q 'started' "$TMP/glia-activated.log" && [ "$(ps -o user= -p "$sa_pid")" = glia ]; then
		ok "socket-activated glia runs as glia with its workers ($(pgrep -P "$sa_pid" | tr '\n' ' '))"
	else
		nok "socket-activated glia"; fail_log "$TMP/glia-activated.log"
	fi
	stop_pid "$sa_pid"
	rm -f "$SOCK" # systemd's socket, which glia leaves alone
else
	note "socket activation not tested: no systemd-socket-activate (package systemd)"
fi

# --- 5. spawn-fcgi: it makes the socket, glia's master pre-forks on fd 0,
# with the packaged glia.conf as it is (the inherited socket wins)
spawn-fcgi -n -s "$SOCK" -M 0660 -U glia -G www-data -u glia -g glia -- \
	/usr/sbin/glia -c /etc/glia/glia.conf </dev/null >"$TMP/glia-spawn.log" 2>&1 &
spawn_pid=$!
pids+=("$spawn_pid")
has_workers() { [ "$(pgrep -P "$spawn_pid" | wc -l)" -ge 1 ]; }
if wait_for socket_ready && wait_for has_workers; then
	ok "spawn-fcgi -n ... -- glia: master $spawn_pid ($(ps -o comm= -p "$spawn_pid")), workers $(pgrep -P "$spawn_pid" | tr '\n' ' ')"
else
	nok "glia under spawn-fcgi did not start"; fail_log "$TMP/glia-spawn.log"
fi
s=$(stat -c '%a %U:%G' "$SOCK" 2>/dev/null || echo missing)
[ "$s" = "660 glia:www-data" ] && ok "spawn-fcgi's socket: mode 0660 glia:www-data" || nok "spawn-fcgi's socket: $s"
expect "spawn-fcgi+nginx: GET /api/v4/internal/check answers exactly" 200 "$CHECK_RE" \
	"http://127.0.0.1:$NGINX_PORT/api/v4/internal/check" -H "$SECRET_HDR"
expect "spawn-fcgi+apache: billing with Authorization: Bearer gets past authentication" 404 '^\{"message":' \
	"http://127.0.0.1:$APACHE_PORT/api/v4/namespaces/999/gitlab_subscription" -H "Authorization: Bearer $TOKEN"
nworkers=$(pgrep -P "$spawn_pid" | wc -l)
victim=$(pgrep -P "$spawn_pid" | head -n 1)
kill -KILL "$victim"
replaced() {
	local w
	w=$(pgrep -P "$spawn_pid" | tr '\n' ' ')
	[[ " $w " != *" $victim "* ]] && [ "$(pgrep -P "$spawn_pid" | wc -l)" = "$nworkers" ]
}
if wait_for replaced && kill -0 "$spawn_pid"; then
	ok "a killed worker ($victim) is replaced by glia's master (workers now $(pgrep -P "$spawn_pid" | tr '\n' ' '))"
else
	nok "the killed worker $victim was not replaced"; fail_log "$TMP/glia-spawn.log"
fi
for i in 1 2 3 4 5 6; do
	expect "spawn-fcgi+nginx: request $i after the worker's death" 200 '"api_version":"v4"' \
		"http://127.0.0.1:$NGINX_PORT/api/v4/internal/check" -H "$SECRET_HDR"
done
stop_pid "$spawn_pid"
kill -0 "$spawn_pid" 2>/dev/null && nok "glia under spawn-fcgi ignored SIGTERM" || ok "SIGTERM stops glia under spawn-fcgi"
# glia leaves the socket it inherited: now nobody listens on it (as after a
# glia killed with SIGKILL), and connect() is refused.
if [ -S "$SOCK" ]; then
	expect_refusal "apache, socket left without glia (connection refused): JSON 503 with Retry-After: 1" 503 "$DOWN" '^1$' \
		"http://127.0.0.1:$APACHE_PORT/api/v4/internal/check" -H "$SECRET_HDR"
else
	note "no socket left after spawn-fcgi's glia: the refused connection is not tested"
fi

# --- mod_fcgid: Apache spawns glia itself (as www-data, one request at a
# time per process), with the packaged glia-fcgid.conf
apache2 -f "$TMP/apache/httpd.conf" -k stop >/dev/null 2>&1 || true
wait_for test ! -e "$TMP/apache/httpd.pid" || stop_pid "$(cat "$TMP/apache/httpd.pid" 2>/dev/null)"
FE=$TMP/fcgid-etc
install -d -m 0750 -o www-data "$FE" "$TMP/fcgid-ipc"
for s in gitlab_shell_secret kas_secret token_pepper lfs_secret; do install -m 0600 -o www-data "/etc/glia/$s" "$FE/$s"; done
sed -e 's/^listen = .*/listen =/' -e 's/^user = .*/user =/' -e 's/^#workers = .*/workers = 1/' \
	-e "s|^\([a-z_]*_file\) = /etc/glia/|\1 = $FE/|" /etc/glia/glia.conf >"$FE/glia.conf"
chown www-data "$FE/glia.conf"
sed "s|/etc/glia/fcgid/glia.conf|$FE/glia.conf|" /usr/share/doc/glia/examples/apache/glia-fcgid.conf >"$TMP/apache/glia-fcgid.conf"
{
	sed -e '/^Include /d' -e '/proxy/d' "$TMP/apache/httpd.conf"
	echo "LoadModule alias_module $M/mod_alias.so"
	echo "LoadModule fcgid_module $M/mod_fcgid.so"
	echo "FcgidIPCDir $TMP/fcgid-ipc"
	echo "FcgidProcessTableFile $TMP/fcgid-ipc/shm"
	# A program that dies at once, under the snippet's /api/v4 (an Alias
	# before it wins): mod_fcgid's own 500, which the snippet makes JSON.
	echo "Alias /api/v4/internal/dies /bin/false"
	echo "Include $TMP/apache/glia-fcgid.conf"
} >"$TMP/apache/fcgid.conf"
if apache2 -f "$TMP/apache/fcgid.conf" -k start >"$TMP/apache/start-fcgid.log" 2>&1 &&
	wait_for test -s "$TMP/apache/httpd.pid"; then
	ok "Apache (mod_fcgid) with the packaged glia-fcgid.conf on 127.0.0.1:$APACHE_PORT"
else
	nok "Apache with mod_fcgid did not start"; fail_log "$TMP/apache/start-fcgid.log"; fail_log "$TMP/apache/error.log"
fi
expect "mod_fcgid: GET /api/v4/internal/check answers exactly" 200 "$CHECK_RE" \
	"http://127.0.0.1:$APACHE_PORT/api/v4/internal/check" -H "$SECRET_HDR"
expect "mod_fcgid: GET /internal/discover?username=root" 200 '"username":"root"' \
	"http://127.0.0.1:$APACHE_PORT/api/v4/internal/discover?username=root" -H "$SECRET_HDR"
expect "mod_fcgid: billing with the admin's token as Authorization: Bearer (FcgidPassHeader)" 404 '^\{"message":' \
	"http://127.0.0.1:$APACHE_PORT/api/v4/namespaces/999/gitlab_subscription" -H "Authorization: Bearer $TOKEN"
expect_refusal "mod_fcgid: a program that dies: JSON 500 with Retry-After: 1" 500 \
	'{"message":"500 Internal Server Error - glia did not answer, try again"}' '^1$' \
	"http://127.0.0.1:$APACHE_PORT/api/v4/internal/dies"
fcgid_glia=$(pgrep -u www-data -x glia | tr '\n' ' ')
[ -n "$fcgid_glia" ] && ok "mod_fcgid runs glia as www-data: master and one worker ($fcgid_glia)" ||
	nok "no glia process under mod_fcgid"
apache2 -f "$TMP/apache/fcgid.conf" -k stop >/dev/null 2>&1 || true
no_fcgid_glia() { ! pgrep -u www-data -x glia >/dev/null; }
wait_for no_fcgid_glia && ok "stopping Apache stops mod_fcgid's glia" || nok "glia left running after Apache stopped"

# --- 6. purge
stop_pid "$(cat "$TMP/apache/httpd.pid" 2>/dev/null)"
stop_pid "$(cat "$TMP/nginx/nginx.pid" 2>/dev/null)"
rm -f "$TMP/apache/httpd.pid" "$TMP/nginx/nginx.pid"
if apt-get purge -y -qq glia >"$TMP/purge.log" 2>&1; then
	left=()
	[ -e /etc/glia ] && left+=("/etc/glia ($(ls -A /etc/glia | tr '\n' ' '))")
	[ -e /usr/sbin/glia ] && left+=(/usr/sbin/glia)
	[ -e /run/glia ] && left+=(/run/glia)
	getent passwd glia >/dev/null && left+=("user glia")
	getent group glia >/dev/null && left+=("group glia")
	[ "${#left[@]}" = 0 ] && ok "apt-get purge -y glia leaves no /etc/glia, /usr/sbin/glia, /run/glia, glia user or group" ||
		nok "apt-get purge left: ${left[*]}"
else
	nok "apt-get purge -y glia"; fail_log "$TMP/purge.log"
fi

tap_summary "$(elapsed)"
tap_passed
