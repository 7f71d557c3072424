#!/usr/bin/env bash
# tests/gitlab-schema/clients.sh: the real-client harness
# (../shared/tools/real-clients: unmodified gitlab-shell of six generations
# and gitlab-sshd) against glia with schema = gitlab, behind
# contrib/nginx/glia-gitlab.conf, on GitLab's tables.
#
# Sourced by tests/gitlab-schema/run near its end, once GitLab's schema is
# loaded into $DB and the stage has written GitLab's rows for the demo data
# there (the people, keys, project and protected branch the harness's knobs
# name are among them, as in tests/clients/data.json; checked below). Alone,
# on a database the stage kept (GLIA_GITLAB_KEEP=1 tests/gitlab-schema/run;
# the stack running): tests/gitlab-schema/clients.sh [DATABASE].
#
#   1. builds the clients (the harness's build, ~15 s warm);
#   2. checks that $DB holds the rows the harness expects, and adds a key of
#      rubi's as GitLab writes keys, for gitlab-sshd (SSH_KEY_FILE);
#   3. starts a glia with schema = gitlab on $DB, and a private nginx on a
#      loopback port running contrib/nginx/glia-gitlab.conf with glia's
#      socket and, as Workhorse, the harness's stub.py (a GitLab stand-in:
#      what Rails would answer for the routes glia leaves to it);
#   4. runs the harness against that nginx and judges its calls by name:
#      a call is served when every route it asks is one glia-gitlab.conf
#      sends to glia (CALLS below says which routes each call asks). A
#      served call must PASS; one that fails or is missing fails the test.
#      The others are listed as not served and not counted, but must have
#      reached Workhorse (nginx's log, stub.py's log) and not crashed
#      (panic, Ruby exception trace, time-out). Every request on glia's
#      routes was answered by glia alone (no fall back to Workhorse).
#      glia has a db_key_base of its own here, so it serves
#      lfs_authenticate too. stub.py's own fixture knows keys 7 and 11
#      only: gitlab-sshd's personal_access_token, which sends the id of the
#      key added in 2., gets its "key not found" answer there.
#
# TAP lines (counted in gitlab-schema's when sourced), then
# `gitlab-clients: N passed, M failed`. Without the harness: a SKIP line,
# exit 77 alone (nothing when sourced). REAL_CLIENTS names another harness;
# REALCLIENTS_DIR, CALL_TIMEOUT pass to it. Client output:
# ${REALCLIENTS_DIR:-/tmp/realclients}/runlog/.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	SRC=$(cd "$(dirname "$0")/../.." && pwd)
	# shellcheck source=tests/e2e/lib.sh
	. "$SRC/tests/e2e/lib.sh"
	# shellcheck source=tests/e2e/lib_glia.sh
	. "$SRC/tests/e2e/lib_glia.sh"
	DB=${1:-glia_gitlab}
	GL=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB")
	DSN_BASE="host=$PGHOST port=$PGPORT user=$PGUSER"
	CL_ALONE=1
else
	CL_ALONE=0
fi
: "${SRC:?}" "${DB:?}" "${DSN_BASE:?}" "${E2E_TMP:?}" "${SECRET_B64:?}"

CL_N0=$T_N CL_F0=$T_FAILED
cl_summary() {
	local f=$((T_FAILED - CL_F0))
	echo "gitlab-clients: $((T_N - CL_N0 - f)) passed, $f failed"
}
# cl_skip WHY: the SKIP line; exit 77 alone.
cl_skip() {
	echo "SKIP gitlab-clients: $1"
	[ "$CL_ALONE" = 1 ] && exit 77
}

CL_HARNESS=${REAL_CLIENTS:-$SRC/../shared/tools/real-clients}
CL_NGINX=${NGINX_BIN:-/usr/sbin/nginx}
if [ ! -x "$CL_HARNESS/run" ] || [ ! -x "$CL_HARNESS/build" ] || [ ! -r "$CL_HARNESS/stub.py" ]; then
	cl_skip "no real-client harness at $CL_HARNESS (a clone without ../shared)"
