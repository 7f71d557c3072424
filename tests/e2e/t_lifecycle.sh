#!/usr/bin/env bash
# A private glia next to the stack's, spoken to directly over FastCGI
# (cgi-fcgi): glia -t, worker recycling after max_requests, a graceful stop
# with a request in flight, a refused reload, and db_prepare = off.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_glia.sh
. "$(dirname "$0")/lib_glia.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
on_exit unlock_table
CHECK=/api/v4/internal/check
D=/api/v4/internal/discover
ROOT='{"id":1,"name":"Administrator","username":"root"}'
RUBI='{"id":7,"name":"Dede Eichmann","username":"rubi"}'
S=HTTP_GITLAB_SHARED_SECRET=$SECRET_B64
T=$E2E_TMP
SOMAXCONN=$(cat /proc/sys/net/core/somaxconn)
# backlog_of SOCKET: the queue depth the kernel gave a listening unix socket
# (ss shows it as the Send-Q of a LISTEN line).
backlog_of() { ss -xlnH src "$1" | awk '{print $4; exit}'; }

# --- (a) glia -t

# glia_t CONF: runs glia -t; sets RC, OUT (stdout) and ERR (stderr).
glia_t() {
	RC=0
	timeout 20 "$GLIA_BIN" -c "$1" -t >"$T/t.out" 2>"$T/t.err" || RC=$?
	OUT=$(cat "$T/t.out")
	ERR=$(cat "$T/t.err")
}
# refused DESC CONF NEEDLE: glia -t exits 1 and its stderr contains NEEDLE.
refused() {
	glia_t "$2"
	if [ "$RC" = 1 ] && [[ $ERR == *"$3"* ]] && [[ $OUT != *successful* ]]; then
		_report 1 "glia -t: $1 -> exit 1, message names $3"
	else
		_report 0 "glia -t: $1 -> exit 1, message names $3" "glia -c $2 -t" \
			"expected: exit 1, stderr containing '$3'" "got:      exit $RC, stdout '$OUT', stderr '$ERR'"
	fi
}

cp "$GLIA_SHELL_SECRET_FILE" "$T/secret"
chmod 0600 "$T/secret"
private_conf "$T/good.conf" glia-e2e-t "$T/t.sock" "shell_secret_file = $T/secret"
glia_t "$T/good.conf"
ok_if "glia -t on a good configuration: exit 0, 'test is successful' (exit $RC; stdout '$OUT'; stderr '$ERR')" \
	test "$RC" = 0 -a "${OUT#*test is successful}" != "$OUT"
ok_if "glia -t opens no socket" test ! -e "$T/t.sock"

cp "$T/secret" "$T/secret-0644"
chmod 0644 "$T/secret-0644"
private_conf "$T/c0644.conf" glia-e2e-t "$T/t.sock" "shell_secret_file = $T/secret-0644"
refused "shell secret file mode 0644" "$T/c0644.conf" "$T/secret-0644"

: >"$T/secret-empty"
chmod 0600 "$T/secret-empty"
private_conf "$T/cempty.conf" glia-e2e-t "$T/t.sock" "shell_secret_file = $T/secret-empty"
refused "empty shell secret file" "$T/cempty.conf" "$T/secret-empty"

private_conf "$T/cmissing.conf" glia-e2e-t "$T/t.sock" "shell_secret_file = $T/no-such-secret"
refused "missing shell secret file" "$T/cmissing.conf" "$T/no-such-secret"

cp "$T/good.conf" "$T/cunknown.conf"
echo "no_such_key = 1" >>"$T/cunknown.conf"
refused "unknown key" "$T/cunknown.conf" "$T/cunknown.conf:$(wc -l <"$T/cunknown.conf"):"
ok_if "glia -t: the unknown key is named ($ERR)" grep -q no_such_key <<<"$ERR"

# --- (b) max_requests = 5, one worker: recycled after every 5 requests

