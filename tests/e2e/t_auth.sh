#!/usr/bin/env bash
# Shared-secret authentication: what is refused, what is accepted.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CHECK=/api/v4/internal/check
OK=$(check_body_re true)
UNAUTH='{"message":"401 Unauthorized"}'
# shellcheck disable=SC2059 # the format is the point
b64() { printf "$1" "$SECRET" | base64 -w0; }

desc "no secret -> 401"
expect 401 "$UNAUTH" GET "$CHECK"

desc "wrong secret -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shared-Secret: $(printf %s 0123456789abcdef0123456789abcdef | base64 -w0)"

desc "secret not base64-encoded -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shared-Secret: $SECRET"

desc "header that is not base64 at all -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shared-Secret: !!!"

desc "empty header -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shared-Secret;"

desc "base64 of the secret -> 200"
expect_match 200 "$OK" GET "$CHECK" -H "Gitlab-Shared-Secret: $(b64 '%s')"

desc "base64 of the secret and a newline (the file as it is) -> 200"
expect_match 200 "$OK" GET "$CHECK" -H "Gitlab-Shared-Secret: $(base64 -w0 <"$GLIA_SHELL_SECRET_FILE")"

desc "base64 of the secret and two newlines -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shared-Secret: $(b64 '%s\n\n')"

desc "base64 of the secret and a space -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shared-Secret: $(b64 '%s ')"

desc "base64 of the secret minus its last character -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "Gitlab-Shared-Secret: $(printf %s "${SECRET%?}" | base64 -w0)"

desc "the right header twice -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "$AUTH" -H "$AUTH"

desc "the right header and a wrong one -> 401"
expect 401 "$UNAUTH" GET "$CHECK" -H "$AUTH" -H "Gitlab-Shared-Secret: $(printf x | base64 -w0)"

desc "wrong secret_token parameter -> 401"
expect 401 "$UNAUTH" GET "$CHECK?secret_token=wrong"

desc "secret_token and the header agree -> 200"
expect_match 200 "$OK" GET "$CHECK?secret_token=$SECRET" -H "$AUTH"

desc "right secret_token, wrong header -> 401"
expect 401 "$UNAUTH" GET "$CHECK?secret_token=$SECRET" -H "Gitlab-Shared-Secret: $(printf wrong | base64 -w0)"

desc "wrong secret_token, right header -> 401"
expect 401 "$UNAUTH" GET "$CHECK?secret_token=wrong" -H "$AUTH"

desc "secret_token twice, right then wrong -> 401"
expect 401 "$UNAUTH" GET "$CHECK?secret_token=$SECRET&secret_token=wrong"

desc "the 401 body on a database endpoint too"
expect 401 "$UNAUTH" GET "/api/v4/internal/discover?username=root"

# Both nginx's access log and glia's log saw secret_token in query strings above.
logs_without_secret() {
	! grep -qF -e "$SECRET" -e "$(printf %s "$SECRET" | base64 -w0)" \
		"$GLIA_STACK_DIR/nginx-access.log" "$GLIA_LOG"
}
ok_if "the secret (plain or base64) appears in neither nginx's nor glia's log" logs_without_secret

finish
