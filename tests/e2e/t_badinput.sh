#!/usr/bin/env bash
# The bad-input suite (RELIABILITY.md §2, issue 8 item 1): malformed,
# oversized, ambiguous and hostile requests to every endpoint family (shell
# endpoints, kubernetes, billing, health), through nginx, plus a raw FastCGI
# peer for what nginx never lets through (lying CONTENT_LENGTH, malformed
# records). Each case asserts the status and the JSON body; around the whole
# table, the worker pids stay the same, the master logs no worker death, and
# no row of any table changes (an md5 per table before and after).
#
# Rows already covered elsewhere are not repeated here: t_limits (10 KB
# query, %zz/%4/%/%00 in discover, 1.5/3 MB bodies on discover, JSON trailing
# garbage and single quotes), t_auth (secret refusals, ambiguous secrets),
# t_check (shell JWT: expired, iss, HS512, alg none, foreign key, not a JWT),
# t_kubernetes (kas JWT: none, HS384/512, hs256, signature, iss, aud, exp,
# nbf, 10 KB, two segments, header twice; agent token schemes), t_billing
# (token refusals, :id -1/1;DROP/abc/overflow, seats and end_date ranges),
# t_allowed (gl_repository forms, malformed project paths, key_id=12abc,
# changes), t_account (expiry dates, 256-character name, 500 scopes),
# t_receive (gl_repository length and type, bad shas, 10 001 lines),
# t_discover (key_id/user_id forms, SQL in username), t_routing (trailing
# slash, dot segments, 405 on check and authorized_keys).
#
# A row whose description starts with "DEVIATION" is a case where glia (or
# the shipped nginx configuration) does not yet answer as RELIABILITY.md §2
# says; it is kept, and fails, until that is fixed.
# The rows name variables as @NAME@, which shellcheck cannot see:
# shellcheck disable=SC2034
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_glia.sh
. "$(dirname "$0")/lib_glia.sh"

import "$GLIA_SRC/tests/data/e2e-badinput.json"
T=$E2E_TMP

# --- credentials and answers the rows name as @NAME@
ADMIN="PRIVATE-TOKEN: glpat-bad-admin-00001"
JSON="Content-Type: application/json"
AGENT="Authorization: Bearer kas-token-bad"
now=$(date +%s)
HS='{"alg":"HS256","typ":"JWT"}'
CL=$(printf '{"iss":"gitlab-kas","aud":["gitlab"],"exp":%d}' $((now + 300)))
KAS="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" "$CL")"
K_RS256="Gitlab-Kas-Api-Request: $(kas_jwt '{"alg":"RS256","typ":"JWT"}' "$CL")"
K_ES256="Gitlab-Kas-Api-Request: $(kas_jwt '{"alg":"ES256","typ":"JWT"}' "$CL")"
K_NONE_SIG="Gitlab-Kas-Api-Request: $(kas_jwt '{"alg":"none","typ":"JWT"}' "$CL")"
K_NONE_CAP="Gitlab-Kas-Api-Request: $(printf %s '{"alg":"None"}' | b64url).$(printf %s "$CL" | b64url)."
K_IAT_STR="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" "$(printf '{"iss":"gitlab-kas","exp":%d,"iat":"now"}' $((now + 300)))")"
K_EXP_FLOAT="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" "$(printf '{"iss":"gitlab-kas","exp":%d.5}' $((now + 300)))")"
K_NBF_STR="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" '{"iss":"gitlab-kas","nbf":"soon"}')"
K_AUD_NUM="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" '{"iss":"gitlab-kas","aud":5}')"
K_AUD_NESTED="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" '{"iss":"gitlab-kas","aud":[["gitlab"]]}')"
K_PAYLOAD_ARRAY="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" '["gitlab-kas"]')"
K_ISS_LAST="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" '{"iss":"gitlab-kas","iss":"gitlab-shell"}')"
K_ISS_NUL="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" '{"iss":"gitlab-kas\u0000x"}')"
K_EMPTY_KEY="Gitlab-Kas-Api-Request: $(kas_jwt "$HS" '{"iss":"gitlab-kas"}' sha256 00)"
K_FOUR="$KAS.x"
K_B64="Gitlab-Kas-Api-Request: !!!.@@@.###"
K_HDR_NOT_JSON="Gitlab-Kas-Api-Request: $(printf notjson | b64url).$(printf '{"iss":"gitlab-kas"}' | b64url).$(printf sig | b64url)"
K_SHELL_HDR="Gitlab-Shell-Api-Request: $(kas_jwt "$HS" "$(printf '{"iss":"gitlab-shell","iat":%d,"exp":%d}' "$now" $((now + 60)))")"
SH="Gitlab-Shell-Api-Request: $(shell_jwt)"
S_IAT_FUTURE="Gitlab-Shell-Api-Request: $(shell_jwt_with "$(printf '{"iss":"gitlab-shell","iat":%d,"exp":%d}' $((now + 600)) $((now + 660)))")"
S_IAT_STR="Gitlab-Shell-Api-Request: $(shell_jwt_with "$(printf '{"iss":"gitlab-shell","iat":"now","exp":%d}' $((now + 60)))")"
S_NONE="Gitlab-Shell-Api-Request: $(printf %s '{"alg":"none"}' | b64url).$(printf '{"iss":"gitlab-shell","iat":%d}' "$now" | b64url).$(printf sig | b64url)"
S_HUGE="Gitlab-Shell-Api-Request: $(shell_jwt_with "$(printf '{"iss":"gitlab-shell","iat":%d,"pad":"%s"}' "$now" "$(head -c 9000 /dev/zero | tr '\0' p)")")"
# The shared secret in forms gitlab-shell never sends.
# shellcheck disable=SC2059 # the format is the point
b64s() { printf "$1" "$SECRET" | base64 -w0; }
A_CRLF="Gitlab-Shared-Secret: $(b64s '%s\r\n')"
A_TAB="Gitlab-Shared-Secret: $(b64s '%s\t')"
A_LONGER="Gitlab-Shared-Secret: $(b64s '%sx')"
A_NOPAD="Gitlab-Shared-Secret: $(b64s '%s' | tr -d =)"
A_EQ="Gitlab-Shared-Secret: ===="
A_SPLIT="Gitlab-Shared-Secret: $(b64s '%s' | cut -c1-8) $(b64s '%s' | cut -c9-)"
A_SQL="Gitlab-Shared-Secret: ' OR '1'='1"