private_conf "$T/b.conf" glia-e2e-b "$T/b.sock" "workers = 1" "max_requests = 5"
if start_private "$T/b.conf" "$T/b.sock" "$T/b.log"; then
	b=$PRIVATE_PID
	ok_if "listen_backlog unset: the socket's queue is as deep as net.core.somaxconn ($SOMAXCONN; ss says $(backlog_of "$T/b.sock"))" \
		test "$(backlog_of "$T/b.sock")" = "$SOMAXCONN"
	# start_private's check was the first request of the first worker.
	: >"$T/b.pids"
	: >"$T/b.codes"
	for ((i = 0; i < 12; i++)); do
		fcgi "$T/b.sock" GET "$CHECK" "$S"
		echo "$STATUS" >>"$T/b.codes"
		private_workers "$b" >>"$T/b.pids"
	done
	pids=$(awk '!seen[$0]++' "$T/b.pids")
	changes=$(($(count <<<"$pids") - 1))
	ok_if "12 requests: all answered 200 ($(sort "$T/b.codes" | uniq -c | tr -s ' \n' ' '))" \
		test "$(grep -cx 200 "$T/b.codes")" = 12
	ok_if "12 requests with max_requests 5: the worker pid changed at least twice ($changes; pids $(tr '\n' ' ' <<<"$pids"))" \
		test "$changes" -ge 2
	ok_if "each worker logged its recycling ($(grep -c 'served 5 requests: recycling' "$T/b.log") times)" \
		test "$(grep -c 'served 5 requests: recycling' "$T/b.log")" -ge 2
	ok_if "the master ($b) still runs, with one worker ($(private_workers "$b" | tr '\n' ' '))" \
		test "$(private_workers "$b" | count)" = 1
	stop_private "$b" 10
else
	ok_if "private glia (workers 1, max_requests 5) starts" false
fi

# --- (d) SIGHUP with a broken configuration: refused, old workers serve on

private_conf "$T/d.conf" glia-e2e-d "$T/d.sock" "workers = 2" "listen_backlog = 100"
if start_private "$T/d.conf" "$T/d.sock" "$T/d.log"; then
	d=$PRIVATE_PID
	ok_if "listen_backlog = 100: the socket's queue holds 100 (ss says $(backlog_of "$T/d.sock"))" \
		test "$(backlog_of "$T/d.sock")" = 100
	# The bodies with prepared statements, for (e).
	for u in "$CHECK" "$D?username=root" "$D?key_id=7" "$D?user_id=999999"; do
		fcgi "$T/d.sock" GET "$u" "$S"
		echo "$STATUS $BODY" >>"$T/prepare-on.bodies"
	done
	before=$(private_workers "$d")
	echo "no_such_key = 1" >>"$T/d.conf"
	kill -HUP "$d"
	refusal=
	for ((i = 0; i < 50; i++)); do
		refusal=$(grep 'reload refused' "$T/d.log" || true)
		[ -n "$refusal" ] && break
		sleep 0.1
	done
	ok_if "SIGHUP with an unknown key: 'reload refused' logged within 5 s (${refusal:-nothing})" test -n "$refusal"
	ok_if "the refusal names the file and line" grep -qF "$T/d.conf:$(wc -l <"$T/d.conf"):" <<<"$refusal"
	fcgi_expect 200 "$ROOT" "$T/d.sock" GET "$D?username=root" "$S"
	fcgi "$T/d.sock" GET "$CHECK" "$S"
	ok_if "check after the refused reload -> 200 (got $STATUS $BODY)" test "$STATUS" = 200
	sleep 0.5
	ok_if "the old workers still serve (before: $(tr '\n' ' ' <<<"$before"), after: $(private_workers "$d" | tr '\n' ' '))" \
		test "$before" = "$(private_workers "$d")" -a "$(count <<<"$before")" = 2
	ok_if "the master did not reload" test "$(grep -c 'configuration reloaded' "$T/d.log")" = 0
	ok_if "the master survived" kill -0 "$d"
	# A good reload: workers changes, the socket's mode does not.
	sed -i -e '/^no_such_key/d' -e 's/^listen_mode = .*/listen_mode = 0644/' -e 's/^workers = .*/workers = 3/' "$T/d.conf"
	kill -HUP "$d"
	for ((i = 0; i < 50; i++)); do
		grep -q 'configuration reloaded' "$T/d.log" && [ "$(count <<<"$(private_workers "$d")")" = 3 ] && break
		sleep 0.1
	done
	ok_if "SIGHUP applies workers = 3 ($(private_workers "$d" | tr '\n' ' '))" test "$(count <<<"$(private_workers "$d")")" = 3
	ok_if "a new listen_mode is refused until restart: warned" grep -q 'take effect on restart only' "$T/d.log"
	ok_if "the socket keeps mode 600 (got $(stat -c %a "$T/d.sock"))" test "$(stat -c %a "$T/d.sock")" = 600
	fcgi_expect 200 "$ROOT" "$T/d.sock" GET "$D?username=root" "$S"
	stop_private "$d" 10
else
	ok_if "private glia (workers 2) starts" false
