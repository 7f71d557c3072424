#!/usr/bin/env bash
# The billing endpoints CustomersDot calls with an administrator's personal
# access token: gitlab_subscription (GET/POST/PUT), CI minutes packs (POST,
# move) and upcoming_reconciliations, answered as GitLab EE 14.0-14.1.
# The reference's example namespaces 1234, 123, 321, 127 and 129 are
# 4234, 4123, 4321, 4127 and 4129 here (tests/data/e2e-billing.json).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/tests/data/e2e-billing.json"
psql_q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
psql_q "DELETE FROM gitlab_subscriptions WHERE namespace_id BETWEEN 4000 AND 4999;
	DELETE FROM ci_minutes_additional_packs WHERE namespace_id BETWEEN 4000 AND 4999;
	DELETE FROM upcoming_reconciliations WHERE namespace_id BETWEEN 4000 AND 4999" >/dev/null

ADMIN_TOKEN=glpat-bill-admin-0001
ADMIN="PRIVATE-TOKEN: $ADMIN_TOKEN"
DEV="PRIVATE-TOKEN: glpat-bill-dev-000001"
JSON='Content-Type: application/json'
U401='{"message":"401 Unauthorized"}'
F403='{"message":"403 Forbidden"}'
NS404='{"message":"404 Namespace Not Found"}'
UNSAVED='{"message":"400 Bad request - Unable to save additional packs"}'
N=/api/v4/namespaces
subs() { psql_q "SELECT count(*) FROM gitlab_subscriptions WHERE namespace_id BETWEEN 4000 AND 4999"; }
packs() { psql_q "SELECT count(*) FROM ci_minutes_additional_packs WHERE namespace_id BETWEEN 4000 AND 4999"; }
recs() { psql_q "SELECT count(*) FROM upcoming_reconciliations WHERE namespace_id BETWEEN 4000 AND 4999"; }
# ent CODE NAME TRIAL AUTO_RENEW UPGRADABLE SEATS IN_USE MAX OWED START END TRIAL_ENDS: the entity.
ent() {
	printf '{"plan":{"code":%s,"name":%s,"trial":%s,"auto_renew":%s,"upgradable":%s},' "$1" "$2" "$3" "$4" "$5"
	printf '"usage":{"seats_in_subscription":%s,"seats_in_use":%s,"max_seats_used":%s,"seats_owed":%s},' "$6" "$7" "$8" "$9"
	printf '"billing":{"subscription_start_date":%s,"subscription_end_date":%s,"trial_ends_on":%s}}' "${10}" "${11}" "${12}"
}
EMPTY=$(ent null null null null null null null null null null null null)

# --- authentication
desc "no token -> 401"
expect 401 "$U401" GET "$N/4234/gitlab_subscription"
for t in glpat-unknown-token glpat-bill-expired-01 glpat-bill-revoked-01 glpat-bill-blocked-01; do
	desc "token $t -> 401"
	expect 401 "$U401" POST "$N/4123/minutes" -H "PRIVATE-TOKEN: $t" -H "$JSON" \
		--data '{"packs":[{"number_of_minutes":1,"expires_at":"2030-01-01","purchase_xid":"auth-1"}]}'
done
desc "a token without the api scope -> 403 insufficient_scope"
expect 403 '{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api"}' \
	GET "$N/4234/gitlab_subscription" -H "PRIVATE-TOKEN: glpat-bill-readapi-01"
desc "a non-admin's token -> 403"
expect 403 "$F403" POST "$N/4123/minutes" -H "$DEV" -H "$JSON" \
	--data '{"packs":[{"number_of_minutes":1,"expires_at":"2030-01-01","purchase_xid":"auth-2"}]}'
desc "non-admin: reconciliations -> 403"
expect 403 "$F403" PUT /api/v4/internal/upcoming_reconciliations -H "$DEV" -H "$JSON" \
	--data '{"upcoming_reconciliations":[{"namespace_id":4127,"next_reconciliation_date":"2021-06-13","display_alert_from":"2021-06-06"}]}'
