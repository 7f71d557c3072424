#!/usr/bin/env bash
# POST /api/v4/internal/two_factor_recovery_codes and personal_access_token:
# always 200, success true or false with GitLab's messages.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
import "$GLIA_SRC/tests/data/e2e-account.json"
R=/api/v4/internal/two_factor_recovery_codes
P=/api/v4/internal/personal_access_token
psql_q() { psql -X -qtA -c "$1"; }
VALID='[\"api\", \"read_api\", \"read_registry\", \"read_repository\", \"read_user\", \"write_registry\", \"write_repository\"]'
CODES='\{"success":true,"recovery_codes":\["[0-9a-f]{16}"(,"[0-9a-f]{16}"){9}\]\}'

# --- recovery codes
desc "the reference's curl example (rubi has 2FA): 10 codes of 16 hex"
expect_match 200 "^$CODES\$" POST "$R" --request POST --header "$AUTH" --data "key_id=7"

desc "key of a user with 2FA"
expect_match 200 "^$CODES\$" POST "$R" -H "$AUTH" --data "key_id=2011"
first=$BODY
ok_if "stored: 10 slow hashes, none of them a code in clear" \
	test "$(psql_q "SELECT count(*) FROM users, unnest(otp_backup_codes) c WHERE id = 2001 AND c LIKE 'pbkdf2-sha256\$10000\$%'")" = 10
code=$(sed 's/.*"recovery_codes":\["\([0-9a-f]*\)".*/\1/' <<<"$first")
ok_if "no code is stored in clear" test "$(psql_q "SELECT count(*) FROM users WHERE array_to_string(otp_backup_codes, ',') LIKE '%$code%'")" = 0

desc "a second call replaces the set"
expect_match 200 "^$CODES\$" POST "$R" -H "$AUTH" -H 'Content-Type: application/json' --data '{"key_id":"2011"}'
ok_if "new codes differ from the first set" test "$BODY" != "$first"

desc "user_id of a user with 2FA (no key)"
expect_match 200 "^$CODES\$" POST "$R" -H "$AUTH" --data "user_id=2003"

desc "2FA not enabled"
expect 200 '{"success":false,"message":"Two-factor authentication is not enabled for this user"}' \
	POST "$R" -H "$AUTH" --data "key_id=2012"
ok_if "bob has no codes" test -z "$(psql_q "SELECT otp_backup_codes FROM users WHERE id = 2002")"

desc "unknown key"
expect 200 '{"success":false,"message":"Could not find the given key"}' POST "$R" -H "$AUTH" --data "key_id=999999"

desc "unknown user"
expect 200 '{"success":false,"message":"Could not find the given user"}' POST "$R" -H "$AUTH" --data "user_id=999999"

desc "no actor at all"
expect 200 '{"success":false,"message":"Could not find the given key"}' POST "$R" -H "$AUTH" --data ""

desc "deploy key"
expect 200 '{"success":false,"message":"Deploy keys cannot be used to retrieve recovery codes"}' \
	POST "$R" -H "$AUTH" --data "key_id=2013"

desc "key_id=12abc -> 400"
expect 400 '{"error":"key_id is invalid"}' POST "$R" -H "$AUTH" --data "key_id=12abc"

desc "no secret -> 401"
expect 401 '{"message":"401 Unauthorized"}' POST "$R" --data "key_id=2011"

# --- personal access tokens
before=$(psql_q "SELECT count(*) FROM personal_access_tokens")

desc "the reference's curl example, as written"
expect_match 200 '^\{"success":true,"token":"[A-Za-z0-9_-]{20}","scopes":\["read_user","read_repository"\],"expires_at":"2020-07-24"\}$' \
	POST "$P" --request POST --header "$AUTH" \
	--data "user_id=29&name=mytokenname&scopes[]=read_user&scopes[]=read_repository&expires_at=2020-07-24"
