#!/usr/bin/env bash
# PostgreSQL goes away and comes back; glia answers 503 meanwhile, then
# recovers without a restart.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
D="/api/v4/internal/discover?username=rubi"
RUBI='{"id":7,"name":"Dede Eichmann","username":"rubi"}'
UNAVAILABLE='{"message":"503 Service Unavailable - database unavailable"}'
pg_start() {
	pg_ctl_stack status >/dev/null 2>&1 || pg_ctl_stack -w -t 60 -l "$GLIA_PG_LOG" start >/dev/null
}
on_exit pg_start	# never leave the stack without its database

codes() { # N PATH: N statuses of GET PATH, space-separated
	local i
	for ((i = 0; i < $1; i++)); do
		curl -s -o /dev/null --max-time 10 -w '%{http_code} ' -H "$AUTH" "$GLIA_URL$2" || echo -n "curl-failed "
	done
}

# lfs_authenticate answers 404 before any query without its secret.
printf 'e2e-database-lfs-secret\n' >"$E2E_TMP/lfs_secret"
chmod 0600 "$E2E_TMP/lfs_secret"
reload_with "lfs_secret_file = $E2E_TMP/lfs_secret"

desc "discover with the database up"
expect 200 "$RUBI" GET "$D" -H "$AUTH"
workers_before=$(workers)

pg_ctl_stack -m fast -w -t 30 stop >/dev/null

t0=$(date +%s)
desc "discover with the database down -> 503"
expect 503 "$UNAVAILABLE" GET "$D" -H "$AUTH"
took=$(($(date +%s) - t0))
ok_if "Retry-After header: '$(header Retry-After)'" grep -qE '^[0-9]+$' <<<"$(header Retry-After)"
ok_if "the 503 came within 5 s (took $took s)" test "$took" -le 5

down=$(codes 8 "$D")
ok_if "8 more discovers, every worker: all 503 ($down)" test "$down" = "$(printf '503 %.0s' 1 2 3 4 5 6 7 8)"

desc "check with the database down -> 200, redis false"
expect_match 200 "$(check_body_re false)" GET /api/v4/internal/check -H "$AUTH"

desc "authorized_keys with the database down -> 503"
expect 503 "$UNAVAILABLE" GET "/api/v4/internal/authorized_keys?key=AAAAC3NzaC1lZDI1NTE5AAAAILMcp0dKpmgkzamprT6mfmmxLQtAYK6GjqQ2E6bDCmsd" -H "$AUTH"

# Every endpoint that reads or writes answers the same 503, its
# authentication included (billing tokens and agent tokens are looked up).
down() { # WHAT METHOD PATH [CURL ARGS...]
	desc "$1 with the database down -> 503"
	shift
	expect 503 "$UNAVAILABLE" "$@"
}
JSON="Content-Type: application/json"
ADMIN="PRIVATE-TOKEN: glpat-e2e-database-0001"
KAS=(-H "Gitlab-Kas-Api-Request: $(kas_jwt '{"alg":"HS256","typ":"JWT"}' "{\"iss\":\"gitlab-kas\",\"exp\":$(($(date +%s) + 300))}")"
	-H "Authorization: Bearer e2e-database-agent")
PULL="action=git-upload-pack&protocol=ssh&changes=_any"
down allowed POST /api/v4/internal/allowed -H "$AUTH" --data "key_id=7&project=gnuwget/wget2&$PULL"
down lfs_authenticate POST /api/v4/internal/lfs_authenticate -H "$AUTH" --data "key_id=7&project=gnuwget/wget2"
down post_receive POST /api/v4/internal/post_receive -H "$AUTH" --data "gl_repository=project-3&identifier=key-7"
down personal_access_token POST /api/v4/internal/personal_access_token -H "$AUTH" \
	--data "key_id=7&name=e2e&scopes[]=read_api"
down two_factor_recovery_codes POST /api/v4/internal/two_factor_recovery_codes -H "$AUTH" --data "key_id=7"
down "kubernetes agent_info" GET /api/v4/internal/kubernetes/agent_info "${KAS[@]}"
down "kubernetes project_info" GET "/api/v4/internal/kubernetes/project_info?id=3" "${KAS[@]}"
down "kubernetes usage_metrics" POST /api/v4/internal/kubernetes/usage_metrics "${KAS[@]}" -H "$JSON" \
	--data '{"gitops_sync_count":1}'