desc "non-admin: move -> 403"
expect 403 "$F403" PATCH "$N/4123/minutes/move/4321" -H "$DEV"
desc "non-admin: subscription POST -> 403"
expect 403 "$F403" POST "$N/4237/gitlab_subscription?start_date=2020-07-15" -H "$DEV"
desc "two different tokens -> 401"
expect 401 "$U401" GET "$N/4234/gitlab_subscription" -H "$ADMIN" -H "TOKEN: glpat-bill-dev-000001"
desc "a repeated PRIVATE-TOKEN header -> 401"
expect 401 "$U401" GET "$N/4234/gitlab_subscription" -H "$ADMIN" -H "$ADMIN"
ok_if "refusals wrote nothing" test "$(packs) $(subs) $(recs)" = "0 0 0"
desc "Authorization: Bearer"
expect 200 "$EMPTY" GET "$N/4234/gitlab_subscription" -H "Authorization: Bearer $ADMIN_TOKEN"
desc "private_token parameter"
expect 200 "$EMPTY" GET "$N/4234/gitlab_subscription?private_token=$ADMIN_TOKEN"
desc "TOKEN header and the same PRIVATE-TOKEN"
expect 200 "$EMPTY" GET "$N/4234/gitlab_subscription" -H "TOKEN: $ADMIN_TOKEN" -H "$ADMIN"

# --- subscriptions
desc "the reference's POST example as written: plan= is not plan_code, so no plan (as GitLab)"
expect 201 "$(ent null null false null false 10 4 0 0 '"2020-07-15"' null null)" \
	POST "$N/4234/gitlab_subscription?start_date="2020-07-15"&plan="premium"&seats=10" \
	--request POST --header "TOKEN: $ADMIN_TOKEN"
ok_if "one row, no plan" test "$(psql_q "SELECT count(*), bool_and(hosted_plan_id IS NULL) FROM gitlab_subscriptions WHERE namespace_id = 4234")" = "1|t"
desc "a second POST -> 400 namespace_id taken"
expect 400 '{"message":{"namespace_id":["has already been taken"]}}' \
	POST "$N/4234/gitlab_subscription?start_date=2021-01-01&seats=99" -H "TOKEN: $ADMIN_TOKEN"
ok_if "still one row with 10 seats" test "$(psql_q "SELECT count(*), max(seats) FROM gitlab_subscriptions WHERE namespace_id = 4234")" = "1|10"
desc "the reference's GET example"
expect 200 "$(ent null null false null false 10 4 0 0 '"2020-07-15"' null null)" \
	GET "$N/4234/gitlab_subscription" --header "TOKEN: $ADMIN_TOKEN"
desc "the reference's PUT example"
expect 200 "$(ent null null false null false 10 4 0 0 '"2020-07-15"' null null)" \
	PUT "$N/4234/gitlab_subscription?max_seats_used=0" --request PUT --header "TOKEN: $ADMIN_TOKEN"
desc "PUT a paid plan: seats owed, upgradable (seats in use: active members of the group, its subgroup and project)"
expect 200 "$(ent '"premium"' '"Premium"' false null true 80 4 82 2 '"2020-07-15"' '"2099-07-15"' null)" \
	PUT "$N/4234/gitlab_subscription?plan_code=premium&seats=80&max_seats_used=82&end_date=2099-07-15" -H "$ADMIN"
desc "PUT ultimate: not upgradable, guests not billed"
expect 200 "$(ent '"ultimate"' '"Ultimate"' false null false 80 3 82 2 '"2020-07-15"' '"2099-07-15"' null)" \
	PUT "$N/4234/gitlab_subscription" -H "$ADMIN" -H "$JSON" --data '{"plan_code":"ultimate"}'
desc "PUT an end date in the past: expired, not upgradable"
expect 200 "$(ent '"premium"' '"Premium"' false true false 80 4 82 2 '"2020-07-15"' '"2021-07-15"' null)" \
	PUT "$N/4234/gitlab_subscription?plan_code=premium&end_date=2021-07-15&auto_renew=true" -H "$ADMIN"
