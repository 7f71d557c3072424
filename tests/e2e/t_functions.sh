#!/usr/bin/env bash
# glia's statements in schema glia_statements, for PgBouncer in transaction
# mode: glia-admin migrate keeps a row and a function per statement, usable
# by the runtime role; glia_statements.prepare() (PgBouncer's connect_query)
# prepares the rows in the calling session, skipping what does not prepare;
# a glia with db_prepare = off calls the functions, says when the database
# lacks some, and sends a statement's text when its function went away; one
# with db_prepare = pooler on a connection where nothing was prepared calls
# the functions instead, saying so once. The answers stay the same. (Stage
# `functions` of contrib/dev/test runs the endpoints' suites through the
# functions; tests/scale/run, through a real PgBouncer in both modes.)
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_glia.sh
. "$(dirname "$0")/lib_glia.sh"

import "$GLIA_SRC/contrib/dev/demo-data.json"
su_q() { psql -X -q -At -v ON_ERROR_STOP=1 -U postgres -d "$PGDATABASE" -c "$1"; }
fn_of() { su_q "SELECT proname FROM pg_proc WHERE pronamespace = 'glia_statements'::regnamespace AND proname ~ '^$1_[0-9a-f]{16}\$'"; }

out=$("$GLIA_ADMIN" -c "$GLIA_CONFIG" migrate 2>&1)
ok_if "migrate again: nothing to create ($out)" test "$out" = "database is up to date ($(ls "$GLIA_SRC"/db/migrations/*.sql | count) migrations applied)"
n=$(su_q "SELECT count(*) FROM pg_proc WHERE pronamespace = 'glia_statements'::regnamespace")
ok_if "the schema holds the statement functions ($n)" test "$n" -ge 30
denied=$(su_q "SELECT count(*) FROM pg_proc WHERE pronamespace = 'glia_statements'::regnamespace AND NOT has_function_privilege('glia', oid, 'EXECUTE')")
ok_if "the runtime role may call every one" test "$denied" = 0
ok_if "... and use the schema" test "$(su_q "SELECT has_schema_privilege('glia', 'glia_statements', 'USAGE')")" = t
ok_if "they run with the caller's rights" test "$(su_q "SELECT count(*) FROM pg_proc WHERE pronamespace = 'glia_statements'::regnamespace AND prosecdef")" = 0
rows=$(su_q "SELECT count(*) FROM glia_statements.statements s WHERE EXISTS (SELECT 1 FROM pg_proc p WHERE p.proname = s.name)")
ok_if "each function has its statement's row ($rows rows, $n functions and prepare())" test "$rows" = $((n - 1))

# prepare(), as PgBouncer's connect_query runs it: as the runtime role, in
# its session; a second call finds them all prepared; a row that does not
# prepare is skipped, and the rest still are.
as_glia() { psql -X -q -At -v ON_ERROR_STOP=1 -U glia -d "$PGDATABASE" "$@"; }
got=$(as_glia -c "SELECT glia_statements.prepare()" -c "SELECT glia_statements.prepare()" \
	-c "SELECT count(*) FROM pg_prepared_statements p JOIN glia_statements.statements s USING (name)" | tr '\n' ' ')
ok_if "prepare() as glia: $rows, then 0, and all of them are there ($got)" test "$got" = "$rows 0 $rows "
su_q "INSERT INTO glia_statements.statements (name, parameter_types, sql) VALUES ('broken_0000000000000000', 'bigint', 'SELECT * FROM no_such_table WHERE id = \$1')"
on_exit "psql -X -q -U postgres -d '$PGDATABASE' -c \"DELETE FROM glia_statements.statements WHERE name = 'broken_0000000000000000'\" >/dev/null 2>&1"
got=$(as_glia -c "SELECT glia_statements.prepare()" 2>&1)
ok_if "a row that does not prepare is skipped ($got of $((rows + 1)))" test "$got" = "$rows"
su_q "DELETE FROM glia_statements.statements WHERE name = 'broken_0000000000000000'"

# A private glia with db_prepare = off, one worker.
sock=$E2E_TMP/f.sock
log=$E2E_TMP/f.log
private_conf "$E2E_TMP/f.conf" glia-e2e-functions "$sock" "workers = 1" "db_prepare = off"
start_private "$E2E_TMP/f.conf" "$sock" "$log"
D=/api/v4/internal/discover
RUBI='{"id":7,"name":"Dede Eichmann","username":"rubi"}'
fcgi_expect 200 "$RUBI" "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "no function missing: no warning" bash -c "! grep -q 'lacks' '$log'"

# Its function dropped under the running worker: the text, and the same answer.
fn=$(fn_of actor_by_username)
ok_if "actor_by_username has its function ($fn)" test -n "$fn"
su_q "DROP FUNCTION glia_statements.\"$fn\""
fcgi_expect 200 "$RUBI" "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "the worker says the function is gone" grep -q "statement function $fn is gone: sending its text" "$log"
fcgi_expect 200 "$RUBI" "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "... once" test "$(grep -c "statement function $fn is gone" "$log")" = 1

# A new worker on a database without it: told once, still answers.
kill -HUP "$PRIVATE_PID"
for _ in $(seq 50); do grep -q "lacks 1 of glia's" "$log" && break; sleep 0.1; done
fcgi_expect 200 "$RUBI" "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "a new connection says what is missing, and the remedy" \
	grep -q "the database lacks 1 of glia's [0-9]* statement functions (schema glia_statements): run glia-admin migrate" "$log"

out=$("$GLIA_ADMIN" -c "$GLIA_CONFIG" migrate 2>&1)
ok_if "migrate makes it again ($out)" grep -q "^added 1 statement to schema glia_statements\$" <<<"$out"
ok_if "... under the same name" test "$(fn_of actor_by_username)" = "$fn"

# A function of another text is never called: a stale one beside it is ignored.
su_q "CREATE FUNCTION glia_statements.actor_by_username_0000000000000000(text) RETURNS TABLE (x int) LANGUAGE sql AS 'SELECT 1'"
on_exit "psql -X -q -U postgres -d '$PGDATABASE' -c 'DROP FUNCTION IF EXISTS glia_statements.actor_by_username_0000000000000000(text)' >/dev/null 2>&1"
kill -HUP "$PRIVATE_PID"
sleep 0.5
fcgi_expect 200 "$RUBI" "$sock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "no worker restarted with a sanitizer report" sanitizer_clean "$log" || show_sanitizer "$log"

# db_prepare = pooler where nothing prepared the statements (a pooler
# without connect_query): the function, the same answer, said once.
psock=$E2E_TMP/p.sock
plog=$E2E_TMP/p.log
private_conf "$E2E_TMP/p.conf" glia-e2e-pooler "$psock" "workers = 1" "db_prepare = pooler"
start_private "$E2E_TMP/p.conf" "$psock" "$plog"
fcgi_expect 200 "$RUBI" "$psock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
fcgi_expect 200 "$RUBI" "$psock" GET "$D?username=rubi" HTTP_GITLAB_SHARED_SECRET="$SECRET_B64"
ok_if "pooler mode without prepared statements: said once, with the remedy" \
	test "$(grep -c "is missing on a server connection of the pooler: is PgBouncer's connect_query set" "$plog")" = 1
ok_if "... and no request failed for it" bash -c "! grep -q 'query .* failed' '$plog'"
ok_if "no sanitizer report" sanitizer_clean "$plog" || show_sanitizer "$plog"
finish
