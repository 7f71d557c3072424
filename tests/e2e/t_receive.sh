#!/usr/bin/env bash
# POST /api/v4/internal/pre_receive and post_receive: the reference counter
# kept in PostgreSQL, and the messages shown after a push.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
PRE=/api/v4/internal/pre_receive
POST=/api/v4/internal/post_receive
psql_q() { psql -X -qtA -c "$1"; }
counter() { psql_q "SELECT coalesce((SELECT value FROM reference_counters WHERE gl_repository = '$1'), 0)"; }
# external_url as the stack's configuration has it (the default)
URL=$(sed -n 's/^external_url *= *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$GLIA_CONFIG" | tail -1)
URL=${URL:-http://localhost}
Z=0000000000000000000000000000000000000000
N=fd9e76b9136bdd9fe217061b497745792fe5a5ee
M=570e7b2abdd848b95f2f578043fc23bd6f6fd24d
link() { # BRANCH ESCAPED
	printf '{"message":"To create a merge request for %s, visit:\\n  %s/gnuwget/wget2/-/merge_requests/new?merge_request%%5Bsource_branch%%5D=%s","type":"basic"}' "$1" "$URL" "$2"
}
psql_q "DELETE FROM reference_counters WHERE gl_repository LIKE 'project-%' OR gl_repository LIKE 'e2e-%'" >/dev/null

desc "the reference's pre_receive example"
expect 200 '{"reference_counter_increased":true}' POST "$PRE" --request POST --header "$AUTH" --data "gl_repository=project-7"
ok_if "counter of project-7 is 1" test "$(counter project-7)" = 1

desc "the reference's post_receive example, as written (its \\n is two characters, so no branch)"
expect 200 '{"messages":[],"reference_counter_decreased":true}' POST "$POST" --request POST --header "$AUTH" \
	--data "gl_repository=project-7" --data "identifier=user-1" \
	--data "changes=0000000000000000000000000000000000000000 fd9e76b9136bdd9fe217061b497745792fe5a5ee gh-pages\n"
ok_if "counter of project-7 is back to 0" test "$(counter project-7)" = 0

desc "a new branch of gnuwget/wget2: the merge request link"
expect 200 "{\"messages\":[$(link feature feature)],\"reference_counter_decreased\":true}" \
	POST "$POST" -H "$AUTH" --data-urlencode "gl_repository=project-3" --data-urlencode "identifier=key-11" \
	--data-urlencode "changes=$Z $N refs/heads/feature"

desc "gitlab-shell's JSON: two branches, the default one (master) and a deletion get no link; names escaped as Rails does"
expect 200 "{\"messages\":[$(link 'feature/a+b' 'feature%2Fa%2Bb'),$(link 'x&y' 'x%26y')],\"reference_counter_decreased\":true}" \
	POST "$POST" -H "$AUTH" -H 'Content-Type: application/json' \
	--data "{\"gl_repository\":\"project-3\",\"identifier\":\"user-1\",\"push_options\":[\"ci.skip\"],\"changes\":\"$N $M refs/heads/master\\n$Z $N refs/heads/feature/a+b\\n$N $Z refs/heads/gone\\n$Z $N refs/tags/v1\\n\\n$N $M refs/heads/x&y\\n\"}"

desc "a snippet repository: no messages"
expect 200 '{"messages":[],"reference_counter_decreased":true}' POST "$POST" -H "$AUTH" \
	--data-urlencode "gl_repository=snippet-1" --data-urlencode "changes=$Z $N refs/heads/feature"

desc "post_receive below zero: true, and the counter stays at 0"
from=$(log_line)
expect 200 '{"messages":[],"reference_counter_decreased":true}' POST "$POST" -H "$AUTH" --data "gl_repository=e2e-never-raised"
ok_if "counter of e2e-never-raised is 0" test "$(counter e2e-never-raised)" = 0
ok_if "a warning was logged" logged_since "$from" 'Reference counter for e2e-never-raised decreased when its value was less than 1' 

desc "pre_receive twice: +2"
expect 200 '{"reference_counter_increased":true}' POST "$PRE" -H "$AUTH" --data "gl_repository=e2e-twice"
expect 200 '{"reference_counter_increased":true}' POST "$PRE" -H "$AUTH" -H 'Content-Type: application/json' --data '{"gl_repository":"e2e-twice"}'
ok_if "counter of e2e-twice is 2" test "$(counter e2e-twice)" = 2

desc "a counter last raised over 600 s ago has expired, as GitLab's Redis key"
psql_q "UPDATE reference_counters SET updated_at = now() - interval '601 seconds' WHERE gl_repository = 'e2e-twice'" >/dev/null
expect 200 '{"reference_counter_increased":true}' POST "$PRE" -H "$AUTH" --data "gl_repository=e2e-twice"
ok_if "counter of e2e-twice starts again at 1" test "$(counter e2e-twice)" = 1

# --- a push through a moved project's old path: /allowed leaves the notice,
# the push's post_receive shows it, once.
psql_q "INSERT INTO redirect_routes (project_id, path) SELECT 3, 'gnuwget/wget-old'
	WHERE NOT EXISTS (SELECT 1 FROM redirect_routes WHERE path = 'gnuwget/wget-old')" >/dev/null
psql_q "DELETE FROM console_messages" >/dev/null
desc "push through the old path is allowed"
expect_match 200 '^\{"status":true,"gl_repository":"project-3","gl_project_path":"gnuwget/wget2",' \
	POST /api/v4/internal/allowed -H "$AUTH" \
	--data "key_id=11&project=/gnuwget/wget-old.git&action=git-receive-pack&protocol=ssh&changes=_any"
MOVED="{\"message\":\"Project 'gnuwget/wget-old' was moved to 'gnuwget/wget2'.\\n\\nPlease update your Git remote:\\n\\n  git remote set-url origin git@${URL#*://}:gnuwget/wget2.git\\n\",\"type\":\"basic\"}"
desc "its post_receive tells the user to update the remote"
expect 200 "{\"messages\":[$MOVED],\"reference_counter_decreased\":true}" POST "$POST" -H "$AUTH" \
	--data "gl_repository=project-3&identifier=key-11"
desc "only once"
expect 200 '{"messages":[],"reference_counter_decreased":true}' POST "$POST" -H "$AUTH" \
	--data "gl_repository=project-3&identifier=key-11"
desc "an unknown username takes no one's notice"
expect_match 200 '^\{"status":true,' POST /api/v4/internal/allowed -H "$AUTH" \
	--data "key_id=11&project=gnuwget/wget-old&action=git-receive-pack&protocol=ssh&changes=_any"
expect 200 '{"messages":[],"reference_counter_decreased":true}' POST "$POST" -H "$AUTH" \
	--data "gl_repository=project-3&username=nobody-here"
desc "the pusher named by username (case-insensitive) takes it"
expect 200 "{\"messages\":[$MOVED],\"reference_counter_decreased\":true}" POST "$POST" -H "$AUTH" \
	--data "gl_repository=project-3&username=ROOT"
desc "over HTTP, the notice names the HTTP URL, after the merge request link"
expect_match 200 '^\{"status":true,' POST /api/v4/internal/allowed -H "$AUTH" \
	--data "user_id=1&project=gnuwget/wget-old&action=git-receive-pack&protocol=http&changes=_any"
expect 200 "{\"messages\":[$(link feature feature),{\"message\":\"Project 'gnuwget/wget-old' was moved to 'gnuwget/wget2'.\\n\\nPlease update your Git remote:\\n\\n  git remote set-url origin $URL/gnuwget/wget2.git\\n\",\"type\":\"basic\"}],\"reference_counter_decreased\":true}" \
	POST "$POST" -H "$AUTH" --data-urlencode "gl_repository=project-3" --data-urlencode "identifier=user-1" \
	--data-urlencode "changes=$Z $N refs/heads/feature"
desc "a notice older than 300 s is not shown"
expect_match 200 '^\{"status":true,' POST /api/v4/internal/allowed -H "$AUTH" \
	--data "key_id=11&project=gnuwget/wget-old&action=git-receive-pack&protocol=ssh&changes=_any"
psql_q "UPDATE console_messages SET expires_at = now() - interval '1 second'" >/dev/null
expect 200 '{"messages":[],"reference_counter_decreased":true}' POST "$POST" -H "$AUTH" \
	--data "gl_repository=project-3&identifier=key-11"

# --- a broadcast message (configured) comes first, as an alert
reload_with "broadcast_message = Maintenance tonight at 22:00 UTC"
desc "broadcast message before the merge request link"
expect 200 "{\"messages\":[{\"message\":\"Maintenance tonight at 22:00 UTC\",\"type\":\"alert\"},$(link feature feature)],\"reference_counter_decreased\":true}" \
	POST "$POST" -H "$AUTH" --data-urlencode "gl_repository=project-3" --data-urlencode "identifier=user-1" \
	--data-urlencode "changes=$Z $N refs/heads/feature"
reload_with

# --- refusals write nothing
snap=$(psql_q "SELECT string_agg(gl_repository || '=' || value, ',' ORDER BY gl_repository) FROM reference_counters")
desc "pre_receive without gl_repository"
expect 400 '{"error":"gl_repository is missing"}' POST "$PRE" -H "$AUTH" --data ""
desc "gl_repository of 256 characters"
expect 400 '{"error":"gl_repository is invalid"}' POST "$PRE" -H "$AUTH" --data "gl_repository=$(printf 'p%.0s' $(seq 256))"
desc "gl_repository as a JSON number"
expect 400 '{"error":"gl_repository is invalid"}' POST "$PRE" -H "$AUTH" -H 'Content-Type: application/json' --data '{"gl_repository":7}'
desc "post_receive with a bad sha"
expect 400 '{"error":"changes is invalid"}' POST "$POST" -H "$AUTH" --data-urlencode "gl_repository=e2e-twice" \
	--data-urlencode "changes=$Z zzzz refs/heads/x"
desc "post_receive with a 39-character sha"
expect 400 '{"error":"changes is invalid"}' POST "$POST" -H "$AUTH" --data-urlencode "gl_repository=e2e-twice" \
	--data-urlencode "changes=${Z:1} $N refs/heads/x"
reload_with "max_changes = 10000"
desc "post_receive with 10 001 change lines, max_changes = 10000"
lines=$E2E_TMP/changes
for _ in $(seq 10001); do printf '%s %s refs/heads/x\n' "$Z" "$N"; done >"$lines"
expect 400 '{"error":"changes is invalid"}' POST "$POST" -H "$AUTH" --data-urlencode "gl_repository=e2e-twice" \
	--data-urlencode "changes@$lines"
reload_with
desc "push_options of the wrong type"
expect 400 '{"error":"push_options is invalid"}' POST "$POST" -H "$AUTH" -H 'Content-Type: application/json' \
	--data '{"gl_repository":"e2e-twice","push_options":{"a":1}}'
desc "no secret"
expect 401 '{"message":"401 Unauthorized"}' POST "$PRE" --data "gl_repository=e2e-twice"
ok_if "the refusals changed no counter" test "$(psql_q "SELECT string_agg(gl_repository || '=' || value, ',' ORDER BY gl_repository) FROM reference_counters")" = "$snap"

# --- 8 parallel clients, 1000 pre/post pairs over 10 repositories: all end at 0
export GLIA_URL AUTH PRE POST
pairs() { # CLIENT
	for i in $(seq 125); do
		repo="e2e-conc-$(( (i + $1) % 10 ))"
		curl -s -o /dev/null -w '%{http_code}\n' -H "$AUTH" --data "gl_repository=$repo" "$GLIA_URL$PRE"
		curl -s -o /dev/null -w '%{http_code}\n' -H "$AUTH" --data "gl_repository=$repo" "$GLIA_URL$POST"
	done
}
export -f pairs
codes=$(seq 8 | xargs -P 8 -I{} bash -c 'pairs {}' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
ok_if "2000 requests, all 200 ($codes)" test "$codes" = " 2000 200;"
ok_if "every counter back at exactly 0" \
	test "$(psql_q "SELECT count(*) || ':' || coalesce(sum(value), 0) FROM reference_counters WHERE gl_repository LIKE 'e2e-conc-%'")" = "10:0"

finish