desc "PUT trial: no seats owed; trial_starts_on follows start_date (not given: nil)"
expect 200 "$(ent '"premium"' '"Premium"' true true false 80 4 82 0 '"2020-07-15"' '"2021-07-15"' '"2099-01-01"')" \
	PUT "$N/4234/gitlab_subscription" -H "$ADMIN" -H "$JSON" --data '{"trial":true,"trial_ends_on":"2099-01-01"}'
ok_if "trial_starts_on is null" test "$(psql_q "SELECT trial_starts_on IS NULL FROM gitlab_subscriptions WHERE namespace_id = 4234")" = t
desc "PUT seats blank -> 400 can't be blank"
expect 400 '{"message":{"seats":["can'"'"'t be blank"]}}' PUT "$N/4234/gitlab_subscription?seats=" -H "$ADMIN"
desc "PUT seats null and start_date null -> both"
expect 400 '{"message":{"seats":["can'"'"'t be blank"],"start_date":["can'"'"'t be blank"]}}' \
	PUT "$N/4234/gitlab_subscription" -H "$ADMIN" -H "$JSON" --data '{"seats":null,"start_date":null}'
ok_if "seats unchanged" test "$(psql_q "SELECT seats FROM gitlab_subscriptions WHERE namespace_id = 4234")" = 80
desc "PUT without a subscription -> 404"
expect 404 '{"message":"404 GitlabSubscription Not Found"}' PUT "$N/4237/gitlab_subscription?seats=1" -H "$ADMIN"
desc "GET without a subscription: every leaf null"
expect 200 "$EMPTY" GET "$N/4237/gitlab_subscription" -H "$ADMIN"
desc "by full path, JSON body, d/m/Y date, Grape booleans, trial starts with the subscription"
expect 201 "$(ent '"silver"' '"Silver"' true true false 5 0 0 0 '"2018-01-01"' null null)" \
	POST "$N/bill-sub-put/gitlab_subscription" -H "$ADMIN" -H "$JSON" \
	--data '{"start_date":"01/01/2018","seats":"5","plan_code":"silver","trial":true,"auto_renew":"yes"}'
ok_if "trial_starts_on = start_date" test "$(psql_q "SELECT trial_starts_on FROM gitlab_subscriptions WHERE namespace_id = 4236")" = 2018-01-01
desc "plan_code null -> the free plan"
expect 200 "$(ent '"free"' '"Free"' true true false 5 0 0 0 '"2018-01-01"' null null)" \
	PUT "$N/bill-sub-put/gitlab_subscription" -H "$ADMIN" -H "$JSON" --data '{"plan_code":null}'
before=$(subs)
desc "unknown namespace -> 404"
expect 404 "$NS404" POST "$N/999999/gitlab_subscription?start_date=2020-07-15" -H "$ADMIN"
for id in -1 '1%3BDROP' abc 99999999999999999999; do
	desc "GET :id = $id -> 404"
	expect 404 "$NS404" GET "$N/$id/gitlab_subscription" -H "$ADMIN"
done
desc "a subgroup -> 400"
expect 400 '{"message":"400 Bad request - Namespace must be a top-level namespace"}' \
	POST "$N/4235/gitlab_subscription?start_date=2020-07-15" -H "$ADMIN"
# :id as a URL-encoded full path (NAMESPACE_OR_PROJECT_REQUIREMENTS): the
# encoded slash stays inside the segment although nginx decodes it.
desc "the subgroup by its full path, %2F -> the same 400"
expect 400 '{"message":"400 Bad request - Namespace must be a top-level namespace"}' \
	POST "$N/bill-sub%2Fbill-sub-nested/gitlab_subscription?start_date=2020-07-15" -H "$ADMIN"
