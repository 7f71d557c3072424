/* Which repository a git call is about: GitLab's parse_repo_path, from
 * gl_repository ("project-7") or the project path as typed ("/group/p.git").
 * Parsing is pure (unit-tested); repo_find then reads the container, the
 * caller's role in its project and a deploy key's link in one query. */
#ifndef GLIA_REPO_H
#define GLIA_REPO_H

#include <stdbool.h>
#include <stddef.h>

struct request;
struct response;
struct app;

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
	/* About the caller, read in the same query. */
	int access_level;	/* the user's role in the project, 0: none */
	bool user_external;
	bool deploy_key_linked;	/* the key is enabled on the project */
	bool deploy_key_can_push;
};

/* "project-7" → REPO_PROJECT, 7. Strict: ^(project|wiki|snippet|design)-[1-9][0-9]{0,18}$
 * within int64. Returns 0 or -1. */
int repo_parse_gl_repository(const char *s, size_t len, enum repo_type *type, long long *id);

/* The project parameter as typed. Fills ref; ref->valid is false for a
 * path no project can have (ref->type then says whose not-found message to
 * give). Returns 0. */
int repo_parse_path(const char *s, size_t len, struct repo_ref *ref);

/* Whether one path segment passes GitLab's PathRegex. */
bool repo_valid_segment(const char *s, size_t len);

/* "<prefix>/<h[0:2]>/<h[2:4]>/<h><suffix>", h = hex SHA-256 of the decimal
 * id: GitLab's hashed storage path. out needs 64 + strlen(prefix) +
 * strlen(suffix) + 8 bytes. Returns 0 or -1 when out is too small. */
int repo_hashed_path(const char *prefix, long long id, const char *suffix, char *out, size_t size);

/* Reads gl_repository or project from the request. Returns 0, or -1 when
 * it has answered itself (400 for a bad gl_repository, or a missing
 * one: {"error":"project is missing"}). */
int repo_ref_from_request(struct request *req, struct repo_ref *ref, struct response *res);

/* Looks the container up (user_id, key_id: 0 for none). repo->found is
 * false when nothing is there. Returns 0, or -1 after writing the database
 * failure. */
int repo_find(struct request *req, struct app *app, const struct repo_ref *ref, long long user_id,
	      long long key_id, struct repo *repo, struct response *res);

/* The path of a container type in its not-found message: "project", "wiki",
 * "snippet". */
const char *repo_type_name(enum repo_type type);

/* gitaly_storages ("name=address,...") → the Gitaly address of storage
 * (arena), or NULL when the configuration has none for it. */
const char *repo_gitaly_address(struct request *req, const char *storages, const char *storage);

#endif
