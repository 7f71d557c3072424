#!/usr/bin/env bash
# The master keeps the workers: SIGKILL of a worker, SIGHUP reload.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CHECK_URL=$GLIA_URL/api/v4/internal/check
ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_workers N EXCLUDED_PIDS SECONDS: waits until the master has N workers,
# none of them in EXCLUDED_PIDS (newline-separated); prints the milliseconds.
wait_workers() {
	local t0 now i
	t0=$(ms)
	for ((i = 0; i < $3 * 20; i++)); do
		now=$(workers)
		if [ "$(count <<<"$now")" = "$1" ] && ! grep -qxF -f <(printf '%s\n' "$2" | grep .) <<<"$now"; then
			echo $(($(ms) - t0))
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# loop_requests FILE: GET /internal/check until $E2E_TMP/stop exists (at most
# 400 requests), one status per line in FILE.
loop_requests() {
	local i
	for ((i = 0; i < 400; i++)); do
		[ -e "$E2E_TMP/stop" ] && break
		curl -s -o /dev/null --max-time 10 -w '%{http_code}\n' -H "$AUTH" "$CHECK_URL" >>"$1" || echo "curl-$?" >>"$1"
	done
}

before=$(workers)
ok_if "the master ($GLIA_PID) runs 4 workers" test "$(count <<<"$before")" = 4

# --- SIGKILL one worker
victim=$(head -n 1 <<<"$before")
kill -KILL "$victim"
if took=$(wait_workers 4 "$victim" 5); then
	ok_if "worker $victim killed: a replacement appeared in $took ms (<= 1500)" test "$took" -le 1500
else
	ok_if "worker $victim killed: a replacement appears within 5 s (workers: $(workers | tr '\n' ' '))" false
fi
fails=0
for ((i = 0; i < 20; i++)); do
	code=$(curl -s -o /dev/null --max-time 10 -w '%{http_code}' -H "$AUTH" "$CHECK_URL" || true)
	[ "$code" = 200 ] || fails=$((fails + 1))
done
ok_if "20 requests right after the kill: all 200 ($fails failed)" test "$fails" = 0
ok_if "the master survived" kill -0 "$GLIA_PID"

# --- SIGHUP: workers replaced, no request fails
before=$(workers)
loop_requests "$E2E_TMP/hup.codes" &
loop=$!
sleep 0.5
kill -HUP "$GLIA_PID"
if took=$(wait_workers 4 "$before" 15); then
	ok_if "SIGHUP: all 4 workers replaced in $took ms" true
else
	ok_if "SIGHUP: all 4 workers replaced within 15 s (before: $(tr '\n' ' ' <<<"$before"), now: $(workers | tr '\n' ' '))" false
fi
sleep 0.5
touch "$E2E_TMP/stop"
wait "$loop" || true
total=$(count <"$E2E_TMP/hup.codes")
bad=$(grep -vcx 200 "$E2E_TMP/hup.codes" || true)
ok_if "SIGHUP under a request loop: $total requests, $bad not 200 ($(grep -vx 200 "$E2E_TMP/hup.codes" | sort | uniq -c | tr '\n' ' '))" \
	test "$bad" = 0 -a "$total" -ge 10
ok_if "the master survived SIGHUP" kill -0 "$GLIA_PID"

desc "requests after the reload"
expect_match 200 "$(check_body_re true)" GET /api/v4/internal/check -H "$AUTH"

finish