nested_by_id=$(curl -s -H "$ADMIN" "$GLIA_URL$N/4235/gitlab_subscription")
desc "GET by full path with %2f answers as by id"
expect 200 "$nested_by_id" GET "$N/BILL-SUB%2fbill-sub-nested/gitlab_subscription" -H "$ADMIN"
desc "a full path that is no namespace -> 404"
expect 404 "$NS404" GET "$N/bill-sub%2Fnothing-here/gitlab_subscription" -H "$ADMIN"
desc "no start_date -> 400, before authentication (as GitLab)"
expect 400 '{"error":"start_date is missing"}' POST "$N/4237/gitlab_subscription?seats=1"
desc "valid POST, unknown token -> 401, after the parameters"
expect 401 "$U401" POST "$N/4237/gitlab_subscription?start_date=2020-07-15" -H "PRIVATE-TOKEN: glpat-unknown-token"
desc "valid PUT, no token -> 401"
expect 401 "$U401" PUT "$N/4234/gitlab_subscription?seats=5"
desc "invalid values, joined in declaration order"
expect 400 '{"error":"start_date is invalid, seats is invalid, trial is invalid"}' \
	POST "$N/4237/gitlab_subscription?start_date=2021-02-30&seats=-1&trial=maybe" -H "$ADMIN"
for bad in 2147483648 1e9 99999999999999999999 1.5 abc; do
	desc "seats=$bad -> 400"
	expect 400 '{"error":"seats is invalid"}' POST "$N/4237/gitlab_subscription?start_date=2020-07-15&seats=$bad" -H "$ADMIN"
done
for bad in 2021-13-01 2021-1-1 20210101 2021-02-28T25:00 0000-01-01 99999-01-01 yesterday; do
	desc "end_date=$bad -> 400"
	expect 400 '{"error":"end_date is invalid"}' POST "$N/4237/gitlab_subscription?start_date=2020-07-15&end_date=$bad" -H "$ADMIN"
done
desc "JSON types checked"
expect 400 '{"error":"start_date is invalid, plan_code is invalid, max_seats_used is invalid, auto_renew is invalid"}' \
	POST "$N/4237/gitlab_subscription" -H "$ADMIN" -H "$JSON" \
	--data '{"start_date":20200715,"plan_code":["premium"],"max_seats_used":1.5,"auto_renew":{}}'
desc "trial_extension_type outside the enum"
expect 400 '{"error":"trial_extension_type does not have a valid value"}' \
	POST "$N/4237/gitlab_subscription?start_date=2020-07-15&trial_extension_type=3" -H "$ADMIN"
desc "unknown plan_code -> 400"
expect 400 '{"error":"plan_code does not have a valid value"}' \
	POST "$N/4237/gitlab_subscription?start_date=2020-07-15&plan_code=$(urlencode "x' OR '1'='1")" -H "$ADMIN"
desc "blank start_date -> 400 can't be blank"
expect 400 '{"message":{"start_date":["can'"'"'t be blank"]}}' POST "$N/4237/gitlab_subscription?start_date=" -H "$ADMIN"
ok_if "refusals wrote nothing ($before)" test "$(subs)" = "$before"

# --- CI minutes packs
PACK='{"namespace_id":4123,"expires_at":"2022-01-01","number_of_minutes":10000,"purchase_xid":"46952fe69bebc1a4de10b2b4ff439d0c"}'
desc "the reference's minutes example"
expect 201 "[$PACK]" POST "$N/4123/minutes" --request POST --header 'Content-Type: application/json' \
	--header "PRIVATE-TOKEN: $ADMIN_TOKEN" --data '{
"packs": [
{
"number_of_minutes": 10000,
"expires_at": "2022-01-01",
"purchase_xid": "46952fe69bebc1a4de10b2b4ff439d0c"
}
]
}'
desc "the same purchase_xid again: the stored pack, unchanged"
expect 201 "[$PACK]" POST "$N/4123/minutes" -H "$ADMIN" -H "$JSON" \
	--data '{"packs":[{"number_of_minutes":20000,"expires_at":"2023-01-01","purchase_xid":"46952fe69bebc1a4de10b2b4ff439d0c"}]}'
