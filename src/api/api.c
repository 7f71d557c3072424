/* What the handlers share: the list of their statements, running one with
 * the answer to a database failure, reading a result's columns, and
 * building a text[] parameter. */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"
#include "api/gitlab_schema.h"
#include "api/statements.h"
#include "arena.h"

#include <stdlib.h>
#include <string.h>

static const struct db_stmt *const core_statements[] = {
	&check_store_ping,
	&keys_by_fingerprint,
	&actor_by_key,
	&actor_by_user_id,
	&actor_by_username,
	&health_ping,
	NULL,
};

/* Each endpoint family keeps its statements next to its SQL; the database
 * layer prepares all these lists on every new connection. */
const struct db_stmt *const *const api_statements[] = {
	core_statements,
	git_access_statements,
	account_statements,
	otp_statements,
	receive_statements,
	kubernetes_statements,
	billing_statements,
	NULL,
};

const struct api_sql api_glia_sql = {
	.store_ping = &check_store_ping,
	.keys_by_fingerprint = &keys_by_fingerprint,
	.actor_by_key = &actor_by_key,
	.actor_by_user_id = &actor_by_user_id,
	.actor_by_username = &actor_by_username,
	.allowed_by_path = &allowed_project_by_path,
	.allowed_by_id = &allowed_project_by_id,
	.allowed_snippet = &allowed_snippet,
	.allowed_store_moved = &allowed_store_moved,
	.knows_default_branch = true,
	.statements = api_statements,
};

int api_app_init(struct app *app)
{
	bool gitlab = app->conf->schema == SCHEMA_GITLAB;
	app->sql = gitlab ? &api_gitlab_sql : &api_glia_sql;
	app->db = db_new(app->conf, app->sql->statements);
	if (!app->db)
		return -1;
	if (gitlab)
		db_set_connect_check(app->db, gitlab_schema_connect_check, NULL);
	return 0;
}

void api_db_failure(struct response *res, int db_status)
{
	switch (db_status) {
	case DB_UNAVAILABLE:
		response_message(res, 503, "503 Service Unavailable - database unavailable");
		res->retry_after = 5;
		break;
	case DB_BAD_INPUT:
		response_message(res, 400, "400 Bad request - invalid value");
		break;
	default:
		response_status(res, 500);
		break;
	}
}

bool col_flag(PGresult *r, int col)
{
	return !PQgetisnull(r, 0, col) && PQgetvalue(r, 0, col)[0] == 't';
}

long long col_int(PGresult *r, int col, long long dflt)
{
	return PQgetisnull(r, 0, col) ? dflt : strtoll(PQgetvalue(r, 0, col), NULL, 10);
}

const char *col_text(struct request *req, PGresult *r, int col)
{
	return PQgetisnull(r, 0, col) ? NULL : arena_strdup(req->arena, PQgetvalue(r, 0, col));
}

json_object *col_json_string(PGresult *r, int col)
{
	return PQgetisnull(r, 0, col) ? NULL : json_object_new_string(PQgetvalue(r, 0, col));
}

void api_shell_answer(struct response *res, const char *failure)
{
	json_object *o = json_object_new_object();
	if (!o)
		return;
	json_object_object_add(o, "success", json_object_new_boolean(failure == NULL));
	if (failure)
		json_object_object_add(o, "message", json_object_new_string(failure));
	response_json(res, 200, o);
}

bool pg_array_init(struct request *req, struct pg_array *a, size_t cap)
{
	a->buf = arena_alloc(req->arena, cap);
	a->len = 0;
	a->cap = cap;
	if (!a->buf)
		return false;
	a->buf[a->len++] = '{';
	a->buf[a->len] = '\0';
	return true;
}

bool pg_array_add(struct pg_array *a, const char *s, size_t len)
{
	if (a->len + 2 * len + 8 > a->cap)
		return false;
	if (a->len > 1)
		a->buf[a->len++] = ',';
	if (!s) {
		memcpy(a->buf + a->len, "NULL", 4);
		a->len += 4;
	} else {
		a->buf[a->len++] = '"';
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '"' || s[i] == '\\')
				a->buf[a->len++] = '\\';
			a->buf[a->len++] = s[i];
		}
		a->buf[a->len++] = '"';
	}
	a->buf[a->len] = '}';
	a->buf[a->len + 1] = '\0';
	return true;
}

const char *pg_array_end(struct pg_array *a)
{
	if (a->len == 1)
		a->buf[1] = '}', a->buf[2] = '\0';
	return a->buf;
}

PGresult *api_query(struct app *app, const struct db_stmt *stmt, const char *const *params, struct response *res)
{
	PGresult *r;
	int rc = db_exec(app->db, stmt, params, &r);
	if (rc != DB_OK) {
		api_db_failure(res, rc);
		return NULL;
	}
	return r;
}
