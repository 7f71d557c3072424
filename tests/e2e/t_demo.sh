#!/usr/bin/env bash
# contrib/dev/demo's curl commands, run as a user pastes them: the demo runs
# twice against this stack (a second run must work: new tokens, an import
# that changes nothing), writes its commands to a file (GLIA_DEMO_COMMANDS),
# and each one runs in a fresh shell and answers its endpoint's status and
# JSON. Every caller's family must be among them.
#
# What it leaves in the database is the demo's: the demo data (ids 1, 3, 5,
# 7, 11, 29, agent 1, which no other test data uses), tokens made by the
# sequences, namespace 5's subscription, pack demo-gnuwget-pack-1 and
# reconciliation, rubi's recovery codes; the reference counter of project-3
# ends where it began (pre_receive, then post_receive).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CMDS=$E2E_TMP/commands

# run_demo N: runs contrib/dev/demo on this stack. Its `contrib/dev/stack
# start` must find everything running as it is: the ports come from
# _stack/env (GLIA_URL, PGPORT) rather than from whoever runs the test, and
# nothing is built (GLIA_BUILD, from _stack/env, names the running binaries).
run_demo() {
	rm -f "$CMDS"
	GLIA_PORT=${GLIA_URL##*:} GLIA_PG_PORT=$PGPORT GLIA_NO_BUILD=1 GLIA_DEMO_COMMANDS=$CMDS \
		"$GLIA_SRC/contrib/dev/demo" >"$E2E_TMP/demo$1.out" 2>&1
}
demo_ok() { # N
	if run_demo "$1"; then
		_report 1 "contrib/dev/demo, run $1"
	else
		_report 0 "contrib/dev/demo, run $1" "exit status $?; its output:" "$(tail -n 20 "$E2E_TMP/demo$1.out")"
	fi
}
demo_ok 1
demo_ok 2
ok_if "the second run's import changes nothing" grep -q ': 0 rows changed$' "$E2E_TMP/demo2.out"
ok_if "it wrote its commands" test -s "$CMDS"
no_placeholder() { ! grep -q '<' "$CMDS"; }
ok_if "no placeholder (<...>) is left in them" no_placeholder
ok_if "the printed kas JWT is valid for an hour" grep -q 'valid for an hour, until' "$E2E_TMP/demo2.out"

# The demo's printed text holds the same commands, wrapped with backslashes
# for reading: joined again, they are the lines of the file.
printed=$(awk '/^  curl / { c = 1 } c { l = $0; sub(/^ +/, "", l); c = sub(/ \\$/, "", l); printf "%s%s", l, (c ? " " : "\n") }' \
	"$E2E_TMP/demo2.out")
ok_if "the printed commands are those of the file" test "$printed" = "$(cat "$CMDS")"

# want NAME COMMAND_REGEX STATUS BODY_REGEX: what a command matching
# COMMAND_REGEX (the first such entry) must answer.
W_NAME=() W_CMD=() W_STATUS=() W_BODY=() W_SEEN=()
want() { W_NAME+=("$1"); W_CMD+=("$2"); W_STATUS+=("$3"); W_BODY+=("$4"); W_SEEN+=(0); }
REPO='"gl_repository":"project-3","gl_project_path":"gnuwget/wget2","gl_project_id":3,"gl_root_namespace_id":5'
# gitlab-shell
want check '/internal/check"$' 200 '^\{"api_version":"v4",.*"redis":true\}$'
want authorized_keys '/internal/authorized_keys\?key=' 200 '^\{"id":11,"title":"admin@example\.com",'
want "discover by key" '/internal/discover\?key_id=7"$' 200 '^\{"id":7,"name":"Dede Eichmann","username":"rubi"\}$'
want "discover by username" '/internal/discover\?username=root"$' 200 '^\{"id":1,"name":"Administrator","username":"root"\}$'
want "allowed, fetch" 'action=git-upload-pack.*/internal/allowed"$' 200 "^\\{\"status\":true,$REPO,\"gl_id\":\"user-1\",\"gl_username\":\"root\","
want lfs_authenticate '/internal/lfs_authenticate"$' 200 '^\{"username":"root","lfs_token":"[^"]+","repository_http_path":"[^"]*/gnuwget/wget2\.git","expires_in":1800\}$'
want two_factor_recovery_codes '/internal/two_factor_recovery_codes"$' 200 '^\{"success":true,"recovery_codes":\["[0-9a-f]{16}"(,"[0-9a-f]{16}"){9}\]\}$'
want personal_access_token '/internal/personal_access_token"$' 200 '^\{"success":true,"token":"[A-Za-z0-9_-]{20}","scopes":\["read_user","read_repository"\],"expires_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}"\}$'
# Gitaly's hooks
want "allowed, push" 'action=git-receive-pack.*/internal/allowed"$' 200 "^\\{\"status\":true,$REPO,\"gl_id\":\"user-7\",\"gl_username\":\"rubi\","
want pre_receive '/internal/pre_receive"$' 200 '^\{"reference_counter_increased":true\}$'
want post_receive '/internal/post_receive"$' 200 '^\{"messages":\[\{"message":"To create a merge request for gh-pages, visit:[^"]*","type":"basic"\}\],"reference_counter_decreased":true\}$'
# kas
want agent_info '/internal/kubernetes/agent_info"$' 200 '^\{"project_id":3,"agent_id":1,"agent_name":"demo","gitaly_info":\{'
want project_info '/internal/kubernetes/project_info\?id=3"$' 200 '^\{"project_id":3,"gitaly_info":\{'
# CustomersDot
want "gitlab_subscription GET" '--request GET .*/namespaces/5/gitlab_subscription"$' 200 '^\{"plan":\{"code":"premium","name":"Premium",.*"subscription_start_date":"2020-07-15",'
want "gitlab_subscription PUT" '--request PUT .*/namespaces/5/gitlab_subscription\?max_seats_used=0"$' 200 '^\{"plan":\{"code":"premium",.*"max_seats_used":0,'
want minutes '/namespaces/5/minutes ' 201 '^\[\{"namespace_id":5,"expires_at":"2022-01-01","number_of_minutes":10000,"purchase_xid":"demo-gnuwget-pack-1"\}\]$'
want upcoming_reconciliations '/internal/upcoming_reconciliations"$' 200 '^200$'

json_ok() { python3 -c 'import json, sys; json.load(sys.stdin)' <"$1" 2>/dev/null; }
before_counter=$(psql -X -qtA -c "SELECT coalesce((SELECT value FROM reference_counters WHERE gl_repository = 'project-3'), 0)")
while IFS= read -r line; do
	i=-1
	for j in "${!W_CMD[@]}"; do
		if [[ $line =~ ${W_CMD[j]} ]]; then i=$j; break; fi
	done
	if [ "$i" -lt 0 ]; then
		_report 0 "a command this test knows" "command: ${line:0:200}"
		continue
	fi
	W_SEEN[i]=1
	# As pasted into a new shell: nothing of this one's environment.
	: >"$E2E_TMP/body"
	status=$(env -i PATH="$PATH" bash --norc --noprofile -c \
		"$line --silent --show-error --max-time 20 --output '$E2E_TMP/body' --write-out '%{http_code}'" \
		2>"$E2E_TMP/err") || status="curl failed: $(cat "$E2E_TMP/err")"
	body=$(cat "$E2E_TMP/body")
	if [ "$status" = "${W_STATUS[i]}" ] && [[ $body =~ ${W_BODY[i]} ]] && json_ok "$E2E_TMP/body"; then
		_report 1 "demo: ${W_NAME[i]} -> $status"
	else
		_report 0 "demo: ${W_NAME[i]} -> ${W_STATUS[i]}" "command:  ${line:0:300}" \
			"expected: ${W_STATUS[i]} (JSON matching) ${W_BODY[i]}" "got:      $status ${body:0:400}"
	fi
done <"$CMDS"
for j in "${!W_NAME[@]}"; do
	ok_if "the demo prints ${W_NAME[j]}" test "${W_SEEN[j]}" = 1
done
ok_if "project-3's reference counter is back where it was" \
	test "$(psql -X -qtA -c "SELECT coalesce((SELECT value FROM reference_counters WHERE gl_repository = 'project-3'), 0)")" = "$before_counter"

finish
