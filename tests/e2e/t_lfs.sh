#!/usr/bin/env bash
# POST /api/v4/internal/lfs_authenticate: an HS256 JWT for the Git LFS
# client, made with lfs_secret_file's key; 404 when LFS is not configured.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
import "$GLIA_SRC/tests/data/e2e-git-access.json"
L=/api/v4/internal/lfs_authenticate

LFS_KEY=lfs-e2e-secret-$RANDOM$RANDOM
LFS_SECRET_FILE=$GLIA_STACK_DIR/e2e_lfs_secret
printf '%s\n' "$LFS_KEY" >"$LFS_SECRET_FILE"
chmod 0600 "$LFS_SECRET_FILE"

on_exit 'rm -f "$LFS_SECRET_FILE"'	# lib.sh's reload_with restores the config

# --- without lfs_secret_file ---------------------------------------------------
reload_with "lfs_secret_file = "
desc "lfs_secret_file not configured -> 404"
expect 404 '{"message":"404 Not Found"}' POST "$L" -H "$AUTH" --data "key_id=11&project=gnuwget/wget2"

reload_with "lfs_secret_file = $LFS_SECRET_FILE" "external_url = http://localhost:3001"

b64url_decode() {
	local s
	s=$(tr '_-' '/+')
	case $((${#s} % 4)) in 2) s+='==' ;; 3) s+='=' ;; esac
	printf %s "$s" | base64 -d
}

# check_token BODY ACTOR: the lfs_token of BODY is an HS256 JWT under the
# LFS key, for ACTOR, living 1800 s from about now.
check_token() {
	local token head payload sig now want_sig
	token=$(printf %s "$1" | sed -n 's/.*"lfs_token":"\([^"]*\)".*/\1/p')
	IFS=. read -r head payload sig <<<"$token"
	want_sig=$(printf %s "$head.$payload" | openssl dgst -sha256 -hmac "$LFS_KEY" -binary | b64url)
	[ -n "$sig" ] && [ "$sig" = "$want_sig" ] || { echo "# bad signature"; return 1; }
	[ "$(printf %s "$head" | b64url_decode)" = '{"alg":"HS256","typ":"JWT"}' ] || { echo "# header $(printf %s "$head" | b64url_decode)"; return 1; }
	payload=$(printf %s "$payload" | b64url_decode)
	now=$(date +%s)
	python3 - "$payload" "$2" "$now" <<-'EOF'
		import json, re, sys
		p = json.loads(sys.argv[1]); actor = sys.argv[2]; now = int(sys.argv[3])
		assert p["data"] == {"actor": actor}, p
		assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", p["jti"]), p
		assert abs(p["iat"] - now) <= 5, p
		assert p["nbf"] == p["iat"] - 5 and p["exp"] == p["iat"] + 1800, p
		assert set(p) == {"data", "jti", "iat", "nbf", "exp"}, p
	EOF
}

# expect_lfs USERNAME URL FORM...: 200 with these fields and a good token.
expect_lfs() {
	local name=$1 url=$2
	shift 2
	expect_match 200 "^\\{\"username\":\"${name//+/\\+}\",\"lfs_token\":\"[A-Za-z0-9_.-]+\",\"repository_http_path\":\"$url\",\"expires_in\":1800\\}\$" \
		POST "$L" -H "$AUTH" "$@"
	ok_if "token for $name is signed and well formed" check_token "$BODY" "$name"
}

desc "the reference's curl example"
expect_lfs root 'http://localhost:3001/gnuwget/wget2\.git' --data "key_id=11&project=gnuwget/wget2"
desc "gitlab-shell's JSON body with operation"
expect_lfs rubi 'http://localhost:3001/gnuwget/wget2\.git' -H 'Content-Type: application/json' \
	--data '{"action":"git-lfs-authenticate","operation":"download","project":"gnuwget/wget2","key_id":"7"}'
desc "by user_id; no access check here (as GitLab)"
expect_lfs ga-outsider 'http://localhost:3001/ga-group/private\.git' --data "user_id=1006&project=ga-group/private"
desc "by username, path as typed"
expect_lfs ga-dev 'http://localhost:3001/ga-group/private\.git' --data "username=ga-dev&project=/ga-group/private.git"
desc "deploy key"
expect_lfs lfs+deploy-key-1400 'http://localhost:3001/ga-group/private\.git' --data "key_id=1400&project=ga-group/private"
desc "wiki: the wiki's URL"
expect_lfs ga-dev 'http://localhost:3001/ga-group/private\.wiki\.git' --data "user_id=1003&project=ga-group/private.wiki"
desc "gl_repository"
expect_lfs ga-dev 'http://localhost:3001/ga-group/public\.git' --data "user_id=1003&gl_repository=project-1202"

reload_with "lfs_secret_file = $LFS_SECRET_FILE" "external_url = http://localhost:3001//"
desc "external_url with trailing slashes: one '/' before the path"
expect_lfs ga-dev 'http://localhost:3001/ga-group/public\.git' --data "user_id=1003&gl_repository=project-1202"
reload_with "lfs_secret_file = $LFS_SECRET_FILE" "external_url = http://localhost:3001"

request POST "$L" -H "$AUTH" --data "user_id=1003&project=ga-group/private"
t1=$BODY
request POST "$L" -H "$AUTH" --data "user_id=1003&project=ga-group/private"
ok_if "a fresh token (jti) per request" test "$t1" != "$BODY"

desc "lfs_enabled false -> 404"
expect 404 '{"message":"404 Not Found"}' POST "$L" -H "$AUTH" --data "user_id=1003&project=ga-group/nolfs"
desc "snippet -> 404"
expect 404 '{"message":"404 Not Found"}' POST "$L" -H "$AUTH" --data "user_id=1003&project=ga-group/public/snippets/1501"
desc "missing project -> 404"
expect 404 '{"message":"404 Not Found"}' POST "$L" -H "$AUTH" --data "user_id=1003&project=ga-group/nothing"
desc "malformed project path -> 404"
expect 404 '{"message":"404 Not Found"}' POST "$L" -H "$AUTH" --data "user_id=1003&project=$(urlencode ../../etc/passwd)"
desc "no actor -> 404 Not found"
expect 404 '{"message":"404 Not found"}' POST "$L" -H "$AUTH" --data "project=ga-group/private"
desc "unknown key -> 404 Not found"
expect 404 '{"message":"404 Not found"}' POST "$L" -H "$AUTH" --data "key_id=999999&project=ga-group/private"
desc "unknown user -> 404 Not found"
expect 404 '{"message":"404 Not found"}' POST "$L" -H "$AUTH" --data "user_id=999999&project=ga-group/private"
desc "key_id=12abc -> 400"
expect 400 '{"error":"key_id is invalid"}' POST "$L" -H "$AUTH" --data "key_id=12abc&project=ga-group/private"
desc "bad gl_repository -> 400"
expect 400 '{"error":"gl_repository is invalid"}' POST "$L" -H "$AUTH" --data "user_id=1003&gl_repository=project-x"
desc "without the shared secret -> 401"
expect 401 '{"message":"401 Unauthorized"}' POST "$L" --data "user_id=1003&project=ga-group/private"

finish
