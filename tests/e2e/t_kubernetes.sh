#!/usr/bin/env bash
# The Kubernetes agent server's endpoints: the kas JWT (HS256 only, iss,
# aud, exp, nbf, length), the agent token, agent_info, project_info,
# usage_metrics, cilium_alert; every refusal writes nothing; glia refuses to
# start with a bad kas secret file.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/tests/data/e2e-kubernetes.json"
psql_q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
K=/api/v4/internal/kubernetes

# A fresh start for what this file writes, so that it can run twice.
psql_q "UPDATE cluster_agent_tokens SET revoked = (agent_id = 3003), last_used_at = NULL WHERE agent_id BETWEEN 3001 AND 3003" >/dev/null
psql_q "UPDATE project_features SET repository_access_level = 10 WHERE project_id = 3010" >/dev/null
psql_q "DELETE FROM kubernetes_usage_counters; DELETE FROM alert_management_alerts WHERE project_id BETWEEN 3000 AND 3999" >/dev/null

HS256='{"alg":"HS256","typ":"JWT"}'
now=$(date +%s)
# What gitlab-kas sends (golang-jwt writes aud as an array).
CLAIMS=$(printf '{"iss":"gitlab-kas","aud":["gitlab"],"exp":%d,"nbf":%d,"iat":%d}' $((now + 300)) $((now - 5)) "$now")
JWT=$(kas_jwt "$HS256" "$CLAIMS")
KASH="Gitlab-Kas-Api-Request: $JWT"
PROD="Authorization: Bearer kas-token-prod"
STAGING="Authorization: Bearer kas-token-staging"

hashed() { local h; h=$(printf %s "$1" | sha256sum | cut -c1-64); printf '@hashed/%s/%s/%s.git' "${h:0:2}" "${h:2:2}" "$h"; }
GITALY='"gitaly_info":{"address":"unix:/var/opt/gitlab/gitaly/gitaly.socket","token":"","features":{}}'
# gitaly_repository, then default_branch (current GitLab's
# default_branch_or_main: "main" when the project has none).
repo_json() { printf '"gitaly_repository":{"storage_name":"default","relative_path":"%s","gl_repository":"project-%d","gl_project_path":"%s"},"default_branch":"%s"' "$(hashed "$1")" "$1" "$2" "${3:-main}"; }
AGENT_INFO="{\"project_id\":3006,\"agent_id\":3001,\"agent_name\":\"prod\",$GITALY,$(repo_json 3006 kas-group/agent-config)}"
MANIFESTS="{\"project_id\":3011,$GITALY,$(repo_json 3011 kas-group/manifests release)}"
UNAUTH='{"message":"401 Unauthorized"}'
JWT_BAD='{"message":"KAS JWT authentication invalid"}'
NOT_FOUND='{"message":"404 Not Found"}'

# expect_204 DESC CURL_ARGS...: 204 with an empty body (nginx drops the
# Content-Type of a 204, so expect's header check does not apply).
expect_204() {
	local d=$1
	shift
	request POST "$K/usage_metrics" "$@"
	if [ "$STATUS" = 204 ] && [ -z "$BODY" ]; then _report 1 "$d"; else _report 0 "$d" "expected: 204 (empty)" "got:      $STATUS $BODY"; fi
}
counters() { psql_q "SELECT coalesce(string_agg(event || '=' || count, ',' ORDER BY event), '') FROM kubernetes_usage_counters"; }
alerts() { psql_q "SELECT count(*) || '/' || coalesce(sum(events), 0) FROM alert_management_alerts WHERE project_id BETWEEN 3000 AND 3999"; }
token_state() { psql_q "SELECT string_agg(id || ':' || revoked || ':' || coalesce(last_used_at::text, '-'), ',' ORDER BY id) FROM cluster_agent_tokens WHERE agent_id BETWEEN 3001 AND 3003"; }

# --- the reference's curl examples, with a JWT made here
desc "agent_info, the reference's example"
expect 200 "$AGENT_INFO" GET "$K/agent_info" --request GET --header "$KASH" --header "$PROD"
ok_if "the token's use is recorded" test "$(psql_q "SELECT count(*) FROM cluster_agent_tokens WHERE agent_id = 3001 AND last_used_at IS NOT NULL")" = 1

