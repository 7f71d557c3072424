/* Which repository a git call is about: GitLab's parse_repo_path, from
 * gl_repository ("project-7") or the project path as typed ("/group/p.git").
 * Parsing is pure (unit-tested). The lookups are SQL fragments, so that
 * /allowed reads the actor, the container, the caller's role and a deploy
 * key's link in one statement; repo_find runs them without a caller. */
#ifndef GLIA_REPO_H
#define GLIA_REPO_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

struct request;
struct response;
struct app;
struct db_stmt;

/* The container lookups without a caller (repo_find), listed by allowed.c. */
extern const struct db_stmt repo_project_by_path, repo_project_by_id;

enum repo_type { REPO_PROJECT, REPO_WIKI, REPO_SNIPPET, REPO_DESIGN };

/* What the request names, before any query. Paths point into the
 * parameter's text. */
struct repo_ref {
	enum repo_type type;
	bool by_id;		/* from gl_repository: id is the container's id */
	long long id;		/* project id, or snippet id for REPO_SNIPPET */
	bool valid;		/* false: a path GitLab could never have; not found */
	const char *path;	/* project full path (snippet: its project's, or NULL) */
	size_t path_len;
};

/* The container found, with what the access checks need. */
struct repo {
	enum repo_type type;
	bool found;
	bool redirected;	/* found through redirect_routes */
	long long project_id;	/* 0 for a personal snippet */
	long long snippet_id;
	const char *full_path;	/* the project's, "" for a personal snippet */
	const char *gl_repository;	/* "project-7" */
	const char *gl_project_path;	/* "g/p", "g/p.wiki", "g/p/snippets/7", "snippets/7" */
	const char *relative_path;	/* "@hashed/6b/86/<h>.git" */
	const char *disk_path;	/* the project's repository path without ".git"; NULL: the hashed rule */
	const char *storage;
	int visibility;		/* the project's (a snippet's own is snippet_visibility) */
	bool archived;
	bool read_only;		/* the container's repository_read_only */
	bool lfs_enabled;
	const char *default_branch;	/* NULL when unset */
	int repository_access_level;	/* project_features: 0 disabled .. 30 public */
	int wiki_access_level;
	int snippets_access_level;
	long long snippet_author_id;
	int snippet_visibility;
	long long root_namespace_id;	/* the project's top-level namespace, 0 for none */
	/* About the caller, read in the same query. */
	int access_level;	/* the user's role in the project, 0: none */
	bool deploy_key_linked;	/* the key is enabled on the project */
	bool deploy_key_can_push;
};

/* The caller's role in project p of namespace n: the highest of a
 * membership of the project, of its namespace or an ancestor
 * (traversal_ids), and 40 for the owner of a personal namespace; expired
 * memberships do not count. The project_authorizations view of the schema
 * for one user and one project, each source through its own index (members
 * (user_id, project_id), members (user_id, namespace_id)) rather than the
 * view's GROUP BY over every project of the user. uid: an SQL expression
 * naming a user. */
#define REPO_ROLE(uid) \
	"greatest((SELECT max(m.access_level) FROM members m WHERE m.user_id = " uid " AND m.project_id = p.id" \
	" AND (m.expires_at IS NULL OR m.expires_at > current_date))," \
	" (SELECT max(m.access_level) FROM members m WHERE m.user_id = " uid \
	" AND m.namespace_id = ANY (n.traversal_ids) AND (m.expires_at IS NULL OR m.expires_at > current_date))," \
	" CASE WHEN n.type = 'User' AND n.owner_id = " uid " THEN 40 END, 0)"

/* A container's REPO_COLUMN_COUNT columns, in repo_read_row's order, from
 * projects p, project_features f and what the statement adds: the path
 * (path: routes r's, or the CTE's), the caller's role, whether the deploy
 * key is enabled on the project and may push, whether the path was a
 * redirect, the snippet's columns (REPO_NO_SNIPPET for a project), and the
 * project's disk path (NULL: the hashed rule, which glia's projects follow;
 * GitLab's project_repositories may say otherwise). */
#define REPO_COLUMN_COUNT 22
#define REPO_PROJECT_COLUMNS(path, role) \
	"p.id, " path ", p.visibility_level, p.archived, p.repository_read_only, p.lfs_enabled," \
	" p.repository_storage, p.default_branch, coalesce(f.repository_access_level, 20)," \
	" coalesce(f.wiki_access_level, 20), coalesce(f.snippets_access_level, 20)," \
	" (SELECT rn.traversal_ids[1] FROM namespaces rn WHERE rn.id = p.namespace_id), " role
