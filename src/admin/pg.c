/* glia-admin's database helpers: the configuration and the connection,
 * statements with readable errors, transactions, the lookups of users and
 * full paths every command makes, and what the entities' writes share
 * (finding a row by id, insert-or-update, upsert outcomes). */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int admin_load_config(struct admin *a)
{
	char err[512];

	if (a->conf_loaded)
		return 0;
	conf_defaults(&a->conf);
	a->conf_loaded = true;
	if (conf_load(&a->conf, a->config_file, err, sizeof err) < 0)
		return admin_fail("%s", err);
	/* Every command writes or reads glia's own tables, which a GitLab
	 * database lacks; and nothing of glia's goes into GitLab's. */
	if (a->conf.schema == SCHEMA_GITLAB)
		return admin_fail("%s: schema = gitlab names a GitLab instance's database, which glia only reads: "
				  "glia-admin works on glia's own", a->config_file);
	return 0;
}

/* Server warnings (RAISE WARNING in a migration) are worth showing; the
 * NOTICEs of "IF NOT EXISTS" are not. */
static void notice_receiver(void *arg, const PGresult *res)
{
	(void)arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (sev && msg && strcmp(sev, "WARNING") == 0)
		fprintf(stderr, "%s: database warning: %s\n", ADMIN_NAME, msg);
}

int admin_connect(struct admin *a)
{
	char timeout[16];

	if (a->db)
		return 0;
	if (admin_load_config(a) != 0)
		return -1;
	/* libpq counts whole seconds, and treats 1 as 2. */
	snprintf(timeout, sizeof timeout, "%d", (a->conf.db_connect_timeout_ms + 999) / 1000);
	/* Entries before dbname yield to the conninfo it expands to; those after
	 * it win: an explicit connect_timeout in `database` is kept, and the
	 * session always shows as glia-admin. */
	const char *const keys[] = { "connect_timeout", "dbname", "application_name", NULL };
	const char *const vals[] = { timeout, a->conf.database, ADMIN_NAME, NULL };
	a->db = PQconnectdbParams(keys, vals, 1);
	if (!a->db)
		return admin_fail("cannot connect to the database: out of memory"), -1;
	if (PQstatus(a->db) != CONNECTION_OK) {
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(a->db));
		msg[strcspn(msg, "\n")] = '\0';
		PQfinish(a->db);
		a->db = NULL;
		return admin_fail("cannot connect to the database: %s", msg), -1;
	}
	PQsetNoticeReceiver(a->db, notice_receiver, NULL);
	/* Dates without a time ("2021-05-01") then mean midnight UTC, whatever
	 * the server's or the role's default. */
	struct db_err err;
	if (admin_command(a->db, "SET TIME ZONE 'UTC'", 0, NULL, &err) != 0)
		return admin_fail("setting up the session: %s", err.message), -1;
	return 0;
}

static void db_err_fill(PGconn *db, const PGresult *res, struct db_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (!err)
		return;
	snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state ? state : "");
	snprintf(err->constraint, sizeof err->constraint, "%s", constraint ? constraint : "");
	if (msg) {
		snprintf(err->message, sizeof err->message, "%s", msg);
	} else {
		/* No result at all: the connection is gone or memory ran out. */
		snprintf(err->message, sizeof err->message, "%s", PQerrorMessage(db));
		err->message[strcspn(err->message, "\n")] = '\0';
	}
}

PGresult *admin_query(PGconn *db, const char *sql, int nparams, const char *const *params, struct db_err *err)
{
	PGresult *res = PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	db_err_fill(db, res, err);
	PQclear(res);
	return NULL;
}