ok_if "one pack of 10000 minutes" test "$(psql_q "SELECT count(*), sum(number_of_minutes) FROM ci_minutes_additional_packs WHERE namespace_id = 4123")" = "1|10000"
desc "several packs, a duplicate, a quoted purchase_xid, a '13 Jun 2021' date"
expect 201 '[{"namespace_id":4123,"expires_at":"2030-01-01","number_of_minutes":5,"purchase_xid":"a'"'"'b\"c\\;--"},{"namespace_id":4123,"expires_at":"2021-06-13","number_of_minutes":7,"purchase_xid":"p-2"},{"namespace_id":4123,"expires_at":"2030-01-01","number_of_minutes":5,"purchase_xid":"a'"'"'b\"c\\;--"}]' \
	POST "$N/bill-packs/minutes" -H "$ADMIN" -H "$JSON" \
	--data '{"packs":[{"number_of_minutes":5,"expires_at":"2030-01-01","purchase_xid":"a'"'"'b\"c\\;--"},{"number_of_minutes":"7","expires_at":"13 Jun 2021","purchase_xid":"p-2"},{"number_of_minutes":5,"expires_at":"2030-01-01","purchase_xid":"a'"'"'b\"c\\;--"}]}'
ok_if "three packs" test "$(packs)" = 3
before=$(packs)
desc "a purchase_xid of another namespace fails the whole call"
expect 400 "$UNSAVED" POST "$N/4321/minutes" -H "$ADMIN" -H "$JSON" \
	--data '{"packs":[{"number_of_minutes":1,"expires_at":"2030-01-01","purchase_xid":"new-1"},{"number_of_minutes":1,"expires_at":"2030-01-01","purchase_xid":"p-2"}]}'
desc "no packs"
expect 400 '{"error":"packs is missing"}' POST "$N/4123/minutes" -H "$ADMIN" -H "$JSON" --data '{}'
desc "packs not an array"
expect 400 '{"error":"packs is invalid"}' POST "$N/4123/minutes" -H "$ADMIN" --data 'packs=1'
desc "an element without attributes"
expect 400 '{"error":"packs[number_of_minutes] is missing, packs[expires_at] is missing, packs[purchase_xid] is missing"}' \
	POST "$N/4123/minutes" -H "$ADMIN" -H "$JSON" --data '{"packs":[{},{}]}'
desc "wrong types"
expect 400 '{"error":"packs[number_of_minutes] is invalid, packs[expires_at] is invalid, packs[purchase_xid] is invalid"}' \
	POST "$N/4123/minutes" -H "$ADMIN" -H "$JSON" \
	--data '{"packs":[{"number_of_minutes":"abc","expires_at":"2021-02-30","purchase_xid":{}}]}'
for bad in 0 -1 2147483648 null; do
	desc "number_of_minutes $bad -> unable to save"
	expect 400 "$UNSAVED" POST "$N/4123/minutes" -H "$ADMIN" -H "$JSON" \
		--data "{\"packs\":[{\"number_of_minutes\":$bad,\"expires_at\":\"2030-01-01\",\"purchase_xid\":\"bad-$bad\"}]}"
done
desc "a 51-character purchase_xid -> unable to save"
expect 400 "$UNSAVED" POST "$N/4123/minutes" -H "$ADMIN" -H "$JSON" \
	--data "{\"packs\":[{\"number_of_minutes\":1,\"expires_at\":\"2030-01-01\",\"purchase_xid\":\"$(printf 'x%.0s' $(seq 51))\"}]}"
desc "unknown namespace"
expect 404 "$NS404" POST "$N/999999/minutes" -H "$ADMIN" -H "$JSON" \
	--data '{"packs":[{"number_of_minutes":1,"expires_at":"2030-01-01","purchase_xid":"nope"}]}'
ok_if "refusals wrote nothing" test "$(packs)" = "$before"