token=$(sed 's/.*"token":"\([^"]*\)".*/\1/' <<<"$BODY")
ok_if "the token is stored as its digest only" \
	test "$(psql_q "SELECT count(*) FROM personal_access_tokens WHERE user_id = 29 AND name = 'mytokenname' AND token_digest ~ '^[0-9a-f]{64}\$' AND token_digest <> '$token'")" -ge 1
ok_if "the token appears nowhere in the database" db_lacks "" "$token"
ok_if "the token appears nowhere in glia's log" bash -c '[ -r "$1" ] && ! grep -qF -- "$2" "$1"' _ "$GLIA_LOG" "$token"

desc "gitlab-shell's JSON body, key_id as a string, duplicate scopes dropped, no expiry"
expect_match 200 '^\{"success":true,"token":"[A-Za-z0-9_-]{20}","scopes":\["api","read_api"\],"expires_at":null\}$' \
	POST "$P" -H "$AUTH" -H 'Content-Type: application/json' \
	--data '{"key_id":"2011","name":"shell token","scopes":["api","read_api","api"]}'

desc "expiry far ahead is kept as given"
expect_match 200 '"expires_at":"9001-11-17"\}$' POST "$P" -H "$AUTH" \
	--data "key_id=2011&name=far&scopes[]=read_api&expires_at=9001-11-17"

desc "deploy key (checked before anything else)"
expect 200 '{"success":false,"message":"Deploy keys cannot be used to create personal access tokens"}' \
	POST "$P" -H "$AUTH" --data "key_id=2013"

desc "unknown user"
expect 200 '{"success":false,"message":"Could not find the given user"}' POST "$P" -H "$AUTH" \
	--data "user_id=999999&name=x&scopes[]=api"

desc "unknown key"
expect 200 '{"success":false,"message":"Could not find the given key"}' POST "$P" -H "$AUTH" \
	--data "key_id=999999&name=x&scopes[]=api"

desc "no name"
expect 200 '{"success":false,"message":"No token name specified"}' POST "$P" -H "$AUTH" --data "key_id=2011&scopes[]=api"

desc "blank name"
expect 200 '{"success":false,"message":"No token name specified"}' POST "$P" -H "$AUTH" \
	--data "key_id=2011&name=+++&scopes[]=api"

desc "no scopes"
expect 200 '{"success":false,"message":"No token scopes specified"}' POST "$P" -H "$AUTH" --data "key_id=2011&name=x"

desc "an invalid scope is named, with the valid list"
expect 200 "{\"success\":false,\"message\":\"Invalid scope: 'badscope'. Valid scopes are: $VALID\"}" \
	POST "$P" -H "$AUTH" --data "key_id=2011&name=x&scopes[]=read_api&scopes[]=badscope&scopes[]=read_repository"

desc "sudo is not a scope one may ask for here"
expect 200 "{\"success\":false,\"message\":\"Invalid scope: 'sudo'. Valid scopes are: $VALID\"}" \
	POST "$P" -H "$AUTH" --data "key_id=2011&name=x&scopes[]=sudo"

desc "a scope with quotes is echoed through the JSON encoder"
expect 200 "{\"success\":false,\"message\":\"Invalid scope: 'a\\\"b'. Valid scopes are: $VALID\"}" \
	POST "$P" -H "$AUTH" --data "key_id=2011&name=x&scopes[]=a%22b"

for bad in invalid-date 2021-02-30 2021-13-01 2021-1-1 20210101 0000-01-01; do
	desc "bad expiry date $bad"
	expect 200 "{\"success\":false,\"message\":\"Invalid token expiry date: '$bad'\"}" \
		POST "$P" -H "$AUTH" --data "key_id=2011&name=x&scopes[]=api&expires_at=$bad"
done

desc "a 256-character name"
expect 200 '{"success":false,"message":"Failed to create token: Name is too long (maximum is 255 characters)"}' \
	POST "$P" -H "$AUTH" --data "key_id=2011&name=$(printf 'n%.0s' $(seq 256))&scopes[]=api"

