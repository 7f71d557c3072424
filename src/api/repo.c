/* Which repository a git call is about: GitLab's parse_repo_path. A path is
 * checked against GitLab's path rules before any query, so that nothing a
 * project could never be called reaches the database; the lookup then
 * follows routes case-insensitively, then redirect_routes. */
#include "config.h"
#include "api/repo.h"
#include "api/api.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Routes are at most 2048 bytes; one segment at most 255 (glia_valid_path). */
#define REPO_PATH_MAX 2048
#define SEGMENT_MAX 255

/* The columns every lookup returns, in this order (repo_read_row). */
#define REPO_ACCESS_COLUMNS \
	" coalesce((SELECT pa.access_level FROM project_authorizations pa" \
	" WHERE pa.user_id = $2 AND pa.project_id = p.id), 0)," \
	" coalesce((SELECT u.external FROM users u WHERE u.id = $2), false)," \
	" dk.id IS NOT NULL, coalesce(dk.can_push, false)"
#define REPO_PROJECT_COLUMNS \
	"p.id, r.path, p.visibility_level, p.archived, p.repository_read_only, p.lfs_enabled," \
	" p.repository_storage, p.default_branch, coalesce(f.repository_access_level, 20)," \
	" coalesce(f.wiki_access_level, 20), coalesce(f.snippets_access_level, 20)," REPO_ACCESS_COLUMNS
#define REPO_PROJECT_JOINS \
	" JOIN projects p ON p.id = t.project_id JOIN routes r ON r.project_id = p.id" \
	" LEFT JOIN project_features f ON f.project_id = p.id" \
	" LEFT JOIN deploy_keys_projects dk ON dk.project_id = p.id AND dk.deploy_key_id = $3"
#define REPO_NO_SNIPPET ", t.redirected, NULL::bigint, NULL::bigint, NULL::integer, NULL::boolean, NULL::text"

/* $1 full path, $2 user id, $3 key id (0: none). Routes first, as
 * Project.find_by_full_path(follow_redirects: true). */
const struct db_stmt repo_project_by_path = {
	"repo_project_by_path",
	"WITH t AS (SELECT project_id, false AS redirected FROM routes"
	" WHERE lower(path) = lower($1) AND project_id IS NOT NULL"
	" UNION ALL SELECT project_id, true FROM redirect_routes"
	" WHERE lower(path) = lower($1) AND project_id IS NOT NULL ORDER BY 2 LIMIT 1)"
	" SELECT " REPO_PROJECT_COLUMNS REPO_NO_SNIPPET " FROM t" REPO_PROJECT_JOINS,
	3, true,
};
/* $1 project id, $2 user id, $3 key id. */
const struct db_stmt repo_project_by_id = {
	"repo_project_by_id",
	"WITH t AS (SELECT $1::bigint AS project_id, false AS redirected)"
	" SELECT " REPO_PROJECT_COLUMNS REPO_NO_SNIPPET " FROM t" REPO_PROJECT_JOINS,
	3, true,
};
/* $1 snippet id, $2 user id, $3 key id, $4 the project path it was named
 * under: NULL (by gl_repository: any), "" (a personal snippet) or a path. */
const struct db_stmt repo_snippet = {
	"repo_snippet",
	"SELECT " REPO_PROJECT_COLUMNS ", false, s.id, s.author_id, s.visibility_level,"
	" s.repository_read_only, s.repository_storage"
	" FROM snippets s LEFT JOIN projects p ON p.id = s.project_id"
	" LEFT JOIN routes r ON r.project_id = p.id"
	" LEFT JOIN project_features f ON f.project_id = p.id"
	" LEFT JOIN deploy_keys_projects dk ON dk.project_id = p.id AND dk.deploy_key_id = $3"
	" WHERE s.id = $1 AND ($4::text IS NULL OR ($4 = '' AND s.project_id IS NULL)"
	" OR ($4 <> '' AND lower(r.path) = lower($4)))",
	4, true,
};

static const char *const type_names[] = { "project", "wiki", "snippet", "design" };

const char *repo_type_name(enum repo_type type)
{
	return type_names[type];
}

int repo_parse_gl_repository(const char *s, size_t len, enum repo_type *type, long long *id)
{
	for (size_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++) {
		size_t n = strlen(type_names[t]);
		/* at most 19 digits: parse_id refuses what overflows int64 */
		if (len > n + 1 && len <= n + 1 + 19 && memcmp(s, type_names[t], n) == 0 && s[n] == '-' &&
		    parse_id(s + n + 1, len - n - 1, id) == 0) {
			*type = (enum repo_type)t;
			return 0;
		}
	}
	return -1;
}

static bool path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-' || c == '.';
}

