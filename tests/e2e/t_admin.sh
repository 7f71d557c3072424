#!/bin/bash
# glia-admin end to end: migrate twice (the second a no-op), import the good
# data set twice (nothing changes the second time), every bad file refused
# with a message naming its entry and nothing written, tokens stored only as
# digests, and the everyday commands: each one's rows, and refusals that
# name what was wrong and write nothing.
#
# Needs the stack's environment (contrib/dev/stack env): GLIA_ADMIN,
# GLIA_CONFIG, PGHOST, PGPORT, PGUSER (allowed to create a database). It works
# in a scratch database of its own, so the stack's demo data stays as it is.
# Prints "ok - ..." / "not ok - ..." lines; exits 1 on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
data=$top/tests/data
: "${GLIA_ADMIN:?set GLIA_ADMIN (contrib/dev/stack env)}"
: "${GLIA_CONFIG:?set GLIA_CONFIG (contrib/dev/stack env)}"
: "${PGHOST:?}" "${PGPORT:?}" "${PGUSER:?}"

failures=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND... (its output goes to $work/check.out)
	local what=$1; shift
	if "$@" >"$work/check.out" 2>&1; then ok "$what"; else not_ok "$what: $(head -1 "$work/check.out")"; fi
}

db=glia_admin_test_$$
work=$(mktemp -d)
# Who creates and drops the scratch database: PGUSER when it may, else the
# cluster's superuser (GLIA_PG_SUPERUSER, default postgres), on PGUSER's behalf.
creator=$PGUSER
cleanup() {
	psql -X -q -U "$creator" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

if ! psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null 2>&1; then
	creator=${GLIA_PG_SUPERUSER:-postgres}
	if ! psql -X -q -U "$creator" -d postgres -c "CREATE DATABASE $db OWNER \"$PGUSER\"" >/dev/null; then
		not_ok "create scratch database $db (as $PGUSER or $creator)"
		exit 1
	fi
fi
export PGDATABASE=$db

# The stack's configuration, pointed at the scratch database, this checkout's
# migrations and a pepper of our own (later keys win).
printf 'pepper-of-t_admin\n' >"$work/pepper"
chmod 600 "$work/pepper"
conf=$work/glia.conf
cp "$GLIA_CONFIG" "$conf"
cat >>"$conf" <<EOF
database = "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db"
migrations_dir = $top/db/migrations
token_pepper_file = $work/pepper
EOF
admin() { "$GLIA_ADMIN" -c "$conf" "$@"; }
q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

# Every table's row count and newest updated_at: equal snapshots mean that
# nothing was written.
snapshot() {
	q "SELECT string_agg(format('%s=%s@%s', t, n, u), ' ' ORDER BY t) FROM (
	     SELECT 'users' t, count(*) n, max(updated_at) u FROM users
	     UNION ALL SELECT 'namespaces', count(*), max(updated_at) FROM namespaces
	     UNION ALL SELECT 'routes', count(*), max(updated_at) FROM routes
	     UNION ALL SELECT 'projects', count(*), max(updated_at) FROM projects
	     UNION ALL SELECT 'members', count(*), max(updated_at) FROM members
	     UNION ALL SELECT 'keys', count(*), max(updated_at) FROM keys
	     UNION ALL SELECT 'deploy_keys_projects', count(*), max(updated_at) FROM deploy_keys_projects
	     UNION ALL SELECT 'protected_branches', count(*), max(updated_at) FROM protected_branches
	     UNION ALL SELECT 'push_levels', count(*), max(updated_at) FROM protected_branch_push_access_levels
	     UNION ALL SELECT 'merge_levels', count(*), max(updated_at) FROM protected_branch_merge_access_levels
	     UNION ALL SELECT 'protected_tags', count(*), max(updated_at) FROM protected_tags
	     UNION ALL SELECT 'create_levels', count(*), max(updated_at) FROM protected_tag_create_access_levels
	     UNION ALL SELECT 'personal_access_tokens', count(*), max(updated_at) FROM personal_access_tokens
	     UNION ALL SELECT 'cluster_agents', count(*), max(updated_at) FROM cluster_agents
	     UNION ALL SELECT 'cluster_agent_tokens', count(*), max(updated_at) FROM cluster_agent_tokens
	     UNION ALL SELECT 'snippets', count(*), max(updated_at) FROM snippets) s"
}

