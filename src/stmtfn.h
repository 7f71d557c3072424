/* Statement functions: each of glia's statements also lives in PostgreSQL
 * as a PL/pgSQL function that runs it (glia-admin migrate creates them).
 * Behind a pooler in transaction mode (db_prepare = off) glia calls the
 * function instead of sending the statement's text: PostgreSQL caches the
 * plan of a function's statement in each server session, so the call costs
 * the parse of a one-line SELECT where the text would be planned anew on
 * every request (/allowed's plan costs some 15 times its execution). */
#ifndef GLIA_STMTFN_H
#define GLIA_STMTFN_H

#include "db.h"

#define STMTFN_SCHEMA "glia_statements"

/* A function's name: the statement's name, '_', and 16 hex digits of a hash
 * of its SQL. A binary whose statement changed looks for a new name, and
 * never calls the function of another version's text. */
#define STMTFN_NAME_MAX 64	/* PostgreSQL's NAMEDATALEN, terminator included */
#define STMTFN_HASH_LEN 16
#define STMTFN_STMT_NAME_MAX (STMTFN_NAME_MAX - 1 - 1 - STMTFN_HASH_LEN)

/* Writes the function's name (without schema) to out; false when the
 * statement's name is too long to have one. */
bool stmtfn_name(const struct db_stmt *s, char out[STMTFN_NAME_MAX]);

/* The call glia sends: SELECT * FROM glia_statements."NAME"($1, ..., $n). */
#define STMTFN_CALL_MAX (sizeof "SELECT * FROM " STMTFN_SCHEMA ".\"\"()" + STMTFN_NAME_MAX + 16 * 5)
bool stmtfn_call(const struct db_stmt *s, char out[STMTFN_CALL_MAX]);

#endif
