#!/usr/bin/env bash
# Fault tests (RELIABILITY.md §3, issue 8 item 2), bounded: every phase has a
# request count and a time cap, and the file takes about a minute.
#   (a) PostgreSQL restarted (-m fast) under a wrk load: only JSON 503s while
#       it is away, no 502, no HTML; glia recovers by itself (measured from
#       pg_ctl's return); no worker dies.
#   (b) a worker SIGKILLed every 100 ms for 3 s under a write load (personal
#       access token creations): the master respawns them; every token
#       answered 200 has its digest row; the requests a killed worker held
#       get nginx's JSON 503 (its 502, contrib/nginx/glia.conf), those that
#       waited too long for a worker glia's own: 503s from nginx <= kills.
#   (c) PostgreSQL at the role's connection limit (a private glia with 4
#       workers, 2 connections left): the workers without a connection answer
#       JSON 503, and all recover once the limit is lifted, without a restart.
#   (d) crash-loop guards: a private glia whose database refuses every
#       connection answers 503 and forks nothing; a private glia whose
#       workers die as soon as they start is respawned with an exponential
#       backoff (forks counted from its log).
# The measurements are printed as TAP comments ("# measured: ...").
# Elsewhere: a query stuck behind a lock cancelled at the deadline with a JSON
# 503 (t_deadline), PostgreSQL stopped for a while (t_database), one SIGKILL
# and SIGHUP under load (t_process), graceful stop with a request in flight
# and worker recycling (t_lifecycle).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_glia.sh
. "$(dirname "$0")/lib_glia.sh"

import "$GLIA_SRC/tests/data/e2e-badinput.json"
T=$E2E_TMP
D="/api/v4/internal/discover?key_id=5001"
USER_5001='{"id":5001,"name":"Bad input user","username":"bad-user"}'
UNAVAILABLE='{"message":"503 Service Unavailable - database unavailable"}'
SS=HTTP_GITLAB_SHARED_SECRET=$SECRET_B64
measured() { echo "# measured: $*"; }

# psql_su SQL: as the cluster's superuser (not subject to the glia role's
# connection limit of phase c).
psql_su() {
	if [ "$GLIA_PG_OSUSER" = "$(id -un)" ]; then
		psql -X -q -At -v ON_ERROR_STOP=1 -U "$GLIA_PG_OSUSER" -d "$PGDATABASE" -c "$1"
	else
		(cd / && runuser -u "$GLIA_PG_OSUSER" -- psql -X -q -At -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "$GLIA_PG_OSUSER" -d "$PGDATABASE" -c "$1")
	fi
}
pg_start() { pg_ctl_stack status >/dev/null 2>&1 || pg_ctl_stack -w -t 60 -l "$GLIA_PG_LOG" start >/dev/null; }
on_exit pg_start
on_exit "psql_su 'ALTER ROLE $PGUSER CONNECTION LIMIT -1' >/dev/null"

# The load driver of (b) and (c): N requests from C threads, at most SECONDS;
# one line per answer: "ms status json(1|0) body" (ms since the start).
cat >"$T/load.py" <<'PY'
import http.client, json, sys, threading, time
url, method, path, headers, body, n, conc, secs, out = sys.argv[1:10]
host, port = url.split("//")[1].split(":")
headers = json.loads(headers)
n, conc, secs = int(n), int(conc), float(secs)
lock = threading.Lock()
state = {"i": 0}
lines = []
t0 = time.monotonic()
def worker():
    while True:
        with lock:
            i = state["i"]
            if i >= n or time.monotonic() - t0 > secs:
                return
            state["i"] += 1
        try:
            c = http.client.HTTPConnection(host, int(port), timeout=20)
            c.request(method, path.replace("{i}", str(i)), body.replace("{i}", str(i)), headers)
            r = c.getresponse()
            b = r.read().decode("utf-8", "replace").replace("\n", " ")
            ct = r.getheader("Content-Type", "")
            try:
                json.loads(b) if b else None
                js = int(ct.startswith("application/json"))
            except ValueError:
                js = 0
            st = r.status
            c.close()
        except Exception as e:
            st, js, b = "error", 0, type(e).__name__
        with lock:
            lines.append("%d %s %d %s" % ((time.monotonic() - t0) * 1000, st, js, b))