elif ! [ -x "$CL_NGINX" ] || ! command -v python3 >/dev/null || ! command -v ssh-keygen >/dev/null; then
	cl_skip "needs nginx ($CL_NGINX), python3 and ssh-keygen"
else
	CL_HARNESS=$(cd "$CL_HARNESS" && pwd)
	CL=$E2E_TMP/clients
	mkdir -p "$CL/run"
	CL_RUNLOG=${REALCLIENTS_DIR:-/tmp/realclients}/runlog

	# What each call of the harness asks, in its order: GENERATION CALL
	# ROUTES (of /api/v4/internal/, comma-separated). gitlab-sshd asks
	# authorized_keys for the offered key first; the v8.7.1 pre-receive hook
	# asks allowed, then pre_receive.
	CALLS="rb-v9.4.2 check check
rb-v9.4.2 authorized_keys authorized_keys
rb-v9.4.2 authorized_keys-unknown authorized_keys
rb-v9.4.2 discover discover
rb-v9.4.2 2fa_recovery_codes two_factor_recovery_codes
rb-v9.4.2 git-lfs-authenticate lfs_authenticate
rb-v9.4.2 git-upload-pack allowed
rb-v9.4.2 git-receive-pack allowed
rb-v9.4.2 allowed-notfound allowed
rb-v8.7.1 pre-receive allowed,pre_receive
rb-v8.7.1 pre-receive-denied allowed
rb-v8.7.1 post-receive post_receive
go-v9.3.0 discover discover
go-v9.3.0 2fa_recovery_codes two_factor_recovery_codes
go-v9.3.0 git-lfs-authenticate lfs_authenticate
go-v9.3.0 git-upload-pack allowed
go-v9.3.0 git-receive-pack allowed
go-v9.3.0 allowed-notfound allowed"
	for g in go-v14.7.4 go-v14.10.0 go-v14.22.0; do
		CALLS+="
$g check check
$g authorized_keys authorized_keys
$g authorized_keys-unknown authorized_keys
$g discover discover
$g discover-username discover
$g 2fa_recovery_codes two_factor_recovery_codes
$g personal_access_token personal_access_token
$g git-lfs-authenticate lfs_authenticate
$g git-upload-pack allowed
$g git-receive-pack allowed
$g allowed-notfound allowed"
	done
	CALLS+="