fi

# --- (e) db_prepare = off answers exactly as with it on

private_conf "$T/e.conf" glia-e2e-e "$T/e.sock" "workers = 1" "db_prepare = off"
if start_private "$T/e.conf" "$T/e.sock" "$T/e.log"; then
	for u in "$CHECK" "$D?username=root" "$D?key_id=7" "$D?user_id=999999"; do
		fcgi "$T/e.sock" GET "$u" "$S"
		echo "$STATUS $BODY" >>"$T/prepare-off.bodies"
	done
	ok_if "db_prepare off: check, discover by username, key_id, unknown user_id answer as with it on ($(tr '\n' ' ' <"$T/prepare-off.bodies"))" \
		cmp -s "$T/prepare-on.bodies" "$T/prepare-off.bodies"
	expected=$(printf '%s\n' "200 $ROOT" "200 $RUBI" "200 null")
	ok_if "db_prepare off: the discover bodies are the expected ones" \
		test "$(sed -n '2,4p' "$T/prepare-off.bodies")" = "$expected"
	ok_if "db_prepare off: check says the store answers (redis true)" \
		grep -qE "^200 $(check_body_re true | sed 's/^\^//')" <(head -n 1 "$T/prepare-off.bodies")
	stop_private "$PRIVATE_PID" 10
else
	ok_if "private glia (db_prepare off) starts" false
fi

# --- (c) graceful stop with a request in flight

private_conf "$T/c.conf" glia-e2e-c "$T/c.sock" "workers = 1" "db_query_timeout = 10s" "listen_backlog = 65535"
if start_private "$T/c.conf" "$T/c.sock" "$T/c.log"; then
	c=$PRIVATE_PID
	if [ "$SOMAXCONN" -lt 65535 ]; then
		ok_if "listen_backlog = 65535 above net.core.somaxconn: capped at $SOMAXCONN (ss says $(backlog_of "$T/c.sock")), with a warning" \
			eval '[ "$(backlog_of "$T/c.sock")" = "$SOMAXCONN" ] &&
				grep -q "listen_backlog = 65535 is capped at net.core.somaxconn = $SOMAXCONN" "$T/c.log"'
	fi
	# The worker connects (and prepares) before the lock.
	fcgi_expect 200 "$ROOT" "$T/c.sock" GET "$D?username=root" "$S"
	if ! lock_table users 25; then
		echo "Bail out! LOCK TABLE users was not granted within 10 s: $(cat "$E2E_TMP/lock.out")"
		exit 1
	fi
	fcgi_raw "$T/c.sock" GET "$D?username=root" "$S" >"$T/inflight.out" &
	inflight=$!
	if wait_lock_waiter glia-e2e-c 5; then
		ok_if "the in-flight discover waits on the lock" true
	else
		ok_if "the in-flight discover waits on the lock within 5 s (waiters: none)" false
	fi
	kill -TERM "$c"
	t_term=$(ms)
	sleep 1
	unlock_table
	rc=0
	wait "$inflight" || rc=$?
	cgi_parse "$(cat "$T/inflight.out")"
	ok_if "the in-flight request got its answer after SIGTERM: 200 $ROOT (got: $STATUS $BODY; cgi-fcgi exit $rc)" \
		test "$STATUS" = 200 -a "$BODY" = "$ROOT"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$c" 2>/dev/null || break
		sleep 0.1
	done
	stop_ms=$(($(ms) - t_term))
	if kill -0 "$c" 2>/dev/null; then
		ok_if "the master exits within 10 s of SIGTERM (still running after $stop_ms ms)" false
	else
		rc=0
		wait "$c" || rc=$?
		private_reaped "$c"
		ok_if "the master exited within 10 s of SIGTERM ($stop_ms ms) with status 0 (got $rc)" test "$rc" = 0
	fi
	ok_if "the socket file is removed" test ! -e "$T/c.sock"
	ok_if "the worker ended too ($(private_workers "$c" | tr '\n' ' '))" test -z "$(private_workers "$c")"
	ok_if "'stopped' logged" grep -q ': stopped$' "$T/c.log"
else
	ok_if "private glia (db_query_timeout 10s) starts" false
fi

for l in b d e c; do
	[ -f "$T/$l.log" ] || continue
	if sanitizer_clean "$T/$l.log"; then
		ok_if "no sanitizer report in the log of private glia ($l)" true
	else
		ok_if "no sanitizer report in the log of private glia ($l): $(show_sanitizer "$T/$l.log")" false
	fi
done

finish