# --- migrate ---------------------------------------------------------------
out=$(admin migrate 2>&1)
check "migrate applies 0001_initial.sql" grep -q "applied 0001_initial.sql" <<<"$out"
before=$(q "SELECT count(*), max(applied_at) FROM glia_schema_migrations")
out=$(admin migrate 2>&1)
check "second migrate is a no-op" grep -q "up to date" <<<"$out"
check "second migrate records nothing" test "$before" = "$(q "SELECT count(*), max(applied_at) FROM glia_schema_migrations")"
check "migrate --status exits 0" admin migrate --status
check "glia_schema_migrations has checksums" test "$(q "SELECT count(*) FROM glia_schema_migrations WHERE checksum ~ '^[0-9a-f]{64}\$'")" -ge 1

# --- import: good file, twice ------------------------------------------------
if admin import "$data/import-good.json" >"$work/out1" 2>&1; then ok "import good file"; else not_ok "import good file: $(cat "$work/out1")"; fi
first=$(snapshot)
if admin import "$data/import-good.json" >"$work/out2" 2>&1; then ok "import good file again"; else not_ok "import good file again: $(cat "$work/out2")"; fi
check "second import reports 0 rows changed" grep -q ": 0 rows changed" "$work/out2"
check "second import changes no row" test "$first" = "$(snapshot)"
check "user namespaces exist" test "$(q "SELECT count(*) FROM users u JOIN namespaces n ON n.owner_id = u.id AND n.type = 'User' AND n.path = u.username")" = "$(q "SELECT count(*) FROM users")"
check "explicit ids kept" test "$(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM projects WHERE id IN (3, 4)")" = "3,4"
check "sequences past explicit ids" test "$(q "SELECT last_value >= (SELECT max(id) FROM keys) FROM keys_id_seq")" = "t"
check "full paths in routes" test "$(q "SELECT count(*) FROM routes WHERE path IN ('gnuwget/wget2', 'gnuwget/sub/tools', 'root/dotfiles')")" = "3"

# Tokens: the HMAC-SHA256 digest under the pepper, never the token.
if command -v openssl >/dev/null; then
	digest=$(printf '%s' 'glpat-test-billing-0000000' | openssl dgst -sha256 -hmac 'pepper-of-t_admin' | sed 's/.*= //')
	check "token stored as its HMAC digest" test "$(q "SELECT count(*) FROM personal_access_tokens WHERE token_digest = '$digest'")" = "1"
fi
check "no token in clear in the database" bash -c 'pg_dump -a "$1" >"$2" && [ -s "$2" ] && ! grep -q -e glpat-test- -e agent-token-test- "$2"' \
	_ "$db" "$work/dump.sql"

# SSH fingerprints as ssh-keygen computes them.
if command -v ssh-keygen >/dev/null; then
	line=$(q "SELECT key FROM keys WHERE id = 11")
	fp=$(ssh-keygen -lf - <<<"$line" | awk '{print $2}' | sed 's/^SHA256://')
	check "fingerprint_sha256 matches ssh-keygen" test "$(q "SELECT fingerprint_sha256 FROM keys WHERE id = 11")" = "$fp"
fi

