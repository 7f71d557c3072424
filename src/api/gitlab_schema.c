/* schema = gitlab: the endpoints glia serves from a GitLab instance's own
 * database (check, authorized_keys, discover) answer as they do on glia's
 * tables; only their SQL differs, and it is here, beside the list of the
 * columns it reads, so that the two cannot drift apart unnoticed.
 *
 * What GitLab's tables hold that glia's do not (SCHEMA-NOTES.md of the
 * schema extract): keys.fingerprint_sha256 is the raw 32-byte digest in
 * bytea, not its base64; keys.usage_type 2 is a signing-only key, which
 * GitLab's Key.auth leaves out of every SSH lookup; keys.created_at is a
 * timestamp without time zone that Rails writes in UTC; users.username has
 * no unique index (the namespace route keeps it unique). glia writes
 * nothing there: the session is read-only, and it prepares its statements
 * in its own session only (db_prepare = on, conf.c insists). */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"
#include "api/gitlab_schema.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ISO 8601 in UTC with milliseconds, as Grape presents a time: from a
 * timestamp with time zone, and from one without that Rails wrote in UTC. */
#define TS_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define TS_NAIVE_UTC(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Key.auth: auth_and_signing (0) or auth (1), not signing (2). */
#define KEY_AUTH "usage_type IN (0, 1)"

/* The fingerprint parameter is glia's (sshkey.h): 43 characters of base64
 * without its '=' padding. */
static const struct db_stmt gitlab_keys_by_fingerprint = {
	"gitlab_keys_by_fingerprint",
	"SELECT id, title, key, " TS_NAIVE_UTC("created_at") ", " TS_UTC("expires_at")
	" FROM keys WHERE fingerprint_sha256 = decode($1 || '=', 'base64') AND " KEY_AUTH,
	1, true,
};

/* GitLab's GitAccessActor: Key.auth.find_by_id, User find_by_id, and
 * find_by_username, which ignores case. */
static const struct db_stmt gitlab_actor_by_key = {
	"gitlab_actor_by_key",
	"SELECT " ACTOR_KEY_COLUMNS ACTOR_USER_COLUMNS
	" FROM keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.id = $1 AND k." KEY_AUTH,
	1, true,
};
static const struct db_stmt gitlab_actor_by_user_id = {
	"gitlab_actor_by_user_id",
	"SELECT " ACTOR_NO_KEY_COLUMNS ACTOR_USER_COLUMNS " FROM users u WHERE u.id = $1",
	1, true,
};
static const struct db_stmt gitlab_actor_by_username = {
	"gitlab_actor_by_username",
	"SELECT " ACTOR_NO_KEY_COLUMNS ACTOR_USER_COLUMNS
	" FROM users u WHERE lower(u.username) = lower($1) ORDER BY u.id LIMIT 1",
	1, true,
};

static const struct db_stmt *const gitlab_statements[] = {
	&gitlab_keys_by_fingerprint,
	&gitlab_actor_by_key,
	&gitlab_actor_by_user_id,
	&gitlab_actor_by_username,
	&health_ping,
	NULL,
};
static const struct db_stmt *const *const gitlab_statement_lists[] = { gitlab_statements, NULL };

/* No Redis stands behind glia here, and no table of its own: check's
 * "redis" says whether the database answers. */
const struct api_sql api_gitlab_sql = {
	.store_ping = &health_ping,
	.keys_by_fingerprint = &gitlab_keys_by_fingerprint,
	.actor_by_key = &gitlab_actor_by_key,
	.actor_by_user_id = &gitlab_actor_by_user_id,
	.actor_by_username = &gitlab_actor_by_username,
	.statements = gitlab_statement_lists,
};

/* Every column the statements above read, ACTOR_*_COLUMNS included. */
const struct gitlab_column gitlab_columns[] = {
	{ "keys", "id", NULL },
	{ "keys", "user_id", NULL },
	{ "keys", "title", NULL },
	{ "keys", "key", NULL },
	{ "keys", "type", NULL },
	{ "keys", "created_at", "timestamp without time zone" },
	{ "keys", "expires_at", "timestamp with time zone" },
	{ "keys", "fingerprint_sha256", "bytea" },
	{ "keys", "usage_type", NULL },
	{ "users", "id", NULL },
	{ "users", "username", NULL },
	{ "users", "name", NULL },
	{ "users", "state", NULL },
	{ "users", "admin", NULL },
	{ "users", "otp_required_for_login", NULL },
	{ "users", "user_type", NULL },
	{ "users", "external", NULL },
};
const size_t n_gitlab_columns = sizeof gitlab_columns / sizeof gitlab_columns[0];

