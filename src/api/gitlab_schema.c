/* schema = gitlab: the endpoints glia serves from a GitLab instance's own
 * database (check, authorized_keys, discover, allowed, lfs_authenticate)
 * answer as they do on glia's tables; only their SQL differs, and it is here, beside the list of
 * the columns it reads, so that the two cannot drift apart unnoticed.
 *
 * What GitLab's tables hold that glia's do not (SCHEMA-NOTES.md of the
 * schema extract): keys.fingerprint_sha256 is the raw 32-byte digest in
 * bytea, not its base64; keys.usage_type 2 is a signing-only key, which
 * GitLab's Key.auth leaves out of every SSH lookup; keys.created_at is a
 * timestamp without time zone that Rails writes in UTC; users.username has
 * no unique index (the namespace route keeps it unique); a user's level in
 * a project is Rails' project_authorizations, routes name their project by
 * source_type and source_id, and the default branch is not in a table. glia writes
 * nothing there: the session is read-only, and it prepares its statements
 * in its own session only (db_prepare = on, conf.c insists). */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"
#include "api/gitlab_schema.h"
#include "api/repo.h"
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

/* /allowed: allowed.c's statements over GitLab's tables, the same columns
 * (ACTOR_*_COLUMNS, REPO_COLUMN_COUNT, the caller's, the protected refs)
 * and parameters: $1 key id, $2 user id, $3 path or project id, $4 whether
 * the protected refs are wanted. The actor is Key.auth's key and its user,
 * or the user. */
#define GL_ACTOR_JOINS \
	" FROM (SELECT 1) one LEFT JOIN keys k ON k.id = $1 AND k." KEY_AUTH \
	" LEFT JOIN users u ON u.id = coalesce(k.user_id, $2)"
/* The user's level as GitLab's access check reads it (ProjectTeam's
 * max_member_access: the highest project_authorizations row, which Rails
 * maintains from memberships, group links and shares). A deploy key's
 * user has no role through it. */
#define GL_ROLE \
	"CASE WHEN u.id IS NULL OR k.type = 'DeployKey' OR p.id IS NULL THEN 0 ELSE coalesce((SELECT" \
	" max(pa.access_level) FROM project_authorizations pa WHERE pa.user_id = u.id AND pa.project_id = p.id), 0) END"
/* REPO_PROJECT_COLUMNS' order. GitLab keeps the default branch in the
 * repository (Gitaly's HEAD), not in a table: NULL, and allowed.c leaves
 * the pushes that would need it to Rails. */
#define GL_PROJECT_COLUMNS(path) \
	"p.id, " path ", p.visibility_level, p.archived, p.repository_read_only, p.lfs_enabled," \
	" p.repository_storage, NULL::text, coalesce(f.repository_access_level, 20)," \
	" coalesce(f.wiki_access_level, 20), coalesce(f.snippets_access_level, 20)," \
	" (SELECT rn.traversal_ids[1] FROM namespaces rn WHERE rn.id = p.namespace_id), " GL_ROLE
/* A deploy key's link (deploy_keys_projects has no unique pair: the first,
 * as DeployKey#deploy_keys_project_for finds it). */
#define GL_DEPLOY_KEY_JOIN \
	" LEFT JOIN LATERAL (SELECT d.id, d.can_push FROM deploy_keys_projects d WHERE d.project_id = p.id" \
	" AND d.deploy_key_id = k.id AND k.type = 'DeployKey' ORDER BY d.id LIMIT 1) dk ON true"
/* The repository's disk path: project_repositories', else the legacy
 * storage's full path (storage_version 0 or NULL); NULL, the hashed rule,
 * for a hashed project without that row. */
#define GL_DISK_PATH(path) \
	"coalesce((SELECT pr.disk_path FROM project_repositories pr WHERE pr.project_id = p.id)," \
	" CASE WHEN coalesce(p.storage_version, 0) < 1 THEN " path " END)"
#define GL_FEATURES_JOIN " LEFT JOIN project_features f ON f.project_id = p.id"
/* A protected ref's role level: GitLab passes whoever any role row
 * passes, so the lowest level but "no one" (0) stands for them all; 0 if
 * that is all there is; NULL without a role row. */
#define GL_ROLE_LEVEL(table, fk, id, extra) \
	"(SELECT coalesce(min(nullif(a.access_level, 0)), min(a.access_level)) FROM " table " a WHERE a." fk " = " id \
	" AND a.user_id IS NULL AND a.group_id IS NULL" extra ")"
#define GL_USER_ROW(table, fk, id, uid) \
	"EXISTS (SELECT 1 FROM " table " a WHERE a." fk " = " id " AND a.user_id = " uid ")"