desc "agent_info at current GitLab's /internal/agents/agentk/agent_info"
expect 200 "$AGENT_INFO" GET /api/v4/internal/agents/agentk/agent_info -H "$KASH" -H "$PROD"
desc "the agent token in Gitlab-Agentk-Api-Request, where current kas moves it"
expect 200 "$AGENT_INFO" GET "$K/agent_info" -H "$KASH" -H "Gitlab-Agentk-Api-Request: kas-token-prod"
desc "Authorization, when sent, is the one read (as GitLab): a wrong Bearer beside a good Gitlab-Agentk-Api-Request -> 401"
expect 401 '{"message":"401 Unauthorized"}' GET "$K/agent_info" -H "$KASH" -H "Authorization: Bearer kas-token-nope" \
	-H "Gitlab-Agentk-Api-Request: kas-token-prod"
desc "Gitlab-Agentk-Api-Request is the token itself, not Bearer TOKEN -> 401"
expect 401 '{"message":"401 Unauthorized"}' GET "$K/agent_info" -H "$KASH" -H "Gitlab-Agentk-Api-Request: Bearer kas-token-prod"
desc "agentk/agent_info: the same authentication (no agent token -> 401)"
expect 401 '{"message":"401 Unauthorized"}' GET /api/v4/internal/agents/agentk/agent_info -H "$KASH"

desc "project_info?id=N, the reference's example shape (public project)"
expect 200 "$MANIFESTS" GET "$K/project_info?id=3011" --request GET --header "$KASH" --header "$PROD"

desc "usage_metrics, the reference's example"
expect_204 "usage_metrics -> 204 (reference example)" --request POST --header "$KASH" --header "Content-Type: application/json" \
	--data '{"gitops_sync_count":1}'
ok_if "gitops_sync counted once" test "$(counters)" = "gitops_sync=1"

desc "cilium_alert, the reference's alert (sent as a JSON object)"
expect 200 '200' POST "$K/modules/cilium_alert" --request POST --header "$KASH" --header "$PROD" \
	--header "Content-Type: application/json" \
	--data '{"alert":{"title":"minimal","message":"network problem","evalMatches":[{"value":1,"metric":"Count","tags":{}}]}}'
ok_if "one alert stored on the agent's project" \
	test "$(psql_q "SELECT count(*) FROM alert_management_alerts WHERE project_id = 3006 AND cluster_agent_id = 3001 AND title = 'minimal' AND description = 'network problem' AND payload->'evalMatches'->0->>'metric' = 'Count'")" = 1

desc "cilium_alert, the reference's example as written (its body a JSON string holding the object)"
expect 200 '200' POST "$K/modules/cilium_alert" --request POST --header "$KASH" --header "$PROD" \
	--header "Content-Type: application/json" \
	--data '"{\"alert\":{\"title\":\"minimal\",\"message\":\"network problem\",\"evalMatches\":[{\"value\":1,\"metric\":\"Count\",\"tags\":{}}]}}"'
ok_if "stored too (no fingerprint, so a second alert)" \
	test "$(psql_q "SELECT count(*) FROM alert_management_alerts WHERE project_id = 3006 AND title = 'minimal' AND description = 'network problem'")" = 2

