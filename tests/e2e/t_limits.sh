#!/usr/bin/env bash
# Size and encoding limits: the answers come from glia, as JSON.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

BADQ='{"message":"400 Bad request - invalid query string"}'

desc "10 KB query string -> 414 from glia"
expect 414 '{"message":"414 Request-URI Too Large"}' \
	GET "/api/v4/internal/check?x=$(head -c 10240 /dev/zero | tr '\0' a)" -H "$AUTH"

desc "8000-byte query string -> 200 (under glia's 8192-byte cap)"
expect_match 200 "$(check_body_re true)" \
	GET "/api/v4/internal/check?x=$(head -c 7990 /dev/zero | tr '\0' a)" -H "$AUTH"

desc "%zz in the query -> 400"
expect 400 "$BADQ" GET "/api/v4/internal/discover?username=%zz" -H "$AUTH"

desc "truncated %4 -> 400"
expect 400 "$BADQ" GET "/api/v4/internal/discover?username=ab%4" -H "$AUTH"

desc "trailing % -> 400"
expect 400 "$BADQ" GET "/api/v4/internal/discover?username=abc%" -H "$AUTH"

desc "%00 in a value -> 400"
expect 400 "$BADQ" GET "/api/v4/internal/discover?username=rubi%00x" -H "$AUTH"

head -c $((1536 * 1024)) /dev/zero | tr '\0' a >"$E2E_TMP/big"
# Bodies go to a route that exists (glia answers 404 to an unknown path
# before it reads any body): discover takes its parameters from a body too.
reload_with "max_body_size = 1048576"
desc "1.5 MB body, max_body_size = 1 MiB -> 413 from glia"
expect 413 '{"message":"413 Request Entity Too Large"}' GET /api/v4/internal/discover -H "$AUTH" \
	-H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$E2E_TMP/big"

desc "JSON body with trailing garbage -> 400"
expect 400 '{"message":"400 Bad request - invalid JSON body"}' GET /api/v4/internal/discover -H "$AUTH" \
	-H 'Content-Type: application/json' --data-binary '{"a":1} x'

desc "JSON body with single quotes -> 400"
expect 400 '{"message":"400 Bad request - invalid JSON body"}' GET /api/v4/internal/discover -H "$AUTH" \
	-H 'Content-Type: application/json' --data-binary "{'key_id':7}"

head -c $((21 * 1024 * 1024)) /dev/zero | tr '\0' a >"$E2E_TMP/huge"
desc "21 MB body (nginx allows 20 MB) -> 413 from nginx, still JSON"
expect 413 '{"message":"413 Request Entity Too Large"}' GET /api/v4/internal/discover -H "$AUTH" \
	-H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$E2E_TMP/huge"

finish