#define REPO_NO_SNIPPET_DISK_PATH(disk_path) \
	", NULL::bigint, NULL::bigint, NULL::integer, NULL::boolean, NULL::text, " disk_path
#define REPO_NO_SNIPPET REPO_NO_SNIPPET_DISK_PATH("NULL::text")
#define REPO_SNIPPET_COLUMNS \
	", s.id, s.author_id, s.visibility_level, s.repository_read_only, s.repository_storage, NULL::text"
#define REPO_FEATURES_JOIN " LEFT JOIN project_features f ON f.project_id = p.id"
/* REPO_ROLE's namespace. */
#define REPO_NAMESPACE_JOIN " LEFT JOIN namespaces n ON n.id = p.namespace_id"

/* The project named by a full path: routes first, then redirect_routes
 * (with the project's own path), case-insensitively, as
 * Project.find_by_full_path(follow_redirects: true). A CTE t(project_id,
 * path, redirected) to start the statement with. */
#define REPO_PATH_CTE(path) \
	"WITH t AS (SELECT project_id, path, false AS redirected FROM routes" \
	" WHERE lower(path) = lower(" path ") AND project_id IS NOT NULL" \
	" UNION ALL SELECT rr.project_id, r.path, true FROM redirect_routes rr JOIN routes r ON r.project_id = rr.project_id" \
	" WHERE lower(rr.path) = lower(" path ") AND rr.project_id IS NOT NULL ORDER BY 3 LIMIT 1) "
/* A snippet's FROM items: its project's (personal snippets have none). */
#define REPO_SNIPPET_FROM \
	"snippets s LEFT JOIN projects p ON p.id = s.project_id LEFT JOIN routes r ON r.project_id = p.id" \
	REPO_NAMESPACE_JOIN REPO_FEATURES_JOIN
/* Which snippet: id, and path, the project path it was named under: NULL
 * (by gl_repository: any), '' (a personal snippet) or a project's path. */
#define REPO_SNIPPET_MATCH(id, path) \
	"s.id = " id " AND (" path "::text IS NULL OR (" path " = '' AND s.project_id IS NULL)" \
	" OR (" path " <> '' AND lower(r.path) = lower(" path ")))"

/* "project-7" → REPO_PROJECT, 7. Strict: ^(project|wiki|snippet|design)-[1-9][0-9]{0,18}$
 * within int64. Returns 0 or -1. */
int repo_parse_gl_repository(const char *s, size_t len, enum repo_type *type, long long *id);

/* The project parameter as typed. Fills ref; ref->valid is false for a
 * path no project can have (ref->type then says whose not-found message to
 * give). Returns 0. */
int repo_parse_path(const char *s, size_t len, struct repo_ref *ref);

/* Whether one path segment passes GitLab's PathRegex: the rule of
 * glia_valid_path() in db/migrations/0001_initial.sql, which glia-admin
 * checks before it writes. */
bool repo_valid_segment(const char *s, size_t len);

/* "<prefix>/<h[0:2]>/<h[2:4]>/<h><suffix>", h = hex SHA-256 of the decimal
 * id: GitLab's hashed storage path. out needs 64 + strlen(prefix) +
 * strlen(suffix) + 8 bytes. Returns 0 or -1 when out is too small. */
int repo_hashed_path(const char *prefix, long long id, const char *suffix, char *out, size_t size);

/* Reads gl_repository or project from the request. Returns 0, or -1 when
 * it has answered itself (400 for a bad gl_repository, or a missing
 * one: {"error":"project is missing"}). */
int repo_ref_from_request(struct request *req, struct repo_ref *ref, struct response *res);

/* The first parameter of the lookups: the id (gl_repository, snippets)
 * or the path (arena); NULL for a ref that names nothing, or out of memory. */
const char *repo_ref_param(struct request *req, const struct repo_ref *ref, char *id_text, size_t size);

/* Reads a container's columns from col of a lookup's result (repo->type
 * set by the caller); repo->found stays false when they are NULL or there
 * is no row. Returns 0, or -1 out of memory. */
int repo_read_row(struct request *req, PGresult *r, int col, struct repo *repo);

/* Looks a project or wiki up without a caller (no role, no deploy key).
 * repo->found is false when nothing is there. Returns 0, or -1 after
 * writing the database failure. */
int repo_find(struct request *req, struct app *app, const struct repo_ref *ref, struct repo *repo,
	      struct response *res);

/* gitaly_storages ("name=address,...") → the Gitaly address of storage
 * (arena), or NULL when the configuration has none for it. */
const char *repo_gitaly_address(struct request *req, const char *storages, const char *storage);

#endif