# --- import: every bad file refused, naming its entry ----------------------------
declare -A expect=(
	[access-level]='members\[1\]\.access_level'
	[big-int]='users\[0\]\.id: out of range'
	[conflict]='users\[0\]\.username'
	[duplicate]='users\[1\]\.username: names the same row as users\[0\]'
	[float]='members\[0\]\.access_level: expected an integer'
	[key]='keys\[0\]\.key: key body is not a valid ssh-ed25519 key'
	[missing-user]='members\[1\]\.user: user "nobody" not found'
	[nul]='users\[0\]\.name: contains a NUL'
	[path]='groups\[0\]\.path'
	[state]='users\[2\]\.state: expected one of active, blocked'
	[syntax]='line 1, column [0-9]*: JSON syntax error'
	[token-scope]='personal_access_tokens\[0\]\.scopes\[1\]'
	[trailing]='line 1, column [0-9]*: JSON syntax error|text after the JSON object'
	[type]='users\[0\]\.admin: expected true or false'
	[unknown-field]='projects\[0\]\.visibilty: unknown field'
	[utf8]='utf-8'
	[visibility]='projects\[0\]\.visibility: public is not allowed'
)
for f in "$data"/import-bad-*.json; do
	name=$(basename "$f" .json)
	name=${name#import-bad-}
	pattern=${expect[$name]:-'\[[0-9]+\]'}
	admin import "$f" >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -Eq "$pattern" "$work/err" && [ "$(snapshot)" = "$first" ]; then
		ok "bad file $name refused: $(head -1 "$work/err" | sed 's/^[^:]*: [^:]*: //')"
	else
		not_ok "bad file $name: exit $rc, expected /$pattern/, got: $(head -1 "$work/err")"
	fi
done
check "refused import rolled back its earlier entries" test "$(q "SELECT count(*) FROM users WHERE username = 'newcomer'")" = "0"

# Tokens need a pepper.
nopepper=$work/nopepper.conf
cp "$conf" "$nopepper"
echo 'token_pepper_file =' >>"$nopepper"
if "$GLIA_ADMIN" -c "$nopepper" import "$data/import-good.json" >/dev/null 2>"$work/err"; then
	not_ok "import without a pepper refused"
else
	check "import without a pepper refused" grep -q "personal_access_tokens\[0\]\.token: cannot store tokens" "$work/err"
fi

# --- everyday commands -------------------------------------------------------------
check "user add" admin user add e2e-user --name "E2E User" --email e2e@example.com
check "user add refuses a taken username" test "$(admin user add E2E-USER --name x >/dev/null 2>&1; echo $?)" = 1
check "user list shows the user" bash -c "'$GLIA_ADMIN' -c '$conf' user list | grep -q '^[0-9]* *e2e-user '"
key=$(q "SELECT key FROM keys WHERE id = 11")
check "key add refuses a key in use" test "$(admin key add e2e-user "$key" >/dev/null 2>&1; echo $?)" = 1
check "group add" admin group add e2e-group --visibility internal
check "project add" admin project add e2e-group/e2e-project --default-branch main
check "project add refuses more visible than its group" test "$(admin project add e2e-group/pub --visibility public >/dev/null 2>&1; echo $?)" = 1
check "member add" admin member add e2e-user --project e2e-group/e2e-project developer
check "member visible in project_authorizations" test "$(q "SELECT access_level FROM project_authorizations pa JOIN users u ON u.id = pa.user_id JOIN routes r ON r.project_id = pa.project_id WHERE u.username = 'e2e-user' AND r.path = 'e2e-group/e2e-project'")" = "30"
token=$(admin token create e2e-user e2e --scopes api,read_user 2>"$work/err")
check "token create prints one glpat- token" bash -c "[[ '$token' =~ ^glpat-[A-Za-z0-9_-]{20}\$ ]]"
check "token create writes nothing to stderr" test ! -s "$work/err"
if command -v openssl >/dev/null; then
	digest=$(printf '%s' "$token" | openssl dgst -sha256 -hmac 'pepper-of-t_admin' | sed 's/.*= //')
	check "created token stored as its digest" test "$(q "SELECT scopes FROM personal_access_tokens WHERE token_digest = '$digest'")" = "{api,read_user}"
fi
check "user block" admin user block e2e-user
check "blocked" test "$(q "SELECT state FROM users WHERE username = 'e2e-user'")" = "blocked"
check "unknown user named" bash -c "'$GLIA_ADMIN' -c '$conf' user block nobody-here 2>&1 | grep -q 'user \"nobody-here\" not found'"
check "usage error exits 2" test "$(admin frobnicate >/dev/null 2>&1; echo $?)" = 2

# refused DESCRIPTION STATUS PATTERN ARGS...: glia-admin ARGS exits STATUS with
# a message matching PATTERN (grep -E) and writes nothing.
refused() {
	local what=$1 want=$2 pattern=$3 before rc
	shift 3
	before=$(snapshot)
	admin "$@" >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -eq "$want" ] && grep -Eq -e "$pattern" "$work/err" && [ "$(snapshot)" = "$before" ]; then
		ok "$what"
	else
		not_ok "$what: exit $rc (expected $want), expected /$pattern/, got: $(head -1 "$work/err")"
	fi
}
user_row() { q "SELECT $1 FROM users WHERE username = 'e2e-user'"; }
project_row() { q "SELECT $1 FROM projects p JOIN routes r ON r.project_id = p.id WHERE r.path = 'e2e-group/e2e-project'"; }
e2e=e2e-group/e2e-project