ts = [threading.Thread(target=worker) for _ in range(conc)]
for t in ts: t.start()
for t in ts: t.join()
open(out, "w").write("\n".join(lines) + ("\n" if lines else ""))
PY
# fcgi_burst SOCK N C OUT: N discovers straight to a private glia's socket,
# C at a time (cgi-fcgi); one "status body" line per answer in OUT.
fcgi_burst() {
	local sock=$1 n=$2 c=$3 out=$4
	: >"$out"
	export -f fcgi_request fcgi_raw cgi_parse fcgi
	export CGI_FCGI SS D
	# shellcheck disable=SC2016 # expanded by the inner bash
	seq "$n" | timeout 60 xargs -P "$c" -I{} bash -c 'fcgi "$0" GET "$D" "$SS"; echo "$STATUS $BODY"' "$sock" >>"$out" || true
}

workers_start=$(workers)
log_from=$(($(wc -l <"$GLIA_LOG") + 1))

# --- (a) PostgreSQL restarted under load
cat >"$T/wrk.lua" <<'LUA'
-- Counts answers by status, with "-nonjson" for a body that is not JSON;
-- each thread stops after 20 000 answers; 5 ms between requests of a
-- connection keeps the load small.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) codes = {}; n = 0 end
function delay() return 5 end
function response(status, headers, body)
	local k = tostring(status)
	local ct = headers["Content-Type"] or ""
	if not ct:find("application/json", 1, true) or body:sub(1, 1) ~= "{" then k = k .. "-nonjson" end
	codes[k] = (codes[k] or 0) + 1
	n = n + 1
	if n >= 20000 then wrk.thread:stop() end
end
function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("codes")) do total[k] = (total[k] or 0) + v end
	end
	for k, v in pairs(total) do io.write("code ", k, " ", v, "\n") end
end
LUA
WRK=$(command -v wrk || true)
if [ -z "$WRK" ]; then
	ok_if "wrk is installed (contrib/dev/lib.sh installs it)" false
