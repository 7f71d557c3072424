#!/usr/bin/env bash
# What current kas posts beside 14.1's endpoints: agent_configuration (the
# agent's ci_access and user_access authorizations, replaced as a whole),
# verify_project_access (project_info's decision, 204 or 404) and
# agent_events (checked, answered 204, kept nowhere); each refusal writes
# nothing.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/tests/data/e2e-kubernetes.json"
import "$GLIA_SRC/tests/data/e2e-kas-config.json"
psql_q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
K=/api/v4/internal/kubernetes

# A fresh start for what this file writes, so that it can run twice.
psql_q "UPDATE cluster_agent_tokens SET revoked = (agent_id = 3003), last_used_at = NULL WHERE agent_id BETWEEN 3001 AND 3003
	OR agent_id = 3108" >/dev/null
psql_q "UPDATE project_features SET repository_access_level = 10 WHERE project_id = 3010" >/dev/null
for t in agent_project_authorizations agent_group_authorizations agent_user_access_project_authorizations \
	agent_user_access_group_authorizations; do
	psql_q "DELETE FROM $t WHERE agent_id IN (3001, 3002, 3003, 3108)" >/dev/null
done

now=$(date +%s)
# What gitlab-kas sends (golang-jwt writes aud as an array).
JWT=$(kas_jwt '{"alg":"HS256","typ":"JWT"}' "$(printf '{"iss":"gitlab-kas","aud":["gitlab"],"exp":%d,"nbf":%d,"iat":%d}' $((now + 300)) $((now - 5)) "$now")")
KASH="Gitlab-Kas-Api-Request: $JWT"
EXPIRED="Gitlab-Kas-Api-Request: $(kas_jwt '{"alg":"HS256","typ":"JWT"}' "$(printf '{"iss":"gitlab-kas","aud":"gitlab","exp":%d}' $((now - 60)))")"
JSON="Content-Type: application/json"
PROD="Authorization: Bearer kas-token-prod"
STAGING="Authorization: Bearer kas-token-staging"
JWT_BAD='{"message":"KAS JWT authentication invalid"}'
UNAUTH='{"message":"401 Unauthorized"}'

# expect_204 DESC METHOD PATH CURL_ARGS...: GitLab's no_content!, an empty
# body (nginx may drop a 204's Content-Type, so expect's check is not used).
expect_204() {
	local d=$1
	shift
	request "$@"
	if [ "$STATUS" = 204 ] && [ -z "$BODY" ]; then _report 1 "$d"; else _report 0 "$d" "expected: 204 (empty)" "got:      $STATUS $BODY"; fi
}
# Every authorization of the agents of this file, one table a line:
# "kind agent:target config".
authorizations() {
	psql_q "SELECT string_agg(kind || ' ' || agent_id || ':' || target || ' ' || config::text, E'\n' ORDER BY kind, agent_id, target) FROM (
		SELECT 'ci_project' kind, agent_id, project_id target, config FROM agent_project_authorizations
		UNION ALL SELECT 'ci_group', agent_id, group_id, config FROM agent_group_authorizations
		UNION ALL SELECT 'ua_project', agent_id, project_id, config FROM agent_user_access_project_authorizations
		UNION ALL SELECT 'ua_group', agent_id, group_id, config FROM agent_user_access_group_authorizations) a
		WHERE agent_id IN (3001, 3002, 3003, 3108)"
}
configure() { # DESC DATA [CURL_ARGS...]: a configuration kas posts -> 204
	local d=$1 data=$2
	shift 2
	expect_204 "agent_configuration: $d -> 204" POST "$K/agent_configuration" -H "$KASH" -H "$JSON" --data "$data" "$@"
}
same() { # DESC GOT WANT: one assertion that GOT is WANT, both shown when not
	if [ "$2" = "$3" ]; then _report 1 "$1"; else _report 0 "$1" "expected: ${3//$'\n'/ | }" "got:      ${2//$'\n'/ | }"; fi
}

# --- agent_configuration: what kas posts (protojson: agent_id as a string,
# the file's fields by their json_name, empty messages as {}), with the
# JWT and no agent token.
CONFIG='{"agent_id":"3001", "agent_config":{"gitops":{"manifest_projects":[{"id":"kas-group/manifests"}]},
 "ci_access":{"projects":[{"id":"kas-group/manifests","default_namespace":"production","access_as":{"agent":{}}},
   {"id":"kas-group/kas-sub/deploy","environments":["review/*","staging"],"protected_branches_only":true},
   {"id":"kas-other/app","default_namespace":"elsewhere"},{"id":"kas-group/no-such-project"}],
  "groups":[{"id":"kas-group/kas-sub","default_namespace":"sub"},{"id":"kas-other"}]},
 "user_access":{"access_as":{"agent":{}},"projects":[{"id":"kas-group/secret"}],"groups":[{"id":"kas-group"}]}}}'