int admin_command(PGconn *db, const char *sql, int nparams, const char *const *params, struct db_err *err)
{
	PGresult *res = admin_query(db, sql, nparams, params, err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

int db_begin(PGconn *db, struct db_err *err)
{
	return admin_command(db, "BEGIN", 0, NULL, err);
}

void db_rollback(PGconn *db)
{
	/* Nothing to report if this fails too: the server rolls back an
	 * aborted transaction when the session ends anyway. */
	PGresult *res = PQexecParams(db, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0);
	PQclear(res);
}

int db_commit(PGconn *db, struct db_err *err)
{
	return admin_command(db, "COMMIT", 0, NULL, err);
}

/* The unique indexes a user can run into, in words. */
static const struct {
	const char *constraint;
	const char *reason;
} unique_reasons[] = {
	{ "index_users_on_lower_username", "that username is taken" },
	{ "index_users_on_lower_email", "that email belongs to another user" },
	{ "index_routes_on_lower_path", "that path is taken by another user, group or project" },
	{ "index_keys_on_fingerprint_sha256", "that key is already in use" },
	{ "personal_access_tokens_token_digest_key", "that token is already in use" },
	{ "cluster_agent_tokens_token_digest_key", "that token is already in use" },
	{ "cluster_agents_project_id_name_key", "the project already has an agent of that name" },
	{ "namespaces_pkey", "that id belongs to another namespace" },
};

const char *db_err_reason(const struct db_err *err)
{
	if (strcmp(err->sqlstate, "23505") == 0)
		for (size_t i = 0; i < sizeof unique_reasons / sizeof unique_reasons[0]; i++)
			if (strcmp(err->constraint, unique_reasons[i].constraint) == 0)
				return unique_reasons[i].reason;
	return err->message;
}

int db_find_route(PGconn *db, const char *full_path, struct route *r, struct db_err *err)
{
	static const char sql[] =
		"SELECT r.source_id, r.project_id IS NOT NULL, coalesce(n.type = 'User', false),"
		"       coalesce(p.visibility_level, n.visibility_level), r.path"
		"  FROM routes r"
		"  LEFT JOIN namespaces n ON n.id = r.namespace_id"
		"  LEFT JOIN projects p ON p.id = r.project_id"
		" WHERE lower(r.path) = lower($1)";
	const char *params[] = { full_path };
	PGresult *res = admin_query(db, sql, 1, params, err);

	if (!res)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	r->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	r->is_project = PQgetvalue(res, 0, 1)[0] == 't';
	r->is_user_ns = PQgetvalue(res, 0, 2)[0] == 't';
	r->visibility = atoi(PQgetvalue(res, 0, 3));
	snprintf(r->path, sizeof r->path, "%s", PQgetvalue(res, 0, 4));
	PQclear(res);
	return 1;
}

int db_find_user(PGconn *db, const char *username, long long *id, struct db_err *err)
{
	const char *params[] = { username };
	PGresult *res = admin_query(db, "SELECT id FROM users WHERE lower(username) = lower($1)", 1, params, err);

	if (!res)
		return -1;
	int found = PQntuples(res) == 1;
	if (found)
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return found;
}

/* A group (not a project, not a user's namespace) by full path. */
int admin_find_group(struct admin *a, const char *full_path, struct route *r)
{
	struct db_err err;
	int found = db_find_route(a->db, full_path, r, &err);
	if (found < 0)
		return admin_fail("looking up group \"%s\": %s", full_path, err.message);
	if (!found)
		return admin_fail("group \"%s\" not found", full_path);
	if (r->is_project)
		return admin_fail("\"%s\" is a project, not a group", full_path);
	if (r->is_user_ns)
		return admin_fail("\"%s\" is a user's namespace, not a group", full_path);
	return 0;
}

int admin_find_user(struct admin *a, const char *username, long long *id)
{
	struct db_err err;
	int found = db_find_user(a->db, username, id, &err);
	if (found < 0)
		return admin_fail("looking up user \"%s\": %s", username, err.message);
	if (!found)
		return admin_fail("user \"%s\" not found", username);
	return 0;
}

/* A project by full path. */
int admin_find_project(struct admin *a, const char *full_path, struct route *r)
{
	struct db_err err;
	int found = db_find_route(a->db, full_path, r, &err);
	if (found < 0)
		return admin_fail("looking up project \"%s\": %s", full_path, err.message);
	if (!found)
		return admin_fail("project \"%s\" not found", full_path);
	if (!r->is_project)
		return admin_fail("\"%s\" is a %s, not a project", full_path, r->is_user_ns ? "user's namespace" : "group");
	return 0;
}

/* GitLab refuses a group, project or snippet more visible than what holds it. */
bool visibility_fits(int visibility, const struct route *outer, char *why, size_t n)
{
	if (visibility <= outer->visibility)
		return true;
	snprintf(why, n, "%s is not allowed inside \"%s\", which is %s", gitlab_visibility_name(visibility), outer->path,
		 gitlab_visibility_name(outer->visibility));
	return false;
}

int check_visibility_within(int visibility, const struct route *ns)
{
	char why[1280];
	if (!visibility_fits(visibility, ns, why, sizeof why))
		return admin_fail("visibility %s", why);
	return 0;
}

void fmt_id(char *buf, size_t n, long long v)
{
	snprintf(buf, n, "%lld", v);
}

/* ---- Writes: what the entities' files share ----------------------------- */

int write_db_failed(struct write_err *e)
{
	e->field = NULL;
	snprintf(e->message, sizeof e->message, "%s", db_err_reason(&e->db));
	return -1;
}

int write_refused(struct write_err *e, const char *field, const char *fmt, ...)
{
	va_list ap;
	e->field = field;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return -1;
}

int admin_row_exists(PGconn *db, const char *sql, long long id, char *type, size_t typelen, struct db_err *err)
{
	char idbuf[24];
	fmt_id(idbuf, sizeof idbuf, id);
	const char *params[] = { idbuf };
	PGresult *res = admin_query(db, sql, 1, params, err);
	if (!res)
		return -1;
	int n = PQntuples(res);
	if (n == 1 && type)
		snprintf(type, typelen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return n == 1;
}

int admin_write_row(PGconn *db, bool exists, long long *id, const char *update_sql, const char *insert_sql,
		    const char **params, int nparams, int *outcome, PGresult **inserted, struct write_err *e)
{
	char idbuf[24];
	fmt_id(idbuf, sizeof idbuf, *id);
	params[0] = *id ? idbuf : NULL;
	PGresult *res = admin_query(db, exists ? update_sql : insert_sql, nparams, params, &e->db);
	if (!res)
		return write_db_failed(e);
	if (exists) {
		*outcome = strcmp(PQcmdTuples(res), "1") == 0 ? WRITE_UPDATED : WRITE_UNCHANGED;
	} else {
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		*outcome = WRITE_CREATED;
		if (inserted) {
			*inserted = res;
			return 0;
		}
	}
	PQclear(res);
	return 0;
}

int admin_upsert(PGconn *db, const char *sql, const char *const *params, int nparams, int *outcome, struct db_err *err)
{
	PGresult *res = admin_query(db, sql, nparams, params, err);
	if (!res)
		return -1;
	*outcome = PQntuples(res) == 0 ? WRITE_UNCHANGED : PQgetvalue(res, 0, 0)[0] == 't' ? WRITE_CREATED : WRITE_UPDATED;
	PQclear(res);
	return 0;
}