else
	desc "discover before the restart"
	expect 200 "$USER_5001" GET "$D" -H "$AUTH"
	timeout 30 "$WRK" -t 2 -c 4 -d 8s --timeout 10s -s "$T/wrk.lua" -H "$AUTH" "$GLIA_URL$D" >"$T/wrk.out" 2>&1 &
	wrk_pid=$!
	sleep 2
	t_stop=$(ms)
	pg_ctl_stack -m fast -w -t 30 -l "$GLIA_PG_LOG" restart >/dev/null
	t_ready=$(ms)
	pg_isready -q -t 5 && ready_ok=1 || ready_ok=0
	# Probe from pg_ctl's return: first 200, then 8 in a row (every worker).
	first='' all='' got=''
	for ((i = 0; i < 200; i++)); do
		code=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' -H "$AUTH" "$GLIA_URL$D" || echo curl-failed)
		now=$(ms)
		if [ "$code" = 200 ]; then
			[ -z "$first" ] && first=$((now - t_ready))
			got+=1
			if [ "${#got}" -ge 8 ]; then all=$((now - t_ready)); break; fi
		else
			got=
		fi
		[ $((now - t_ready)) -gt 10000 ] && break
		sleep 0.02
	done
	wait "$wrk_pid" || true
	total=$(awk '/requests in/ { print $1 }' "$T/wrk.out")
	codes=$(awk '/^code / { printf "%s=%s ", $2, $3 }' "$T/wrk.out")
	sockerr=$(grep -E 'Socket errors' "$T/wrk.out" || true)
	measured "(a) restart took $((t_ready - t_stop)) ms (pg_ctl -m fast -w); wrk: $total answers, by status: $codes${sockerr:+; $sockerr}"
	measured "(a) after pg_ctl returned (pg_isready: $ready_ok): first 200 after ${first:-none} ms, 8 in a row (all workers) after ${all:-none} ms"
	ok_if "wrk answered (got: ${total:-nothing}; $(tail -n 3 "$T/wrk.out" | tr '\n' ' '))" test -n "$total"
	ok_if "during the restart every failure was a JSON 503 (by status: $codes)" \
		test -z "$(tr ' ' '\n' <<<"$codes" | grep . | grep -vE '^(200|503)=')"
	ok_if "no 502 and no HTML during the restart" test -z "$(grep -E '^code (502|.*-nonjson) ' "$T/wrk.out")"
	ok_if "no socket error or timeout in wrk" test -z "$sockerr"
	ok_if "the outage was seen (some 503s: $codes)" grep -q '^code 503 ' "$T/wrk.out"
	ok_if "glia served a 200 within 1000 ms of pg_ctl's return (first 200 after ${first:-never} ms)" \
		test -n "$first" -a "${first:-99999}" -le 1000
	ok_if "every worker served again within 2500 ms (8 in a row after ${all:-never} ms; the reconnect backoff is capped at 2 s)" \
		test -n "$all" -a "${all:-99999}" -le 2500
	ok_if "no worker died in the restart (before: $(tr '\n' ' ' <<<"$workers_start"), after: $(workers | tr '\n' ' '))" \
		test "$workers_start" = "$(workers)"
	deaths=$(worker_exits "$GLIA_LOG" "$log_from")
	ok_if "the master logged no worker death${deaths:+ ($(tr '\n' ' ' <<<"$deaths"))}" test -z "$deaths"
fi

# --- (b) a worker SIGKILLed every 100 ms for 3 s under a write load
psql_q "DELETE FROM personal_access_tokens WHERE name LIKE 'fault-%'" >/dev/null
log_b=$(($(wc -l <"$GLIA_LOG") + 1))
timeout 30 python3 "$T/load.py" "$GLIA_URL" POST /api/v4/internal/personal_access_token \
	"{\"${AUTH%%:*}\": \"$SECRET_B64\", \"Content-Type\": \"application/x-www-form-urlencoded\"}" \
	'key_id=5001&name=fault-b-{i}&scopes[]=read_repository' 6000 6 4.5 "$T/b.out" &
load_pid=$!
sleep 0.5
: >"$T/kills"
t_kill=$(ms)
while [ $(($(ms) - t_kill)) -lt 3000 ]; do
	victim=$(workers | shuf -n 1)
	[ -n "$victim" ] && kill -KILL "$victim" 2>/dev/null && echo "$victim" >>"$T/kills"
	sleep 0.1
done
t_kill_end=$(ms)
back=
for ((i = 0; i < 150; i++)); do
	if [ "$(workers | count)" = 4 ]; then back=$(($(ms) - t_kill_end)); break; fi
	sleep 0.1