# --- JWT refusals: each 401, on an endpoint that would write
before_c=$(counters)
before_a=$(alerts)
before_t=$(token_state)
jwt_refused() { # DESC TOKEN
	desc "usage_metrics: $1 -> 401"
	expect 401 "$JWT_BAD" POST "$K/usage_metrics" -H "Gitlab-Kas-Api-Request: $2" -H "Content-Type: application/json" \
		--data '{"gitops_sync_count":5,"k8s_api_proxy_request_count":5}'
	desc "cilium_alert: $1 -> 401"
	expect 401 "$JWT_BAD" POST "$K/modules/cilium_alert" -H "Gitlab-Kas-Api-Request: $2" -H "$PROD" \
		-H "Content-Type: application/json" --data '{"alert":{"title":"refused"}}'
}
desc "no JWT header -> 401"
expect 401 "$JWT_BAD" POST "$K/usage_metrics" -H "Content-Type: application/json" --data '{"gitops_sync_count":5}'
desc "no JWT header (agent_info) -> 401"
expect 401 "$JWT_BAD" GET "$K/agent_info" -H "$PROD"
jwt_refused "empty JWT" ""
jwt_refused "alg none" "$(printf %s '{"alg":"none","typ":"JWT"}' | b64url).$(printf %s "$CLAIMS" | b64url)."
jwt_refused "HS512 with the right secret" "$(kas_jwt '{"alg":"HS512","typ":"JWT"}' "$CLAIMS" sha512)"
jwt_refused "HS384 with the right secret" "$(kas_jwt '{"alg":"HS384","typ":"JWT"}' "$CLAIMS" sha384)"
jwt_refused '"alg":"hs256"' "$(kas_jwt '{"alg":"hs256","typ":"JWT"}' "$CLAIMS")"
jwt_refused "wrong signature" "$(kas_jwt "$HS256" "$CLAIMS" sha256 "$(printf %064x 7)")"
jwt_refused "tampered payload" "${JWT%%.*}.$(printf '{"iss":"gitlab-kas","aud":"gitlab"}' | b64url).${JWT##*.}"
jwt_refused "the shell secret's JWT" "$(shell_jwt)"
jwt_refused "wrong iss" "$(kas_jwt "$HS256" "$(printf '{"iss":"gitlab-shell","aud":"gitlab","exp":%d}' $((now + 300)))")"
jwt_refused "no iss" "$(kas_jwt "$HS256" "$(printf '{"aud":"gitlab","exp":%d}' $((now + 300)))")"
jwt_refused "wrong aud" "$(kas_jwt "$HS256" "$(printf '{"iss":"gitlab-kas","aud":"gitlab-shell","exp":%d}' $((now + 300)))")"
jwt_refused "aud array without gitlab" "$(kas_jwt "$HS256" "$(printf '{"iss":"gitlab-kas","aud":["kas"],"exp":%d}' $((now + 300)))")"
jwt_refused "expired" "$(kas_jwt "$HS256" "$(printf '{"iss":"gitlab-kas","aud":"gitlab","exp":%d}' $((now - 60)))")"
jwt_refused "not yet valid" "$(kas_jwt "$HS256" "$(printf '{"iss":"gitlab-kas","aud":"gitlab","nbf":%d}' $((now + 120)))")"
jwt_refused "exp not an integer" "$(kas_jwt "$HS256" '{"iss":"gitlab-kas","exp":"tomorrow"}')"
pad=$(head -c 10240 /dev/zero | tr '\0' x)
jwt_refused "10 KB token" "$(kas_jwt "$HS256" "$(printf '{"iss":"gitlab-kas","aud":"gitlab","exp":%d,"pad":"%s"}' $((now + 300)) "$pad")")"
jwt_refused "two segments" "${JWT%.*}"
desc "the JWT header twice -> 401"
expect 401 "$JWT_BAD" POST "$K/usage_metrics" -H "$KASH" -H "$KASH" -H "Content-Type: application/json" \
	--data '{"gitops_sync_count":5}'
ok_if "refused JWTs wrote no counter" test "$(counters)" = "$before_c"
ok_if "refused JWTs stored no alert" test "$(alerts)" = "$before_a"
ok_if "refused JWTs touched no token" test "$(token_state)" = "$before_t"

desc "a token without aud (GitLab 14.0 checks only iss) is accepted"
expect 200 "$MANIFESTS" GET "$K/project_info?id=3011" -H "Gitlab-Kas-Api-Request: $(kas_jwt "$HS256" '{"iss":"gitlab-kas"}')" -H "$PROD"
desc "aud as a string is accepted"
expect 200 "$AGENT_INFO" GET "$K/agent_info" -H "Gitlab-Kas-Api-Request: $(kas_jwt "$HS256" "$(printf '{"iss":"gitlab-kas","aud":"gitlab","exp":%d}' $((now + 300)))")" -H "$PROD"