static bool ends_with_ci(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

/* GitLab's PathRegex (and glia_valid_path in the schema): letters, digits,
 * '_', '-', '.'; not starting with '-', not ending with '.'; no .git or
 * .atom suffix. So "." and ".." are refused, and "-flag" too. */
bool repo_valid_segment(const char *s, size_t len)
{
	if (len == 0 || len > SEGMENT_MAX || s[0] == '-' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!path_char(s[i]))
			return false;
	return !ends_with_ci(s, len, ".git") && !ends_with_ci(s, len, ".atom");
}

/* A namespace path and a project: two segments at least, each valid. */
static bool valid_project_path(const char *s, size_t len)
{
	size_t segments = 0, start = 0;

	if (len == 0 || len > REPO_PATH_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '/') {
			if (!repo_valid_segment(s + start, i - start))
				return false;
			segments++;
			start = i + 1;
		}
	}
	return segments >= 2;
}

/* "snippets/5" (personal) or "<project path>/snippets/5". */
static bool parse_snippet_path(const char *s, size_t len, struct repo_ref *ref)
{
	const char *slash = memrchr(s, '/', len);
	if (!slash || parse_id(slash + 1, (size_t)(s + len - slash - 1), &ref->id) < 0)
		return false;
	size_t head = (size_t)(slash - s);	/* "snippets" or "<path>/snippets" */
	if (head < 8 || memcmp(s + head - 8, "snippets", 8) != 0)
		return false;
	ref->type = REPO_SNIPPET;
	if (head == 8) {
		ref->path = "";
		ref->path_len = 0;
		ref->valid = true;
	} else if (s[head - 9] == '/') {
		ref->path = s;
		ref->path_len = head - 9;
		ref->valid = valid_project_path(s, head - 9);
	} else {
		return false;
	}
	return true;
}

int repo_parse_path(const char *s, size_t len, struct repo_ref *ref)
{
	memset(ref, 0, sizeof *ref);
	ref->type = REPO_PROJECT;
	/* As typed in the SSH command or URL: one leading '/', one ".git". */
	if (len > 0 && s[0] == '/') {
		s++;
		len--;
	}
	if (len >= 4 && memcmp(s + len - 4, ".git", 4) == 0)
		len -= 4;
	if (parse_snippet_path(s, len, ref))
		return 0;
	/* Projects cannot end in .wiki or .design (the schema refuses them),
	 * so the suffix names the repository type without ambiguity. */
	if (len >= 5 && memcmp(s + len - 5, ".wiki", 5) == 0) {
		ref->type = REPO_WIKI;
		len -= 5;
	} else if (len >= 7 && memcmp(s + len - 7, ".design", 7) == 0) {
		ref->type = REPO_DESIGN;
		len -= 7;
	}
	ref->path = s;
	ref->path_len = len;
	/* No route starts with "snippets": "snippets/0" is nobody's path. */
	ref->valid = valid_project_path(s, len) && !(len >= 9 && strncasecmp(s, "snippets/", 9) == 0);
	return 0;
}