desc "500 scopes -> 400"
expect 400 '{"message":"400 Bad request - too many values for one parameter"}' POST "$P" -H "$AUTH" \
	--data "key_id=2011&name=x$(printf '&scopes[]=api%.0s' $(seq 500))"

desc "500 scopes in JSON -> 400"
expect 400 '{"error":"scopes is invalid"}' POST "$P" -H "$AUTH" -H 'Content-Type: application/json' \
	--data "{\"key_id\":2011,\"name\":\"x\",\"scopes\":[$(printf '"api",%.0s' $(seq 499))\"api\"]}"

desc "scopes of the wrong type -> 400"
expect 400 '{"error":"scopes is invalid"}' POST "$P" -H "$AUTH" -H 'Content-Type: application/json' \
	--data '{"key_id":2011,"name":"x","scopes":[1,2]}'
desc "scopes as one JSON string (GitLab: 500; gitlab-shell sends an array) -> 400"
expect 400 '{"error":"scopes is invalid"}' POST "$P" -H "$AUTH" -H 'Content-Type: application/json' \
	--data '{"key_id":2011,"name":"x","scopes":"api"}'
desc "scopes as one form value -> 400"
expect 400 '{"error":"scopes is invalid"}' POST "$P" -H "$AUTH" --data "key_id=2011&name=x&scopes=api"

desc "SQL in the name is stored as a name"
expect_match 200 '^\{"success":true,' POST "$P" -H "$AUTH" --data "key_id=2011&name=$(urlencode "x'); DROP TABLE users; --")&scopes[]=api"
ok_if "users still there" test "$(psql_q "SELECT count(*) FROM users WHERE id = 2001")" = 1

after=$(psql_q "SELECT count(*) FROM personal_access_tokens")
ok_if "refusals wrote nothing: exactly 4 tokens more ($before -> $after)" test "$after" = $((before + 4))

# --- a token made over SSH works at once as an administrator's API token
desc "a token for an administrator"
expect_match 200 '^\{"success":true,"token":"[A-Za-z0-9_-]{20}","scopes":\["api"\],' POST "$P" -H "$AUTH" \
	--data "user_id=2003&name=admin-now&scopes[]=api"
admin_token=$(sed 's/.*"token":"\([^"]*\)".*/\1/' <<<"$BODY")
desc "it authenticates the billing API at once (an unknown namespace: 404, not 401)"
request GET /api/v4/namespaces/999999/gitlab_subscription -H "PRIVATE-TOKEN: $admin_token"
ok_if "GET /namespaces/999999/gitlab_subscription with it -> 404 ($STATUS $BODY)" test "$STATUS" = 404
desc "a non-administrator's new token is forbidden there"
expect_match 200 '^\{"success":true,' POST "$P" -H "$AUTH" --data "user_id=2002&name=not-admin&scopes[]=api"
user_token=$(sed 's/.*"token":"\([^"]*\)".*/\1/' <<<"$BODY")
expect 403 '{"message":"403 Forbidden"}' GET /api/v4/namespaces/999999/gitlab_subscription -H "PRIVATE-TOKEN: $user_token"

# --- 200 concurrent creations: 200 rows, 200 distinct tokens and digests.
conc=$E2E_TMP/concurrent
mkdir -p "$conc"
export GLIA_URL AUTH P conc
seq 200 | xargs -P 16 -I{} sh -c 'curl -s -H "$AUTH" --data "key_id=2012&name=conc-{}&scopes[]=api" "$GLIA_URL$P" > "$conc/{}"'
tokens=$(for f in "$conc"/*; do cat "$f"; echo; done | sed -n 's/.*"success":true,"token":"\([A-Za-z0-9_-]\{20\}\)".*/\1/p' | sort -u | wc -l)
ok_if "200 concurrent calls: 200 distinct tokens ($tokens)" test "$tokens" = 200
ok_if "200 rows, 200 distinct digests" \
	test "$(psql_q "SELECT count(*) || ' ' || count(DISTINCT token_digest) FROM personal_access_tokens WHERE name LIKE 'conc-%'")" = "200 200"

finish