done
wait "$load_pid" || true
kills=$(count <"$T/kills")
answers=$(count <"$T/b.out")
ok200=$(grep -c '^[0-9]* 200 1 {"success":true' "$T/b.out" || true)
# nginx's 502 (a worker died holding the request) reaches the caller as a
# JSON 503; glia's own 503 (it waited too long for a worker) says so.
n502=$(grep -c '^[0-9]* 503 1 {"message":"503 Service Unavailable - glia did not answer' "$T/b.out" || true)
nshed=$(grep -c '^[0-9]* 503 1 {"message":"503 Service Unavailable - too many requests' "$T/b.out" || true)
others=$(awk '$2 != 200 && $2 != 503 { print $2 "/" $3 }' "$T/b.out" | sort | uniq -c | tr -s ' \n' ' ')
n503=$(awk '$2 == 503' "$T/b.out" | count)
nonjson=$(awk '$3 != 1' "$T/b.out" | count)
respawns=$(tail -n "+$log_b" "$GLIA_LOG" | grep -c 'killed by signal 9' || true)
# Reconcile: the digest of every token answered 200 (HMAC-SHA256 under the
# pepper, as src/token.c) must be in personal_access_tokens.
pepper_file=$(sed -n 's/^token_pepper_file *= *//p' "$GLIA_CONFIG" | tail -n 1)
python3 - "$pepper_file" "$T/b.out" >"$T/b.digests" <<'PY'
import hmac, hashlib, json, sys
pepper = open(sys.argv[1], "rb").read()
if pepper.endswith(b"\n"): pepper = pepper[:-1]
if pepper.endswith(b"\r"): pepper = pepper[:-1]
for line in open(sys.argv[2]):
    parts = line.split(" ", 3)
    if parts[1] == "200":
        tok = json.loads(parts[3])["token"]
        print(hmac.new(pepper, tok.encode(), hashlib.sha256).hexdigest())
PY
n_digests=$(count <"$T/b.digests")
found=0
if [ "$n_digests" -gt 0 ]; then
	echo "SELECT count(*) FROM personal_access_tokens WHERE token_digest IN ($(sed "s/.*/'&'/" "$T/b.digests" | paste -sd,));" >"$T/b.sql"
	found=$(psql -X -q -At -v ON_ERROR_STOP=1 -f "$T/b.sql")
fi
rows=$(psql_q "SELECT count(*) FROM personal_access_tokens WHERE name LIKE 'fault-b-%'")
measured "(b) $kills SIGKILLs in $((t_kill_end - t_kill)) ms ($respawns logged by the master); $answers answers: $ok200 x 200, $n502 x 503 from nginx (its 502), $nshed x 503 shed by glia${others:+, others: $others}; 4 workers again $back ms after the last kill"
measured "(b) reconcile: $n_digests tokens answered 200, $found of their digests stored; $rows rows named fault-b-* ($((rows - found)) committed without a 200: the request's worker died after COMMIT)"
ok_if "kills happened ($kills) and the master logged them ($respawns)" test "$kills" -ge 10 -a "$respawns" -ge 1
ok_if "writes were answered under the kills ($ok200 x 200 of $answers)" test "$ok200" -ge 20
ok_if "every answer was 200 or 503 (others: ${others:-none})" test -z "$others"
ok_if "every 503 was nginx's or glia's shedding ($n503: $n502 + $nshed)" test "$n503" = $((n502 + nshed))
ok_if "every answer was JSON ($nonjson not)" test "$nonjson" = 0
ok_if "nginx's 503s ($n502) <= kills ($kills)" test "$n502" -le "$kills"
ok_if "every token answered 200 is stored ($found of $n_digests digests)" test "$found" = "$n_digests"
ok_if "no row without an answer beyond nginx's 503s ($rows rows, $found answered, $n502 x 503)" test $((rows - found)) -le "$n502"
ok_if "the master respawned all 4 workers within 15 s of the last kill (${back:-no}; now $(workers | count))" test -n "$back"
desc "discover after the kills"
expect 200 "$USER_5001" GET "$D" -H "$AUTH"
ok_if "the master survived ($GLIA_PID)" kill -0 "$GLIA_PID"
psql_q "DELETE FROM personal_access_tokens WHERE name LIKE 'fault-%'" >/dev/null