# --- moving packs
desc "unknown source"
expect 404 "$NS404" PATCH "$N/999999/minutes/move/4321" -H "$ADMIN"
desc "unknown target"
expect 404 '{"message":"404 Target namespace Not Found"}' PATCH "$N/4123/minutes/move/999999" -H "$ADMIN"
desc "source not top-level"
expect 400 '{"message":"400 Bad request - Namespace must be a top-level namespace"}' PATCH "$N/4124/minutes/move/4321" -H "$ADMIN"
desc "target not top-level"
expect 400 '{"message":"400 Bad request - Target namespace must be a top-level namespace"}' PATCH "$N/4123/minutes/move/4124" -H "$ADMIN"
desc "no owner in common"
expect 400 '{"message":"400 Bad request - Both namespaces must share the same owner"}' PATCH "$N/4123/minutes/move/4322" -H "$ADMIN"
ok_if "nothing moved" test "$(psql_q "SELECT count(*) FROM ci_minutes_additional_packs WHERE namespace_id = 4123")" = 3
desc "the same namespace: accepted, nothing changes"
expect 202 '{"message":"202 Accepted"}' PATCH "$N/4123/minutes/move/4123" -H "$ADMIN"
desc "the reference's move example"
expect 202 '{"message":"202 Accepted"}' PATCH "$N/4123/minutes/move/4321" --request PATCH --header "PRIVATE-TOKEN: $ADMIN_TOKEN"
ok_if "all three packs moved" test "$(psql_q "SELECT count(*) FILTER (WHERE namespace_id = 4123) || ' ' || count(*) FILTER (WHERE namespace_id = 4321) FROM ci_minutes_additional_packs")" = "0 3"

# --- upcoming reconciliations
R=/api/v4/internal/upcoming_reconciliations
rec() { psql_q "SELECT namespace_id, next_reconciliation_date, display_alert_from FROM upcoming_reconciliations WHERE namespace_id BETWEEN 4000 AND 4999 ORDER BY 1" | tr '\n' ' '; }
desc "the reference's example, as written"
expect 200 200 PUT "$R" --request PUT --header "PRIVATE-TOKEN: $ADMIN_TOKEN" --header "Content-Type: application/json" \
	--data '{"upcoming_reconciliations": [{"namespace_id": 4127, "next_reconciliation_date": "13 Jun 2021", "display_alert_from": "06 Jun 2021"}, {"namespace_id": 4129, "next_reconciliation_date": "12 Jun 2021", "display_alert_from": "05 Jun 2021"}]}'
ok_if "both stored" test "$(rec)" = "4127|2021-06-13|2021-06-06 4129|2021-06-12|2021-06-05 "
desc "ISO dates update in place; the last element of a namespace wins"
expect 200 200 PUT "$R" -H "$ADMIN" -H "$JSON" \
	--data '{"upcoming_reconciliations":[{"namespace_id":"4127","next_reconciliation_date":"2021-07-01","display_alert_from":"2021-06-20"},{"namespace_id":4127,"next_reconciliation_date":"2021-07-13","display_alert_from":"2021-07-06"}]}'
ok_if "4127 updated" test "$(rec)" = "4127|2021-07-13|2021-07-06 4129|2021-06-12|2021-06-05 "
desc "an unknown namespace is named; nothing written"
expect 400 '{"message":{"error":"[{\"999999\":[\"Namespace can'"'"'t be blank\"]}]"}}' PUT "$R" -H "$ADMIN" -H "$JSON" \
	--data '{"upcoming_reconciliations":[{"namespace_id":4127,"next_reconciliation_date":"2022-01-01","display_alert_from":"2021-12-01"},{"namespace_id":999999,"next_reconciliation_date":"2022-01-01","display_alert_from":"2021-12-01"}]}'
desc "a null date is named by its namespace"
expect 400 '{"message":{"error":"[{\"4129\":[\"Display alert from can'"'"'t be blank\"]}]"}}' PUT "$R" -H "$ADMIN" -H "$JSON" \
	--data '{"upcoming_reconciliations":[{"namespace_id":4127,"next_reconciliation_date":"2022-01-01","display_alert_from":"2021-12-01"},{"namespace_id":4129,"next_reconciliation_date":"2022-01-01","display_alert_from":null}]}'
