#!/usr/bin/env bash
# The client-side query deadline (the stack runs db_query_timeout = 3s): a
# query stuck behind a table lock is cancelled and answered with 503 by glia,
# not left to nginx's 60 s timeout; the worker survives, the cancelled
# backend goes away, and requests answer 200 again once the lock is gone.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_glia.sh
. "$(dirname "$0")/lib_glia.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
D="/api/v4/internal/discover?username=root"
ROOT='{"id":1,"name":"Administrator","username":"root"}'
UNAVAILABLE='{"message":"503 Service Unavailable - database unavailable"}'
on_exit unlock_table # never leave the users table locked

glia_backends() {
	psql_q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'glia' AND backend_type = 'client backend'"
}
codes() { # N: N statuses of GET $D, space-separated
	local i
	for ((i = 0; i < $1; i++)); do
		curl -s -o /dev/null --max-time 10 -w '%{http_code} ' -H "$AUTH" "$GLIA_URL$D" || echo -n "curl-failed "
	done
}

desc "discover before the lock"
expect 200 "$ROOT" GET "$D" -H "$AUTH"

# Every worker gets its connection (and its prepared statements) now, so that
# what is measured below is the query deadline, not a connection attempt.
for ((i = 0; i < 80; i++)); do
	[ "$(glia_backends)" -ge 4 ] && break
	curl -s -o /dev/null --max-time 10 -H "$AUTH" "$GLIA_URL$D" || true
done
ok_if "the 4 workers are connected to PostgreSQL ($(glia_backends) backends of application_name glia)" \
	test "$(glia_backends)" -ge 4

workers_before=$(workers)
log_from=$(($(wc -l <"$GLIA_LOG") + 1))

if ! lock_table users 25; then
	echo "Bail out! LOCK TABLE users was not granted within 10 s: $(cat "$E2E_TMP/lock.out")"
	exit 1
fi

t0=$(ms)
desc "discover while users is locked ACCESS EXCLUSIVE -> 503 from glia"
expect 503 "$UNAVAILABLE" GET "$D" -H "$AUTH"
took=$(($(ms) - t0))
ok_if "the answer came after 2 to 6 s (db_query_timeout 3s; took $took ms)" \
	test "$took" -ge 2000 -a "$took" -le 6000
ok_if "Retry-After header: '$(header Retry-After)'" grep -qE '^[0-9]+$' <<<"$(header Retry-After)"

# The deadline cancels the query: its backend must not stay queued on the
# lock (a dropped connection alone does not end a backend waiting on a lock).
if gone=$(wait_no_lock_waiters glia 3); then
	ok_if "no glia backend waits on the lock within 3 s of the answer (took $gone ms)" true
else
	ok_if "no glia backend waits on the lock within 3 s of the answer (still waiting: $(lock_waiters glia | tr '\n' ';'))" false
fi
ok_if "glia logged the cancelled query" \
	grep -qE 'query actor_by_username overran its 3000 ms deadline' <(tail -n "+$log_from" "$GLIA_LOG")

unlock_table
t0=$(ms)
recovered=
got=
while [ $(($(ms) - t0)) -lt 10000 ]; do
	got=$(codes 8)
	if [ "$got" = "$(printf '200 %.0s' 1 2 3 4 5 6 7 8)" ]; then recovered=$(($(ms) - t0)); break; fi
	sleep 0.2
done
ok_if "after the lock is released, 8 discovers in a row answer 200 within 10 s (took ${recovered:-more than 10000} ms; last: $got)" \
	test -n "$recovered"

desc "discover after the lock"
expect 200 "$ROOT" GET "$D" -H "$AUTH"

ok_if "same glia master ($GLIA_PID)" kill -0 "$GLIA_PID"
ok_if "no worker died or was replaced (before: $(tr '\n' ' ' <<<"$workers_before"), after: $(workers | tr '\n' ' '))" \
	test "$workers_before" = "$(workers)"
deaths=$(tail -n "+$log_from" "$GLIA_LOG" | grep -E 'worker [0-9]+ (killed by signal|exited with status)' || true)
ok_if "the master logged no worker exit${deaths:+ (logged: $(tr '\n' ' ' <<<"$deaths"))}" test -z "$deaths"

finish