UNAUTH='{"message":"401 Unauthorized"}'
JWT_BAD='{"message":"KAS JWT authentication invalid"}'
BADQ='{"message":"400 Bad request - invalid query string"}'
BADF='{"message":"400 Bad request - invalid form body"}'
BADJ='{"message":"400 Bad request - invalid JSON body"}'
E404='{"error":"404 Not Found"}'
M404='{"message":"404 Not Found"}'
E405='{"error":"405 Not Allowed"}'
E413='{"message":"413 Request Entity Too Large"}'
E414='{"message":"414 Request-URI Too Large"}'
E415='{"message":"415 Unsupported Media Type"}'
NS404='{"message":"404 Namespace Not Found"}'
KEY404='{"message":"404 Key Not Found"}'
PNF='{"status":false,"message":"The project you were looking for could not be found."}'
NOKEY='{"success":false,"message":"Could not find the given key"}'
USER='{"id":5001,"name":"Bad input user","username":"bad-user"}'
KEYINV='{"error":"key_id is invalid"}'
CHINV='{"error":"changes is invalid"}'
GLRINV='{"error":"gl_repository is invalid"}'
MR='~^\{"messages":\[.*\],"reference_counter_decreased":(true|false)\}$'
PULL="action=git-upload-pack&changes=_any&protocol=ssh"
Z=0000000000000000000000000000000000000000
N1=1111111111111111111111111111111111111111

# --- generated inputs
Q10K=$(head -c 10240 /dev/zero | tr '\0' a)
NAME10K=$(head -c 10000 /dev/zero | tr '\0' n)
P4K="bad-group/$(head -c 4096 /dev/zero | tr '\0' p)"
Q2K=$(head -c 2048 /dev/zero | tr '\0' 1)
KEY6K=$(head -c 4500 /dev/urandom | base64 -w0 | tr -d '+/=' | head -c 6000)
H9K="PRIVATE-TOKEN: $(head -c 9000 /dev/zero | tr '\0' t)"
{ printf 'key_id=5001&name='; head -c $((1536 * 1024)) /dev/zero | tr '\0' a; } >"$T/big15"
{ printf '{"key_id":5001,"name":"'; head -c $((1536 * 1024)) /dev/zero | tr '\0' a; printf '"}'; } >"$T/big15.json"
head -c $((21 * 1024 * 1024)) /dev/zero | tr '\0' a >"$T/huge21"
{ printf '{"s":"'; head -c $((25 * 1024 * 1024)) /dev/zero | tr '\0' s; printf '"}'; } >"$T/string25m"
{ printf '{"project":'; head -c 10000 /dev/zero | tr '\0' '['; head -c 10000 /dev/zero | tr '\0' ']'; printf '}'; } >"$T/bomb"
{ printf '{"key_id":5001,"x":'; head -c 20 /dev/zero | tr '\0' '['; head -c 20 /dev/zero | tr '\0' ']'; printf '}'; } >"$T/deep20"
python3 -c 'import sys; sys.stdout.write("{" + ",".join("\"k%d\":%d" % (i, i) for i in range(60000)) + ",\"key_id\":5001}")' >"$T/keys100k"
{ for ((i = 0; i < 10000; i++)); do printf 'a=1&'; done; printf 'key_id=5001'; } >"$T/params10k"
{ printf 'key_id=5001&name=x'; for ((i = 0; i < 5000; i++)); do printf '&scopes[]=api'; done; } >"$T/scopes5k"
{ printf 'key_id=5001'; for ((i = 0; i < 1500; i++)); do printf '&key_id=5001'; done; } >"$T/keyids1500"

# subst STRING: STRING with each @NAME@ replaced by the value of $NAME.
subst() {
	local s=$1 out=
	while [[ $s =~ ^([^@]*)@([A-Z][A-Z0-9_]*)@(.*)$ ]]; do
		out+=${BASH_REMATCH[1]}${!BASH_REMATCH[2]}
		s=${BASH_REMATCH[3]}
	done
	printf %s "$out$s"
}

# One row: DESC|METHOD|PATH|HEADERS (^^-separated)|BODY|STATUS|EXPECTED.
# BODY: empty (none), @file:NAME (a generated file), b:TEXT (printf %b:
# \xNN bytes), or TEXT as is. EXPECTED: the exact body, or ~REGEX. @NAME@ is
# replaced in PATH, HEADERS, BODY and EXPECTED.
run_row() {
	local d=$1 method=$2 path body=$5 status=$6 want args=() h
	path=$(subst "$3")
	want=$(subst "$7")
	if [ -n "$4" ]; then
		local IFS=$'\x1e'
		for h in $(subst "${4//^^/$'\x1e'}"); do args+=(-H "$h"); done
		unset IFS
	fi
	case $body in
	'') ;;
	@file:*) args+=(--data-binary "@$T/${body#@file:}") ;;
	b:*) printf '%b' "${body#b:}" >"$T/row.body"; args+=(--data-binary "@$T/row.body") ;;
	*) subst "$body" >"$T/row.body"; args+=(--data-binary "@$T/row.body") ;;
	esac
	desc "$d"
	if [ "${want:0:1}" = "~" ]; then
		expect_match "$status" "${want:1}" "$method" "$path" "${args[@]}"
	else
		expect "$status" "$want" "$method" "$path" "${args[@]}"
	fi
}

# lfs_authenticate answers 404 to everything without an LFS key: give it one.
LFS_SECRET_FILE=$GLIA_STACK_DIR/e2e_badinput_lfs_secret
printf 'lfs-badinput-%s\n' "$RANDOM$RANDOM" >"$LFS_SECRET_FILE"
chmod 0600 "$LFS_SECRET_FILE"
# max_body_size at 1 MiB, its old default: the 1.5 MB bodies below are glia's 413.
reload_with "lfs_secret_file = $LFS_SECRET_FILE" "max_body_size = 1048576"
on_exit "rm -f '$LFS_SECRET_FILE'"

# --- the table
S=/api/v4/internal
K=/api/v4/internal/kubernetes
NS=/api/v4/namespaces
workers_before=$(workers)
log_from=$(($(wc -l <"$GLIA_LOG") + 1))
sums_before=$(db_checksums)

rows=0
while IFS='|' read -r d method path headers body status want; do
	case $d in '' | '#'*) continue ;; esac
	rows=$((rows + 1))
	run_row "$d" "$method" "$path" "$headers" "$body" "$status" "$want"