# --- agent token refusals
token_refused() { # DESC CURL_ARGS...
	local d=$1
	shift
	for ep in agent_info "project_info?id=3011"; do
		desc "$ep: $d -> 401"
		expect 401 "$UNAUTH" GET "$K/$ep" -H "$KASH" "$@"
	done
	desc "cilium_alert: $d -> 401"
	expect 401 "$UNAUTH" POST "$K/modules/cilium_alert" -H "$KASH" "$@" -H "Content-Type: application/json" \
		--data '{"alert":{"title":"refused"}}'
}
token_refused "no Authorization"
token_refused "unknown token" -H "Authorization: Bearer NONEXISTENT"
token_refused "revoked token" -H "Authorization: Bearer kas-token-revoked"
token_refused "Basic scheme" -H "Authorization: Basic a2FzLXRva2VuLXByb2Q="
token_refused "two spaces" -H "Authorization: Bearer  kas-token-prod"
token_refused "no token" -H "Authorization: Bearer"
# (Two Authorization headers never reach glia: nginx answers 400 itself.)
ok_if "refused tokens stored no alert" test "$(alerts)" = "$before_a"
ok_if "refused tokens touched no token" test "$(token_state)" = "$before_t"
desc "the scheme is matched case-insensitively"
expect 200 "$AGENT_INFO" GET "$K/agent_info" -H "$KASH" -H "Authorization: bearer kas-token-prod"
desc "usage_metrics needs no agent token"
expect_204 "usage_metrics without Authorization -> 204" -H "$KASH" --data "k8s_api_proxy_request_count=2"

# --- project_info
desc "by URL-encoded full path"
expect 200 "$MANIFESTS" GET "$K/project_info?id=kas-group%2Fmanifests" -H "$KASH" -H "$PROD"
desc "by full path, other case"
expect 200 "$MANIFESTS" GET "$K/project_info?id=KAS-group%2FManifests" -H "$KASH" -H "$PROD"
for id in 3008 kas-group%2Fsecret 3009 3010 3007 999999 0 kas-group%2Fmanifests.git %2Fkas-group%2Fmanifests kas-group%2Fmanifests.wiki manifests 12abc ""; do
	desc "project_info?id=$id (not public, or not a project) -> 404"
	expect 404 "$NOT_FOUND" GET "$K/project_info?id=$id" -H "$KASH" -H "$PROD"
done
desc "the agent's own private project -> 200"
expect 200 "{\"project_id\":3007,$GITALY,$(repo_json 3007 kas-group/private-agent)}" GET "$K/project_info?id=3007" -H "$KASH" -H "$STAGING"
desc "id missing -> 400"
expect 400 '{"error":"id is missing"}' GET "$K/project_info" -H "$KASH" -H "$PROD"
desc "id as an array -> 400"
expect 400 '{"error":"id is invalid"}' GET "$K/project_info?id[]=3011" -H "$KASH" -H "$PROD"
desc "id null: without a value, as every parameter -> 400 missing"
expect 400 '{"error":"id is missing"}' GET "$K/project_info" -H "$KASH" -H "$PROD" -H "Content-Type: application/json" --data '{"id":null}' -X GET
desc "agent_info of the staging agent"
expect 200 "{\"project_id\":3007,\"agent_id\":3002,\"agent_name\":\"staging\",$GITALY,$(repo_json 3007 kas-group/private-agent)}" \
	GET "$K/agent_info" -H "$KASH" -H "$STAGING"

# --- usage_metrics
psql_q "DELETE FROM kubernetes_usage_counters" >/dev/null
expect_204 "both counts -> 204" -H "$KASH" -H "Content-Type: application/json" \
	--data '{"gitops_sync_count":10,"k8s_api_proxy_request_count":5}'
expect_204 "counts as strings (Grape coerces) -> 204" -H "$KASH" -H "Content-Type: application/json" \
	--data '{"gitops_sync_count":"3","k8s_api_proxy_request_count":"0"}'
expect_204 "both zero -> 204" -H "$KASH" -H "Content-Type: application/json" \
	--data '{"gitops_sync_count":0,"k8s_api_proxy_request_count":0}'
