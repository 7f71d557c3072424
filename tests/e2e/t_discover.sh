#!/usr/bin/env bash
# GET /api/v4/internal/discover: who is this key, user id or username.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
D=/api/v4/internal/discover
RUBI='{"id":7,"name":"Dede Eichmann","username":"rubi"}'
ROOT='{"id":1,"name":"Administrator","username":"root"}'

# The reference's example, as written.
desc "the reference's curl example: key_id=7"
expect 200 "$RUBI" GET "$D?key_id=7" --request GET --header "$AUTH"

desc "key_id of root's key"
expect 200 "$ROOT" GET "$D?key_id=11" -H "$AUTH"

desc "username"
expect 200 "$RUBI" GET "$D?username=rubi" -H "$AUTH"

desc "user_id"
expect 200 "$ROOT" GET "$D?user_id=1" -H "$AUTH"

desc "key_id in a JSON body (gitlab-shell sends JSON)"
expect 200 "$RUBI" GET "$D" -H "$AUTH" -H 'Content-Type: application/json' --data '{"key_id":"7"}'

desc "key_id in a form body"
expect 200 "$RUBI" GET "$D" -H "$AUTH" --data 'key_id=7'

desc "unknown key_id -> null"
expect 200 null GET "$D?key_id=999999" -H "$AUTH"

desc "unknown username -> null"
expect 200 null GET "$D?username=nobody" -H "$AUTH"

desc "unknown user_id -> null"
expect 200 null GET "$D?user_id=999999" -H "$AUTH"

desc "no parameter -> null"
expect 200 null GET "$D" -H "$AUTH"

desc "key_id=12abc -> 400 (Rails would read 12)"
expect 400 '{"error":"key_id is invalid"}' GET "$D?key_id=12abc" -H "$AUTH"

desc "user_id=12abc -> 400"
expect 400 '{"error":"user_id is invalid"}' GET "$D?user_id=12abc" -H "$AUTH"

desc "key_id=-1 -> 400"
expect 400 '{"error":"key_id is invalid"}' GET "$D?key_id=-1" -H "$AUTH"

desc "key_id past int64 -> 400"
expect 400 '{"error":"key_id is invalid"}' GET "$D?key_id=9223372036854775808" -H "$AUTH"

desc "SQL in username -> null"
expect 200 null GET "$D?username=$(urlencode "rubi' OR '1'='1")" -H "$AUTH"

desc "JWT auth (current gitlab-shell)"
expect 200 "$RUBI" GET "$D?username=rubi" -H "Gitlab-Shell-Api-Request: $(shell_jwt)"

finish
