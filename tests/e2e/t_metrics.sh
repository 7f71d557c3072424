#!/usr/bin/env bash
# /-/liveness, /-/readiness and /-/metrics through nginx; request ids; the
# JSON log format. Prometheus's own promtool and server read the metrics.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_glia.sh
. "$(dirname "$0")/lib_glia.sh"

C=/api/v4/internal/check
pg_start() {
	pg_ctl_stack status >/dev/null 2>&1 || pg_ctl_stack -w -t 60 -l "$GLIA_PG_LOG" start >/dev/null
}
on_exit pg_start
scrape() { curl -s --max-time 10 "$GLIA_URL/-/metrics"; }
# requests_of SCRAPE ROUTE CODE: the value of glia_requests_total for GET.
requests_of() { sed -n "s/^glia_requests_total{route=\"$2\",method=\"GET\",code=\"$3\"} \\([0-9]*\\)$/\\1/p" <<<"$1"; }

desc "liveness"
expect 200 '{"status":"ok"}' GET /-/liveness
desc "readiness with the database up"
expect 200 '{"status":"ok","db_check":[{"status":"ok"}]}' GET /-/readiness
desc "metrics: Prometheus's text format"
request GET /-/metrics
ok_if "metrics: 200 ($STATUS)" test "$STATUS" = 200
expect_header Content-Type "text/plain; version=0.0.4; charset=utf-8"
ok_if "glia_build_info carries version and revision" grep -qE '^glia_build_info\{version="[^"]+",revision="[^"]+",gitlab_version="[^"]+"\} 1$' "$E2E_TMP/body"
ok_if "glia_workers is 4" grep -qx 'glia_workers 4' "$E2E_TMP/body"
desc "an unknown /-/ path is not glia's"
expect 404 '{"error":"404 Not Found"}' GET /-/health

# --- counters are exact across workers, and survive a worker's death
before=$(requests_of "$(scrape)" check 200)
before=${before:-0}
for _ in $(seq 20); do curl -s -o /dev/null -H "$AUTH" "$GLIA_URL$C"; done
victim=$(pgrep -P "$GLIA_PID" | head -n 1)
kill -KILL "$victim"
for _ in $(seq 50); do [ "$(pgrep -P "$GLIA_PID" | wc -l)" = 4 ] && ! pgrep -P "$GLIA_PID" | grep -qx "$victim" && break; sleep 0.1; done
for _ in $(seq 20); do curl -s -o /dev/null -H "$AUTH" "$GLIA_URL$C"; done
m=$(scrape)
after=$(requests_of "$m" check 200)
ok_if "40 checks over 4 workers, one killed between: the scrape counts exactly 40 more ($before -> $after)" \
	test "$after" = $((before + 40))
ok_if "the respawn is counted" grep -qE '^glia_worker_respawns_total [1-9]' <<<"$m"
shell_failures() { sed -n 's/^glia_auth_failures_total{kind="shell"} //p' <<<"$1"; }
f0=$(shell_failures "$m")
curl -s -o /dev/null "$GLIA_URL$C"	# no secret: refused
f1=$(shell_failures "$(scrape)")
ok_if "a request without the secret counts one shell auth failure ($f0 -> $f1)" \
	test -n "$f0" -a "$f1" = "$((f0 + 1))"
admin_failures() { sed -n 's/^glia_auth_failures_total{kind="admin"} //p' <<<"$1"; }
a0=$(admin_failures "$(scrape)")
curl -s -o /dev/null -H "PRIVATE-TOKEN: glpat-not-a-token" "$GLIA_URL/api/v4/namespaces/1/gitlab_subscription"
a1=$(admin_failures "$(scrape)")
ok_if "a refused administrator token counts one admin auth failure ($a0 -> $a1)" \
	test -n "$a0" -a "$a1" = "$((a0 + 1))"
# POST and PUT check the token in the handler, after their parameters.
curl -s -o /dev/null -X POST -H "PRIVATE-TOKEN: glpat-not-a-token" -d 'start_date=2026-01-01' \
	"$GLIA_URL/api/v4/namespaces/1/gitlab_subscription"
curl -s -o /dev/null -X PUT -H "PRIVATE-TOKEN: glpat-not-a-token" -d 'seats=5' \
	"$GLIA_URL/api/v4/namespaces/1/gitlab_subscription"
a2=$(admin_failures "$(scrape)")
ok_if "so do a refused POST and PUT of gitlab_subscription ($a1 -> $a2)" test "$a2" = "$((a1 + 2))"
ok_if "the request duration histogram ends in +Inf = count" bash -c '
	inf=$(sed -n "s/^glia_request_duration_seconds_bucket{route=\"check\",le=\"+Inf\"} //p" <<<"$1")
	cnt=$(sed -n "s/^glia_request_duration_seconds_count{route=\"check\"} //p" <<<"$1")
	[ -n "$inf" ] && [ "$inf" = "$cnt" ]' _ "$m"