expect_204 "no counts -> 204" -H "$KASH" -H "Content-Type: application/json" --data '{}'
ok_if "counters added" test "$(counters)" = "gitops_sync=13,k8s_api_proxy_request=5"
before_c=$(counters)
usage_refused() { # STATUS BODY DATA
	desc "usage_metrics $3 -> $1"
	expect "$1" "$2" POST "$K/usage_metrics" -H "$KASH" -H "Content-Type: application/json" --data "$3"
}
usage_refused 400 '{"error":"gitops_sync_count is invalid"}' '{"gitops_sync_count":"string"}'
usage_refused 400 '{"error":"gitops_sync_count is invalid"}' '{"gitops_sync_count":1.5}'
usage_refused 400 '{"error":"gitops_sync_count is invalid"}' '{"gitops_sync_count":"12abc","k8s_api_proxy_request_count":1}'
usage_refused 400 '{"error":"k8s_api_proxy_request_count is invalid"}' '{"k8s_api_proxy_request_count":true}'
usage_refused 400 '{"error":"gitops_sync_count is invalid, k8s_api_proxy_request_count is invalid"}' \
	'{"gitops_sync_count":[1],"k8s_api_proxy_request_count":false}'
usage_refused 400 '{"error":"gitops_sync_count is invalid"}' '{"gitops_sync_count":[1],"k8s_api_proxy_request_count":null}'
usage_refused 400 '{"error":"gitops_sync_count is invalid"}' '{"gitops_sync_count":"99999999999999999999"}'
usage_refused 400 '{"message":"400 Bad request - invalid JSON body"}' '{"gitops_sync_count":99999999999999999999}'
usage_refused 400 '{"message":"400 Bad request - gitops_sync count must be greater than or equal to zero"}' \
	'{"gitops_sync_count":-1,"k8s_api_proxy_request_count":1}'
usage_refused 400 '{"message":"400 Bad request - k8s_api_proxy_request count must be greater than or equal to zero"}' \
	'{"gitops_sync_count":1,"k8s_api_proxy_request_count":"-5"}'
desc "usage_metrics form body, negative -> 400"
expect 400 '{"message":"400 Bad request - gitops_sync count must be greater than or equal to zero"}' \
	POST "$K/usage_metrics" -H "$KASH" --data "gitops_sync_count=-1"
ok_if "refused counts added nothing" test "$(counters)" = "$before_c"
psql_q "UPDATE kubernetes_usage_counters SET count = 9223372036854775800 WHERE event = 'k8s_api_proxy_request'" >/dev/null
usage_refused 400 '{"message":"400 Bad request - invalid value"}' '{"gitops_sync_count":1,"k8s_api_proxy_request_count":100}'
ok_if "an overflowing total adds neither counter" \
	test "$(counters)" = "gitops_sync=13,k8s_api_proxy_request=9223372036854775800"

# --- usage_metrics in current GitLab's shape (kas since about GitLab 15)
# The counters of 14.1's events stay as they are for glia-admin stats below.
psql_q "DELETE FROM kubernetes_usage_counters WHERE event NOT IN ('gitops_sync', 'k8s_api_proxy_request');
	UPDATE kubernetes_usage_counters SET count = 0 WHERE event = 'k8s_api_proxy_request';
	DELETE FROM kubernetes_usage_unique_ids" >/dev/null
uniques() { psql_q "SELECT coalesce(string_agg(event || ':' || id, ',' ORDER BY event, id), '') FROM kubernetes_usage_unique_ids WHERE day = (now() AT TIME ZONE 'UTC')::date"; }
expect_204 "counters and unique_counters as current kas sends them -> 204" -H "$KASH" -H "Content-Type: application/json" \
	--data '{"counters":{"k8s_api_proxy_request":4,"flux_git_push_notifications_total":2,"k8s_api_proxy_requests_via_ci_access":1,"k8s_api_proxy_requests_via_user_access":0,"k8s_api_proxy_requests_via_pat_access":3},"unique_counters":{"k8s_api_proxy_requests_unique_users_via_ci_access":[7,7,9],"k8s_api_proxy_requests_unique_agents_via_ci_access":[3001],"flux_git_push_notified_unique_projects":[]}}'
ok_if "counters added (a zero adds no row)" test "$(counters)" = \
	"flux_git_push_notifications_total=2,gitops_sync=13,k8s_api_proxy_request=4,k8s_api_proxy_requests_via_ci_access=1,k8s_api_proxy_requests_via_pat_access=3"
