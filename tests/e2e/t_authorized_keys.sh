#!/usr/bin/env bash
# GET /api/v4/internal/authorized_keys: OpenSSH's AuthorizedKeysCommand.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

DATA=$GLIA_SRC/contrib/dev/demo-data.json
import "$DATA"
# The import format has no created_at; pin it to the reference's example.
psql -X -q -v ON_ERROR_STOP=1 -c "UPDATE keys SET created_at = '2019-06-27T15:29:02.219Z' WHERE id = 11;
	UPDATE keys SET created_at = '2021-03-04T10:20:30.456Z' WHERE id = 7"
LINE=$(key_line "$DATA" 11)	# "ssh-ed25519 AAAA... admin@example.com"
KEY=$(echo "$LINE" | cut -d' ' -f2)
RUBI_LINE=$(key_line "$DATA" 7)
RUBI_KEY=$(echo "$RUBI_LINE" | cut -d' ' -f2)
AK=/api/v4/internal/authorized_keys
FOUND="{\"id\":11,\"title\":\"admin@example.com\",\"key\":\"$LINE\",\"created_at\":\"2019-06-27T15:29:02.219Z\",\"expires_at\":null}"
NOT_FOUND='{"message":"404 Key Not Found"}'

# The reference's example, as written: curl --request GET --header
# "Gitlab-Shared-Secret: <Base64 encoded secret>" "<url>?key=<key as passed by OpenSSH>"
desc "the reference's curl example, key as OpenSSH passes it (%k)"
expect 200 "$FOUND" GET "$AK?key=$KEY" --request GET --header "$AUTH"

desc "the same key URL-encoded (what gitlab-shell sends)"
expect 200 "$FOUND" GET "$AK?key=$(urlencode "$KEY")" -H "$AUTH"

desc "another user's key"
expect 200 "{\"id\":7,\"title\":\"rubi@example.com\",\"key\":\"$RUBI_LINE\",\"created_at\":\"2021-03-04T10:20:30.456Z\",\"expires_at\":null}" \
	GET "$AK?key=$(urlencode "$RUBI_KEY")" -H "$AUTH"

desc "the whole key line instead of the base64 body -> 404"
expect 404 "$NOT_FOUND" GET "$AK?key=$(urlencode "$LINE")" -H "$AUTH"

desc "a well-formed key nobody has -> 404"
expect 404 "$NOT_FOUND" GET "$AK?key=AAAAC3NzaC1lZDI1NTE5AAAAIGfTNz0rCz1f8uCq3yVh7Ar8n5m0xA0KQeZ3nU0wq1xH" -H "$AUTH"

desc "invalid base64 -> 404"
expect 404 "$NOT_FOUND" GET "$AK?key=$(urlencode 'whatever!')" -H "$AUTH"

desc "truncated key body -> 404"
expect 404 "$NOT_FOUND" GET "$AK?key=$(urlencode "${KEY:0:40}")" -H "$AUTH"

desc "key with a trailing newline -> 404"
expect 404 "$NOT_FOUND" GET "$AK?key=$(urlencode "$KEY")%0A" -H "$AUTH"

desc "empty key -> 404"
expect 404 "$NOT_FOUND" GET "$AK?key=" -H "$AUTH"

desc "no key parameter -> 400"
expect 400 '{"error":"key is missing"}' GET "$AK" -H "$AUTH"

desc "no secret -> 401"
expect 401 '{"message":"401 Unauthorized"}' GET "$AK?key=$KEY"

desc "JWT auth (current gitlab-shell)"
expect 200 "$FOUND" GET "$AK?key=$(urlencode "$KEY")" -H "Gitlab-Shell-Api-Request: $(shell_jwt)"

finish
