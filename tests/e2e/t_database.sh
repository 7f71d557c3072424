#!/usr/bin/env bash
# PostgreSQL goes away and comes back; glia answers 503 meanwhile, then
# recovers without a restart.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
D="/api/v4/internal/discover?username=rubi"
RUBI='{"id":7,"name":"Dede Eichmann","username":"rubi"}'
UNAVAILABLE='{"message":"503 Service Unavailable - database unavailable"}'
pg_start() {
	pg_ctl_stack status >/dev/null 2>&1 || pg_ctl_stack -w -t 60 -l "$GLIA_PG_LOG" start >/dev/null
}
on_exit pg_start	# never leave the stack without its database

codes() { # N PATH: N statuses of GET PATH, space-separated
	local i
	for ((i = 0; i < $1; i++)); do
		curl -s -o /dev/null --max-time 10 -w '%{http_code} ' -H "$AUTH" "$GLIA_URL$2" || echo -n "curl-failed "
	done
}

desc "discover with the database up"
expect 200 "$RUBI" GET "$D" -H "$AUTH"
workers_before=$(workers)

pg_ctl_stack -m fast -w -t 30 stop >/dev/null

t0=$(date +%s)
desc "discover with the database down -> 503"
expect 503 "$UNAVAILABLE" GET "$D" -H "$AUTH"
took=$(($(date +%s) - t0))
ok_if "Retry-After header: '$(header Retry-After)'" grep -qE '^[0-9]+$' <<<"$(header Retry-After)"
ok_if "the 503 came within 5 s (took $took s)" test "$took" -le 5

down=$(codes 8 "$D")
ok_if "8 more discovers, every worker: all 503 ($down)" test "$down" = "$(printf '503 %.0s' 1 2 3 4 5 6 7 8)"

desc "check with the database down -> 200, redis false"
expect_match 200 "$(check_body_re false)" GET /api/v4/internal/check -H "$AUTH"

desc "authorized_keys with the database down -> 503"
expect 503 "$UNAVAILABLE" GET "/api/v4/internal/authorized_keys?key=AAAAC3NzaC1lZDI1NTE5AAAAILMcp0dKpmgkzamprT6mfmmxLQtAYK6GjqQ2E6bDCmsd" -H "$AUTH"

pg_start
t0=$(date +%s)
recovered=
while [ $(($(date +%s) - t0)) -lt 20 ]; do
	got=$(codes 8 "$D")
	if [ "$got" = "$(printf '200 %.0s' 1 2 3 4 5 6 7 8)" ]; then recovered=$(($(date +%s) - t0)); break; fi
	sleep 0.5
done
ok_if "after PostgreSQL's return, 8 discovers in a row answer 200 within 20 s (took ${recovered:-more than 20} s; last: $got)" \
	test -n "$recovered"

desc "discover after the database came back"
expect 200 "$RUBI" GET "$D" -H "$AUTH"
desc "check after the database came back -> redis true"
expect_match 200 "$(check_body_re true)" GET /api/v4/internal/check -H "$AUTH"

ok_if "same glia master ($GLIA_PID)" kill -0 "$GLIA_PID"
ok_if "no worker died or was replaced (before: $(tr '\n' ' ' <<<"$workers_before"), after: $(workers | tr '\n' ' '))" \
	test "$workers_before" = "$(workers)"

finish