configure "kas's configuration of agent 3001" "$CONFIG"
# kas-other and what is in it lie outside the root namespace of the
# agent's project (kas-group): GitLab skips them, as unknown paths.
same "ci_access and user_access stored, outside the root namespace skipped" "$(authorizations)" \
"ci_group 3001:3102 {\"default_namespace\": \"sub\"}
ci_project 3001:3011 {\"access_as\": {\"agent\": {}}, \"default_namespace\": \"production\"}
ci_project 3001:3104 {\"environments\": [\"review/*\", \"staging\"], \"protected_branches_only\": true}
ua_group 3001:3005 {\"access_as\": {\"agent\": {}}}
ua_project 3001:3008 {\"access_as\": {\"agent\": {}}}"

configure "a second configuration replaces the first" \
	'{"agent_id":3001,"agent_config":{"ci_access":{"projects":[{"id":"KAS-Group/Manifests","default_namespace":"old"},{"id":"kas-group/manifests","default_namespace":"new"}]},"user_access":{"access_as":{"user":{}},"groups":[{"id":"kas-group/kas-sub"}]}}}'
same "paths in any case; a path twice takes its last entry; what is gone loses its row" "$(authorizations)" \
"ci_project 3001:3011 {\"default_namespace\": \"new\"}
ua_group 3001:3102 {\"access_as\": {\"user\": {}}}"

configure "user_access without access_as" \
	'{"agent_id":"3001","agent_config":{"user_access":{"projects":[{"id":"kas-group/manifests"}]}}}'
same "rows with config {}, ci_access emptied" "$(authorizations)" "ua_project 3001:3011 {}"

configure "agent 3108 of a user's project" \
	'{"agent_id":"3108","agent_config":{"ci_access":{"projects":[{"id":"kas-solo/apps"},{"id":"kas-solo/cluster"},{"id":"kas-group/manifests"}],"groups":[{"id":"kas-solo"},{"id":"kas-group"}]}}}'
same "a user's namespace: its projects only, no group" "$(authorizations)" \
"ci_project 3108:3106 {}
ci_project 3108:3107 {}
ua_project 3001:3011 {}"

configure "a file without ci_access or user_access" '{"agent_id":"3108","agent_config":{}}'
same "empties that agent's authorizations, and only its" "$(authorizations)" "ua_project 3001:3011 {}"

# Grape types agent_config as JSON: a string holding the object is parsed.
expect_204 "agent_configuration as a form, agent_config a JSON string -> 204" POST "$K/agent_configuration" -H "$KASH" \
	--data-urlencode 'agent_id=3002' --data-urlencode 'agent_config={"ci_access":{"groups":[{"id":"kas-group"}]}}'
same "stored for agent 3002" "$(authorizations | grep 3002)" "ci_group 3002:3005 {}"

# Only the first 500 entries of a list count (AUTHORIZED_ENTITY_LIMIT): a
# 501st entry is ignored, even a malformed one.
many=$(for i in $(seq 1 499); do printf '{"id":"kas-group/none-%d"},' "$i"; done)
configure "501 entries: the 500th names a project, the 501st is malformed" \
	"{\"agent_id\":\"3002\",\"agent_config\":{\"ci_access\":{\"projects\":[$many{\"id\":\"kas-group/manifests\"},{\"id\":5}]}}}"
same "the first 500 taken" "$(authorizations | grep 3002)" "ci_project 3002:3011 {}"
configure "501 entries: the 501st names a project" \
	"{\"agent_id\":\"3002\",\"agent_config\":{\"ci_access\":{\"projects\":[$many{\"id\":\"kas-group/none\"},{\"id\":\"kas-group/manifests\"}]}}}"
same "the 501st ignored" "$(authorizations | grep 3002 || true)" ""

# --- refusals: each 401, 400 or 404, and nothing written
configure "agent 3002 again, as the state refusals must keep" \
	'{"agent_id":"3002","agent_config":{"ci_access":{"projects":[{"id":"kas-group/private-agent","default_namespace":"x"}]},"user_access":{"access_as":{"agent":{}},"groups":[{"id":"kas-group"}]}}}'
before=$(authorizations)
GOOD_CONFIG='{"ci_access":{"projects":[{"id":"kas-group/manifests"}]},"user_access":{"groups":[{"id":"kas-group/kas-sub"}]}}'
refused() { # STATUS BODY DATA [CURL_ARGS...]
	local s=$1 b=$2 data=$3
	shift 3
	desc "agent_configuration $data -> $s"
	expect "$s" "$b" POST "$K/agent_configuration" -H "$JSON" --data "$data" "$@"
}
refused 401 "$JWT_BAD" "{\"agent_id\":3002,\"agent_config\":$GOOD_CONFIG}"
refused 401 "$JWT_BAD" "{\"agent_id\":3002,\"agent_config\":$GOOD_CONFIG}" -H "$EXPIRED"
refused 401 "$JWT_BAD" "{\"agent_id\":3002,\"agent_config\":$GOOD_CONFIG}" -H "$STAGING"
refused 401 "$JWT_BAD" '{}'	# the JWT before the parameters, as Grape's before block
refused 400 '{"error":"agent_id is missing"}' "{\"agent_config\":$GOOD_CONFIG}" -H "$KASH"
refused 400 '{"error":"agent_id is missing"}' "{\"agent_id\":null,\"agent_config\":$GOOD_CONFIG}" -H "$KASH"
refused 400 '{"error":"agent_config is missing"}' '{"agent_id":3002}' -H "$KASH"
refused 400 '{"error":"agent_id is missing, agent_config is missing"}' '{}' -H "$KASH"
refused 400 '{"error":"agent_id is invalid"}' "{\"agent_id\":\"3002x\",\"agent_config\":$GOOD_CONFIG}" -H "$KASH"
refused 400 '{"error":"agent_id is invalid"}' "{\"agent_id\":3002.5,\"agent_config\":$GOOD_CONFIG}" -H "$KASH"
refused 400 '{"error":"agent_id is invalid, agent_config is invalid"}' '{"agent_id":[3002],"agent_config":"{not json"}' -H "$KASH"
refused 400 '{"error":"agent_config is invalid"}' '{"agent_id":3002,"agent_config":[{"ci_access":{}}]}' -H "$KASH"
refused 400 '{"error":"agent_config is invalid"}' '{"agent_id":3002,"agent_config":"[1]"}' -H "$KASH"
refused 400 '{"error":"agent_config is invalid"}' '{"agent_id":3002,"agent_config":true}' -H "$KASH"
# Clusters::Agent.find raises RecordNotFound: "404 Not found", lower-case f.
refused 404 '{"message":"404 Not found"}' "{\"agent_id\":999999,\"agent_config\":$GOOD_CONFIG}" -H "$KASH"
refused 404 '{"message":"404 Not found"}' "{\"agent_id\":\"-1\",\"agent_config\":$GOOD_CONFIG}" -H "$KASH"
refused 404 '{"message":"404 Not found"}' "{\"agent_id\":0,\"agent_config\":$GOOD_CONFIG}" -H "$KASH"
# A malformed file: GitLab fails on it with a 500 (after writing what came
# before); glia refuses it whole.
refused 400 '{"error":"agent_config[ci_access] is invalid"}' '{"agent_id":3002,"agent_config":{"ci_access":"all"}}' -H "$KASH"
refused 400 '{"error":"agent_config[ci_access][projects] is invalid"}' \
	'{"agent_id":3002,"agent_config":{"ci_access":{"projects":{"id":"kas-group/manifests"}}}}' -H "$KASH"
refused 400 '{"error":"agent_config[ci_access][groups][0] is invalid"}' \
	'{"agent_id":3002,"agent_config":{"ci_access":{"groups":["kas-group"]}}}' -H "$KASH"
refused 400 '{"error":"agent_config[ci_access][projects][1][id] is missing"}' \
	'{"agent_id":3002,"agent_config":{"ci_access":{"projects":[{"id":"kas-group/manifests"},{"default_namespace":"x"}]}}}' -H "$KASH"
refused 400 '{"error":"agent_config[ci_access][projects][0][id] is invalid"}' \
	'{"agent_id":3002,"agent_config":{"ci_access":{"projects":[{"id":3011}]}}}' -H "$KASH"
refused 400 '{"error":"agent_config[user_access][groups][1][id] is missing"}' \
	'{"agent_id":3002,"agent_config":{"ci_access":{"projects":[{"id":"kas-group/manifests"}]},"user_access":{"groups":[{"id":"kas-group"},{"id":null}]}}}' -H "$KASH"
refused 400 '{"error":"agent_config[user_access] is invalid"}' '{"agent_id":3002,"agent_config":{"user_access":[]}}' -H "$KASH"
# MAX_KAS_AGENT_CONFIG: 8192 bytes of one stored config.
big=$(head -c 8200 /dev/zero | tr '\0' n)
refused 400 '{"error":"agent_config[ci_access][projects][0] is too large"}' \
	"{\"agent_id\":3002,\"agent_config\":{\"ci_access\":{\"projects\":[{\"id\":\"kas-group/manifests\",\"default_namespace\":\"$big\"}]}}}" -H "$KASH"
refused 400 '{"error":"agent_config[user_access][access_as] is too large"}' \
	"{\"agent_id\":3002,\"agent_config\":{\"user_access\":{\"access_as\":{\"user\":{\"pad\":\"$big\"}},\"groups\":[{\"id\":\"kas-group\"}]}}}" -H "$KASH"
fits=$(head -c 8150 /dev/zero | tr '\0' n)
configure "a config just under the bound" \
	"{\"agent_id\":3003,\"agent_config\":{\"ci_access\":{\"projects\":[{\"id\":\"kas-group/manifests\",\"default_namespace\":\"$fits\"}]}}}"
same "refusals wrote nothing" "$(authorizations | grep -v '3003:')" "$before"
psql_q "DELETE FROM agent_project_authorizations WHERE agent_id = 3003" >/dev/null
desc "GET agent_configuration -> 405"
expect 405 '{"error":"405 Not Allowed"}' GET "$K/agent_configuration" -H "$KASH"

# --- verify_project_access: project_info's decision, 204 or 404
token_used() { psql_q "SELECT count(*) FROM cluster_agent_tokens WHERE agent_id = $1 AND last_used_at IS NOT NULL"; }
expect_204 "verify_project_access?id=3011 (a public project), as kas asks -> 204" \
	GET "$K/verify_project_access?id=3011" -H "$KASH" -H "$PROD"
ok_if "the agent token's use is recorded" test "$(token_used 3001)" = 1
expect_204 "verify_project_access by URL-encoded full path -> 204" \
	GET "$K/verify_project_access?id=kas-group%2Fmanifests" -H "$KASH" -H "$PROD"
expect_204 "verify_project_access: the agent's own private project -> 204" \
	GET "$K/verify_project_access?id=3007" -H "$KASH" -H "$STAGING"
for id in 3008 3009 3010 3007 3104 999999 0 kas-group kas-group%2Fsecret kas-group%2Fmanifests.git 12abc ""; do
	desc "verify_project_access?id=$id (not public, not the agent's, or no project) -> 404"
	expect 404 '{"message":"404 Not Found"}' GET "$K/verify_project_access?id=$id" -H "$KASH" -H "$PROD"
done
desc "verify_project_access without id -> 400 (as project_info)"
expect 400 '{"error":"id is missing"}' GET "$K/verify_project_access" -H "$KASH" -H "$PROD"
psql_q "UPDATE cluster_agent_tokens SET last_used_at = NULL WHERE agent_id IN (3001, 3002, 3003)" >/dev/null
desc "verify_project_access without the JWT -> 401"
expect 401 "$JWT_BAD" GET "$K/verify_project_access?id=3011" -H "$PROD"
desc "verify_project_access with an expired JWT -> 401"
expect 401 "$JWT_BAD" GET "$K/verify_project_access?id=3011" -H "$EXPIRED" -H "$PROD"
desc "verify_project_access without an agent token -> 401"
expect 401 "$UNAUTH" GET "$K/verify_project_access?id=3011" -H "$KASH"
desc "verify_project_access with an unknown agent token -> 401"
expect 401 "$UNAUTH" GET "$K/verify_project_access?id=3011" -H "$KASH" -H "Authorization: Bearer NONEXISTENT"
desc "verify_project_access with a revoked agent token -> 401"
expect 401 "$UNAUTH" GET "$K/verify_project_access?id=3011" -H "$KASH" -H "Authorization: Bearer kas-token-revoked"
ok_if "refusals recorded no token use" test "$(token_used 3001)$(token_used 3003)" = 00
desc "POST verify_project_access -> 405"
expect 405 '{"error":"405 Not Allowed"}' POST "$K/verify_project_access?id=3011" -H "$KASH" -H "$PROD"

# --- agent_events: checked as Grape checks them, 204, nothing kept
# A data-only dump without its comments and its random \restrict key.
dump_sum() { pg_dump -a 2>/dev/null | grep -Ev '^(--|\\(un)?restrict )' | sha256sum; }
before=$(dump_sum)
EVENTS='{"events":{"k8s_api_proxy_requests_unique_users_via_ci_access":[{"user_id":3001,"project_id":3011}],
 "k8s_api_proxy_requests_unique_users_via_user_access":[{"user_id":3001,"project_id":3006},{"user_id":"3101","project_id":"3106"}],
 "k8s_api_proxy_requests_unique_users_via_pat_access":[],
 "register_agent_at_kas":[{"project_id":3006,"agent_version":"v17.1.0","architecture":"arm64"},
  {"project_id":3106,"agent_version":"v18.0.0","architecture":"amd64","agent_id":3108,"kubernetes_version":"1.33",
   "extra_telemetry_data":{"installation_method":"helm-chart","helm_chart_version":"1.0.0"}}]}}'
events() { # DESC DATA: agent_events -> 204
	expect_204 "agent_events: $1 -> 204" POST "$K/agent_events" -H "$KASH" -H "$JSON" --data "$2"
}
events "every event current GitLab reads" "$EVENTS"
events "empty lists" '{"events":{"k8s_api_proxy_requests_unique_users_via_ci_access":[],"register_agent_at_kas":[]}}'
events "no events" '{}'
events "events null" '{"events":null}'
events "an event GitLab does not read, a null event, an unknown field" \
	'{"events":{"agent_users_using_ci_tunnel":[7],"register_agent_at_kas":[null,{"project_id":3006,"os":"linux","agent_version":17}]}}'
event_refused() { # BODY DATA [CURL_ARGS...]
	local b=$1 data=$2
	shift 2
	desc "agent_events $data -> 400"
	expect 400 "$b" POST "$K/agent_events" -H "$KASH" -H "$JSON" --data "$data" "$@"
}
event_refused '{"error":"events is invalid"}' '{"events":"all"}'
event_refused '{"error":"events is invalid"}' '{"events":[{"user_id":1}]}'
event_refused '{"error":"events[k8s_api_proxy_requests_unique_users_via_ci_access] is invalid"}' \
	'{"events":{"k8s_api_proxy_requests_unique_users_via_ci_access":{"user_id":1}}}'
event_refused '{"error":"events[register_agent_at_kas] is invalid"}' '{"events":{"register_agent_at_kas":[7]}}'
# GitLab's own example of a refusal.
event_refused '{"error":"events[k8s_api_proxy_requests_unique_users_via_ci_access][0][user_id] is invalid"}' \
	'{"events":{"k8s_api_proxy_requests_unique_users_via_ci_access":[{"user_id":"string","project_id":111}]}}'
event_refused '{"error":"events[k8s_api_proxy_requests_unique_users_via_pat_access][1][project_id] is invalid"}' \
	'{"events":{"k8s_api_proxy_requests_unique_users_via_pat_access":[{"user_id":1},{"project_id":1.5}]}}'
event_refused '{"error":"events[register_agent_at_kas][0][architecture] is invalid"}' \
	'{"events":{"register_agent_at_kas":[{"architecture":["amd64"]}]}}'
event_refused '{"error":"events[register_agent_at_kas][0][extra_telemetry_data] is invalid"}' \
	'{"events":{"register_agent_at_kas":[{"extra_telemetry_data":"helm"}]}}'
event_refused '{"error":"events[register_agent_at_kas][0][extra_telemetry_data][helm_chart_version] is invalid"}' \
	'{"events":{"register_agent_at_kas":[{"extra_telemetry_data":{"helm_chart_version":{}}}]}}'
desc "agent_events without the JWT -> 401"
expect 401 "$JWT_BAD" POST "$K/agent_events" -H "$JSON" --data "$EVENTS"
desc "agent_events with an expired JWT -> 401"
expect 401 "$JWT_BAD" POST "$K/agent_events" -H "$EXPIRED" -H "$JSON" --data "$EVENTS"
ok_if "agent_events wrote nothing at all" test "$(dump_sum)" = "$before"

finish
