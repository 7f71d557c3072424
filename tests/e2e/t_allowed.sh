#!/usr/bin/env bash
# POST /api/v4/internal/allowed: GitLab's GitAccess check order, messages,
# status codes and success body, against tests/data/e2e-git-access.json.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
import "$GLIA_SRC/tests/data/e2e-git-access.json"
A=/api/v4/internal/allowed

# What the import format cannot say: a read-only repository, a protected
# tag, a key that expires in two days.
psql -qAt -v ON_ERROR_STOP=1 >/dev/null <<-'EOF'
	UPDATE projects SET repository_read_only = true WHERE id = 1206;
	UPDATE keys SET expires_at = now() + interval '2 days' WHERE id = 1302;
	INSERT INTO protected_tags (project_id, name) VALUES (1200, 'v*') ON CONFLICT DO NOTHING;
	INSERT INTO protected_tag_create_access_levels (protected_tag_id, access_level)
	SELECT id, 40 FROM protected_tags t WHERE project_id = 1200 AND name = 'v*'
	   AND NOT EXISTS (SELECT 1 FROM protected_tag_create_access_levels a WHERE a.protected_tag_id = t.id);
EOF

# --- configuration: Gitaly addresses and token, external URL -------------
GITALY_TOKEN_FILE=$GLIA_STACK_DIR/e2e_gitaly_token
printf 'gitaly-secret\n' >"$GITALY_TOKEN_FILE"
chmod 0600 "$GITALY_TOKEN_FILE"

on_exit 'rm -f "$GITALY_TOKEN_FILE"'
BASE_CONF=(
	"gitaly_storages = default=unix:/run/gitaly/gitaly.socket,other=tcp://gitaly2:8075"
	"gitaly_token_file = $GITALY_TOKEN_FILE"
	"external_url = http://gitlab.example.com"
)
reload_with "${BASE_CONF[@]}"

