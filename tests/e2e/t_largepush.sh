#!/usr/bin/env bash
# A push of 100 000 refs (git push --mirror of a big repository), as Gitaly's
# hooks send it through nginx: one /allowed with every change (about 10 MB of
# JSON), pre_receive, and post_receive with a merge request link a branch.
# GitLab sets no cap on changes; glia's are max_body_size (16 MiB) and
# max_changes (500 000), and the protected-ref check stays O(n log n). The
# time glia took for each is printed (from its log), not asserted: speed is
# contrib/bench/large-push's to measure.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
import "$GLIA_SRC/tests/data/e2e-git-access.json"
psql_q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
A=/api/v4/internal/allowed
N=100000
S1=d14d6c0abdd253381df51a723d58691b2ee1ab08
Z=0000000000000000000000000000000000000000

# gen_push FILE KIND: Gitaly's JSON for ga-dev (1003, a Developer) pushing N
# new branches mirror/bNNNNNN to ga-group/private; KIND allowed, pre or post,
# and "protected" for the same push with the protected main updated last.
gen_push() {
	python3 - "$1" "$2" "$N" "$S1" "$Z" <<-'EOF'
		import json, sys
		path, kind, n, sha, zero = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
		lines = ["%s %s refs/heads/mirror/b%06d" % (zero, sha, i) for i in range(n)]
		if kind == "protected":
		    lines[-1] = "%s %s refs/heads/main" % ("1" * 40, sha)
		changes = "\n".join(lines) + "\n"
		if kind in ("allowed", "protected"):
		    body = {"gl_repository": "project-1200", "protocol": "ssh", "changes": changes, "user_id": "1003",
		            "action": "git-receive-pack", "project": "ga-group/private", "env": "{}",
		            "relative_path": "@hashed/aa/bb/x.git"}
		elif kind == "pre":
		    body = {"gl_repository": "project-1200"}
		else:
		    body = {"gl_repository": "project-1200", "identifier": "user-1003", "changes": changes, "push_options": []}
		with open(path, "w") as f:
		    json.dump(body, f)
	EOF
}
gen_push "$E2E_TMP/allowed.json" allowed
gen_push "$E2E_TMP/protected.json" protected
gen_push "$E2E_TMP/post.json" post

# took ROUTE: glia's duration of the last request of ROUTE in its log.
took() { grep -E "route=$1 " "$GLIA_LOG" | tail -n 1 | grep -oE ' [0-9]+ms ' | tr -d ' '; }
json() { curl -sS --max-time 60 -o "$E2E_TMP/body" -w '%{http_code}' -H "$AUTH" -H 'Content-Type: application/json' \
	--data-binary "@$1" "$GLIA_URL$2"; }

ok_if "the push's /allowed body is over 10 MB" test "$(stat -c %s "$E2E_TMP/allowed.json")" -gt 10000000

psql_q "DELETE FROM reference_counters WHERE gl_repository = 'project-1200'" >/dev/null
status=$(json "$E2E_TMP/allowed.json" "$A")
ok_if "/allowed with $N new branches -> 200, status true" \
	bash -c '[ "$1" = 200 ] && grep -q "^{\"status\":true,\"gl_repository\":\"project-1200\"" "$2"' _ "$status" "$E2E_TMP/body"
echo "# /allowed, $N changes: glia took $(took allowed)"

status=$(json "$E2E_TMP/protected.json" "$A")
ok_if "the same push with the protected main updated last -> 401 with GitLab's message" \
	bash -c '[ "$1" = 401 ] && [ "$(cat "$2")" = "{\"status\":false,\"message\":\"You are not allowed to push code to protected branches on this project.\"}" ]' \
	_ "$status" "$E2E_TMP/body"

gen_push "$E2E_TMP/pre.json" pre
status=$(json "$E2E_TMP/pre.json" /api/v4/internal/pre_receive)
ok_if "pre_receive -> 200, counter increased" \
	bash -c '[ "$1" = 200 ] && [ "$(cat "$2")" = "{\"reference_counter_increased\":true}" ]' _ "$status" "$E2E_TMP/body"

status=$(json "$E2E_TMP/post.json" /api/v4/internal/post_receive)
ok_if "post_receive -> 200: a merge request link for each of the $N branches, counter decreased" \
	python3 - "$status" "$E2E_TMP/body" "$N" <<-'EOF'
		import json, sys
		status, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
		body = json.load(open(path))
		msgs = body["messages"]
		assert status == "200", status
		assert body["reference_counter_decreased"] is True
		assert len(msgs) == n, len(msgs)
		assert all(m["type"] == "basic" for m in msgs)
		last = "To create a merge request for mirror/b%06d, visit:" % (n - 1)
		assert msgs[-1]["message"].startswith(last), msgs[-1]
		assert msgs[0]["message"].endswith("merge_request%5Bsource_branch%5D=mirror%2Fb000000"), msgs[0]
	EOF
echo "# post_receive, $N changes: glia took $(took post_receive)"
ok_if "the reference counter is back to 0" test "$(psql_q "SELECT coalesce(max(value), 0) FROM reference_counters WHERE gl_repository = 'project-1200'")" = 0

finish