ok_if "unique counters keep distinct ids per day" test "$(uniques)" = \
	"k8s_api_proxy_requests_unique_agents_via_ci_access:3001,k8s_api_proxy_requests_unique_users_via_ci_access:7,k8s_api_proxy_requests_unique_users_via_ci_access:9"
expect_204 "the same ids again, and one more, with the old flat count -> 204" -H "$KASH" -H "Content-Type: application/json" \
	--data '{"k8s_api_proxy_request_count":1,"counters":{"k8s_api_proxy_request":"2"},"unique_counters":{"k8s_api_proxy_requests_unique_users_via_ci_access":[9,"11"]}}'
ok_if "the flat and the nested count add up" test "$(psql_q "SELECT count FROM kubernetes_usage_counters WHERE event = 'k8s_api_proxy_request'")" = 7
ok_if "ids seen before are not counted twice" test "$(psql_q "SELECT count(*) FROM kubernetes_usage_unique_ids WHERE event = 'k8s_api_proxy_requests_unique_users_via_ci_access'")" = 3
before_c=$(counters)
before_u=$(uniques)
usage_refused 400 '{"error":"counters is invalid"}' '{"counters":"k8s_api_proxy_request"}'
usage_refused 400 '{"error":"counters is invalid"}' '{"counters":[1]}'
usage_refused 400 '{"error":"counters[k8s_api_proxy_request] is invalid"}' '{"counters":{"k8s_api_proxy_request":1.5}}'
usage_refused 400 '{"error":"counters[k8s_api_proxy_request] is invalid"}' '{"counters":{"k8s_api_proxy_request":"many"}}'
usage_refused 400 '{"error":"counters[gitops_syncs] is not a known counter"}' '{"counters":{"k8s_api_proxy_request":1,"gitops_syncs":1}}'
usage_refused 400 '{"message":"400 Bad request - flux_git_push_notifications_total count must be greater than or equal to zero"}' \
	'{"counters":{"k8s_api_proxy_request":1,"flux_git_push_notifications_total":-2}}'
usage_refused 400 '{"error":"unique_counters is invalid"}' '{"counters":{"k8s_api_proxy_request":1},"unique_counters":[7]}'
usage_refused 400 '{"error":"unique_counters[flux_git_push_notified_unique_projects] is invalid"}' \
	'{"counters":{"k8s_api_proxy_request":1},"unique_counters":{"flux_git_push_notified_unique_projects":[1,"x"]}}'
usage_refused 400 '{"error":"unique_counters[flux_git_push_notified_unique_projects] is invalid"}' \
	'{"unique_counters":{"flux_git_push_notified_unique_projects":[0]}}'
usage_refused 400 '{"error":"unique_counters[flux_git_push_notified_unique_projects] is invalid"}' \
	'{"unique_counters":{"flux_git_push_notified_unique_projects":7}}'
usage_refused 400 '{"error":"unique_counters[k8s_api_proxy_request] is not a known counter"}' \
	'{"unique_counters":{"k8s_api_proxy_request":[7]}}'
ok_if "refused reports wrote nothing, not even their good parts" \
	test "$(counters)|$(uniques)" = "$before_c|$before_u"

# --- cilium_alert
before_a=$(alerts)
alert_refused() { # STATUS BODY DATA
	desc "cilium_alert $3 -> $1"
	expect "$1" "$2" POST "$K/modules/cilium_alert" -H "$KASH" -H "$PROD" -H "Content-Type: application/json" --data "$3"
}
alert_refused 400 '{"error":"alert is missing"}' '{}'
alert_refused 400 '{"error":"alert is missing"}' '{"alert":null}'
alert_refused 400 '{"error":"alert is invalid"}' '{"alert":"network problem"}'
alert_refused 400 '{"error":"alert is invalid"}' '{"alert":[{"title":"x"}]}'
alert_refused 400 '{"message":"400 Bad request - title is missing"}' '{"alert":{"title":"  "}}'
alert_refused 400 '{"message":"400 Bad request - title must be a string of at most 200 characters"}' '{"alert":{"title":5}}'
alert_refused 400 '{"message":"400 Bad request - title must be a string of at most 200 characters"}' \
	"{\"alert\":{\"title\":\"$(head -c 201 /dev/zero | tr '\0' t)\"}}"