#define GL_UID "CASE WHEN k.type = 'DeployKey' THEN 0 ELSE coalesce(u.id, 0) END"
/* REFCHECK_PROTECTED_REFS_JSON over GitLab's tables: the project's own
 * rules (a group's, namespace_id, are EE), role rows without a deploy key. */
#define GL_REFS \
	", CASE WHEN $4::boolean AND p.id IS NOT NULL THEN (SELECT json_agg(json_build_array(pr.tag, pr.name," \
	" pr.push_level, pr.push_user, pr.merge_level, pr.merge_user)) FROM (SELECT false, b.name::text, " \
	GL_ROLE_LEVEL("protected_branch_push_access_levels", "protected_branch_id", "b.id", \
		      " AND a.deploy_key_id IS NULL") ", " \
	GL_USER_ROW("protected_branch_push_access_levels", "protected_branch_id", "b.id", GL_UID) ", " \
	GL_ROLE_LEVEL("protected_branch_merge_access_levels", "protected_branch_id", "b.id", "") ", " \
	GL_USER_ROW("protected_branch_merge_access_levels", "protected_branch_id", "b.id", GL_UID) \
	" FROM protected_branches b WHERE b.project_id = p.id UNION ALL SELECT true, t.name::text, " \
	GL_ROLE_LEVEL("protected_tag_create_access_levels", "protected_tag_id", "t.id", " AND a.deploy_key_id IS NULL") \
	", " GL_USER_ROW("protected_tag_create_access_levels", "protected_tag_id", "t.id", GL_UID) ", NULL::integer, false" \
	" FROM protected_tags t WHERE t.project_id = p.id) pr(tag, name, push_level, push_user, merge_level, merge_user))" \
	" END"
#define GL_SELECT(path, redirected) \
	"SELECT " ACTOR_KEY_COLUMNS ACTOR_USER_COLUMNS ", " GL_PROJECT_COLUMNS(path) \
	", dk.id IS NOT NULL, coalesce(dk.can_push, false), " redirected REPO_NO_SNIPPET_DISK_PATH(GL_DISK_PATH(path)) GL_REFS

/* Project.find_by_full_path(follow_redirects: true): routes, then
 * redirect_routes, case-insensitively: t(project_id, path, redirected),
 * path the project's own. */
#define GL_PATH_CTE \
	"WITH t AS (SELECT source_id AS project_id, path::text AS path, false AS redirected FROM routes" \
	" WHERE lower(path) = lower($3) AND source_type = 'Project'" \
	" UNION ALL SELECT rr.source_id, r.path::text, true FROM redirect_routes rr" \
	" JOIN routes r ON r.source_type = 'Project' AND r.source_id = rr.source_id" \
	" WHERE lower(rr.path) = lower($3) AND rr.source_type = 'Project' ORDER BY 3 LIMIT 1) "
static const struct db_stmt gitlab_allowed_by_path = {
	"gitlab_allowed_by_path",
	GL_PATH_CTE GL_SELECT("t.path", "t.redirected") GL_ACTOR_JOINS
	" LEFT JOIN (t JOIN projects p ON p.id = t.project_id" GL_FEATURES_JOIN ") ON true" GL_DEPLOY_KEY_JOIN,
	4, true,
};
static const struct db_stmt gitlab_allowed_by_id = {
	"gitlab_allowed_by_id",
	GL_SELECT("r.path::text", "false") GL_ACTOR_JOINS
	" LEFT JOIN (projects p JOIN routes r ON r.source_type = 'Project' AND r.source_id = p.id" GL_FEATURES_JOIN
	") ON p.id = $3" GL_DEPLOY_KEY_JOIN,
	4, true,
};

/* lfs_authenticate: the actor ($1 key id, $2 user id, as /allowed's) and
 * the project ($3 path or id), with what the token's key is made of
 * (lfs_key.h) and Project#lfs_enabled?: the project's flag, else its
 * group's, else on (a user's namespace follows the instance, whose LFS
 * glia takes to be on: db_key_base_file is set where LFS is). Columns in
 * lfs.c's order (GITLAB_LFS_*). The password's tail and the fingerprint's
 * head are cut here, by characters, as Ruby's last(16) and first(16); an
 * empty fingerprint is NULL, as a missing one: no token (lfs.c). */
#define GL_LFS_SELECT(path) \
	"SELECT k.id, k.type = 'DeployKey', left(encode(nullif(k.fingerprint_sha256, ''::bytea), 'base64'), 16)," \
	" u.id, u.username, right(u.encrypted_password, 16), p.id, " path "," \
	" CASE WHEN p.lfs_enabled IS NOT NULL THEN p.lfs_enabled" \
	" WHEN n.type = 'Group' THEN coalesce(n.lfs_enabled, true) ELSE true END"
