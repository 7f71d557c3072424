#!/bin/bash
# glia-admin end to end: migrate twice (the second a no-op), import the good
# data set twice (nothing changes the second time), every bad file refused
# with a message naming its entry and nothing written, tokens stored only as
# digests, and the everyday commands.
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
check "no token in clear in the database" test "$(pg_dump -a "$db" 2>/dev/null | grep -c -e 'glpat-test-' -e 'agent-token-test-')" = "0"

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

echo "1..$n"
if [ $failures -ne 0 ]; then
	echo "# $failures of $n failed"
	exit 1
fi
exit 0