alert_refused 400 '{"message":"400 Bad request - description must be a string of at most 1000 characters"}' \
	'{"alert":{"title":"t","description":{}}}'
alert_refused 400 '{"message":"400 Bad request - title must be a string of at most 200 characters"}' \
	'{"alert":{"ciliumNetworkPolicy":{"metadata":{"name":["np"]}}}}'
alert_refused 400 '{"message":"400 Bad request - description must be a string of at most 1000 characters"}' \
	"{\"alert\":{\"flow\":{\"dropReasonDesc\":\"$(head -c 1001 /dev/zero | tr '\0' d)\"}}}"
desc "cilium_alert form body -> 400"
expect 400 '{"error":"alert is invalid"}' POST "$K/modules/cilium_alert" -H "$KASH" -H "$PROD" --data "alert=x"
ok_if "refused alerts stored nothing" test "$(alerts)" = "$before_a"
for i in 1 2; do
	desc "alert with a fingerprint, time $i"
	expect 200 '200' POST "$K/modules/cilium_alert" -H "$KASH" -H "$STAGING" -H "Content-Type: application/json" \
		--data '{"alert":{"title":"drop","description":"flow dropped","severity":"high","fingerprint":"abc","monitoring_tool":"Cilium"}}'
done
# agentk's alert (internal/module/cilium_alert): a Hubble flow and the
# CiliumNetworkPolicy that dropped it, no title; GitLab's Payload::Cilium.
AGENTK_ALERT='{"alert":{"flow":{"time":"2021-06-01T10:00:00Z","verdict":"DROPPED","drop_reason":133,"dropReasonDesc":"POLICY_DENIED","source":{"namespace":"default","pod_name":"client"},"destination":{"namespace":"default","pod_name":"server"},"Type":"L3_L4"},"ciliumNetworkPolicy":{"kind":"CiliumNetworkPolicy","apiVersion":"cilium.io/v2","metadata":{"name":"deny-egress","namespace":"default","uid":"7d0e"},"spec":{"endpointSelector":{}}}}}'
desc "cilium_alert as agentk posts it, to .../cilium_alert/ as kas's module proxy does"
expect 200 '200' POST "$K/modules/cilium_alert/" -H "$KASH" -H "$STAGING" -H "Content-Type: application/json" --data "$AGENTK_ALERT"
ok_if "stored with the policy's name as title, the drop reason as description, tool Cilium" \
	test "$(psql_q "SELECT count(*) FROM alert_management_alerts WHERE project_id = 3007 AND title = 'deny-egress' AND description = 'POLICY_DENIED' AND monitoring_tool = 'Cilium' AND payload->'flow'->>'verdict' = 'DROPPED'")" = 1
desc "cilium_alert without a policy name or title: GitLab's DEFAULT_TITLE"
expect 200 '200' POST "$K/modules/cilium_alert" -H "$KASH" -H "$STAGING" -H "Content-Type: application/json" \
	--data '{"alert":{"flow":{"verdict":"DROPPED"},"ciliumNetworkPolicy":{"metadata":{}}}}'
desc "cilium_alert with no known field at all (GitLab 14.0 answered 400): DEFAULT_TITLE"
expect 200 '200' POST "$K/modules/cilium_alert" -H "$KASH" -H "$STAGING" -H "Content-Type: application/json" \
	--data '{"alert":{"temp":{}}}'
ok_if "both stored as 'New: Alert' without a description" \
	test "$(psql_q "SELECT count(*) FROM alert_management_alerts WHERE project_id = 3007 AND title = 'New: Alert' AND description IS NULL")" = 2
ok_if "the same open fingerprint counts events on one alert" \
	test "$(psql_q "SELECT count(*) || ':' || max(events) || ':' || max(severity) FROM alert_management_alerts WHERE project_id = 3007 AND fingerprint = encode(sha256('abc'), 'hex')")" = "1:2:1"

