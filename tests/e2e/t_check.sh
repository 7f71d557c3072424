#!/usr/bin/env bash
# GET /api/v4/internal/check with each way gitlab-shell authenticates.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CHECK=/api/v4/internal/check
OK=$(check_body_re true)
UNAUTH='{"message":"401 Unauthorized"}'
now=$(date +%s)

desc "Gitlab-Shared-Secret header (base64 of the secret)"
expect_match 200 "$OK" GET "$CHECK" -H "$AUTH"
expect_header X-Frame-Options SAMEORIGIN

desc "secret_token parameter (the secret itself)"
expect_match 200 "$OK" GET "$CHECK?secret_token=$(urlencode "$SECRET")"

desc "secret_token in a form body"
expect_match 200 "$OK" GET "$CHECK" --data-urlencode "secret_token=$SECRET"

desc "gitlab-shell 13.x on the wire: JSON content type, empty body, Connection: close"
expect_match 200 "$OK" GET "$CHECK" -H "$AUTH" -H 'Content-Type: application/json' \
	-H 'User-Agent: GitLab-Shell' -H 'Connection: close'

desc "Gitlab-Shell-Api-Request JWT (HS256, iss gitlab-shell)"
expect_match 200 "$OK" GET "$CHECK" -H "Gitlab-Shell-Api-Request: $(shell_jwt)"

desc "JWT expired an hour ago -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shell-Api-Request: $(shell_jwt_with \
	"{\"iss\":\"gitlab-shell\",\"iat\":$((now - 3660)),\"exp\":$((now - 3600))}")"

desc "JWT with iss gitlab-kas -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shell-Api-Request: $(shell_jwt_with \
	"{\"iss\":\"gitlab-kas\",\"iat\":$now,\"exp\":$((now + 60))}")"

desc "JWT without iss -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shell-Api-Request: $(shell_jwt_with \
	"{\"iat\":$now,\"exp\":$((now + 60))}")"

desc "JWT signed HS512 with the right secret -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shell-Api-Request: $(jwt '{"alg":"HS512","typ":"JWT"}' \
	"{\"iss\":\"gitlab-shell\",\"iat\":$now,\"exp\":$((now + 60))}" "$SECRET" sha512)"

desc "JWT with alg none and no signature -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shell-Api-Request: $(printf %s '{"alg":"none","typ":"JWT"}' | b64url).$(
	printf '{"iss":"gitlab-shell","iat":%d,"exp":%d}' "$now" "$((now + 60))" | b64url)."

desc "JWT signed with another secret -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shell-Api-Request: $(jwt '{"alg":"HS256","typ":"JWT"}' \
	"{\"iss\":\"gitlab-shell\",\"iat\":$now,\"exp\":$((now + 60))}" "not-the-secret")"

desc "JWT that is not a JWT -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shell-Api-Request: not.a.jwt"

finish
