#!/usr/bin/env bash
# database_replica: read-only statements go to a real streaming standby
# (pg_basebackup -R of the stack's cluster), writes to the primary; a miss
# on the standby is asked again of the primary; a lagging or stopped standby
# is read around without an error reaching the client.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_glia.sh
. "$(dirname "$0")/lib_glia.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
as_pg() {
	if [ "$GLIA_PG_OSUSER" = "$(id -un)" ]; then "$@"; else (cd / && runuser -u "$GLIA_PG_OSUSER" -- "$@"); fi
}
sb_dir=$(dirname "$GLIA_PGDATA")/standby-e2e
sb_port=$((PGPORT + 7))
sb_sock=$sb_dir/sock
psb() { psql -X -qtA -h "$sb_sock" -p "$sb_port" -U postgres -d "$PGDATABASE" -c "$1"; }
ppri() { psql -X -qtA -U postgres -d "$PGDATABASE" -c "$1"; }
stop_standby() { as_pg "$GLIA_PG_BIN/pg_ctl" -D "$sb_dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true; }
on_exit "stop_standby; rm -rf '$sb_dir'"

stop_standby
rm -rf "$sb_dir"
mkdir -p "$sb_sock"
chown -R "$GLIA_PG_OSUSER" "$sb_dir"
as_pg "$GLIA_PG_BIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$sb_dir/data" -R -X stream -c fast >/dev/null 2>&1
as_pg "$GLIA_PG_BIN/pg_ctl" -D "$sb_dir/data" -l "$sb_dir/log" -w -t 60 \
	-o "-p $sb_port -k $sb_sock -c listen_addresses=''" start >/dev/null
ok_if "a streaming standby runs beside the stack's cluster" test "$(psb 'SELECT pg_is_in_recovery()')" = t

# A private glia: its primary and standby connections carry their own names.
sock=$E2E_TMP/r.sock
private_conf "$E2E_TMP/r.conf" glia-e2e-primary "$sock" "workers = 1" "replica_max_lag = 1s" \
	"database_replica = \"host=$sb_sock port=$sb_port dbname=$PGDATABASE user=glia application_name=glia-e2e-standby\""
start_private "$E2E_TMP/r.conf" "$sock" "$E2E_TMP/r.log"
D=/api/v4/internal/discover
RUBI='{"id":7,"name":"Dede Eichmann","username":"rubi"}'
primary_activity() { ppri "SELECT coalesce(max(state_change)::text, 'none') || '/' || count(*) FROM pg_stat_activity WHERE application_name = 'glia-e2e-primary'"; }

fcgi "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
before=$(primary_activity)
fails=0
for _ in $(seq 30); do
	fcgi "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
	[ "$STATUS" = 200 ] && [ "$BODY" = "$RUBI" ] || fails=$((fails + 1))
done
ok_if "30 discovers answered right ($fails wrong)" test "$fails" = 0
ok_if "served by the standby: a glia backend there" test "$(psb "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'glia-e2e-standby'")" = 1
ok_if "the primary's glia connection stayed idle ($before -> $(primary_activity))" test "$(primary_activity)" = "$before"

# Writes go to the primary.
ppri "DELETE FROM reference_counters WHERE gl_repository = 'e2e-replica'" >/dev/null
fcgi "$sock" POST "/api/v4/internal/pre_receive?gl_repository=e2e-replica" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "pre_receive (a write) -> 200 increased ($STATUS $BODY)" test "$BODY" = '{"reference_counter_increased":true}'
ok_if "the counter is on the primary" test "$(ppri "SELECT value FROM reference_counters WHERE gl_repository = 'e2e-replica'")" = 1

# A key added while the standby has not replayed it yet is still found.
psb "SELECT pg_wal_replay_pause()" >/dev/null
body=AAAAC3NzaC1lZDI1NTE5AAAAIJnEAEXJa25TxEYZAoSrQVkLV0TBrmvkaF0B8b1FqiDU
ppri "DELETE FROM keys WHERE key LIKE '%$body%'" >/dev/null
"$GLIA_ADMIN" -c "$GLIA_CONFIG" key add rubi "ssh-ed25519 $body kd@example.com" >/dev/null
ok_if "the standby has not got the new key" test "$(psb "SELECT count(*) FROM keys WHERE key LIKE '%$body%'")" = 0
fcgi "$sock" GET "/api/v4/internal/authorized_keys?key=$(urlencode "$body")" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "authorized_keys finds it at once, asking the primary after the standby's miss ($STATUS)" \
	bash -c '[ "$1" = 200 ] && grep -q "kd@example.com" <<<"$2"' _ "$STATUS" "$BODY"

# Paused replay with new writes on the primary: the standby lags; reads go
# to the primary.
ppri "UPDATE users SET name = name WHERE id = 7" >/dev/null
sleep 2.2
before=$(primary_activity)
fcgi "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
fcgi "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "a standby over replica_max_lag is read around: right answer ($STATUS)" test "$STATUS $BODY" = "200 $RUBI"
ok_if "and the primary served it ($before -> $(primary_activity))" test "$(primary_activity)" != "$before"
ok_if "glia logged the lag" grep -q 'replica is [0-9]* ms behind' "$E2E_TMP/r.log"
psb "SELECT pg_wal_replay_resume()" >/dev/null

# The standby stops: no request fails.
stop_standby
fails=0
for _ in $(seq 20); do
	fcgi "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
	[ "$STATUS" = 200 ] && [ "$BODY" = "$RUBI" ] || fails=$((fails + 1))
done
ok_if "standby stopped: 20 discovers, all answered right ($fails wrong)" test "$fails" = 0
fcgi "$sock" GET /api/v4/internal/check HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "check still 200 ($STATUS)" test "$STATUS" = 200

ppri "DELETE FROM keys WHERE key LIKE '%$body%'" >/dev/null
stop_private "$PRIVATE_PID" 5
ok_if "the private glia's log is sanitizer-clean" sanitizer_clean "$E2E_TMP/r.log"

finish