# --- user unblock, 2fa, admin
check "user unblock" admin user unblock e2e-user
check "unblocked: active" test "$(user_row state)" = "active"
check "user unblock of an active user is a no-op" grep -q "already active" <<<"$(admin user unblock e2e-user 2>&1)"
refused "user unblock names an unknown user" 1 'user "nobody-here" not found' user unblock nobody-here
q "UPDATE users SET otp_backup_codes = '{code-hash-1,code-hash-2}' WHERE username = 'e2e-user'"
check "user 2fa on" admin user 2fa e2e-user on
check "2fa on in users" test "$(user_row "otp_required_for_login, otp_backup_codes IS NULL")" = "t|f"
check "user 2fa off" admin user 2fa e2e-user off
check "2fa off in users, recovery codes cleared" test "$(user_row "otp_required_for_login, otp_backup_codes IS NULL")" = "f|t"
refused "user 2fa refuses other than on|off" 2 'user 2fa: expected on or off, not "yes"' user 2fa e2e-user yes
refused "user 2fa names an unknown user" 1 'user "nobody-here" not found' user 2fa nobody-here on
check "user admin on" admin user admin e2e-user on
check "admin in users" test "$(user_row admin)" = "t"
check "user admin off" admin user admin e2e-user off
check "not admin in users" test "$(user_row admin)" = "f"
refused "user admin needs on|off" 2 'admin: expected USERNAME on\|off' user admin e2e-user

# --- project archive, unarchive, set
check "project archive" admin project archive "$e2e"
check "archived in projects" test "$(project_row archived)" = "t"
check "project unarchive" admin project unarchive "$e2e"
check "unarchived in projects" test "$(project_row archived)" = "f"
refused "project archive names an unknown project" 1 'project "e2e-group/nope" not found' project archive e2e-group/nope
refused "project archive refuses a group" 1 '"e2e-group" is a group, not a project' project archive e2e-group
check "project set" admin project set "$e2e" --default-branch develop --visibility internal --lfs off
check "project set in projects" test "$(project_row "default_branch, visibility_level, lfs_enabled")" = "develop|10|f"
check "project set changes only what it is given" admin project set "$e2e" --lfs on
check "project set kept the rest" test "$(project_row "default_branch, visibility_level, lfs_enabled")" = "develop|10|t"
refused "project set refuses more visible than its group" 1 'visibility public is not allowed inside "e2e-group"' project set "$e2e" --visibility public
refused "project set needs an option" 2 'give at least one of' project set "$e2e"
refused "project set refuses a bad --lfs" 2 '--lfs: expected on or off, not "yes"' project set "$e2e" --lfs yes
refused "project set refuses a bad branch" 2 '"a..b" is not a valid branch name' project set "$e2e" --default-branch a..b

# --- deploy-key
dk='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOg9hDUkW8DFp/5WQs6iv9xszNNV6zWPoBg1mINrz2dX deploy@e2e'
out=$(admin deploy-key add "E2E deploy" "$dk" --user e2e-user 2>&1)
dkid=$(sed -n 's/^added deploy key \([0-9]*\) (SHA256:.*)$/\1/p' <<<"$out")
check "deploy-key add: $out" test -n "$dkid"
dkid=${dkid:-0}
check "deploy key in keys" test "$(q "SELECT k.type, k.title, u.username FROM keys k JOIN users u ON u.id = k.user_id WHERE k.id = $dkid")" = "DeployKey|E2E deploy|e2e-user"
refused "deploy-key add refuses a key in use" 1 "already in use \(deploy key $dkid added by user e2e-user\)" deploy-key add again "$dk"
refused "deploy-key add refuses a bad key line" 2 'deploy-key add: unsupported key type "ssh-foo"' deploy-key add bad 'ssh-foo AAAA'
refused "deploy-key add names an unknown user" 1 'user "nobody-here" not found' deploy-key add t "$dk" --user nobody-here
check "deploy-key enable" admin deploy-key enable "$dkid" "$e2e"
link() { q "SELECT string_agg(d.can_push::text, ',') FROM deploy_keys_projects d JOIN routes r ON r.project_id = d.project_id WHERE d.deploy_key_id = $dkid AND r.path = '$e2e'"; }
check "linked read-only" test "$(link)" = "false"
check "deploy-key enable --can-push" admin deploy-key enable "$dkid" "$e2e" --can-push
check "same link now read-write" test "$(link)" = "true"
check "deploy-key list shows the key and its project" bash -c "'$GLIA_ADMIN' -c '$conf' deploy-key list | grep -q '^$dkid  *E2E deploy  *SHA256:.* e2e-user .*$e2e (push)\$'"
refused "deploy-key enable refuses a user's key" 1 'key 11 is a user.s key, not a deploy key' deploy-key enable 11 "$e2e"
refused "deploy-key enable names an unknown project" 1 'project "e2e-group/nope" not found' deploy-key enable "$dkid" e2e-group/nope
refused "deploy-key enable refuses a bad id" 2 'deploy-key enable: "x1" is not a key id' deploy-key enable x1 "$e2e"
check "deploy-key disable" admin deploy-key disable "$dkid" "$e2e"
check "link gone, key kept" test "$(link)|$(q "SELECT count(*) FROM keys WHERE id = $dkid")" = "|1"
refused "deploy-key disable when not enabled" 1 "deploy key $dkid is not enabled on $e2e" deploy-key disable "$dkid" "$e2e"
admin deploy-key enable "$dkid" "$e2e" >/dev/null 2>&1
check "deploy-key rm" admin deploy-key rm "$dkid"
check "deploy key and its links gone" test "$(q "SELECT count(*) FROM keys WHERE id = $dkid")|$(link)" = "0|"
refused "deploy-key rm names an unknown key" 1 "deploy key $dkid not found" deploy-key rm "$dkid"