# --- promtool on a scrape taken under load
load() { for _ in $(seq 300); do curl -s -o /dev/null -H "$AUTH" "$GLIA_URL$C"; done; }
load &
loader=$!
on_exit "kill $loader 2>/dev/null"
sleep 0.3
scrape >"$E2E_TMP/under-load.prom"
wait "$loader" 2>/dev/null || true
ok_if "promtool check metrics passes on a scrape under load ($(promtool check metrics <"$E2E_TMP/under-load.prom" 2>&1 | head -n 3 | tr '\n' ' '))" \
	promtool check metrics <"$E2E_TMP/under-load.prom"

# --- a real Prometheus scrapes glia through nginx
prom=$E2E_TMP/prometheus
mkdir -p "$prom"
port=$(( ${GLIA_URL##*:} + 1000 ))
cat >"$prom/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: glia
    metrics_path: /-/metrics
    static_configs:
      - targets: ['${GLIA_URL#http://}']
YML
prometheus --config.file="$prom/prometheus.yml" --storage.tsdb.path="$prom/data" \
	--web.listen-address="127.0.0.1:$port" >"$prom/log" 2>&1 &
prom_pid=$!
on_exit "kill $prom_pid 2>/dev/null; wait $prom_pid 2>/dev/null"
got=""
for _ in $(seq 60); do
	got=$(curl -s --max-time 2 "http://127.0.0.1:$port/api/v1/query?query=sum(glia_requests_total)" |
		sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p' || true)
	[ -n "$got" ] && [ "$got" -gt 0 ] && break
	sleep 0.5
done
ok_if "Prometheus scraped glia through nginx: sum(glia_requests_total) = ${got:-nothing}" test -n "$got"

# --- readiness follows the database
pg_ctl_stack -m fast -w -t 30 stop >/dev/null
desc "readiness with the database down -> 503"
expect 503 '{"status":"failed","db_check":[{"status":"failed","message":"database unavailable"}]}' GET /-/readiness
ok_if "with Retry-After 5 ('$(header Retry-After)'), as every 503" test "$(header Retry-After)" = 5
desc "liveness does not care"
expect 200 '{"status":"ok"}' GET /-/liveness
pg_start
ready=""
for _ in $(seq 40); do
	request GET /-/readiness
	[ "$STATUS" = 200 ] && ready=yes && break
	sleep 0.25
done
ok_if "readiness is 200 again once PostgreSQL is back" test "$ready" = yes

# --- request ids
from=$(log_line)
request GET "$C" -H "$AUTH" -H "X-Request-Id: shell-0123abcd"
ok_if "X-Request-Id shell-0123abcd echoed ($(header X-Request-Id))" test "$(header X-Request-Id)" = shell-0123abcd
ok_if "and logged" logged_since "$from" 'rid=shell-0123abcd' 
request GET "$C" -H "$AUTH"
ok_if "without one, nginx's \$request_id (32 hex) ($(header X-Request-Id))" grep -qxE '[0-9a-f]{32}' <<<"$(header X-Request-Id)"
request GET "$C" -H "$AUTH" -H "X-Request-Id: bad id with spaces"
ok_if "an id that is not plainly an id is replaced ($(header X-Request-Id))" grep -qxE '[0-9a-f]{16}' <<<"$(header X-Request-Id)"

# --- monitoring whitelist and the JSON log format, on a private glia
sock=$E2E_TMP/p.sock
private_conf "$E2E_TMP/p.conf" glia-e2e-metrics "$sock" "log_format = json" "monitoring_whitelist = 10.0.0.0/8, 192.168.1.7"
start_private "$E2E_TMP/p.conf" "$sock" "$E2E_TMP/p.log"
fcgi "$sock" GET /-/liveness REMOTE_ADDR=127.0.0.1
ok_if "loopback outside monitoring_whitelist -> 404 ($STATUS)" test "$STATUS" = 404
fcgi "$sock" GET /-/liveness REMOTE_ADDR=10.20.30.40
ok_if "an address in 10.0.0.0/8 -> 200 ($STATUS)" test "$STATUS" = 200
fcgi "$sock" GET /-/liveness REMOTE_ADDR=192.168.1.7
ok_if "the single address 192.168.1.7 -> 200 ($STATUS)" test "$STATUS" = 200
fcgi "$sock" GET /-/liveness REMOTE_ADDR=192.168.1.8
ok_if "192.168.1.8 -> 404 ($STATUS)" test "$STATUS" = 404
fcgi "$sock" GET "$C" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64" HTTP_X_REQUEST_ID=json-log-1
line=$(grep '"request_id":"json-log-1"' "$E2E_TMP/p.log" | head -n 1)
ok_if "log_format = json: one object per request ($line)" bash -c '
	grep -qE "^\{\"time\":\"[0-9-]+T[0-9:.]+Z\",\"request_id\":\"json-log-1\",\"method\":\"GET\",\"path\":\"/api/v4/internal/check\",\"route\":\"/api/v4/internal/check\",\"status\":200,\"duration_s\":[0-9.e-]+,\"db_duration_s\":[0-9.e-]+,\"pid\":[0-9]+\}$" <<<"$1"' _ "$line"
stop_private "$PRIVATE_PID" 5
ok_if "the private glia's log is sanitizer-clean" sanitizer_clean "$E2E_TMP/p.log"

finish