# --- expected bodies ---------------------------------------------------------
hashed() { # ID SUFFIX
	local h
	h=$(printf %s "$1" | sha256sum | cut -c1-64)
	printf '@hashed/%s/%s/%s%s.git' "${h:0:2}" "${h:2:2}" "$h" "${2:-}"
}
snippet_path() {
	local h
	h=$(printf %s "$1" | sha256sum | cut -c1-64)
	printf '@snippets/%s/%s/%s.git' "${h:0:2}" "${h:2:2}" "$h"
}
UPLOADPACK='"uploadpack.allowFilter=true","uploadpack.allowAnySHA1InWant=true"'
ADDRESS=unix:/run/gitaly/gitaly.socket
# success GL_REPOSITORY PROJECT_PATH GL_ID USERNAME|- RELATIVE_PATH [CONSOLE_JSON [KEY_TYPE KEY_ID [OPTIONS [ADDRESS [STORAGE]]]]]
# The personal namespace's id comes from a sequence.
OUTSIDER_NS=$(psql -XAtc "SELECT id FROM namespaces WHERE type = 'User' AND path = 'ga-outsider'")
success() {
	local user=''
	[ "$4" != - ] && user=",\"gl_username\":\"$4\""
	local key=''
	[ -n "${7:-}" ] && key=",\"gl_key_type\":\"$7\",\"gl_key_id\":$8"
	# gl_project_id: the container's project (a snippet's: 1501 is of
	# ga-group/public, the others are personal); gl_root_namespace_id: the
	# top-level group of the path.
	local pid=${1#*-} root=null
	case $1 in snippet-1501) pid=1202 ;; snippet-*) pid=null ;; esac
	case $2 in gnuwget/*) root=5 ;; ga-group/*) root=1100 ;; ga-outsider/*) root=$OUTSIDER_NS ;; esac
	printf '{"status":true,"gl_repository":"%s","gl_project_path":"%s","gl_project_id":%s,"gl_root_namespace_id":%s,"gl_id":"%s"%s,"git_config_options":[%s],"gitaly":{"repository":{"storage_name":"%s","relative_path":"%s","git_object_directory":"","git_alternate_object_directories":[],"gl_repository":"%s","gl_project_path":"%s"},"address":"%s","token":"gitaly-secret","features":{}},"gl_console_messages":%s,"need_audit":false%s}' \
		"$1" "$2" "$pid" "$root" "$3" "$user" "${9:-$UPLOADPACK}" "${11:-default}" "$5" "$1" "$2" "${10:-$ADDRESS}" "${6:-[]}" "$key"
}
refused() { printf '{"status":false,"message":"%s"}' "$1"; }
project_ok() { # ID PATH USER_ID USERNAME
	success "project-$1" "$2" "user-$3" "$4" "$(hashed "$1")"
}
post() { # STATUS BODY FORM
	expect "$1" "$2" POST "$A" -H "$AUTH" --data "$3"
}
PULL="action=git-upload-pack&protocol=ssh&changes=_any"
PUSH="action=git-receive-pack&protocol=ssh&changes=_any"
M_NOT_FOUND="The project you were looking for could not be found."
M_DOWNLOAD="You are not allowed to download code from this project."
M_PUSH="You are not allowed to push code to this project."
Z=0000000000000000000000000000000000000000
S1=d14d6c0abdd253381df51a723d58691b2ee1ab08
S2=570e7b2abdd848b95f2f578043fc23bd6f6fd24d

# --- the reference's example, against the demo data -------------------------
desc "the reference's curl example (root, key 11, gnuwget/wget2)"
expect 200 "$(success project-3 gnuwget/wget2 user-1 root "$(hashed 3)" '[]' key 11)" POST "$A" \
	--header "$AUTH" --data "key_id=11&project=gnuwget/wget2&action=git-upload-pack&protocol=ssh&changes=_any"
desc "gitlab-shell's JSON body, ids as strings"
expect 200 "$(success project-3 gnuwget/wget2 user-7 rubi "$(hashed 3)" '[]' key 7)" POST "$A" -H "$AUTH" \
	-H 'Content-Type: application/json' -H 'User-Agent: GitLab-Shell' \
	--data '{"action":"git-upload-pack","project":"gnuwget/wget2","changes":"_any","protocol":"ssh","key_id":"7","check_ip":"192.0.2.1"}'

# --- roles against visibilities ---------------------------------------------
declare -A UID_OF=([guest]=1001 [reporter]=1002 [developer]=1003 [maintainer]=1004 [owner]=1005 [outsider]=1006 [admin]=1007)
declare -A NAME_OF=([guest]=ga-guest [reporter]=ga-reporter [developer]=ga-dev [maintainer]=ga-maint [owner]=ga-owner [outsider]=ga-outsider [admin]=ga-admin)
declare -A PID_OF=([private]=1200 [internal]=1201 [public]=1202)
# expected outcome per role, visibility and command: ok, 401 (forbidden), 404
outcome() { # ROLE VISIBILITY pull|push
	case "$1:$2:$3" in
	admin:*) echo ok ;;
	outsider:private:*) echo 404 ;;
	guest:private:pull) echo 401 ;;
	guest:*:push | reporter:*:push | outsider:*:push) echo 401 ;;
	*) echo ok ;;
	esac
}
for vis in private internal public; do
	for r in guest reporter developer maintainer owner outsider admin; do
		for cmd in pull push; do
			pid=${PID_OF[$vis]}
			form=$PULL
			[ $cmd = push ] && form=$PUSH
			case $(outcome $r $vis $cmd) in
			ok) want=(200 "$(project_ok "$pid" "ga-group/$vis" "${UID_OF[$r]}" "${NAME_OF[$r]}")") ;;
			404) want=(404 "$(refused "$M_NOT_FOUND")") ;;
			401) if [ $cmd = pull ]; then want=(401 "$(refused "$M_DOWNLOAD")"); else want=(401 "$(refused "$M_PUSH")"); fi ;;
			esac
			desc "$r $cmd $vis"
			post "${want[0]}" "${want[1]}" "user_id=${UID_OF[$r]}&project=ga-group/$vis&$form"
		done
	done
done

desc "anonymous pull of a public project: gl_id empty, no gl_username"
post 200 "$(success project-1202 ga-group/public "" - "$(hashed 1202)")" "project=ga-group/public&$PULL"
desc "anonymous pull of a private project -> 404"
post 404 "$(refused "$M_NOT_FOUND")" "project=ga-group/private&$PULL"
desc "anonymous push to a public project"
post 401 "$(refused "You are not allowed to upload code for this project.")" "project=ga-group/public&$PUSH"
desc "unknown key_id reads as nobody: private project -> 404"
post 404 "$(refused "$M_NOT_FOUND")" "key_id=999999&project=ga-group/private&$PULL"

desc "group membership inherited by a subgroup's project (developer push)"
post 200 "$(project_ok 1203 ga-group/ga-sub/inherited 1003 ga-dev)" "user_id=1003&project=ga-group/ga-sub/inherited&$PUSH"
desc "subgroup project, guest pull -> 401"
post 401 "$(refused "$M_DOWNLOAD")" "user_id=1001&project=ga-group/ga-sub/inherited&$PULL"

# --- project path forms and gl_repository ------------------------------------
desc "path with a leading / and .git"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "user_id=1003&project=/ga-group/private.git&$PULL"
desc "path in another case"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "user_id=1003&project=GA-Group/Private&$PULL"
desc "gl_repository wins over project"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "user_id=1003&gl_repository=project-1200&project=ga-group/public&$PULL"
desc "gl_repository of a missing project -> 404"
post 404 "$(refused "$M_NOT_FOUND")" "user_id=1003&gl_repository=project-999999&$PULL"
for bad in project- project-abc project-0 project--1 project-99999999999999999999 'project-1 OR 1=1' group-1-wiki; do
	desc "gl_repository '$bad' -> 400 (GitLab: 500)"
	post 400 '{"error":"gl_repository is invalid"}' "user_id=1003&gl_repository=$(urlencode "$bad")&$PULL"
done
for bad in '../../etc/passwd' 'ga-group/../ga-group/private' 'ga-group//private' '-flag/x' 'ga-group/private.git/..' \
	"ga-group/$(head -c 300 /dev/zero | tr '\0' a)" "a' OR '1'='1" 'ga-group' ''; do
	desc "malformed project path '${bad:0:40}' -> 404"
	post 404 "$(refused "$M_NOT_FOUND")" "user_id=1003&project=$(urlencode "$bad")&$PULL"
done
desc "no project and no gl_repository -> 400"
post 400 '{"error":"project is missing"}' "user_id=1003&$PULL"

# --- refusals in check order -----------------------------------------------------
desc "unknown action -> 401"
post 401 "$(refused "The command you're trying to execute is not allowed.")" \
	"user_id=1003&project=ga-group/private&action=git-lfs-authenticate&protocol=ssh&changes=_any"
desc "unknown protocol -> 400"
post 400 '{"error":"protocol does not have a valid value"}' \
	"user_id=1003&project=ga-group/private&action=git-upload-pack&protocol=ftp&changes=_any"
# GitLab's /allowed declares no parameters (GitLab 14.0, lib/api/internal/base.rb):
# GitAccess#check reads what it is given.
desc "action, changes and protocol missing: no command (GitAccess#check_command_existence!)"
post 401 "$(refused "The command you're trying to execute is not allowed.")" "user_id=1003&project=ga-group/private"
desc "a download needs no changes"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "user_id=1003&project=ga-group/private&action=git-upload-pack&protocol=ssh"
desc "a download needs no protocol when git_access_protocol is not set"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "user_id=1003&project=ga-group/private&action=git-upload-pack"
desc "a push without changes -> 400 (GitLab 14: 500, nil changes)"
post 400 '{"error":"changes is missing"}' "user_id=1003&project=ga-group/private&action=git-receive-pack&protocol=ssh"
desc "Ruby gitlab-shell v9's form: gl_repository without a value is absent, env={}, secret_token in the body"
expect 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" POST "$A" --data \
	"action=git-upload-pack&changes=_any&gl_repository&project=ga-group%2Fprivate&protocol=ssh&env=%7B%7D&user_id=1003&secret_token=$(urlencode "$(cat "$GLIA_SHELL_SECRET_FILE")")"
desc "gl_repository= (empty, not absent) -> 400"
post 400 '{"error":"gl_repository is invalid"}' "user_id=1003&gl_repository=&project=ga-group/private&$PULL"
desc "key_id=12abc -> 400 (Rails would read 12)"
post 400 '{"error":"key_id is invalid"}' "key_id=12abc&project=ga-group/private&$PULL"
desc "blocked user (by key), own project pull"
post 401 "$(refused "Your account has been blocked.")" "key_id=1303&project=ga-group/private&$PULL"
desc "blocked user push, even to a public project"
post 401 "$(refused "Your account has been blocked.")" "user_id=1008&project=ga-group/public&$PUSH"
desc "deactivated user"
post 401 "$(refused "Your account has been deactivated by your administrator. Please log back in from a web browser to reactivate your account at http://gitlab.example.com")" \
	"user_id=1009&project=ga-group/private&$PULL"
desc "user pending approval"
post 401 "$(refused "Your account is pending approval from your administrator and hence blocked.")" \
	"user_id=1010&project=ga-group/private&$PULL"
desc "blocked user, unknown action: the account is refused first"
post 401 "$(refused "Your account has been blocked.")" "user_id=1008&project=ga-group/private&action=git-foo&protocol=ssh&changes=_any"

desc "archived project: pull 200"
post 200 "$(project_ok 1204 ga-group/archived 1003 ga-dev)" "user_id=1003&project=ga-group/archived&$PULL"
desc "archived project: developer push 401"
post 401 "$(refused "$M_PUSH")" "user_id=1003&project=ga-group/archived&$PUSH"
desc "archived project: admin push 401"
post 401 "$(refused "$M_PUSH")" "user_id=1007&project=ga-group/archived&$PUSH"
desc "read-only repository: push"
post 401 "$(refused "The repository is temporarily read-only. Please try again later.")" "user_id=1003&project=ga-group/readonly&$PUSH"
desc "read-only repository: pull"
post 200 "$(project_ok 1206 ga-group/readonly 1003 ga-dev)" "user_id=1003&project=ga-group/readonly&$PULL"
desc "storage without a gitaly_storages entry -> 500"
post 500 '{"message":"500 Internal Server Error"}' "user_id=1003&project=ga-group/elsewhere&$PULL"

# --- keys -------------------------------------------------------------------
desc "developer's key: gl_key_type key, gl_key_id"
post 200 "$(success project-1200 ga-group/private user-1003 ga-dev "$(hashed 1200)" '[]' key 1300)" "key_id=1300&project=ga-group/private&$PUSH"
desc "expired key: refused (GitLab 14 enforces SSH key expiry)"
post 401 "$(refused "Your SSH key has expired.")" "key_id=1301&project=ga-group/private&$PULL"
desc "expired key: refused on a public project too"
post 401 "$(refused "Your SSH key has expired.")" "key_id=1301&project=ga-group/public&$PULL"
desc "key expiring in two days"
post 200 "$(success project-1200 ga-group/private user-1003 ga-dev "$(hashed 1200)" '["INFO: Your SSH key is expiring soon. Please generate a new key."]' key 1302)" \
	"key_id=1302&project=ga-group/private&$PULL"

desc "deploy key with can_push: pull (gl_id of whoever added it)"
post 200 "$(success project-1200 ga-group/private user-1004 ga-maint "$(hashed 1200)" '[]' deploy_key 1400)" "key_id=1400&project=ga-group/private&$PULL"
desc "deploy key with can_push: push"
post 200 "$(success project-1200 ga-group/private user-1004 ga-maint "$(hashed 1200)" '[]' deploy_key 1400)" "key_id=1400&project=ga-group/private&$PUSH"
desc "deploy key with can_push pushes to a protected branch too"
post 200 "$(success project-1200 ga-group/private user-1004 ga-maint "$(hashed 1200)" '[]' deploy_key 1400)" \
	"key_id=1400&project=ga-group/private&action=git-receive-pack&protocol=ssh&changes=$S1%20$S2%20refs/heads/main"
desc "read-only deploy key: git-upload-archive (no user: gl_id empty)"
post 200 "$(success project-1200 ga-group/private "" - "$(hashed 1200)" '[]' deploy_key 1401)" \
	"key_id=1401&project=ga-group/private&action=git-upload-archive&protocol=ssh&changes=_any"
desc "read-only deploy key: push"
post 401 "$(refused "This deploy key does not have write access to this project.")" "key_id=1401&project=ga-group/private&$PUSH"
desc "unlinked deploy key -> 404"
post 404 "$(refused "$M_NOT_FOUND")" "key_id=1402&project=ga-group/private&$PULL"

# --- per-change checks (Gitaly's pre-receive) -------------------------------
change() { # USER_ID OLD NEW REF [PROJECT]
	printf 'user_id=%s&project=%s&action=git-receive-pack&protocol=ssh&changes=%s' "$1" "${5:-ga-group/private}" \
		"$(urlencode "$2 $3 $4")"
}
desc "developer pushes to an unprotected branch"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "$(change 1003 $S1 $S2 refs/heads/feature)"
desc "developer pushes to protected main"
post 401 "$(refused "You are not allowed to push code to protected branches on this project.")" "$(change 1003 $S1 $S2 refs/heads/main)"
desc "maintainer pushes to protected main"
post 200 "$(project_ok 1200 ga-group/private 1004 ga-maint)" "$(change 1004 $S1 $S2 refs/heads/main)"
desc "developer pushes to stable-* (developers may push)"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "$(change 1003 $S1 $S2 refs/heads/stable-1)"
desc "maintainer pushes to release/* (no one may push)"
post 401 "$(refused "You are not allowed to push code to protected branches on this project.")" "$(change 1004 $S1 $S2 refs/heads/release/1.0)"
desc "admin pushes to release/* (no one means no one)"
post 401 "$(refused "You are not allowed to push code to protected branches on this project.")" "$(change 1007 $S1 $S2 refs/heads/release/1.0)"
desc "maintainer creates release/2 (may merge, not over git)"
post 401 "$(refused "You can only create protected branches using the web interface and API.")" "$(change 1004 $Z $S2 refs/heads/release/2)"
desc "developer creates release/2"
post 401 "$(refused "You are not allowed to create protected branches on this project.")" "$(change 1003 $Z $S2 refs/heads/release/2)"
desc "default branch deletion"
post 401 "$(refused "The default branch of a project cannot be deleted.")" "$(change 1004 $S1 $Z refs/heads/main)"
desc "maintainer deletes protected stable-1"
post 401 "$(refused "You can only delete protected branches using the web interface.")" "$(change 1004 $S1 $Z refs/heads/stable-1)"
desc "developer deletes protected stable-1"
post 401 "$(refused "You are not allowed to delete protected branches from this project. Only a project maintainer or owner can delete a protected branch.")" \
	"$(change 1003 $S1 $Z refs/heads/stable-1)"
desc "developer deletes an unprotected branch"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "$(change 1003 $S1 $Z refs/heads/feature)"
desc "a 40-hex branch name"
post 401 "$(refused "You cannot create a branch with a 40-character hexadecimal branch name.")" "$(change 1003 $Z $S2 refs/heads/$S1)"
desc "reporter pushes real changes"
post 401 "$(refused "$M_PUSH")" "$(change 1002 $S1 $S2 refs/heads/feature)"
desc "developer creates an unprotected tag"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "$(change 1003 $Z $S2 refs/tags/x1)"
desc "developer moves an existing tag"
post 401 "$(refused "You are not allowed to change existing tags on this project.")" "$(change 1003 $S1 $S2 refs/tags/x1)"
desc "developer creates protected tag v1"
post 401 "$(refused "You are not allowed to create this tag as it is protected.")" "$(change 1003 $Z $S2 refs/tags/v1)"
desc "maintainer creates protected tag v1"
post 200 "$(project_ok 1200 ga-group/private 1004 ga-maint)" "$(change 1004 $Z $S2 refs/tags/v1)"
desc "maintainer updates protected tag v1"
post 401 "$(refused "Protected tags cannot be updated.")" "$(change 1004 $S1 $S2 refs/tags/v1)"
desc "maintainer deletes protected tag v1"
post 401 "$(refused "Protected tags cannot be deleted.")" "$(change 1004 $S1 $Z refs/tags/v1)"
desc "several changes: the first refusal wins"
post 401 "$(refused "You are not allowed to push code to protected branches on this project.")" \
	"$(change 1003 $S1 $S2 refs/heads/feature)$(urlencode $'\n'"$S1 $S2 refs/heads/main")"

# --- malformed changes change nothing -----------------------------------------
count_rows() { psql -qAt -c "SELECT (SELECT count(*) FROM projects) || '/' || (SELECT count(*) FROM protected_branches) || '/' || (SELECT count(*) FROM users)"; }
before=$(count_rows)
desc "a changes line with a bad sha -> 400"
post 400 '{"error":"changes is invalid"}' "$(change 1003 zzzz$S1 $S2 refs/heads/feature)"
desc "a 39-digit sha -> 400"
post 400 '{"error":"changes is invalid"}' "$(change 1003 ${S1:1} $S2 refs/heads/feature)"
reload_with "${BASE_CONF[@]}" "max_changes = 10000"
desc "10 001 change lines, max_changes = 10000 -> 400"
for ((i = 0; i < 10001; i++)); do echo "$S1 $S2 r$i"; done >"$E2E_TMP/changes"
expect 400 '{"error":"changes is invalid"}' POST "$A" -H "$AUTH" \
	--data "user_id=1003&project=ga-group/private&action=git-receive-pack&protocol=ssh" --data-urlencode "changes@$E2E_TMP/changes"
desc "10 000 change lines are accepted"
head -n 10000 "$E2E_TMP/changes" >"$E2E_TMP/changes.10000"
expect 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" POST "$A" -H "$AUTH" \
	--data "user_id=1003&project=ga-group/private&action=git-receive-pack&protocol=ssh" --data-urlencode "changes@$E2E_TMP/changes.10000"
reload_with "${BASE_CONF[@]}"
desc "SQL in project changes nothing"
post 404 "$(refused "$M_NOT_FOUND")" "user_id=1003&project=$(urlencode "x'); DROP TABLE projects;--")&$PULL"
ok_if "row counts unchanged after malformed input" test "$before" = "$(count_rows)"

# --- wikis, snippets, designs ---------------------------------------------------
wiki_ok() { success "wiki-$1" "$2.wiki" "user-$3" "$4" "$(hashed "$1" .wiki)"; }
desc "wiki pull by path"
post 200 "$(wiki_ok 1200 ga-group/private 1001 ga-guest)" "user_id=1001&project=ga-group/private.wiki.git&$PULL"
desc "wiki push by gl_repository"
post 200 "$(wiki_ok 1200 ga-group/private 1003 ga-dev)" "user_id=1003&gl_repository=wiki-1200&$PUSH"
desc "wiki push by a reporter"
post 401 "$(refused "You are not allowed to write to this project's wiki.")" "user_id=1002&project=ga-group/private.wiki&$PUSH"
desc "wiki of a private project, outsider"
post 404 "$(refused "The wiki you were looking for could not be found.")" "user_id=1006&project=ga-group/private.wiki&$PULL"
desc "wiki of a missing project"
post 404 "$(refused "The wiki you were looking for could not be found.")" "user_id=1003&gl_repository=wiki-999999&$PULL"

snippet_ok() { # ID PATH USER_ID USERNAME
	success "snippet-$1" "$2" "user-$3" "$4" "$(snippet_path "$1")"
}
desc "personal snippet: author pulls by path"
post 200 "$(snippet_ok 1500 snippets/1500 1003 ga-dev)" "user_id=1003&project=snippets/1500&$PULL"
desc "personal snippet: author pushes by gl_repository"
post 200 "$(snippet_ok 1500 snippets/1500 1003 ga-dev)" "user_id=1003&gl_repository=snippet-1500&$PUSH"
desc "private personal snippet: another user"
post 401 "$(refused "You are not allowed to read this snippet.")" "user_id=1004&project=snippets/1500&$PULL"
desc "public personal snippet: another user cannot update"
post 401 "$(refused "You are not allowed to update this snippet.")" "user_id=1003&project=snippets/1502&$PUSH"
desc "project snippet by path"
post 200 "$(snippet_ok 1501 ga-group/public/snippets/1501 1006 ga-outsider)" "user_id=1006&project=ga-group/public/snippets/1501.git&$PULL"
desc "project snippet under the wrong project"
post 404 "$(refused "The snippet you were looking for could not be found.")" "user_id=1003&project=ga-group/private/snippets/1501&$PULL"
desc "missing snippet, before anything else (even an unknown action)"
post 404 "$(refused "The snippet you were looking for could not be found.")" \
	"user_id=1003&project=snippets/999999&action=git-foo&protocol=ssh&changes=_any"
desc "deploy key on a snippet"
post 401 "$(refused "The authentication mechanism is not supported.")" "key_id=1400&project=snippets/1502&$PULL"
desc "snippet branch creation"
post 401 "$(refused "You can not create or delete branches.")" \
	"user_id=1003&gl_repository=snippet-1500&action=git-receive-pack&protocol=ssh&changes=$(urlencode "$Z $S2 refs/heads/other")"
desc "design repository over ssh"
post 401 "$(refused "Designs are only accessible using the web interface")" "user_id=1003&gl_repository=design-1200&$PULL"

# --- the role from each of its sources ------------------------------------------
# The caller's role is read per request from the membership of the project,
# of its group or an ancestor, and the ownership of a personal namespace;
# an expired membership gives none. Each source alone, against the
# project_authorizations view of the schema, which says the same.
ROLES_JSON=$GLIA_STACK_DIR/e2e-roles.json
on_exit 'rm -f "$ROLES_JSON"'
cat >"$ROLES_JSON" <<-'EOF2'
	{
	  "projects": [
	    {"id": 1210, "namespace": "ga-outsider", "path": "mine", "name": "mine", "visibility": "private"},
	    {"id": 1211, "namespace": "ga-group/ga-sub", "path": "direct", "name": "direct", "visibility": "private"}
	  ],
	  "members": [
	    {"user": "ga-outsider", "project": "ga-group/ga-sub/direct", "access_level": 30},
	    {"user": "ga-guest", "project": "ga-group/ga-sub/direct", "access_level": 40}
	  ]
	}
EOF2
import "$ROLES_JSON"
view_role() { # USER_ID PROJECT_ID
	psql -qAt -c "SELECT coalesce(max(access_level), 0) FROM project_authorizations WHERE user_id = $1 AND project_id = $2"
}
desc "personal namespace: its owner pushes (the view: 40)"
post 200 "$(project_ok 1210 ga-outsider/mine 1006 ga-outsider)" "user_id=1006&project=ga-outsider/mine&$PUSH"
ok_if "the view gives the owner 40" test "$(view_role 1006 1210)" = 40
desc "personal namespace: nobody else sees it"
post 404 "$(refused "$M_NOT_FOUND")" "user_id=1003&project=ga-outsider/mine&$PULL"
desc "project membership alone: a developer pushes"
post 200 "$(project_ok 1211 ga-group/ga-sub/direct 1006 ga-outsider)" "user_id=1006&project=ga-group/ga-sub/direct&$PUSH"
desc "project membership above the group's: a group guest who maintains the project pushes"
post 200 "$(project_ok 1211 ga-group/ga-sub/direct 1001 ga-guest)" "user_id=1001&project=ga-group/ga-sub/direct&$PUSH"
ok_if "the view: outsider 30, guest 40 (the higher of two sources)" \
	test "$(view_role 1006 1211) $(view_role 1001 1211)" = "30 40"
psql -qAt -c "UPDATE members SET expires_at = current_date - 1 WHERE user_id = 1006 AND project_id = 1211" >/dev/null
desc "an expired project membership gives no role"
post 404 "$(refused "$M_NOT_FOUND")" "user_id=1006&project=ga-group/ga-sub/direct&$PULL"
ok_if "the view agrees (0)" test "$(view_role 1006 1211)" = 0
psql -qAt -c "UPDATE members SET expires_at = current_date - 1 WHERE user_id = 1003 AND namespace_id =
	(SELECT id FROM namespaces WHERE path = 'ga-group' AND parent_id IS NULL)" >/dev/null
desc "an expired group membership gives no role in its subgroups' projects"
post 404 "$(refused "$M_NOT_FOUND")" "user_id=1003&project=ga-group/ga-sub/inherited&$PULL"
ok_if "the view agrees (0)" test "$(view_role 1003 1203)" = 0
psql -qAt -c "UPDATE members SET expires_at = current_date + 1 WHERE user_id = 1003 AND expires_at IS NOT NULL" >/dev/null
desc "a membership expiring tomorrow still counts"
post 200 "$(project_ok 1203 ga-group/ga-sub/inherited 1003 ga-dev)" "user_id=1003&project=ga-group/ga-sub/inherited&$PUSH"
psql -qAt -c "UPDATE members SET expires_at = NULL WHERE user_id IN (1003, 1006) AND expires_at IS NOT NULL" >/dev/null

# --- the actor named by username ----------------------------------------------
desc "username names the user (case-insensitive)"
post 200 "$(project_ok 1200 ga-group/private 1003 ga-dev)" "username=GA-Dev&project=ga-group/private&$PUSH"
desc "an unknown username is nobody: a private project is not found"
post 404 "$(refused "$M_NOT_FOUND")" "username=ga-nobody&project=ga-group/private&$PULL"
desc "an unknown username is nobody: anonymous pull of a public project"
expect 200 "$(success project-1202 ga-group/public '' - "$(hashed 1202)")" POST "$A" -H "$AUTH" \
	--data "username=ga-nobody&project=ga-group/public&$PULL"
desc "user_id comes before username"
post 200 "$(project_ok 1200 ga-group/private 1004 ga-maint)" "user_id=1004&username=ga-outsider&project=ga-group/private&$PUSH"

# --- receive_max_input_size and git_access_protocol = ssh (reload) --------------
reload_with "${BASE_CONF[@]}" "git_access_protocol = ssh" "receive_max_input_size = 1"
desc "git_access_protocol = ssh: no protocol -> 400 (GitLab 14: 500, nil.upcase)"
post 400 '{"error":"protocol is missing"}' "user_id=1003&project=ga-group/private&action=git-upload-pack&changes=_any"
desc "git_access_protocol = ssh refuses http"
post 401 "$(refused "Git access over HTTP is not allowed")" \
	"user_id=1003&project=ga-group/private&action=git-upload-pack&protocol=http&changes=_any"
desc "git_access_protocol = ssh: ssh with receive.maxInputSize"
post 200 "$(success project-1200 ga-group/private user-1003 ga-dev "$(hashed 1200)" '[]' '' '' \
	"$UPLOADPACK,\"receive.maxInputSize=1048576\"")" "user_id=1003&project=ga-group/private&$PUSH"
desc "protocol web is always allowed (design still needs a role)"
post 200 "$(success design-1200 ga-group/private.design user-1003 ga-dev "$(hashed 1200 .design)" '[]' '' '' \
	"$UPLOADPACK,\"receive.maxInputSize=1048576\"")" \
	"user_id=1003&gl_repository=design-1200&action=git-upload-pack&protocol=web&changes=_any"

finish