int repo_hashed_path(const char *prefix, long long id, const char *suffix, char *out, size_t size)
{
	char decimal[24], hex[SHA256_DIGEST_LENGTH * 2 + 1];
	unsigned char digest[SHA256_DIGEST_LENGTH];

	int n = snprintf(decimal, sizeof decimal, "%lld", id);
	if (!SHA256((const unsigned char *)decimal, (size_t)n, digest))
		return -1;
	/* Not snprintf per byte: that was 16 % of an /allowed's instructions. */
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof digest; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[2 * sizeof digest] = '\0';
	n = snprintf(out, size, "%s/%.2s/%.2s/%s%s", prefix, hex, hex + 2, hex, suffix);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int repo_ref_from_request(struct request *req, struct repo_ref *ref, struct response *res)
{
	const char *s;
	size_t len;

	memset(ref, 0, sizeof *ref);
	switch (request_param_string(req, "gl_repository", &s, &len)) {
	case PARAM_INVALID:
		response_error(res, 400, "gl_repository is invalid");
		return -1;
	case PARAM_OK:
		/* GitLab raises ArgumentError here (500); glia says why. */
		if (repo_parse_gl_repository(s, len, &ref->type, &ref->id) < 0) {
			response_error(res, 400, "gl_repository is invalid");
			return -1;
		}
		ref->by_id = true;
		ref->valid = true;
		return 0;
	}
	switch (request_param_string(req, "project", &s, &len)) {
	case PARAM_INVALID:
		response_error(res, 400, "project is invalid");
		return -1;
	case PARAM_ABSENT:
		response_error(res, 400, "project is missing");
		return -1;
	}
	return repo_parse_path(s, len, ref);
}

static bool col_flag(PGresult *r, int col)
{
	return !PQgetisnull(r, 0, col) && PQgetvalue(r, 0, col)[0] == 't';
}

static long long col_int(PGresult *r, int col, long long dflt)
{
	return PQgetisnull(r, 0, col) ? dflt : strtoll(PQgetvalue(r, 0, col), NULL, 10);
}

static const char *col_text(struct request *req, PGresult *r, int col)
{
	return PQgetisnull(r, 0, col) ? NULL : arena_strdup(req->arena, PQgetvalue(r, 0, col));
}

/* The row of any of the three statements. */
static void repo_read_row(struct request *req, PGresult *r, struct repo *repo)
{
	repo->project_id = col_int(r, 0, 0);
	repo->full_path = col_text(req, r, 1);
	repo->visibility = (int)col_int(r, 2, 0);
	repo->archived = col_flag(r, 3);
	repo->read_only = col_flag(r, 4);
	repo->lfs_enabled = col_flag(r, 5);
	repo->storage = col_text(req, r, 6);
	repo->default_branch = col_text(req, r, 7);
	repo->repository_access_level = (int)col_int(r, 8, 20);
	repo->wiki_access_level = (int)col_int(r, 9, 20);
	repo->snippets_access_level = (int)col_int(r, 10, 20);
	repo->access_level = (int)col_int(r, 11, 0);
	repo->user_external = col_flag(r, 12);
	repo->deploy_key_linked = col_flag(r, 13);
	repo->deploy_key_can_push = col_flag(r, 14);
	repo->redirected = col_flag(r, 15);
	repo->snippet_id = col_int(r, 16, 0);
	repo->snippet_author_id = col_int(r, 17, 0);
	repo->snippet_visibility = (int)col_int(r, 18, 0);
	if (repo->type == REPO_SNIPPET) {
		repo->read_only = col_flag(r, 19);
		repo->storage = col_text(req, r, 20);
	}
	if (!repo->full_path)
		repo->full_path = "";
}

/* gl_repository, gl_project_path and the Gitaly relative path. */
static int repo_names(struct request *req, struct repo *repo)
{
	static const char *const path_suffix[] = { "", ".wiki", "", ".design" };
	char rel[128];
	struct arena *a = req->arena;

	if (repo->type == REPO_SNIPPET) {
		repo->gl_repository = arena_printf(a, "snippet-%lld", repo->snippet_id);
		repo->gl_project_path = repo->project_id
			? arena_printf(a, "%s/snippets/%lld", repo->full_path, repo->snippet_id)
			: arena_printf(a, "snippets/%lld", repo->snippet_id);
		if (repo_hashed_path("@snippets", repo->snippet_id, ".git", rel, sizeof rel) < 0)
			return -1;
	} else {
		repo->gl_repository = arena_printf(a, "%s-%lld", type_names[repo->type], repo->project_id);
		repo->gl_project_path = arena_printf(a, "%s%s", repo->full_path, path_suffix[repo->type]);
		char suffix[16];
		snprintf(suffix, sizeof suffix, "%s.git", path_suffix[repo->type]);
		if (repo_hashed_path("@hashed", repo->project_id, suffix, rel, sizeof rel) < 0)
			return -1;
	}
	repo->relative_path = arena_strdup(a, rel);
	return repo->gl_repository && repo->gl_project_path && repo->relative_path ? 0 : -1;
}

int repo_find(struct request *req, struct app *app, const struct repo_ref *ref, long long user_id,
	      long long key_id, struct repo *repo, struct response *res)
{
	char id_text[24], user_text[24], key_text[24];
	const char *params[4] = { id_text, user_text, key_text, NULL };
	const struct db_stmt *stmt;
	PGresult *r;

	memset(repo, 0, sizeof *repo);
	repo->type = ref->type;
	if (!ref->valid)
		return 0;
	snprintf(id_text, sizeof id_text, "%lld", ref->id);
	snprintf(user_text, sizeof user_text, "%lld", user_id);
	snprintf(key_text, sizeof key_text, "%lld", key_id);
	if (ref->type == REPO_SNIPPET) {
		stmt = &repo_snippet;
		if (!ref->by_id && !(params[3] = arena_strndup(req->arena, ref->path, ref->path_len)))
			goto oom;
	} else if (ref->by_id) {
		stmt = &repo_project_by_id;
	} else {
		stmt = &repo_project_by_path;
		if (!(params[0] = arena_strndup(req->arena, ref->path, ref->path_len)))
			goto oom;
	}
	int rc = db_exec(app->db, stmt, params, &r);
	if (rc != DB_OK) {
		api_db_failure(res, rc);
		return -1;
	}
	if (PQntuples(r) == 1) {
		repo->found = true;
		repo_read_row(req, r, repo);
	}
	PQclear(r);
	if (repo->found && repo_names(req, repo) < 0)
		goto oom;
	return 0;
oom:
	response_message(res, 500, "500 Internal Server Error");
	return -1;
}

const char *repo_gitaly_address(struct request *req, const char *storages, const char *storage)
{
	size_t n = strlen(storage);
	for (const char *p = storages; p && *p;) {
		const char *end = strchr(p, ',');
		size_t item = end ? (size_t)(end - p) : strlen(p);
		if (item > n && strncmp(p, storage, n) == 0 && p[n] == '=')
			return arena_strndup(req->arena, p + n + 1, item - n - 1);
		p = end ? end + 1 : NULL;
	}
	return NULL;
}