# --- glia-admin agent commands
ok_if "glia-admin agent list" bash -c '"$@" >/dev/null' _ "$GLIA_ADMIN" -c "$GLIA_CONFIG" agent list
out=$("$GLIA_ADMIN" -c "$GLIA_CONFIG" agent add kas-group/manifests e2e-admin-$$ 2>&1)
aid=$(sed -n 's/^added agent \([0-9]*\) .*/\1/p' <<<"$out")
ok_if "agent add prints the new id" test -n "$aid"
tok=$("$GLIA_ADMIN" -c "$GLIA_CONFIG" agent token create "$aid" --name e2e 2>&1)
ok_if "agent token create prints a 50-character token" grep -Eq '^[A-Za-z0-9_-]{50}$' <<<"$tok"
ok_if "the token is stored as its digest only" db_lacks "" "$tok"
desc "the new token works"
expect_match 200 "^\\{\"project_id\":3011,\"agent_id\":$aid,\"agent_name\":\"e2e-admin-$$\"," GET "$K/agent_info" -H "$KASH" \
	-H "Authorization: Bearer $tok"
tid=$(psql_q "SELECT id FROM cluster_agent_tokens WHERE agent_id = $aid")
ok_if "agent token revoke" "$GLIA_ADMIN" -c "$GLIA_CONFIG" agent token revoke "$tid"
desc "the revoked token -> 401"
expect 401 "$UNAUTH" GET "$K/agent_info" -H "$KASH" -H "Authorization: Bearer $tok"
ok_if "stats shows the usage counters" \
	bash -c "'$GLIA_ADMIN' -c '$GLIA_CONFIG' stats | grep -Eq '^kubernetes_agent_gitops_sync +13 '"
ok_if "stats shows current kas's counters and the week's distinct ids" \
	bash -c '"$@" stats | grep -Eq "^kubernetes_agent_k8s_api_proxy_requests_via_pat_access +3 " && "$@" stats | grep -Eq "^k8s_api_proxy_requests_unique_users_via_ci_access_7d +3 "' _ "$GLIA_ADMIN" -c "$GLIA_CONFIG"
ok_if "agent add refuses a bad name" bash -c "! '$GLIA_ADMIN' -c '$GLIA_CONFIG' agent add kas-group/manifests Bad_Name 2>/dev/null"
psql_q "DELETE FROM cluster_agents WHERE id = $aid" >/dev/null

# --- start-up: a configured kas secret must be good
conf_with() { # KAS_FILE_OR_EMPTY → a config file path
	local f=$E2E_TMP/glia-kas.conf
	grep -v '^kas_secret_file' "$GLIA_CONFIG" >"$f"
	[ -n "$1" ] && echo "kas_secret_file = $1" >>"$f"
	printf %s "$f"
}
glia_t() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$GLIA" -c "$1" -t >"$E2E_TMP/t.out" 2>&1; }
refuses_start() { # DESC FILE
	if glia_t "$(conf_with "$2")"; then
		_report 0 "glia -t refuses: $1" "glia -t accepted it: $(cat "$E2E_TMP/t.out")"
	else
		ok_if "glia -t refuses: $1 (names the file)" grep -q "$2" "$E2E_TMP/t.out"
	fi
}
s=$E2E_TMP/kas
(umask 077; openssl rand -base64 31 >"$s.31"; openssl rand -base64 33 >"$s.33"; : >"$s.empty"
	printf 'not base64 at all\n' >"$s.text"; base64 -w0 <"$GLIA_KAS_SECRET_FILE" >"$s.double"
	cp "$GLIA_KAS_SECRET_FILE" "$s.good"; cp "$GLIA_KAS_SECRET_FILE" "$s.readable"
	{ printf ' '; cat "$GLIA_KAS_SECRET_FILE"; } >"$s.space")
chmod 0644 "$s.readable"
refuses_start "missing file" "$s.missing"
refuses_start "31 bytes" "$s.31"
refuses_start "33 bytes" "$s.33"
refuses_start "empty file" "$s.empty"
refuses_start "not base64" "$s.text"
refuses_start "base64 twice" "$s.double"
refuses_start "a leading space (strict base64)" "$s.space"
refuses_start "readable by others" "$s.readable"
refuses_start "a directory" "$E2E_TMP"
ok_if "glia -t accepts a good kas secret" glia_t "$(conf_with "$s.good")"
ok_if "glia -t accepts no kas_secret_file" glia_t "$(conf_with "")"
ok_if "and warns that the agent endpoints answer 401" grep -q "kas_secret_file is not set" "$E2E_TMP/t.out"

finish