# --- (c) the role's connection limit
cp "$GLIA_SHELL_SECRET_FILE" "$T/secret"
chmod 0600 "$T/secret"
private_conf "$T/c.conf" glia-e2e-faults-c "$T/c.sock" "workers = 4" "log_format = json" "shell_secret_file = $T/secret"
if start_private "$T/c.conf" "$T/c.sock" "$T/c.log"; then
	c=$PRIVATE_PID
	c_workers=$(private_workers "$c")
	# The private glia's first check may have connected one worker: the
	# limit leaves room for 2 connections of the private glia in all.
	base=$(psql_su "SELECT count(*) FROM pg_stat_activity WHERE usename = '$PGUSER' AND application_name <> 'glia-e2e-faults-c'")
	mine=$(psql_su "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'glia-e2e-faults-c'")
	psql_su "ALTER ROLE $PGUSER CONNECTION LIMIT $((base + 2))" >/dev/null
	c_from=$(($(wc -l <"$T/c.log") + 1))
	fcgi_burst "$T/c.sock" 48 8 "$T/c.limit"
	backends=$(psql_su "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'glia-e2e-faults-c'")
	by=$(cut -d' ' -f1 "$T/c.limit" | sort | uniq -c | tr -s ' \n' ' ')
	bad=$(grep -vxF -e "200 $USER_5001" -e "503 $UNAVAILABLE" "$T/c.limit" | sort | uniq -c | head -n 3 | tr '\n' ' ' || true)
	# The workers that answered STATUS, from the private glia's JSON log.
	pids_with() { tail -n "+$c_from" "$T/c.log" | grep -F 'internal/discover' | grep -F "\"status\":$1" | grep -o '"pid":[0-9]*' | sort -u | count; }
	pids200=$(pids_with 200 || true)
	pids503=$(pids_with 503 || true)
	measured "(c) limit $((base + 2)) for role $PGUSER ($base other sessions, $mine of the private glia before): 48 requests: $by; workers answering 200: $pids200, 503: $pids503; private backends: $backends"
	ok_if "at the limit every answer is 200 or the JSON 503 (${bad:-all})" test -z "$bad"
	ok_if "at the limit some workers answer 503 ($pids503) and some 200 ($pids200)" test "$pids503" -ge 1 -a "$pids200" -ge 1
	ok_if "at the limit the private glia holds at most 2 connections ($backends)" test "$backends" -le 2
	psql_su "ALTER ROLE $PGUSER CONNECTION LIMIT -1" >/dev/null
	t0=$(ms)
	rec=
	for ((i = 0; i < 20; i++)); do
		fcgi_burst "$T/c.sock" 16 8 "$T/c.after"
		if [ "$(grep -cxF "200 $USER_5001" "$T/c.after")" = 16 ]; then rec=$(($(ms) - t0)); break; fi
		sleep 0.2
	done
	backends=$(psql_su "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'glia-e2e-faults-c'")
	measured "(c) limit lifted: 16 requests in a row answered 200 after ${rec:-more than 8000} ms; private backends now $backends"
	ok_if "after the limit is lifted all workers recover within 8 s without a restart (${rec:-no})" test -n "$rec"
	ok_if "the private glia's workers are the same (before: $(tr '\n' ' ' <<<"$c_workers"), after: $(private_workers "$c" | tr '\n' ' '))" \
		test "$c_workers" = "$(private_workers "$c")"
	ok_if "no sanitizer report in the private glia's log" sanitizer_clean "$T/c.log"
	stop_private "$c" 10
else
	ok_if "private glia (workers 4) starts" false
fi
psql_su "ALTER ROLE $PGUSER CONNECTION LIMIT -1" >/dev/null