down "kubernetes usage_metrics, current shape" POST /api/v4/internal/kubernetes/usage_metrics "${KAS[@]}" -H "$JSON" \
	--data '{"counters":{"k8s_api_proxy_request":1},"unique_counters":{"flux_git_push_notified_unique_projects":[3]}}'
down "kubernetes agent_configuration" POST /api/v4/internal/kubernetes/agent_configuration "${KAS[@]}" -H "$JSON" \
	--data '{"agent_id":1,"agent_config":{"ci_access":{"projects":[{"id":"gnuwget/wget2"}]}}}'
down "kubernetes verify_project_access" GET "/api/v4/internal/kubernetes/verify_project_access?id=3" "${KAS[@]}"
down two_factor_manual_otp_check POST /api/v4/internal/two_factor_manual_otp_check -H "$AUTH" \
	--data "key_id=7&otp_attempt=123456"
down two_factor_otp_check POST /api/v4/internal/two_factor_otp_check -H "$AUTH" --data "key_id=7&otp_attempt=123456"
# agent_events stores nothing (GitLab only feeds its product analytics):
# checked and answered without the database.
desc "kubernetes agent_events with the database down -> 204"
request POST /api/v4/internal/kubernetes/agent_events "${KAS[@]}" -H "$JSON" --data '{"events":{}}'
ok_if "agent_events answered 204 ($STATUS)" test "$STATUS" = 204
down "kubernetes cilium_alert" POST /api/v4/internal/kubernetes/modules/cilium_alert "${KAS[@]}" -H "$JSON" \
	--data '{"alert":{"title":"x"}}'
down "GET gitlab_subscription" GET /api/v4/namespaces/1/gitlab_subscription -H "$ADMIN"
down "POST gitlab_subscription" POST "/api/v4/namespaces/1/gitlab_subscription?start_date=2020-07-15" -H "$ADMIN"
down "PUT gitlab_subscription" PUT "/api/v4/namespaces/1/gitlab_subscription?seats=1" -H "$ADMIN"
down minutes POST /api/v4/namespaces/1/minutes -H "$ADMIN" -H "$JSON" \
	--data '{"packs":[{"number_of_minutes":1000,"expires_at":"2030-01-01","purchase_xid":"e2e-db-down"}]}'
down "minutes move" PATCH /api/v4/namespaces/1/minutes/move/2 -H "$ADMIN"
down upcoming_reconciliations PUT /api/v4/internal/upcoming_reconciliations -H "$ADMIN" -H "$JSON" \
	--data '{"upcoming_reconciliations":[{"namespace_id":1,"next_reconciliation_date":"2030-01-01","display_alert_from":"2029-12-01"}]}'
# The reference counter is best effort, as GitLab's Redis one: a push is
# not refused for it.
desc "pre_receive with the database down -> 200, not increased"
expect 200 '{"reference_counter_increased":false}' POST /api/v4/internal/pre_receive -H "$AUTH" \
	--data "gl_repository=project-3"

pg_start
t0=$(date +%s)
recovered=
while [ $(($(date +%s) - t0)) -lt 20 ]; do
	got=$(codes 8 "$D")
	if [ "$got" = "$(printf '200 %.0s' 1 2 3 4 5 6 7 8)" ]; then recovered=$(($(date +%s) - t0)); break; fi
	sleep 0.5
done
ok_if "after PostgreSQL's return, 8 discovers in a row answer 200 within 20 s (took ${recovered:-more than 20} s; last: $got)" \
	test -n "$recovered"

desc "discover after the database came back"
expect 200 "$RUBI" GET "$D" -H "$AUTH"
desc "check after the database came back -> redis true"
expect_match 200 "$(check_body_re true)" GET /api/v4/internal/check -H "$AUTH"

ok_if "same glia master ($GLIA_PID)" kill -0 "$GLIA_PID"
ok_if "no worker died or was replaced (before: $(tr '\n' ' ' <<<"$workers_before"), after: $(workers | tr '\n' ' '))" \
	test "$workers_before" = "$(workers)"

finish