/* The columns that are missing or of another type: their 1-based place in
 * gitlab_columns, whether their table is missing, the type they have. */
static const char check_sql[] =
	"SELECT c.i, to_regclass(c.t) IS NULL, format_type(a.atttypid, a.atttypmod)"
	" FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS c(t, col, ty, i)"
	" LEFT JOIN pg_attribute a ON a.attrelid = to_regclass(c.t) AND a.attname = c.col"
	" AND a.attnum > 0 AND NOT a.attisdropped"
	" WHERE a.attname IS NULL OR (c.ty IS NOT NULL AND format_type(a.atttypid, a.atttypmod) <> c.ty)"
	" ORDER BY c.i";

size_t gitlab_schema_array(int field, char *out, size_t cap)
{
	size_t len = 0;
	for (size_t i = 0; i < n_gitlab_columns; i++) {
		const struct gitlab_column *c = &gitlab_columns[i];
		const char *v = field == 0 ? c->table : field == 1 ? c->column : c->type;
		int n = snprintf(out + (len < cap ? len : cap), len < cap ? cap - len : 0, v ? "%s\"%s\"" : "%sNULL",
				 i ? "," : "{", v);
		len += (size_t)n;
	}
	int n = snprintf(out + (len < cap ? len : cap), len < cap ? cap - len : 0, n_gitlab_columns ? "}" : "{}");
	return len + (size_t)n;
}

size_t gitlab_schema_describe(const struct gitlab_column_problem *problems, size_t n, char *out, size_t cap)
{
	size_t len = 0;
	if (cap)
		out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct gitlab_column_problem *p = &problems[i];
		bool seen = false;
		/* A missing table is named once, not once per column. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = p->table_missing && problems[j].table_missing &&
			       strcmp(problems[j].column->table, p->column->table) == 0;
		if (seen)
			continue;
		char *at = out + (len < cap ? len : cap);
		size_t room = len < cap ? cap - len : 0;
		const char *sep = len ? ", " : "";
		int w;
		if (p->table_missing)
			w = snprintf(at, room, "%s%s (no such table)", sep, p->column->table);
		else if (!p->found_type)
			w = snprintf(at, room, "%s%s.%s (no such column)", sep, p->column->table, p->column->column);
		else
			w = snprintf(at, room, "%s%s.%s (%s, glia reads %s)", sep, p->column->table, p->column->column,
				     p->found_type, p->column->type ? p->column->type : "any");
		len += (size_t)w;
	}
	return len;
}

#define ARRAY_MAX 2048

int gitlab_schema_connect_check(struct db *db, void *arg)
{
	(void)arg;
	PGresult *r;
	/* Before anything else, so that no statement of this session can
	 * write, whatever the role may do. */
	if (db_setup_query(db, "SET default_transaction_read_only = on", 0, NULL, &r) != DB_OK)
		return -1;
	PQclear(r);

	static char arrays[3][ARRAY_MAX];
	for (int f = 0; f < 3; f++)
		if (gitlab_schema_array(f, arrays[f], ARRAY_MAX) >= ARRAY_MAX)
			return -1;	/* a column list this long is a bug: the test of the arrays says so */
	const char *params[] = { arrays[0], arrays[1], arrays[2] };
	if (db_setup_query(db, check_sql, 3, params, &r) != DB_OK)
		return -1;
	int rows = PQntuples(r);
	if (rows == 0) {
		PQclear(r);
		return 0;
	}
	struct gitlab_column_problem problems[sizeof gitlab_columns / sizeof gitlab_columns[0]];
	size_t n = 0;
	for (int i = 0; i < rows && n < n_gitlab_columns; i++) {
		long place = strtol(PQgetvalue(r, i, 0), NULL, 10);
		if (place < 1 || (size_t)place > n_gitlab_columns)
			continue;
		problems[n].column = &gitlab_columns[place - 1];
		problems[n].table_missing = PQgetvalue(r, i, 1)[0] == 't';
		problems[n].found_type = PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2);
		n++;
	}
	char what[1024];
	gitlab_schema_describe(problems, n, what, sizeof what);
	log_error("schema = gitlab: the database lacks what glia reads from GitLab's tables: %s; glia refuses "
		  "to serve from it (is `database` a GitLab instance's, of a recent GitLab?)", what);
	PQclear(r);
	return -1;
}