hookreplay-v14.7.4 allowed-changes allowed
hookreplay-v14.7.4 allowed-changes-denied allowed
hookreplay-v14.7.4 pre_receive pre_receive
hookreplay-v14.7.4 post_receive post_receive
hookreplay-v14.7.4 post_receive-push-options post_receive
sshd-v14.22.0 ssh-welcome authorized_keys,discover
sshd-v14.22.0 ssh-unknown-key authorized_keys
sshd-v14.22.0 personal_access_token authorized_keys,personal_access_token
sshd-v14.22.0 git-lfs-authenticate authorized_keys,lfs_authenticate
sshd-v14.22.0 git-upload-pack authorized_keys,allowed
sshd-v14.22.0 allowed-notfound authorized_keys,allowed"

	# The routes glia-gitlab.conf sends to glia: its location's alternation.
	CL_GLIA_ROUTES=$(sed -n 's|^ *location ~ \^/api/v4/internal/(\([a-z_|]*\))\$ {$|\1|p' \
		"$SRC/contrib/nginx/glia-gitlab.conf" | tr '|' ' ')
	desc "gitlab-clients: glia-gitlab.conf sends check, authorized_keys, discover and allowed to glia (got: $CL_GLIA_ROUTES)"
	cl_routes_ok=1
	for r in check authorized_keys discover allowed; do
		[[ " $CL_GLIA_ROUTES " == *" $r "* ]] || cl_routes_ok=0
	done
	_report "$cl_routes_ok" x "no 'location ~ ^/api/v4/internal/(...)\$' naming them in contrib/nginx/glia-gitlab.conf"
	cl_served() { # ROUTES: whether glia answers every one
		local r
		for r in ${1//,/ }; do [[ " $CL_GLIA_ROUTES " == *" $r "* ]] || return 1; done
	}

	# --- 1. the clients
	cl_built=1
	if ! "$CL_HARNESS/build" >"$CL/build.log" 2>&1; then cl_built=0; fi
	desc "gitlab-clients: the real clients build ($CL_HARNESS/build)"
	_report "$cl_built" x "$(tail -n 5 "$CL/build.log")"
	grep -E '^(BUILT|FAILED)|built, ' "$CL/build.log" | sed 's/^/# /' || true

	# --- 2. the rows the harness's knobs name, as the stage wrote them
	# (tests/clients/data.json has the same as glia's data for these calls):
	# key 7 of rubi (user 7), project 3 gnuwget/wget2, where rubi is a
	# developer and master is protected for maintainers.
	CL_DATA=$SRC/tests/clients/data.json
	KEY_BODY=$(sed -n 's/.*"id": *7,.*"key": *"ssh-[^ ]* \([^" ]*\).*/\1/p' "$CL_DATA")
	cl_want=$(python3 - "$CL_DATA" <<-'PY'
		import json, sys
		d = json.load(open(sys.argv[1]))
		key = next(k for k in d["keys"] if k["id"] == 7)
		user = next(u for u in d["users"] if u["username"] == key["user"])
		proj = next(p for p in d["projects"] if "%s/%s" % (p["namespace"], p["path"]) == "gnuwget/wget2")
		level = max(m["access_level"] for m in d["members"] if m["user"] == user["username"]
		            and (m.get("project") == "gnuwget/wget2" or m.get("group") == proj["namespace"]))
		pb = next(b for b in d["protected_branches"] if b["project"] == "gnuwget/wget2" and b["name"] == "master")
		print("%d|%s|%s|%s" % (user["id"], user["username"], user["name"], key["key"]))
		print(proj["id"])
		print(level)
		print(pb["push_access_level"])
	PY
	)
	cl_got=$("${GL[@]}" -F '|' <<-'SQL'
		SELECT u.id, u.username, u.name, k.key FROM keys k JOIN users u ON u.id = k.user_id WHERE k.id = 7;
		SELECT source_id FROM routes WHERE source_type = 'Project' AND path = 'gnuwget/wget2';
		SELECT access_level FROM project_authorizations WHERE user_id = 7 AND project_id = 3;
		SELECT string_agg(a.access_level::text, ',') FROM protected_branches b
		  JOIN protected_branch_push_access_levels a ON a.protected_branch_id = b.id
		 WHERE b.project_id = 3 AND b.name = 'master';
	SQL
	)
	desc "gitlab-clients: GitLab's tables hold what the harness's knobs name (tests/clients/data.json): key 7, rubi, project-3 gnuwget/wget2, rubi's level, master's push level"
	if [ -n "$KEY_BODY" ] && [ "$cl_got" = "$cl_want" ]; then _report 1 x; else
		_report 0 x "expected: $(tr '\n' ' ' <<<"$cl_want")" "got:      $(tr '\n' ' ' <<<"$cl_got")"; fi

	# rubi's key for gitlab-sshd, as GitLab writes a user's key: no type,
	# raw SHA-256 and MD5 fingerprints, usage_type 0 (auth and signing).
	ssh-keygen -q -t ed25519 -N '' -C gitlab-clients -f "$CL/id_ed25519"
	cl_pub=$(cat "$CL/id_ed25519.pub")
	cl_md5=$(ssh-keygen -E md5 -lf "$CL/id_ed25519.pub" | awk '{print $2}')
	"${GL[@]}" -c "DELETE FROM keys WHERE id = 90100" -c "INSERT INTO keys (id, user_id, title, key, type, fingerprint,
		fingerprint_sha256, public, created_at, updated_at, usage_type)
		VALUES (90100, 7, 'gitlab-clients', '$cl_pub', NULL, '${cl_md5#MD5:}',
		sha256(decode(split_part('$cl_pub', ' ', 2), 'base64')), false, now() AT TIME ZONE 'UTC',
		now() AT TIME ZONE 'UTC', 0)"

	# --- 3. glia on GitLab's tables, the stub as Workhorse, nginx before them
	cl_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
	CL_SOCK=$CL/run/glia.sock CL_LOG=$CL/glia.log
	CL_NGX_PORT=$(cl_port) CL_STUB_PORT=$(cl_port) CL_SSHD_PORT=$(cl_port)
	printf 'gitaly-secret\n' >"$CL/gitaly_token"
	chmod 0600 "$CL/gitaly_token"
	# GitLab's db_key_base, so that glia mints the LFS tokens itself.
	openssl rand -hex 64 >"$CL/db_key_base"
	chmod 0600 "$CL/db_key_base"
	private_conf "$CL/glia.conf" glia-gitlab-clients "$CL_SOCK" "schema = gitlab" "db_prepare = on" "workers = 2" \
		"db_key_base_file = $CL/db_key_base" \
		"database = \"$DSN_BASE dbname=$DB application_name=glia-gitlab-clients\"" \
		"gitaly_storages = default=unix:/run/gitaly/gitaly.socket" "gitaly_token_file = $CL/gitaly_token" \
		"external_url = http://127.0.0.1:$CL_NGX_PORT"
	CL_GLIA_PID=''
	if start_private "$CL/glia.conf" "$CL_SOCK" "$CL_LOG"; then CL_GLIA_PID=$PRIVATE_PID; fi

	KEY_BODY=$KEY_BODY ROOT_KEY_BODY=$(sed -n 's/.*"id": *11,.*"key": *"ssh-[^ ]* \([^" ]*\).*/\1/p' "$CL_DATA") \
		python3 "$CL_HARNESS/stub.py" "$CL_STUB_PORT" "$GLIA_SHELL_SECRET_FILE" "$CL/stub-requests.log" \
		>"$CL/stub.out" 2>&1 &
	CL_STUB_PID=$!
	cl_stop_stub() {
		[ -n "$CL_STUB_PID" ] || return 0
		kill "$CL_STUB_PID" 2>/dev/null || true
		wait "$CL_STUB_PID" 2>/dev/null || true
		CL_STUB_PID=''
	}
	on_exit cl_stop_stub

	sed -e "s|unix:/run/glia/glia.sock|unix:$CL_SOCK|" \
		-e "s|server unix:/var/opt/gitlab/gitlab-workhorse/sockets/socket;|server 127.0.0.1:$CL_STUB_PORT;|" \
		-e "s|listen 127.0.0.1:8095;|listen 127.0.0.1:$CL_NGX_PORT;|" \
		-e "s|/var/log/gitlab/nginx/glia-gitlab-access.log|$CL/access.log|" \
		-e "s|/var/log/gitlab/nginx/glia-gitlab-error.log|$CL/error.log|" \
		"$SRC/contrib/nginx/glia-gitlab.conf" >"$CL/glia-gitlab.conf"
	{
		[ "$(id -u)" = 0 ] && echo "user root;" # glia's socket is 0600
		echo "worker_processes 1;"
		echo "pid $CL/nginx.pid;"
		echo "error_log $CL/error.log;"
		echo "events { worker_connections 256; }"
		echo "http {"
		echo "    client_body_temp_path $CL/client_body;"
		echo "    fastcgi_temp_path $CL/fastcgi;"
		echo "    proxy_temp_path $CL/proxy;"
		echo "    include $CL/glia-gitlab.conf;"
		echo "}"
	} >"$CL/nginx.conf"
	cl_stop_nginx() {
		[ -r "$CL/nginx.pid" ] || return 0
		"$CL_NGINX" -c "$CL/nginx.conf" -e "$CL/error.log" -s stop 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do [ -e "$CL/nginx.pid" ] || break; sleep 0.1; done
	}
	on_exit cl_stop_nginx
	"$CL_NGINX" -c "$CL/nginx.conf" -e "$CL/error.log" 2>>"$CL/nginx.out" || true
	CL_URL=http://127.0.0.1:$CL_NGX_PORT
	# Up when /check is glia's answer (stub.py's says 15.0.0-stub) and
	# stub.py answers a route of its own.
	cl_up=0
	for ((i = 0; i < 50; i++)); do
		[ -n "$CL_GLIA_PID" ] || break
		if [[ $(curl -s -H "Gitlab-Shared-Secret: $SECRET_B64" "$CL_URL/api/v4/internal/check") =~ $(check_body_re true) ]] &&
			curl -sf -o /dev/null -H "Gitlab-Shared-Secret: $SECRET_B64" -d key_id=7 \
				"$CL_URL/api/v4/internal/two_factor_otp_check"; then
			cl_up=1
			break
		fi
		sleep 0.1
	done
	desc "gitlab-clients: glia (schema = gitlab), stub.py as Workhorse and nginx with glia-gitlab.conf answer on $CL_URL"
	_report "$cl_up" x "glia: $(tail -n 3 "$CL_LOG" 2>/dev/null | tr '\n' ' ')" \
		"stub: $(tail -n 3 "$CL/stub.out" | tr '\n' ' ')" "nginx: $(tail -n 3 "$CL/error.log" 2>/dev/null | tr '\n' ' ')"
	# The probes are not the harness's.
	: >"$CL/access.log"
	: >"$CL/stub-requests.log"

	# --- 4. the harness, judged by name
	cl_rc=0
	KEY_BODY=$KEY_BODY SSH_KEY_FILE=$CL/id_ed25519 SSHD_PORT=$CL_SSHD_PORT CALL_TIMEOUT=${CALL_TIMEOUT:-60} \
		"$CL_HARNESS/run" "$CL_URL" "$GLIA_SHELL_SECRET_FILE" >"$CL/harness.out" 2>&1 || cl_rc=$?
	sed 's/^/# /' "$CL/harness.out"
	declare -A CL_RESULT=() CL_LINE=()
	while read -r verdict gen call rest; do
		call=${call%:}
		CL_RESULT["$gen $call"]=$verdict
		CL_LINE["$gen $call"]="$verdict $gen $call $rest"
	done < <(grep -E '^(PASS|FAIL) [^ ]+ [^ ]+: ' "$CL/harness.out" || true)

	cl_not_served=() cl_crashed=() cl_known=" "
	while read -r gen call routes; do
		cl_known+="$gen $call "
		key="$gen $call"
		if cl_served "$routes"; then
			desc "gitlab-clients: $gen $call (${routes//,/, }; served)"
			if [ "${CL_RESULT[$key]:-}" = PASS ]; then _report 1 x; else
				_report 0 x "${CL_LINE[$key]:-missing from the output of the harness (exit $cl_rc)}" \
					"client output ($CL_RUNLOG/$gen.$call.out):" \
					"$(tail -n 8 "$CL_RUNLOG/$gen.$call.out" 2>/dev/null | cut -c1-200)"
			fi
			continue
		fi
		cl_not_served+=("$gen $call: ${CL_RESULT[$key]:-missing}")
		# No answer at all, a Go panic, a Ruby exception's trace (other than
		# the ENOENT of the absent Gitaly binaries), a time-out: a crash.
		out=$CL_RUNLOG/$gen.$call.out
		if [ -z "${CL_RESULT[$key]:-}" ] || [[ ${CL_LINE[$key]} == *"timed out after"* ]] ||
			grep -qE '^panic:|goroutine [0-9]+ \[|\((NoMethodError|TypeError|JSON::ParserError|NameError|ArgumentError)\)' \
				"$out" 2>/dev/null; then
			cl_crashed+=("${CL_LINE[$key]:-$key: missing}")
		fi
	done <<<"$CALLS"
	cl_unknown=()
	for key in "${!CL_RESULT[@]}"; do
		[[ $cl_known == *" $key "* ]] || cl_unknown+=("${CL_LINE[$key]}")
	done
	desc "gitlab-clients: every call the harness made is in CALLS (served or not)"
	if [ "${#cl_unknown[@]}" = 0 ]; then _report 1 x; else
		_report 0 x "calls this script does not know (add them to CALLS with their routes):" "${cl_unknown[@]}"; fi

	printf '# not served with schema = gitlab (not counted; stub.py answered as Workhorse): %s\n' "${cl_not_served[@]}"
	desc "gitlab-clients: the ${#cl_not_served[@]} calls not served got Workhorse's answers and none crashed"
	if [ "${#cl_crashed[@]}" = 0 ]; then _report 1 x; else _report 0 x "${cl_crashed[@]}"; fi

	# Who answered what: nginx's log ($upstream_addr), stub.py's requests.
	cl_access=$(sed -n 's/^[^"]*"\([A-Z]*\) \([^ ]*\) [^"]*" \([0-9]*\) .* upstream=\(.*\)$/\1 \2 \3 \4/p' "$CL/access.log")
	cl_glia_n=0 cl_bad=()
	while read -r method path status upstream; do
		[ -n "$method" ] || continue
		route=${path#/api/v4/internal/}
		if [[ " $CL_GLIA_ROUTES " == *" $route "* ]]; then
			if [ "$upstream" = "unix:$CL_SOCK" ]; then cl_glia_n=$((cl_glia_n + 1)); else
				cl_bad+=("$method $path $status upstream=$upstream (glia's route, not answered by glia alone)"); fi
		elif [ "$upstream" != "127.0.0.1:$CL_STUB_PORT" ]; then
			cl_bad+=("$method $path $status upstream=$upstream (not Workhorse's)")
		fi
	done <<<"$cl_access"
	desc "gitlab-clients: glia alone answered its routes ($cl_glia_n requests), Workhorse every other route (nginx's log)"
	if [ "${#cl_bad[@]}" = 0 ] && [ "$cl_glia_n" -gt 40 ]; then _report 1 x; else
		_report 0 x "${cl_bad[@]:0:10}" "requests glia answered: $cl_glia_n"; fi
	cl_stub_routes=$(python3 -c 'import json, sys
seen = set()
for l in open(sys.argv[1]):
    seen.add(json.loads(l)["path"].split("?")[0])
print(" ".join(sorted(seen)))' "$CL/stub-requests.log" 2>/dev/null || echo "(unreadable log)")
	cl_want_stub=$(while read -r gen call routes; do
		for r in ${routes//,/ }; do
			[[ " $CL_GLIA_ROUTES " == *" $r "* ]] || echo "/api/v4/internal/$r"
		done
	done <<<"$CALLS" | LC_ALL=C sort -u | tr '\n' ' ')
	desc "gitlab-clients: Workhorse (stub.py) was asked exactly the routes glia does not serve ($cl_want_stub)"
	if [ "$cl_stub_routes " = "$cl_want_stub" ]; then _report 1 x; else
		_report 0 x "stub.py was asked: $cl_stub_routes"; fi

	[ -n "$CL_GLIA_PID" ] && stop_private "$CL_GLIA_PID" 5
	cl_stop_nginx
	cl_stop_stub
	desc "gitlab-clients: no sanitizer report in glia's log"
	if sanitizer_clean "$CL_LOG"; then _report 1 x; else _report 0 x "$(show_sanitizer "$CL_LOG")"; fi
	"${GL[@]}" -c "DELETE FROM keys WHERE id = 90100"
	cl_summary
fi
if [ "$CL_ALONE" = 1 ]; then finish; fi
