/* glia-admin migrate, last step: every statement of glia's API in schema
 * glia_statements (migration 0009 and stmtfn.h say why), as a row of
 * glia_statements.statements for the pooler's connect query to PREPARE and
 * as a PL/pgSQL function. The function's parameter and column types are
 * what PostgreSQL infers for the statement itself (PQdescribePrepared), so
 * a call returns the very rows and text the statement would; the name
 * carries a hash of the SQL, so statements are only ever added, and every
 * glia version finds its own. */
#include "config.h"
#include "admin/admin.h"
#include "api/statements.h"
#include "stmtfn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_QUOTE "$glia_statement$"

/* Appends to a growing string; false when out of memory. */
struct text {
	char *s;
	size_t len, cap;
};

static bool text_add(struct text *t, const char *piece)
{
	size_t n = strlen(piece);
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *s = realloc(t->s, cap);
		if (!s)
			return false;
		t->s = s;
		t->cap = cap;
	}
	memcpy(t->s + t->len, piece, n + 1);
	t->len += n;
	return true;
}

/* The SQL spelling of the described statement's parameter types (the
 * first n) and column types (the rest), in one query. */
static PGresult *type_names(PGconn *db, PGresult *desc, struct db_err *err)
{
	struct text oids = { 0 }, mods = { 0 };
	char num[32];
	bool ok = text_add(&oids, "{") && text_add(&mods, "{");
	for (int i = 0; ok && i < PQnparams(desc); i++) {
		snprintf(num, sizeof num, "%s%u", i ? "," : "", PQparamtype(desc, i));
		ok = text_add(&oids, num) && text_add(&mods, i ? ",-1" : "-1");
	}
	for (int i = 0; ok && i < PQnfields(desc); i++) {
		snprintf(num, sizeof num, "%s%u", PQnparams(desc) + i ? "," : "", PQftype(desc, i));
		ok = text_add(&oids, num);
		snprintf(num, sizeof num, "%s%d", PQnparams(desc) + i ? "," : "", PQfmod(desc, i));
		ok = ok && text_add(&mods, num);
	}
	ok = ok && text_add(&oids, "}") && text_add(&mods, "}");
	PGresult *res = NULL;
	if (ok) {
		const char *params[] = { oids.s, mods.s };
		res = admin_query(db,
				  "SELECT format_type(t, nullif(m, -1)) FROM unnest($1::oid[], $2::integer[])"
				  " WITH ORDINALITY AS x(t, m, i) ORDER BY i",
				  2, params, err);
	} else {
		snprintf(err->message, sizeof err->message, "out of memory");
	}
	free(oids.s);
	free(mods.s);
	return res;
}