#define GL_LFS_NAMESPACE_JOIN " LEFT JOIN namespaces n ON n.id = p.namespace_id"
static const struct db_stmt gitlab_lfs_by_path = {
	"gitlab_lfs_by_path",
	GL_PATH_CTE GL_LFS_SELECT("t.path") GL_ACTOR_JOINS
	" LEFT JOIN (t JOIN projects p ON p.id = t.project_id" GL_LFS_NAMESPACE_JOIN ") ON true",
	3, true,
};
static const struct db_stmt gitlab_lfs_by_id = {
	"gitlab_lfs_by_id",
	GL_LFS_SELECT("r.path::text") GL_ACTOR_JOINS
	" LEFT JOIN (projects p JOIN routes r ON r.source_type = 'Project' AND r.source_id = p.id"
	GL_LFS_NAMESPACE_JOIN ") ON p.id = $3",
	3, true,
};

static const struct db_stmt *const gitlab_statements[] = {
	&gitlab_keys_by_fingerprint,
	&gitlab_actor_by_key,
	&gitlab_actor_by_user_id,
	&gitlab_actor_by_username,
	&gitlab_allowed_by_path,
	&gitlab_allowed_by_id,
	&gitlab_lfs_by_path,
	&gitlab_lfs_by_id,
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
	.allowed_by_path = &gitlab_allowed_by_path,
	.allowed_by_id = &gitlab_allowed_by_id,
	.lfs_by_path = &gitlab_lfs_by_path,
	.lfs_by_id = &gitlab_lfs_by_id,
	/* Snippets stay with Rails; the "project moved" message is not kept. */
	.allowed_snippet = NULL,
	.allowed_store_moved = NULL,
	.knows_default_branch = false,
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
	{ "users", "encrypted_password", NULL },
	{ "routes", "source_id", NULL },
	{ "routes", "source_type", NULL },
	{ "routes", "path", NULL },
	{ "redirect_routes", "source_id", NULL },
	{ "redirect_routes", "source_type", NULL },
	{ "redirect_routes", "path", NULL },
	{ "projects", "id", NULL },
	{ "projects", "namespace_id", NULL },
	{ "projects", "visibility_level", NULL },
	{ "projects", "archived", NULL },
	{ "projects", "repository_read_only", NULL },
	{ "projects", "lfs_enabled", NULL },
	{ "projects", "repository_storage", NULL },
	{ "projects", "storage_version", NULL },
	{ "project_features", "project_id", NULL },
	{ "project_features", "repository_access_level", NULL },
	{ "project_features", "wiki_access_level", NULL },
	{ "project_features", "snippets_access_level", NULL },
	{ "project_repositories", "project_id", NULL },
	{ "project_repositories", "disk_path", NULL },
	{ "namespaces", "id", NULL },
	{ "namespaces", "traversal_ids", "bigint[]" },
	{ "namespaces", "type", NULL },
	{ "namespaces", "lfs_enabled", NULL },
	{ "project_authorizations", "user_id", NULL },
	{ "project_authorizations", "project_id", NULL },
	{ "project_authorizations", "access_level", NULL },
	{ "deploy_keys_projects", "id", NULL },
	{ "deploy_keys_projects", "deploy_key_id", NULL },
	{ "deploy_keys_projects", "project_id", NULL },
	{ "deploy_keys_projects", "can_push", NULL },
	{ "protected_branches", "id", NULL },
	{ "protected_branches", "project_id", NULL },
	{ "protected_branches", "name", NULL },
	{ "protected_branch_push_access_levels", "protected_branch_id", NULL },
	{ "protected_branch_push_access_levels", "access_level", NULL },
	{ "protected_branch_push_access_levels", "user_id", NULL },
	{ "protected_branch_push_access_levels", "group_id", NULL },
	{ "protected_branch_push_access_levels", "deploy_key_id", NULL },
	{ "protected_branch_merge_access_levels", "protected_branch_id", NULL },
	{ "protected_branch_merge_access_levels", "access_level", NULL },
	{ "protected_branch_merge_access_levels", "user_id", NULL },
	{ "protected_branch_merge_access_levels", "group_id", NULL },
	{ "protected_tags", "id", NULL },
	{ "protected_tags", "project_id", NULL },
	{ "protected_tags", "name", NULL },
	{ "protected_tag_create_access_levels", "protected_tag_id", NULL },
	{ "protected_tag_create_access_levels", "access_level", NULL },
	{ "protected_tag_create_access_levels", "user_id", NULL },
	{ "protected_tag_create_access_levels", "group_id", NULL },
	{ "protected_tag_create_access_levels", "deploy_key_id", NULL },
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