done <<'ROWS'
# §2.1 transport, framing, size (rows 1, 5, 7-13, 15, 16)
1.5 MB form body to allowed -> 413 from glia|POST|@S@/allowed|@AUTH@|@file:big15|413|@E413@
1.5 MB JSON body to personal_access_token -> 413 from glia|POST|@S@/personal_access_token|@AUTH@^^@JSON@|@file:big15.json|413|@E413@
1.5 MB body to kubernetes usage_metrics -> 413|POST|@K@/usage_metrics|@KAS@^^@JSON@|@file:big15.json|413|@E413@
1.5 MB body to billing minutes -> 413|POST|@NS@/5010/minutes|@ADMIN@^^@JSON@|@file:big15.json|413|@E413@
21 MB body to post_receive (nginx allows 20 MB) -> 413 from nginx, JSON|POST|@S@/post_receive|@AUTH@|@file:huge21|413|@E413@
25 MB JSON string to upcoming_reconciliations -> 413 from nginx, JSON|PUT|@S@/upcoming_reconciliations|@ADMIN@^^@JSON@|@file:string25m|413|@E413@
chunked form body (nginx de-chunks) is read like any body|GET|@S@/discover|@AUTH@^^Transfer-Encoding: chunked|key_id=5001|200|@USER@
chunked JSON body with a bad sha -> 400|POST|@S@/post_receive|@AUTH@^^@JSON@^^Transfer-Encoding: chunked|{"gl_repository":"project-5011","identifier":"user-5001","changes":"zz @N1@ refs/heads/x"}|400|@CHINV@
10 KB query on authorized_keys -> 414|GET|@S@/authorized_keys?key=@Q10K@|@AUTH@||414|@E414@
10 KB query on kubernetes project_info -> 414|GET|@K@/project_info?id=@Q10K@|@KAS@^^@AGENT@||414|@E414@
10 KB query on gitlab_subscription -> 414|GET|@NS@/5010/gitlab_subscription?x=@Q10K@|@ADMIN@||414|@E414@
9 KB Gitlab-Shell-Api-Request JWT -> 401|GET|@S@/check|@S_HUGE@||401|@UNAUTH@
9 KB PRIVATE-TOKEN -> 401|GET|@NS@/5010/gitlab_subscription|@H9K@||401|@UNAUTH@
10 000 repeated parameters in a form body -> 400|GET|@S@/discover|@AUTH@|@file:params10k|400|{"message":"400 Bad request - too many parameters"}
1 500 key_id in a query and form body -> 400 too many parameters|GET|@S@/discover?key_id=5001&key_id=5001|@AUTH@|@file:keyids1500|400|{"message":"400 Bad request - too many parameters"}
scopes[] 5 000 times -> 400 too many values|POST|@S@/personal_access_token|@AUTH@|@file:scopes5k|400|{"message":"400 Bad request - too many values for one parameter"}
key_id twice in a form: the last one wins (as Rack)|GET|@S@/discover|@AUTH@|key_id=999999&key_id=5001|200|@USER@
key_id in query and body: the body wins (as Grape)|GET|@S@/discover?key_id=999999|@AUTH@|key_id=5001|200|@USER@
key_id twice in JSON: the last one wins (json-c, as Rails)|GET|@S@/discover|@AUTH@^^@JSON@|{"key_id":999999,"key_id":5001}|200|@USER@
Gitlab-Shared-Secret twice on allowed -> 401|POST|@S@/allowed|@AUTH@^^@AUTH@|project=bad-group/bad-project&key_id=5001&@PULL@|401|@UNAUTH@
Gitlab-Shell-Api-Request twice -> 401|GET|@S@/discover?key_id=5001|@SH@^^@SH@||401|@UNAUTH@
valid secret beside a Gitlab-Shell-Api-Request signed with the kas secret: one credential verifies -> 200|GET|@S@/discover?key_id=5001|@AUTH@^^@K_SHELL_HDR@||200|@USER@
wrong secret beside a Gitlab-Shell-Api-Request signed with the kas secret: none verifies -> 401|GET|@S@/discover?key_id=5001|@A_LONGER@^^@K_SHELL_HDR@||401|@UNAUTH@
wrong secret beside a valid Gitlab-Shell-Api-Request: the JWT verifies -> 200|GET|@S@/discover?key_id=5001|@A_LONGER@^^@SH@||200|@USER@
PRIVATE-TOKEN and a different private_token parameter -> 401|GET|@NS@/5010/gitlab_subscription?private_token=glpat-bill-admin-0001|@ADMIN@||401|@UNAUTH@
PRIVATE-TOKEN and a different Bearer token -> 401|GET|@NS@/5010/gitlab_subscription|@ADMIN@^^Authorization: Bearer glpat-bill-admin-0001||401|@UNAUTH@
DEVIATION (nginx 400 page is HTML): Authorization twice on agent_info -> 400 JSON|GET|@K@/agent_info|@KAS@^^@AGENT@^^@AGENT@||400|~^\{"message":"400 
GET on allowed -> 405|GET|@S@/allowed|@AUTH@||405|@E405@
GET on pre_receive -> 405|GET|@S@/pre_receive|@AUTH@||405|@E405@
PATCH on personal_access_token -> 405|PATCH|@S@/personal_access_token|@AUTH@||405|@E405@
PUT on kubernetes agent_info -> 405|PUT|@K@/agent_info|@KAS@^^@AGENT@||405|@E405@
GET on kubernetes usage_metrics -> 405|GET|@K@/usage_metrics|@KAS@||405|@E405@
DELETE on gitlab_subscription -> 405|DELETE|@NS@/5010/gitlab_subscription|@ADMIN@||405|@E405@
DELETE on minutes -> 405|DELETE|@NS@/5010/minutes|@ADMIN@||405|@E405@
GET on minutes move -> 405|GET|@NS@/5010/minutes/move/5010|@ADMIN@||405|@E405@
OPTIONS on check -> 405|OPTIONS|@S@/check|@AUTH@||405|@E405@
HEAD on a POST route -> 405, no body|HEAD|@S@/allowed|@AUTH@||405|
POST on /-/liveness -> 405|POST|/-/liveness|||405|@E405@
DELETE on /-/metrics -> 405|DELETE|/-/metrics|||405|@E405@
health path with a trailing slash -> 404 (nginx, JSON)|GET|/-/liveness/|||404|@E404@
%zz in a readiness query -> 400|GET|/-/readiness?x=%zz|||400|@BADQ@
%00 in a liveness query -> 400|GET|/-/liveness?a=%00|||400|@BADQ@
10 KB query on /-/metrics -> 414|GET|/-/metrics?x=@Q10K@|||414|@E414@
a truncated JSON body on readiness -> 400|GET|/-/readiness|@JSON@|[[[[|400|@BADJ@
DEVIATION (nginx 405 page is HTML): TRACE on check -> 405 JSON|TRACE|@S@/check|@AUTH@||405|~^\{"(message|error)":"405 
encoded slash and dots in the route -> 404|POST|@S@/allowed%2f..|@AUTH@||404|@E404@
trailing slash on a kubernetes route: dropped, as Grape does -> 200|GET|@K@/agent_info/|@KAS@^^@AGENT@||200|~^\{"project_id":5011,"agent_id":5001,
route in another case -> 404|POST|@S@/ALLOWED|@AUTH@||404|@E404@
matrix parameter on a route -> 404|GET|@S@/check;x=1|@AUTH@||404|@E404@
# §2.2 encoding and parsing (rows 17-28)
%zz in the allowed form body -> 400|POST|@S@/allowed|@AUTH@|project=%zz&key_id=5001&@PULL@|400|@BADF@
truncated %4 in the personal_access_token form body -> 400|POST|@S@/personal_access_token|@AUTH@|key_id=5001&name=a%4&scopes[]=api|400|@BADF@
trailing % in the post_receive form body -> 400|POST|@S@/post_receive|@AUTH@|gl_repository=project-5011&identifier=user-5001&changes=%|400|@BADF@
%zz in the project_info query -> 400|GET|@K@/project_info?id=%zz|@KAS@^^@AGENT@||400|@BADQ@
%zz in the gitlab_subscription query -> 400|PUT|@NS@/5010/gitlab_subscription?seats=%zz|@ADMIN@||400|@BADQ@
%00 in the allowed project -> 400|POST|@S@/allowed|@AUTH@|project=bad-group%00/bad-project&key_id=5001&@PULL@|400|@BADF@
%00 in a personal access token name -> 400|POST|@S@/personal_access_token|@AUTH@|key_id=5001&name=x%00y&scopes[]=api|400|@BADF@
%00 in the changes of post_receive -> 400|POST|@S@/post_receive|@AUTH@|gl_repository=project-5011&identifier=user-5001&changes=@Z@ @N1@ refs/heads/a%00b|400|@BADF@
%00 in the authorized_keys key -> 400|GET|@S@/authorized_keys?key=AAAA%00BBBB|@AUTH@||400|@BADQ@
%00 in the private_token parameter -> 400|GET|@NS@/5010/gitlab_subscription?private_token=glpat-bad-admin-00001%00x|||400|@BADQ@
%00 in the pre_receive gl_repository -> 400|POST|@S@/pre_receive|@AUTH@|gl_repository=project-5011%00x|400|@BADF@
DEVIATION (nginx 400 page is HTML): %00 in a namespaces path segment -> 400 JSON|GET|@NS@/5010%00/gitlab_subscription|@ADMIN@||400|~^\{"message":"400 
JSON \u0000 in a personal access token name -> 400|POST|@S@/personal_access_token|@AUTH@^^@JSON@|{"key_id":5001,"name":"x\u0000y","scopes":["api"]}|400|@BADJ@
JSON \u0000 in a cilium alert title -> 400|POST|@K@/modules/cilium_alert|@KAS@^^@AGENT@^^@JSON@|{"alert":{"title":"t\u0000x"}}|400|@BADJ@
raw \xff\xfe in a JSON project -> 400|POST|@S@/allowed|@AUTH@^^@JSON@|b:{"project":"bad\xff\xfe","key_id":5001,"action":"git-upload-pack","changes":"_any","protocol":"ssh"}|400|@BADJ@
%ff%fe in a form token name -> 400|POST|@S@/personal_access_token|@AUTH@|key_id=5001&name=%ff%fe&scopes[]=api|400|@BADF@
overlong %c0%af in a form project -> 400|POST|@S@/allowed|@AUTH@|project=bad-group%c0%afbad-project&key_id=5001&@PULL@|400|@BADF@
lone surrogate %ed%a0%80 in the lfs project -> 400|POST|@S@/lfs_authenticate|@AUTH@|key_id=5001&project=bad%ed%a0%80|400|@BADF@
invalid UTF-8 in the discover username (query) -> 400|GET|@S@/discover?username=bad%c3%28|@AUTH@||400|@BADQ@
raw overlong \xc0\xaf in a JSON alert title -> 400|POST|@K@/modules/cilium_alert|@KAS@^^@AGENT@^^@JSON@|b:{"alert":{"title":"t\xc0\xaf"}}|400|~^\{"message":"400 Bad request - invalid (JSON body|value)"\}$
raw invalid UTF-8 in a JSON reconciliation date -> 400|PUT|@S@/upcoming_reconciliations|@ADMIN@^^@JSON@|b:{"upcoming_reconciliations":[{"namespace_id":5010,"next_reconciliation_date":"2030-01-01\xff","display_alert_from":"2029-12-01"}]}|400|@BADJ@
JSON nesting bomb 10 000 deep -> 400|POST|@S@/allowed|@AUTH@^^@JSON@|@file:bomb|400|@BADJ@
JSON nested 20 deep (over the depth limit) -> 400|GET|@S@/discover|@AUTH@^^@JSON@|@file:deep20|400|@BADJ@
JSON object of 60 000 keys (under 1 MiB) -> 400 too many parameters|GET|@S@/discover|@AUTH@^^@JSON@|@file:keys100k|400|{"message":"400 Bad request - too many parameters"}
JSON trailing comma -> 400|POST|@S@/personal_access_token|@AUTH@^^@JSON@|{"key_id":5001,"name":"x","scopes":["api",],}|400|@BADJ@
JSON NaN -> 400|POST|@NS@/5010/minutes|@ADMIN@^^@JSON@|{"packs":[{"number_of_minutes":NaN,"expires_at":"2030-01-01","purchase_xid":"bad-nan"}]}|400|@BADJ@
JSON Infinity -> 400|POST|@K@/usage_metrics|@KAS@^^@JSON@|{"gitops_sync_count":Infinity}|400|@BADJ@
JSON TRUE -> 400|PUT|@NS@/5010/gitlab_subscription|@ADMIN@^^@JSON@|{"auto_renew":TRUE}|400|@BADJ@
JSON leading zero -> 400|GET|@S@/discover|@AUTH@^^@JSON@|{"key_id":05001}|400|@BADJ@
two JSON documents -> 400|POST|@S@/pre_receive|@AUTH@^^@JSON@|{"gl_repository":"project-5011"}{"gl_repository":"x"}|400|@BADJ@
JSON that is an array -> 400|POST|@S@/allowed|@AUTH@^^@JSON@|[{"project":"bad-group/bad-project"}]|400|~^\{"(message|error)":"400 Bad request - [a-zA-Z ]+"\}$
key_id 1.9 in JSON -> 400|GET|@S@/discover|@AUTH@^^@JSON@|{"key_id":1.9}|400|@KEYINV@
key_id true in JSON -> 400|POST|@S@/lfs_authenticate|@AUTH@^^@JSON@|{"key_id":true,"project":"bad-group/bad-project"}|400|@KEYINV@
key_id an object in JSON -> 400|POST|@S@/two_factor_recovery_codes|@AUTH@^^@JSON@|{"key_id":{"id":5001}}|400|@KEYINV@
key_id an array in JSON -> 400|POST|@S@/allowed|@AUTH@^^@JSON@|{"key_id":[5001],"project":"bad-group/bad-project","action":"git-upload-pack","changes":"_any","protocol":"ssh"}|400|@KEYINV@
upcoming_reconciliations an object -> 400|PUT|@S@/upcoming_reconciliations|@ADMIN@^^@JSON@|{"upcoming_reconciliations":{"namespace_id":5010}}|400|{"error":"upcoming_reconciliations is invalid"}
packs elements that are numbers -> 400|POST|@NS@/5010/minutes|@ADMIN@^^@JSON@|{"packs":[1,2]}|400|~^\{"error":"packs(\[[a-z_]+\])? is (invalid|missing)
multipart body -> 415|POST|@S@/personal_access_token|@AUTH@^^Content-Type: multipart/form-data; boundary=x|b:--x\r\nContent-Disposition: form-data; name="key_id"\r\n\r\n5001\r\n--x--\r\n|415|@E415@
a JSON body declared as a form is not read as JSON|GET|@S@/discover|@AUTH@^^Content-Type: application/x-www-form-urlencoded|{"key_id":5001}|200|null
a form body declared as text/plain is not read|GET|@S@/discover|@AUTH@^^Content-Type: text/plain|key_id=5001|200|null
empty body with a JSON type, personal_access_token -> no key|POST|@S@/personal_access_token|@AUTH@^^@JSON@|b:|200|@NOKEY@
# §2.3 shared secret (rows 29-35)
Gitlab-Shared-Secret '====' -> 401|GET|@S@/check|@A_EQ@||401|@UNAUTH@
the secret and CRLF (GitLab chomps it) -> 200|GET|@S@/discover?key_id=5001|@A_CRLF@||200|@USER@
the secret and a tab -> 401|GET|@S@/discover?key_id=5001|@A_TAB@||401|@UNAUTH@
the secret one byte longer -> 401|POST|@S@/pre_receive|@A_LONGER@|gl_repository=project-5011|401|@UNAUTH@
the secret's base64 without padding (strict base64) -> 401|GET|@S@/check|@A_NOPAD@||401|@UNAUTH@
the secret's base64 with a space inside -> 401|POST|@S@/personal_access_token|@A_SPLIT@|key_id=5001&name=x&scopes[]=api|401|@UNAUTH@
SQL in Gitlab-Shared-Secret -> 401|POST|@S@/two_factor_recovery_codes|@A_SQL@|key_id=5001|401|@UNAUTH@
secret_token with a trailing space -> 401|GET|@S@/check?secret_token=@SECRET@%20|||401|@UNAUTH@
secret_token with %00 -> 400 (before any comparison)|GET|@S@/check?secret_token=@SECRET@%00|||400|@BADQ@
no secret, allowed -> 401|POST|@S@/allowed||project=bad-group/bad-project&key_id=5001&@PULL@|401|@UNAUTH@
no secret, post_receive -> 401|POST|@S@/post_receive||gl_repository=project-5011|401|@UNAUTH@
no secret, personal_access_token -> 401|POST|@S@/personal_access_token||key_id=5001&name=x&scopes[]=api|401|@UNAUTH@
no token, POST gitlab_subscription -> 401|POST|@NS@/5010/gitlab_subscription?start_date=2020-07-15|||401|@UNAUTH@
no token, PUT gitlab_subscription -> 401|PUT|@NS@/5010/gitlab_subscription?seats=1|||401|@UNAUTH@
no token, minutes move -> 401|PATCH|@NS@/5010/minutes/move/5010|||401|@UNAUTH@
no token, upcoming_reconciliations -> 401|PUT|@S@/upcoming_reconciliations|@JSON@|{"upcoming_reconciliations":[{"namespace_id":5010,"next_reconciliation_date":"2030-01-01","display_alert_from":"2029-12-01"}]}|401|@UNAUTH@
no kas JWT, project_info -> 401|GET|@K@/project_info?id=5011|@AGENT@||401|@JWT_BAD@
# §2.4 JWT attacks not in t_kubernetes or t_check (rows 36-46)
kas JWT RS256 (HMAC-signed) -> 401|GET|@K@/agent_info|@K_RS256@^^@AGENT@||401|@JWT_BAD@
kas JWT ES256 -> 401|POST|@K@/usage_metrics|@K_ES256@^^@JSON@|{"gitops_sync_count":1}|401|@JWT_BAD@
kas JWT alg none with a signature -> 401|GET|@K@/project_info?id=5011|@K_NONE_SIG@^^@AGENT@||401|@JWT_BAD@
kas JWT alg None (capitalised), no signature -> 401|GET|@K@/agent_info|@K_NONE_CAP@^^@AGENT@||401|@JWT_BAD@
kas JWT iat a string -> 401|GET|@K@/agent_info|@K_IAT_STR@^^@AGENT@||401|@JWT_BAD@
kas JWT exp a float -> 401|GET|@K@/agent_info|@K_EXP_FLOAT@^^@AGENT@||401|@JWT_BAD@
kas JWT nbf a string -> 401|POST|@K@/usage_metrics|@K_NBF_STR@^^@JSON@|{"gitops_sync_count":1}|401|@JWT_BAD@
kas JWT aud a number -> 401|GET|@K@/agent_info|@K_AUD_NUM@^^@AGENT@||401|@JWT_BAD@
kas JWT aud a nested array -> 401|GET|@K@/agent_info|@K_AUD_NESTED@^^@AGENT@||401|@JWT_BAD@
kas JWT payload an array -> 401|GET|@K@/agent_info|@K_PAYLOAD_ARRAY@^^@AGENT@||401|@JWT_BAD@
kas JWT iss twice, the last wrong -> 401|GET|@K@/agent_info|@K_ISS_LAST@^^@AGENT@||401|@JWT_BAD@
kas JWT iss with \u0000 -> 401|GET|@K@/agent_info|@K_ISS_NUL@^^@AGENT@||401|@JWT_BAD@
kas JWT signed with a 1-byte key -> 401|GET|@K@/agent_info|@K_EMPTY_KEY@^^@AGENT@||401|@JWT_BAD@
kas JWT with four segments -> 401|GET|@K@/agent_info|@K_FOUR@^^@AGENT@||401|@JWT_BAD@
kas JWT of invalid base64url -> 401|POST|@K@/modules/cilium_alert|@K_B64@^^@AGENT@^^@JSON@|{"alert":{"title":"x"}}|401|@JWT_BAD@
kas JWT whose header is not JSON -> 401|GET|@K@/agent_info|@K_HDR_NOT_JSON@^^@AGENT@||401|@JWT_BAD@
agent token followed by more words -> 401|GET|@K@/agent_info|@KAS@^^Authorization: Bearer kas-token-bad extra||401|@UNAUTH@
SQL as the agent token -> 401|GET|@K@/project_info?id=5011|@KAS@^^Authorization: Bearer x' OR '1'='1||401|@UNAUTH@
shell JWT with iat 10 minutes ahead -> 401|GET|@S@/discover?key_id=5001|@S_IAT_FUTURE@||401|@UNAUTH@
shell JWT with iat a string -> 401|GET|@S@/discover?key_id=5001|@S_IAT_STR@||401|@UNAUTH@
shell JWT alg none with a signature -> 401|POST|@S@/allowed|@S_NONE@|project=bad-group/bad-project&key_id=5001&@PULL@|401|@UNAUTH@
# §2.5 admin token (rows 49-51)
SQL as PRIVATE-TOKEN -> 401|GET|@NS@/5010/gitlab_subscription|PRIVATE-TOKEN: ' OR '1'='1||401|@UNAUTH@
SQL as private_token -> 401|PATCH|@NS@/5010/minutes/move/5010?private_token=x%27%20OR%201%3D1--|||401|@UNAUTH@
# §2.6 injection, traversal, ranges (rows 52-65)
SQL in the authorized_keys key -> 404|GET|@S@/authorized_keys?key=%27%20OR%20%271%27%3D%271|@AUTH@||404|@KEY404@
SQL in the lfs project -> 404|POST|@S@/lfs_authenticate|@AUTH@|key_id=5001&project=bad-group/x%27%20OR%201%3D1--|404|@M404@
SQL in the post_receive identifier -> unknown actor|POST|@S@/post_receive|@AUTH@|gl_repository=project-5011&identifier=user-5001%27%20OR%201%3D1&changes=@Z@ @N1@ refs/heads/x|200|@MR@
SQL in a namespaces full path -> 404|GET|@NS@/bad-group%27--/gitlab_subscription|@ADMIN@||404|@NS404@
SQL in the project_info id -> 404|GET|@K@/project_info?id=bad-group%2Fbad-project%27%20OR%20%271%27%3D%271|@KAS@^^@AGENT@||404|@M404@
SQL in a purchase_xid, unknown namespace -> 404|POST|@NS@/999999/minutes|@ADMIN@^^@JSON@|{"packs":[{"number_of_minutes":1,"expires_at":"2030-01-01","purchase_xid":"x'); DROP TABLE ci_minutes_additional_packs;--"}]}|404|@NS404@
SQL in a reconciliation namespace_id -> 400|PUT|@S@/upcoming_reconciliations|@ADMIN@^^@JSON@|{"upcoming_reconciliations":[{"namespace_id":"1;DROP TABLE users","next_reconciliation_date":"2030-01-01","display_alert_from":"2029-12-01"}]}|400|{"error":"upcoming_reconciliations[namespace_id] is invalid"}
SQL in the recovery codes key_id -> 400|POST|@S@/two_factor_recovery_codes|@AUTH@|key_id=1%20OR%201%3D1|400|@KEYINV@
%2e%2e in the allowed project -> 404|POST|@S@/allowed|@AUTH@|project=%2e%2e/bad-group/bad-project&key_id=5001&@PULL@|404|@PNF@
unicode confusable project path -> 404|POST|@S@/allowed|@AUTH@|project=b%d0%b0d-group/bad-project&key_id=5001&@PULL@|404|@PNF@
4 KB project path -> 404|POST|@S@/allowed|@AUTH@|project=@P4K@&key_id=5001&@PULL@|404|@PNF@
../../etc/passwd as the lfs project -> 404|POST|@S@/lfs_authenticate|@AUTH@|key_id=5001&project=../../etc/passwd|404|@M404@
traversal in the project_info id -> 404|GET|@K@/project_info?id=..%2F..%2Fetc%2Fpasswd|@KAS@^^@AGENT@||404|@M404@
a project's full path with %2F as namespaces :id -> 404 namespace|GET|@NS@/bad-group%2Fbad-project/gitlab_subscription|@ADMIN@||404|@NS404@
..%2F in namespaces :id: nginx normalises it away, no route -> 404|GET|@NS@/..%2Fbad-group%2Fbad-project/gitlab_subscription|@ADMIN@||404|@E404@
%2F in a literal segment -> 404 from the router|POST|/api/v4/internal%2Fallowed|@AUTH@|key_id=5001&project=bad-group/bad-project&@PULL@|404|@E404@
lfs gl_repository past int64 -> 400|POST|@S@/lfs_authenticate|@AUTH@|key_id=5001&gl_repository=project-99999999999999999999|400|@GLRINV@
allowed gl_repository wiki- -> 400|POST|@S@/allowed|@AUTH@|key_id=5001&gl_repository=wiki-&@PULL@|400|@GLRINV@
allowed gl_repository design-abc -> 400|POST|@S@/allowed|@AUTH@|key_id=5001&gl_repository=design-abc&@PULL@|400|@GLRINV@
key_id 0x10 -> 400|POST|@S@/lfs_authenticate|@AUTH@|key_id=0x10&project=bad-group/bad-project|400|@KEYINV@
key_id with a leading space -> 400|POST|@S@/two_factor_recovery_codes|@AUTH@|key_id=%205001|400|@KEYINV@
key_id 1e3 -> 400|POST|@S@/allowed|@AUTH@|key_id=1e3&project=bad-group/bad-project&@PULL@|400|@KEYINV@
key_id +5001 -> 400|POST|@S@/personal_access_token|@AUTH@|key_id=%2B5001&name=x&scopes[]=api|400|@KEYINV@
key_id 5001.0 -> 400|GET|@S@/discover?key_id=5001.0|@AUTH@||400|@KEYINV@
user_id past int64 -> 400|POST|@S@/two_factor_recovery_codes|@AUTH@|user_id=9223372036854775808|400|{"error":"user_id is invalid"}
identifier admin-1 -> unknown actor|POST|@S@/post_receive|@AUTH@|gl_repository=project-5011&identifier=admin-1&changes=@Z@ @N1@ refs/heads/x|200|@MR@
identifier user-1-2 -> unknown actor|POST|@S@/post_receive|@AUTH@|gl_repository=project-5011&identifier=user-1-2&changes=@Z@ @N1@ refs/heads/x|200|@MR@
identifier past int64 -> unknown actor|POST|@S@/post_receive|@AUTH@|gl_repository=project-5011&identifier=user-99999999999999999999&changes=@Z@ @N1@ refs/heads/x|200|@MR@
CR in a changes ref -> 400|POST|@S@/post_receive|@AUTH@|gl_repository=project-5011&identifier=user-5001&changes=@Z@ @N1@ refs/heads/a%0db|400|@CHINV@
41-character sha -> 400|POST|@S@/post_receive|@AUTH@|gl_repository=project-5011&identifier=user-5001&changes=@Z@0 @N1@ refs/heads/x|400|@CHINV@
number_of_minutes past int64 in JSON -> 400|POST|@NS@/5010/minutes|@ADMIN@^^@JSON@|{"packs":[{"number_of_minutes":99999999999999999999,"expires_at":"2030-01-01","purchase_xid":"bad-big"}]}|400|@BADJ@
number_of_minutes "1e9" -> 400|POST|@NS@/5010/minutes|@ADMIN@^^@JSON@|{"packs":[{"number_of_minutes":"1e9","expires_at":"2030-01-01","purchase_xid":"bad-1e9"}]}|400|{"error":"packs[number_of_minutes] is invalid"}
PUT seats 2147483648 -> 400|PUT|@NS@/5010/gitlab_subscription?seats=2147483648|@ADMIN@||400|{"error":"seats is invalid"}
PUT max_seats_used past int64 -> 400|PUT|@NS@/5010/gitlab_subscription?max_seats_used=99999999999999999999|@ADMIN@||400|{"error":"max_seats_used is invalid"}
move target past int64 -> 404|PATCH|@NS@/5010/minutes/move/99999999999999999999|@ADMIN@||404|{"message":"404 Target namespace Not Found"}
move target -1 -> 404|PATCH|@NS@/5010/minutes/move/-1|@ADMIN@||404|{"message":"404 Target namespace Not Found"}
project_info id past int64 -> 404|GET|@K@/project_info?id=99999999999999999999|@KAS@^^@AGENT@||404|@M404@
usage count 2^63 in JSON -> 400|POST|@K@/usage_metrics|@KAS@^^@JSON@|{"gitops_sync_count":9223372036854775808}|400|@BADJ@
reconciliation namespace_id past int64 -> 400|PUT|@S@/upcoming_reconciliations|@ADMIN@^^@JSON@|{"upcoming_reconciliations":[{"namespace_id":"99999999999999999999","next_reconciliation_date":"2030-01-01","display_alert_from":"2029-12-01"}]}|400|{"error":"upcoming_reconciliations[namespace_id] is invalid"}
expiry 2021-02-29 (not a leap year) -> refused|POST|@S@/personal_access_token|@AUTH@|key_id=5001&name=x&scopes[]=api&expires_at=2021-02-29|200|{"success":false,"message":"Invalid token expiry date: '2021-02-29'"}
expiry as a JSON number -> 400|POST|@S@/personal_access_token|@AUTH@^^@JSON@|{"key_id":5001,"name":"x","scopes":["api"],"expires_at":20300101}|400|{"error":"expires_at is invalid"}
pack expiry 2021-02-29 -> 400|POST|@NS@/5010/minutes|@ADMIN@^^@JSON@|{"packs":[{"number_of_minutes":1,"expires_at":"2021-02-29","purchase_xid":"bad-date"}]}|400|{"error":"packs[expires_at] is invalid"}
pack expiry yesterday -> 400|POST|@NS@/5010/minutes|@ADMIN@^^@JSON@|{"packs":[{"number_of_minutes":1,"expires_at":"yesterday","purchase_xid":"bad-date"}]}|400|{"error":"packs[expires_at] is invalid"}
PUT start_date 2020-02-30 -> 400|PUT|@NS@/5010/gitlab_subscription?start_date=2020-02-30|@ADMIN@||400|{"error":"start_date is invalid"}
reconciliation date 2021-02-28T25:00 -> 400|PUT|@S@/upcoming_reconciliations|@ADMIN@^^@JSON@|{"upcoming_reconciliations":[{"namespace_id":5010,"next_reconciliation_date":"2021-02-28T25:00","display_alert_from":"2021-02-01"}]}|400|{"error":"upcoming_reconciliations[next_reconciliation_date] is invalid"}
a 10 000-character token name -> refused|POST|@S@/personal_access_token|@AUTH@|key_id=5001&name=@NAME10K@&scopes[]=api|200|{"success":false,"message":"Failed to create token: Name is too long (maximum is 255 characters)"}
a tab inside the authorized_keys key -> 404|GET|@S@/authorized_keys?key=AAAAC3NzaC1lZDI1NTE5%09AAAAILLrC|@AUTH@||404|@KEY404@
6 KB of base64 as the authorized_keys key -> 404|GET|@S@/authorized_keys?key=@KEY6K@|@AUTH@||404|@KEY404@
namespaces :id a 2 KB number -> 414 (paths are capped at 1 KiB)|GET|@NS@/@Q2K@/gitlab_subscription|@ADMIN@||414|@E414@
namespaces :id 20 digits -> 404|PATCH|@NS@/99999999999999999999/minutes/move/5010|@ADMIN@||404|@NS404@
ROWS

ok_if "the table has at least 80 rows ($rows)" test "$rows" -ge 80
request HEAD "$S/allowed" -H "$AUTH"
desc "HEAD on allowed: Allow names POST"
expect_header Allow POST

# --- after the table: nothing crashed, nothing was written
ok_if "the glia master ($GLIA_PID) survived the table" kill -0 "$GLIA_PID"
ok_if "the same workers before and after the table (before: $(tr '\n' ' ' <<<"$workers_before"), after: $(workers | tr '\n' ' '))" \
	test "$workers_before" = "$(workers)"
deaths=$(worker_exits "$GLIA_LOG" "$log_from")
ok_if "the master logged no worker death during the table${deaths:+ ($(tr '\n' ' ' <<<"$deaths"))}" test -z "$deaths"
sums_after=$(db_checksums)
changed=$(diff <(echo "$sums_before") <(echo "$sums_after") | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' ' || true)
ok_if "no row of any table changed ($(wc -l <<<"$sums_after") tables checked${changed:+; changed: $changed})" \
	test "$sums_before" = "$sums_after"
ok_if "no sanitizer report in glia's log" sanitizer_clean "$GLIA_LOG"

# --- a raw FastCGI peer: what nginx never passes on (RELIABILITY §2.1 rows
# 2-4, 6), on a private glia with one worker
cp "$GLIA_SHELL_SECRET_FILE" "$T/secret"
chmod 0600 "$T/secret"
private_conf "$T/raw.conf" glia-e2e-badinput "$T/raw.sock" "workers = 1" "shell_secret_file = $T/secret"
if start_private "$T/raw.conf" "$T/raw.sock" "$T/raw.log"; then
	raw=$PRIVATE_PID
	raw_workers=$(private_workers "$raw")
	SS=HTTP_GITLAB_SHARED_SECRET=$SECRET_B64
	FORM=CONTENT_TYPE=application/x-www-form-urlencoded
	printf 'key_id=5001' >"$T/k.body"
	printf 'key_id=5001&user_id=999999' >"$T/k2.body"
	raw_case() { # DESC STATUS BODY BODY_FILE MAX_MS VAR=VALUE...
		local d=$1 want_status=$2 want_body=$3 file=$4 max=$5 t0 took
		shift 5
		t0=$(ms)
		fcgi_body "$T/raw.sock" GET "$S/discover" "$file" "$SS" "$FORM" "$@"
		took=$(($(ms) - t0))
		if [ "$STATUS" = "$want_status" ] && [ "$BODY" = "$want_body" ] && [ "$took" -le "$max" ]; then
			_report 1 "raw FastCGI: $d -> $want_status"
		else
			_report 0 "raw FastCGI: $d -> $want_status" "request:  GET $S/discover, body $(cat "$file"), $*" \
				"expected: $want_status $want_body within $max ms" "got:      $STATUS ${BODY:0:300} after $took ms"
		fi
	}
	raw_case "CONTENT_LENGTH right" 200 "$USER" "$T/k.body" 5000 CONTENT_LENGTH=11
	raw_case "CONTENT_LENGTH 100, 11 bytes sent (short body)" 400 '{"message":"400 Bad request - incomplete body"}' "$T/k.body" 5000 CONTENT_LENGTH=100
	raw_case "CONTENT_LENGTH 11 of a 26-byte body: the rest ignored" 200 "$USER" "$T/k2.body" 5000 CONTENT_LENGTH=11
	for cl in -1 abc 1e3 ' 11' 18446744073709551616 99999999999 +11 0x0b; do
		raw_case "CONTENT_LENGTH '$cl'" 400 '{"message":"400 Bad request - invalid Content-Length"}' "$T/k.body" 5000 "CONTENT_LENGTH=$cl"
	done
	raw_case "CONTENT_LENGTH empty on GET with no body: 0" 200 null /dev/null 5000 CONTENT_LENGTH=
	raw_case "CONTENT_LENGTH 2 GB announced, 11 bytes sent -> 413" 413 "$E413" "$T/k.body" 5000 CONTENT_LENGTH=2147483647
	ok_if "the private glia's worker survived the lying lengths (before: $raw_workers, after: $(private_workers "$raw" | tr '\n' ' '))" \
		test "$raw_workers" = "$(private_workers "$raw")"

	# The worker is free as soon as it has answered: a caller that keeps
	# its connection open after the answer (nginx, until it is scheduled)
	# does not hold the one worker. libfcgi's lingering close waited up to
	# 2 s for it. Only when all the request was read: an unread body
	# above the drain's bound keeps the lingering close, so that the web
	# server, still sending, is not reset before it reads the answer.
	python3 - "$T/raw.sock" "$SECRET_B64" <<'PY' >"$T/linger.out" 2>&1 || true
import socket, struct, sys, time
def rec(t, content):
    return struct.pack(">BBHHBB", 1, t, 1, len(content), 0, 0) + content
def nv(k, v):
    return bytes([len(k), len(v)]) + k + v
def request(method, path, body=b"", length=None, end=True):
    params = [(b"REQUEST_METHOD", method), (b"SCRIPT_NAME", b"/api/v4"), (b"PATH_INFO", path),
              (b"REQUEST_URI", b"/api/v4" + path), (b"QUERY_STRING", b""),
              (b"HTTP_GITLAB_SHARED_SECRET", sys.argv[2].encode()),
              (b"CONTENT_TYPE", b"application/x-www-form-urlencoded")]
    if length is not None:
        params.append((b"CONTENT_LENGTH", str(length).encode()))
    stdin = b"".join(rec(5, body[i:i + 65535]) for i in range(0, len(body), 65535))
    return (rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, b"".join(nv(k, v) for k, v in params)) + rec(4, b"")
            + stdin + (rec(5, b"") if end else b""))
def answer(s):
    # The records up to FCGI_END_REQUEST; the answer's status line.
    data, out = b"", b""
    while True:
        while len(data) >= 8:
            t, n, pad = data[1], struct.unpack(">H", data[4:6])[0], data[6]
            if len(data) < 8 + n + pad:
                break
            if t == 3:
                return out.split(b"\r\n")[0].decode()
            out += data[8:8 + n]
            data = data[8 + n + pad:]
        chunk = s.recv(65536)
        if not chunk:
            return "closed"
        data += chunk
def held(req, label, limit_ms=1000):
    a = socket.socket(socket.AF_UNIX); a.settimeout(10); a.connect(sys.argv[1])
    a.sendall(req)
    first = answer(a)  # answered; a stays open
    b = socket.socket(socket.AF_UNIX); b.settimeout(10); b.connect(sys.argv[1])
    t0 = time.monotonic()
    b.sendall(request(b"GET", b"/internal/check"))
    second = answer(b)
    print("%s|%s|%s|%d|%d" % (label, first, second, (time.monotonic() - t0) * 1000, limit_ms))
    a.close(); b.close()
held(request(b"GET", b"/internal/check"), "get")
held(request(b"POST", b"/internal/nowhere", b"x" * 3000, 3000), "unread small body")
held(request(b"GET", b"/internal/check", b"", 0), "length 0")
held(request(b"POST", b"/internal/allowed", b"x" * 100000, 100000), "a 100 KB body read whole")
# A peer that never sends the end of its stream: the read of what is left
# gives up after 2 s, then libfcgi's own close waits its 2 s.
held(request(b"GET", b"/internal/check", b"", 0, end=False), "no end-of-stream record", 6000)
PY
	while IFS='|' read -r label first second took limit; do
		ok_if "raw FastCGI: a caller that keeps its connection after its answer ($label: $first) does not hold the worker: the next answered in $took ms, under $limit ($second)" \
			test "${second}" = "Status: 200 OK" -a "$took" -lt "$limit"
	done <"$T/linger.out"
	ok_if "raw FastCGI: five held connections measured ($(tr '\n' ';' <"$T/linger.out"))" test "$(grep -c '|' "$T/linger.out")" = 5

	# Malformed FastCGI records (row 6): a PARAMS record whose name length
	# claims 2 GB, and a record of an unknown version. libfcgi may abort the
	# worker (RELIABILITY §0.3): the master must respawn it, and the next
	# request must be served.
	python3 - "$T/raw.sock" <<'PY' >"$T/records.out" 2>&1 || true
import socket, struct, sys
def rec(t, rid, content, version=1):
    return struct.pack(">BBHHBB", version, t, rid, len(content), 0, 0) + content
begin = rec(1, 1, struct.pack(">HB5x", 1, 0))
for payload in (
    begin + rec(4, 1, struct.pack(">II", 0xFFFFFFFF, 0x80000010) + b"x" * 16),   # huge name/value lengths
    begin + rec(4, 1, bytes([0x80, 0, 0, 5]) + b"\x05abc"),                        # lengths past the record
    rec(1, 1, struct.pack(">HB5x", 1, 0), version=9) + rec(4, 1, b""),             # unknown version
    begin + rec(4, 1, b"") + rec(5, 1, b"") + struct.pack(">BBHHBB", 1, 5, 1, 65535, 0, 0) + b"ab",  # truncated record
):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    try:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        print(len(s.recv(65536)))
    except Exception as e:
        print("closed:", e)
    s.close()
PY
	sleep 0.5
	fcgi "$T/raw.sock" GET "$S/discover?key_id=5001" "$SS"
	ok_if "after malformed records the private glia serves (got $STATUS ${BODY:0:100})" test "$STATUS" = 200 -a "$BODY" = "$USER"
	ok_if "its master survived" kill -0 "$raw"
	rdeaths=$(worker_exits "$T/raw.log" 1)
	echo "# malformed records: worker deaths logged: ${rdeaths:-none}; workers now $(private_workers "$raw" | tr '\n' ' ')"
	ok_if "no sanitizer report in the private glia's log" sanitizer_clean "$T/raw.log"
	stop_private "$raw" 10
else
	ok_if "private glia (workers 1) starts" false
fi

finish