desc "namespace_id null"
expect 400 '{"error":"upcoming_reconciliations[namespace_id] is empty"}' PUT "$R" -H "$ADMIN" -H "$JSON" \
	--data '{"upcoming_reconciliations":[{"namespace_id":null,"next_reconciliation_date":"2022-01-01","display_alert_from":"2021-12-01"}]}'
desc "no list"
expect 400 '{"error":"upcoming_reconciliations is missing"}' PUT "$R" -H "$ADMIN" -H "$JSON" --data '{}'
desc "bad dates and a missing attribute"
expect 400 '{"error":"upcoming_reconciliations[next_reconciliation_date] is invalid, upcoming_reconciliations[display_alert_from] is missing"}' \
	PUT "$R" -H "$ADMIN" -H "$JSON" --data '{"upcoming_reconciliations":[{"namespace_id":4127,"next_reconciliation_date":"2021-13-01"}]}'
desc "namespace_id not an integer"
expect 400 '{"error":"upcoming_reconciliations[namespace_id] is invalid"}' PUT "$R" -H "$ADMIN" -H "$JSON" \
	--data '{"upcoming_reconciliations":[{"namespace_id":"12abc","next_reconciliation_date":"2022-01-01","display_alert_from":"2021-12-01"}]}'
ok_if "refusals wrote nothing" test "$(rec)" = "4127|2021-07-13|2021-07-06 4129|2021-06-12|2021-06-05 "

# --- concurrency: 50 identical POSTs credit one pack; moves racing with POSTs lose none.
conc=$E2E_TMP/conc
mkdir -p "$conc"
export GLIA_URL ADMIN JSON conc N
seq 50 | xargs -P 25 -I{} sh -c 'curl -s -o "$conc/same-{}" -w "%{http_code}" -H "$ADMIN" -H "$JSON" \
	--data "{\"packs\":[{\"number_of_minutes\":300,\"expires_at\":\"2030-01-01\",\"purchase_xid\":\"race-same\"}]}" \
	"$GLIA_URL$N/4323/minutes" > "$conc/same-{}.status"'
want='[{"namespace_id":4323,"expires_at":"2030-01-01","number_of_minutes":300,"purchase_xid":"race-same"}]'
same=$(for i in $(seq 50); do printf '%s %s\n' "$(cat "$conc/same-$i.status")" "$(cat "$conc/same-$i")"; done | sort | uniq -c | sed 's/^ *//')
ok_if "50 identical POSTs: 50 times 201 with the same pack ($same)" test "$same" = "50 201 $want"
ok_if "exactly one row" test "$(psql_q "SELECT count(*) FROM ci_minutes_additional_packs WHERE purchase_xid = 'race-same'")" = 1
seq 60 | xargs -P 20 -I{} sh -c 'if [ $(({} % 6)) = 0 ]; then
		curl -s -o /dev/null -w "%{http_code}\n" -X PATCH -H "$ADMIN" "$GLIA_URL$N/4323/minutes/move/4324"
	else
		curl -s -o /dev/null -w "%{http_code}\n" -H "$ADMIN" -H "$JSON" \
		--data "{\"packs\":[{\"number_of_minutes\":{},\"expires_at\":\"2030-01-01\",\"purchase_xid\":\"race-{}\"}]}" \
		"$GLIA_URL$N/4323/minutes"
	fi' >"$conc/mixed"
statuses=$(sort "$conc/mixed" | uniq -c | sed 's/^ *//' | tr '\n' ' ')
ok_if "50 POSTs answered 201 and 10 moves 202 ($statuses)" test "$statuses" = "50 201 10 202 "
ok_if "no pack lost: 51 packs between the two namespaces" \
	test "$(psql_q "SELECT count(*) FROM ci_minutes_additional_packs WHERE namespace_id IN (4323, 4324)")" = 51
ok_if "glia's log has no 500 for minutes" bash -c '[ -r "$1" ] && ! grep -q " 500 .*route=minutes" "$1"' _ "$GLIA_LOG"

finish