# --- protected-branch
branch() { # branch NAME: allow_force_push|push level|merge level
	q "SELECT b.allow_force_push,
	          (SELECT string_agg(access_level::text, ',') FROM protected_branch_push_access_levels WHERE protected_branch_id = b.id),
	          (SELECT string_agg(access_level::text, ',') FROM protected_branch_merge_access_levels WHERE protected_branch_id = b.id)
	     FROM protected_branches b JOIN routes r ON r.project_id = b.project_id WHERE r.path = '$e2e' AND b.name = '$1'"
}
check "protected-branch add" admin protected-branch add "$e2e" main
check "maintainers push and merge by default" test "$(branch main)" = "f|40|40"
check "protected-branch add a pattern with levels" admin protected-branch add "$e2e" 'release/*' --push no-one --merge 30 --allow-force-push
check "pattern's rule in the database" test "$(branch 'release/*')" = "t|0|30"
check "protected-branch add again sets the rule anew" admin protected-branch add "$e2e" main --push developer --merge admin
check "one role row each, updated" test "$(branch main)" = "f|30|60"
check "protected-branch list" bash -c "'$GLIA_ADMIN' -c '$conf' protected-branch list '$e2e' | grep -q '^[0-9]*  *release/\*  *no-one  *developer  *yes '"
refused "protected-branch add refuses a bad level" 2 'protected-branch add: --push must be 0, 30, 40, 60 or no-one, developer, maintainer, admin; not "50"' protected-branch add "$e2e" main --push 50
refused "protected-branch add refuses a bad name" 2 '"-x" is not a valid branch name' protected-branch add "$e2e" -- -x
refused "protected-branch add names an unknown project" 1 'project "e2e-group/nope" not found' protected-branch add e2e-group/nope main
check "protected-branch rm" admin protected-branch rm "$e2e" main
check "branch gone, the other kept" test "$(branch main)|$(branch 'release/*')" = "|t|0|30"
refused "protected-branch rm of an unprotected branch" 1 'branch "main" of e2e-group/e2e-project is not protected' protected-branch rm "$e2e" main

# --- protected-tag
tag() { q "SELECT (SELECT string_agg(access_level::text, ',') FROM protected_tag_create_access_levels WHERE protected_tag_id = t.id)
	     FROM protected_tags t JOIN routes r ON r.project_id = t.project_id WHERE r.path = '$e2e' AND t.name = '$1'"; }
check "protected-tag add" admin protected-tag add "$e2e" 'v*'
check "maintainers create by default" test "$(tag 'v*')" = "40"
check "protected-tag add --create" admin protected-tag add "$e2e" v1.0 --create developer
check "tag's level in the database" test "$(tag v1.0)" = "30"
check "protected-tag list" bash -c "'$GLIA_ADMIN' -c '$conf' protected-tag list '$e2e' | grep -q '^[0-9]*  *v\*  *maintainer '"
refused "protected-tag add refuses a bad level" 2 'protected-tag add: --create must be 0, 30, 40, 60 or no-one, developer, maintainer, admin; not "owner"' protected-tag add "$e2e" v2 --create owner
refused "protected-tag list names an unknown project" 1 'project "e2e-group/nope" not found' protected-tag list e2e-group/nope
check "protected-tag rm" admin protected-tag rm "$e2e" v1.0
check "tag gone, the other kept" test "$(tag v1.0)|$(tag 'v*')" = "|40"
refused "protected-tag rm of an unprotected tag" 1 'tag "v1.0" of e2e-group/e2e-project is not protected' protected-tag rm "$e2e" v1.0

echo "1..$n"
if [ $failures -ne 0 ]; then
	echo "# $failures of $n failed"
	exit 1
fi
exit 0
