#!/usr/bin/env bash
# Routing: unknown paths, wrong methods, trailing slashes, HEAD.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

NOT_FOUND='{"error":"404 Not Found"}'
OK=$(check_body_re true)

desc "unknown path under /api/v4/internal -> 404"
expect 404 "$NOT_FOUND" GET /api/v4/internal/nonexistent -H "$AUTH"

desc "unknown path, no secret -> 404 (routing comes before authentication)"
expect 404 "$NOT_FOUND" GET /api/v4/internal/nonexistent

desc "unknown path under /api/v4 -> 404"
expect 404 "$NOT_FOUND" GET /api/v4/projects -H "$AUTH"

# Grape's Router.normalize_path: repeated slashes squeezed, trailing ones
# dropped, before matching (kas posts to .../modules/cilium_alert/).
desc "trailing slash: dropped before routing, as Grape does"
expect_match 200 "$OK" GET /api/v4/internal/check/ -H "$AUTH"
desc "trailing slashes: dropped before routing"
expect_match 200 "$OK" GET /api/v4/internal/check/// -H "$AUTH"
desc "a trailing slash does not make an unknown path known"
expect 404 "$NOT_FOUND" GET /api/v4/internal/checks/ -H "$AUTH"

desc "doubled slash: merged by nginx (merge_slashes) before routing"
expect_match 200 "$OK" GET /api/v4/internal//check -H "$AUTH"

desc "path outside /api/v4 (answered by nginx) -> 404"
expect 404 "$NOT_FOUND" GET /internal/check -H "$AUTH"

desc "dot segments are resolved by nginx before routing"
expect_match 200 "$OK" GET /api/v4/internal/../internal/check -H "$AUTH"

desc "POST on a GET endpoint -> 405"
expect 405 '{"error":"405 Not Allowed"}' POST /api/v4/internal/check -H "$AUTH" --data ''
expect_header Allow 'GET, HEAD'

desc "DELETE on authorized_keys -> 405"
expect 405 '{"error":"405 Not Allowed"}' DELETE /api/v4/internal/authorized_keys -H "$AUTH"
expect_header Allow 'GET, HEAD'

desc "HEAD on check -> 200, headers only"
expect 200 '' HEAD /api/v4/internal/check -H "$AUTH"

finish