# --- (d1) a database that refuses every connection
private_conf "$T/d1.conf" glia-e2e-faults-d1 "$T/d1.sock" "workers = 2" "shell_secret_file = $T/secret"
sed -i 's/^\(database = ".*\)port=[0-9]*/\1port=1/' "$T/d1.conf"
if start_private "$T/d1.conf" "$T/d1.sock" "$T/d1.log"; then
	d1=$PRIVATE_PID
	: >"$T/d1.pids"
	: >"$T/d1.codes"
	t0=$(ms)
	max=0
	for ((i = 0; i < 30; i++)); do
		t1=$(ms)
		fcgi "$T/d1.sock" GET "$D" "$SS"
		took=$(($(ms) - t1))
		[ "$took" -gt "$max" ] && max=$took
		echo "$STATUS $BODY" >>"$T/d1.codes"
		private_workers "$d1" >>"$T/d1.pids"
		sleep 0.1
	done
	forks=$(sort -u "$T/d1.pids" | count)
	n503=$(grep -cxF "503 $UNAVAILABLE" "$T/d1.codes" || true)
	warns=$(grep -c 'database connect' "$T/d1.log" || true)
	measured "(d1) database on port 1: 30 requests in $(($(ms) - t0)) ms: $n503 x JSON 503 (slowest $max ms); $forks worker pids seen (2 workers); $warns connection warnings logged"
	ok_if "every request got the JSON 503 ($n503 of 30; $(sort "$T/d1.codes" | uniq -c | head -n 2 | tr -s ' \n' ' '))" test "$n503" = 30
	ok_if "each 503 came fast (slowest $max ms)" test "$max" -le 3000
	ok_if "the master forked nothing more (2 workers, $forks pids seen)" test "$forks" = 2
	ok_if "its master survived" kill -0 "$d1"
	stop_private "$d1" 10
else
	ok_if "private glia (database on port 1) starts" false
fi

# --- (d2) workers that die as soon as they start: no glia configuration makes a
# worker die at start (the database is connected lazily, a bad secret or
# configuration stops the master itself), so each new worker is SIGKILLed
# within 20 ms of its appearance, which is what the master sees of a worker
# crashing in its first request.
private_conf "$T/d2.conf" glia-e2e-faults-d2 "$T/d2.sock" "workers = 1" "shell_secret_file = $T/secret"
if start_private "$T/d2.conf" "$T/d2.sock" "$T/d2.log"; then
	d2=$PRIVATE_PID
	d2_from=$(($(wc -l <"$T/d2.log") + 1))
	: >"$T/d2.pids"
	t0=$(ms)
	while [ $(($(ms) - t0)) -lt 8000 ]; do
		for p in $(private_workers "$d2"); do
			echo "$p" >>"$T/d2.pids"
			kill -KILL "$p" 2>/dev/null || true
		done
		sleep 0.02
	done
	forks=$(sort -u "$T/d2.pids" | count)
	backoffs=$(tail -n "+$d2_from" "$T/d2.log" | sed -n 's/.*respawning in \([0-9]*\) ms.*/\1/p' | tr '\n' ' ')
	measured "(d2) 8 s of workers killed at birth: $forks workers forked (one slot); the master's backoffs (ms): $backoffs"
	ok_if "no fork bomb: at most 10 workers in 8 s ($forks)" test "$forks" -le 10 -a "$forks" -ge 3
	ok_if "the backoff doubles from 100 ms ($backoffs)" \
		test "$(awk '{ for (i = 2; i <= NF; i++) if ($i != 2 * $(i - 1) && $i != 10000) bad = 1; print ($1 == 100 && !bad) }' <<<"$backoffs")" = 1
	ok_if "the master survived" kill -0 "$d2"
	# Once left alone, the slot is filled again (after the current backoff).
	back=
	t0=$(ms)
	for ((i = 0; i < 120; i++)); do
		fcgi "$T/d2.sock" GET "$D" "$SS"
		if [ "$STATUS" = 200 ]; then back=$(($(ms) - t0)); break; fi
		sleep 0.1
	done
	measured "(d2) left alone, the private glia served again after ${back:-more than 12000} ms"
	ok_if "the private glia serves again once its workers live (${back:-no})" test -n "$back"
	stop_private "$d2" 10
else
	ok_if "private glia (workers 1) starts" false
fi

ok_if "no sanitizer report in glia's log" sanitizer_clean "$GLIA_LOG"
finish