/* The function and the row of one statement, from its description. */
static int create_one(PGconn *db, const struct db_stmt *s, const char *name, struct db_err *err)
{
	PGresult *prep = PQprepare(db, "", s->sql, s->n_params, NULL);
	bool prepared = PQresultStatus(prep) == PGRES_COMMAND_OK;
	if (!prepared)
		snprintf(err->message, sizeof err->message, "%s", PQresultErrorMessage(prep));
	PQclear(prep);
	if (!prepared)
		return -1;
	PGresult *desc = PQdescribePrepared(db, "");
	if (PQresultStatus(desc) != PGRES_COMMAND_OK) {
		snprintf(err->message, sizeof err->message, "%s", PQresultErrorMessage(desc));
		PQclear(desc);
		return -1;
	}
	PGresult *types = type_names(db, desc, err);
	if (!types) {
		PQclear(desc);
		return -1;
	}
	int np = PQnparams(desc), nf = PQnfields(desc);
	PQclear(desc);

	struct text ddl = { 0 }, param_types = { 0 };
	char piece[64];
	bool ok = text_add(&param_types, "");
	for (int i = 0; ok && i < np; i++)
		ok = text_add(&param_types, i ? ", " : "") && text_add(&param_types, PQgetvalue(types, i, 0));
	ok = ok && text_add(&ddl, "CREATE OR REPLACE FUNCTION " STMTFN_SCHEMA ".\"") && text_add(&ddl, name) &&
	     text_add(&ddl, "\"(") && text_add(&ddl, param_types.s);
	if (nf == 0) {
		/* A write without RETURNING: nothing to hand back. */
		ok = ok && text_add(&ddl, ") RETURNS void LANGUAGE plpgsql AS " BODY_QUOTE "BEGIN ");
	} else {
		ok = ok && text_add(&ddl, ") RETURNS TABLE (");
		for (int i = 0; ok && i < nf; i++) {
			/* Column names no statement uses: a name that matched
			 * one would shadow it inside the body. */
			snprintf(piece, sizeof piece, "%sglia_column_%d ", i ? ", " : "", i + 1);
			ok = text_add(&ddl, piece) && text_add(&ddl, PQgetvalue(types, np + i, 0));
		}
		ok = ok && text_add(&ddl, ") LANGUAGE plpgsql AS " BODY_QUOTE
				    "#variable_conflict use_column\nBEGIN RETURN QUERY ");
	}
	ok = ok && text_add(&ddl, s->sql) && text_add(&ddl, "; END " BODY_QUOTE);
	PQclear(types);
	int rc = -1;
	const char *row[] = { name, param_types.s, s->sql };
	if (!ok)
		snprintf(err->message, sizeof err->message, "out of memory");
	else if (db_begin(db, err) == 0) {
		if (admin_command(db, ddl.s, 0, NULL, err) == 0 &&
		    admin_command(db,
				  "INSERT INTO " STMTFN_SCHEMA ".statements (name, parameter_types, sql) VALUES ($1, $2, $3)"
				  " ON CONFLICT (name) DO UPDATE SET parameter_types = EXCLUDED.parameter_types,"
				  " sql = EXCLUDED.sql",
				  3, row, err) == 0 &&
		    db_commit(db, err) == 0)
			rc = 0;
		else
			db_rollback(db);
	}
	free(ddl.s);
	free(param_types.s);
	return rc;
}

int statement_functions_ensure(PGconn *db)
{
	struct db_err err;
	/* Complete: the row and the function. */
	PGresult *have = admin_query(db,
				     "SELECT s.name FROM " STMTFN_SCHEMA ".statements s WHERE EXISTS (SELECT 1 FROM pg_proc p"
				     " WHERE p.pronamespace = '" STMTFN_SCHEMA "'::regnamespace AND p.proname = s.name)",
				     0, NULL, &err);
	if (!have)
		return admin_fail("reading schema " STMTFN_SCHEMA ": %s", err.message);
	int created = 0, rc = ADMIN_OK;
	for (size_t l = 0; api_statements[l] && rc == ADMIN_OK; l++)
		for (size_t i = 0; api_statements[l][i] && rc == ADMIN_OK; i++) {
			const struct db_stmt *s = api_statements[l][i];
			char name[STMTFN_NAME_MAX];
			if (!stmtfn_name(s, name)) {
				rc = admin_fail("statement %s: name too long for a function", s->name);
				break;
			}
			if (strstr(s->sql, BODY_QUOTE)) {
				rc = admin_fail("statement %s holds " BODY_QUOTE, s->name);
				break;
			}
			bool present = false;
			for (int r = 0; r < PQntuples(have) && !present; r++)
				present = strcmp(PQgetvalue(have, r, 0), name) == 0;
			if (present)
				continue;
			if (create_one(db, s, name, &err) != 0)
				rc = admin_fail("creating the function of statement %s: %s", s->name, err.message);
			else
				created++;
		}
	PQclear(have);
	if (created)
		printf("added %d statement%s to schema " STMTFN_SCHEMA "\n", created, created == 1 ? "" : "s");
	return rc;
}
