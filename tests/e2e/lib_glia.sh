# shellcheck shell=bash
# Helpers of the end-to-end tests that hold database locks or run a glia of
# their own next to the stack's (t_deadline, t_lifecycle, t_cgi). Sourced
# after lib.sh, whose on_exit, E2E_TMP, SECRET and AUTH it uses.

# The binary the stack runs (the asan one under contrib/dev/test).
GLIA_BIN=${GLIA_BIN:-$GLIA}
# shellcheck source=tests/lib/fcgi.sh
. "$E2E_DIR/../lib/fcgi.sh"
# shellcheck source=tests/lib/sanitizer.sh
. "$E2E_DIR/../lib/sanitizer.sh"
[ -n "$CGI_FCGI" ] || { echo "Bail out! cgi-fcgi is missing (Debian: libfcgi-bin)"; exit 1; }
# What gitlab-shell sends in Gitlab-Shared-Secret.
SECRET_B64=${AUTH#Gitlab-Shared-Secret: }
# The sanitizer settings a private glia needs when it runs without the
# test's environment (env -i).
SAN_ENV=()
for _v in ASAN_OPTIONS UBSAN_OPTIONS ASAN_SYMBOLIZER_PATH; do
	[ -n "${!_v:-}" ] && SAN_ENV+=("$_v=${!_v}")
done
unset _v

ms() { echo $(($(date +%s%N) / 1000000)); }

# psql_q SQL: one query on the stack's database (PGHOST... from _stack/env),
# unaligned, tuples only.
psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

# --- table locks

LOCK_APP=glia-e2e-lock
LOCK_PSQL_PID=

# lock_table TABLE MAX_SECONDS: a background psql (application_name
# glia-e2e-lock) takes ACCESS EXCLUSIVE on TABLE and keeps it for at most
# MAX_SECONDS; returns once the lock is granted, fails after 10 s.
lock_table() {
	local i
	PGAPPNAME=$LOCK_APP psql -X -q -v ON_ERROR_STOP=1 \
		-c "BEGIN; LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($2); COMMIT;" \
		>"$E2E_TMP/lock.out" 2>&1 &
	LOCK_PSQL_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(psql_q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			WHERE a.application_name = '$LOCK_APP' AND l.granted
			AND l.mode = 'AccessExclusiveLock' AND l.relation = '$1'::regclass")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# unlock_table: ends the lock holder's session (idempotent).
unlock_table() {
	psql_q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = '$LOCK_APP'" >/dev/null || true
	if [ -n "$LOCK_PSQL_PID" ]; then
		wait "$LOCK_PSQL_PID" 2>/dev/null || true
		LOCK_PSQL_PID=
	fi
}

# lock_waiters APPNAME: the backends of application_name APPNAME that wait
# on a lock, one "pid query" per line.
lock_waiters() {
	psql_q "SELECT pid || ' ' || left(query, 100) FROM pg_stat_activity
		WHERE application_name = '$1' AND wait_event_type = 'Lock'"
}

# wait_no_lock_waiters APPNAME SECONDS: waits until no backend of APPNAME
# waits on a lock; prints the milliseconds it took, fails after SECONDS.
wait_no_lock_waiters() {
	local t0 i
	t0=$(ms)
	for ((i = 0; i <= $2 * 10; i++)); do
		if [ -z "$(lock_waiters "$1")" ]; then
			echo $(($(ms) - t0))
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# wait_lock_waiter APPNAME SECONDS: waits until a backend of APPNAME waits on
# a lock; fails after SECONDS.
wait_lock_waiter() {
	local i
	for ((i = 0; i <= $2 * 10; i++)); do
		[ -n "$(lock_waiters "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- FastCGI straight to a socket

# fcgi_raw SOCKET METHOD URI [VAR=VALUE...]: one request with cgi-fcgi, with
# only the FastCGI parameters a web server would pass (plus VAR=VALUE);
# prints the CGI response (CR removed). At most 20 s.
fcgi_raw() { fcgi_request "$@" </dev/null 2>&1; }

# cgi_parse OUTPUT: sets STATUS (the code of the Status line, or "none: ..."),
# BODY (what follows the blank line) and HEADERS.
cgi_parse() {
	local out=$1
	HEADERS=${out%%$'\n\n'*}
	if [[ $out == *$'\n\n'* ]]; then BODY=${out#*$'\n\n'}; else BODY=; fi
	STATUS=$(sed -n '1s/^Status: \([0-9][0-9][0-9]\) .*/\1/p' <<<"$HEADERS")
	[ -n "$STATUS" ] || STATUS="none: $(head -c 200 <<<"$out")"
}

# fcgi SOCKET METHOD URI [VAR=VALUE...]: fcgi_raw, then cgi_parse.
fcgi() {
	local out
	out=$(fcgi_raw "$@" || true)
	cgi_parse "$out"
}

# fcgi_expect STATUS BODY SOCKET METHOD URI [VAR=VALUE...]: one assertion,
# status and body exact.
fcgi_expect() {
	local want_status=$1 want_body=$2 sock=$3 method=$4 uri=$5
	shift 5
	fcgi "$sock" "$method" "$uri" "$@"
	if [ "$STATUS" = "$want_status" ] && [ "$BODY" = "$want_body" ]; then
		_report 1 "fcgi $method $uri -> $want_status"
	else
		_report 0 "fcgi $method $uri -> $want_status" "request:  $method $uri (FastCGI to $sock)" \
			"expected: $want_status $want_body" "got:      $STATUS ${BODY:0:400}"
	fi
}

# --- a private glia

# stack_database: the `database` value of the stack's configuration.
stack_database() { sed -n 's/^database = "\(.*\)"$/\1/p; s/^database = \([^"].*\)$/\1/p' "$GLIA_CONFIG" | tail -n 1; }

# private_conf FILE APPNAME SOCKET [LINE...]: a configuration copied from
# the stack's, with its own socket (mode 0600, no group), its own
# application_name in `database` (to tell its backends from the stack's),
# and LINE ("key = value") replacing any line of the same key.
private_conf() {
	local file=$1 app=$2 sock=$3 keys=(listen listen_mode listen_group database) l
	shift 3
	for l in "$@"; do keys+=("${l%% *}"); done
	{
		grep -vE "^($(
			IFS='|'
			echo "${keys[*]}"
		)) *=" "$GLIA_CONFIG"
		echo "listen = unix:$sock"
		echo "listen_mode = 0600"
		echo 'listen_group = ""'
		echo "database = \"$(stack_database) application_name=$app\""
		for l in "$@"; do echo "$l"; done
	} >"$file"
}

# start_private CONF SOCKET LOG: starts glia on CONF in the background (this
# shell's child, so `wait` gets its status) and waits, at most 10 s, until
# /internal/check answers 200 on SOCKET; sets PRIVATE_PID. The glia is
# stopped when the test exits, whatever happens. Fails (after printing the
# log as TAP comments) if it does not come up.
start_private() {
	local conf=$1 sock=$2 log=$3 i
	"$GLIA_BIN" -c "$conf" </dev/null >>"$log" 2>&1 &
	PRIVATE_PID=$!
	on_exit "stop_private $PRIVATE_PID 5"
	for ((i = 0; i < 100; i++)); do
		if [ -S "$sock" ]; then
			fcgi "$sock" GET /api/v4/internal/check HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
			[ "$STATUS" = 200 ] && return 0
		fi
		kill -0 "$PRIVATE_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# glia -c $conf did not come up on $sock within 10 s; its log:"
	sed 's/^/#   /' "$log" | tail -n 20
	return 1
}

# Private masters already waited for: their pids may be reused.
PRIVATE_REAPED=" "
private_reaped() { PRIVATE_REAPED+="$1 "; }

# stop_private PID SECONDS: SIGTERM, at most SECONDS for the master to exit,
# then SIGKILL for it and its workers; then reaps it. Quiet and idempotent.
stop_private() {
	local pid=$1 i kids
	[[ $PRIVATE_REAPED == *" $pid "* ]] && return 0
	private_reaped "$pid"
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kids=$(pgrep -P "$pid" || true)
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	# shellcheck disable=SC2086 # one pid per word
	kill -KILL "$pid" $kids 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# private_workers PID: the worker pids of a private glia master, sorted.
private_workers() { pgrep -P "$1" | sort || true; }

# --- bad input and faults (t_badinput, t_faults)

# fcgi_body_raw SOCKET METHOD URI BODY_FILE [VAR=VALUE...]: fcgi_raw with
# BODY_FILE as the request's stdin; cgi-fcgi sends whatever the file holds,
# whatever CONTENT_LENGTH (a VAR=VALUE) says, so a length can lie. At most 20 s.
fcgi_body_raw() {
	local sock=$1 method=$2 uri=$3 file=$4
	shift 4
	fcgi_request "$sock" "$method" "$uri" "$@" <"$file" 2>&1
}

# fcgi_body SOCKET METHOD URI BODY_FILE [VAR=VALUE...]: fcgi_body_raw, then
# cgi_parse (sets STATUS, BODY, HEADERS).
fcgi_body() {
	local out
	out=$(fcgi_body_raw "$@" || true)
	cgi_parse "$out"
}

# db_checksums: one "table md5 rows" line per table of the public schema but
# glia_schema_migrations, the md5 over every row as JSON, last_used_at and
# updated_at left out: using a credential records its last use (by design,
# at most once a minute), and a trigger moves updated_at with it. Compare
# two outputs to prove that nothing was written.
db_checksums() {
	local t sql=
	for t in $(psql_q "SELECT tablename FROM pg_tables WHERE schemaname = 'public'
		AND tablename <> 'glia_schema_migrations' ORDER BY 1"); do
		[ -n "$sql" ] && sql+=" UNION ALL "
		sql+="SELECT '$t' || ' ' || md5(coalesce(string_agg(r, ',' ORDER BY r), '')) || ' ' || count(*)
			FROM (SELECT (to_jsonb(x) - 'last_used_at' - 'updated_at')::text AS r FROM $t x) s"
	done
	psql_q "$sql"
}

# worker_exits LOG FROM_LINE: the master's lines about workers that died
# (signal or non-zero status) in LOG from line FROM_LINE on.
worker_exits() {
	tail -n "+$2" "$1" | grep -E 'worker [0-9]+ (killed by signal|exited with status [1-9])' || true
}
