/* Which repository a git call is about: GitLab's parse_repo_path. A path is
 * checked against GitLab's path rules before any query, so that nothing a
 * project could never be called reaches the database; the lookup then
 * follows routes case-insensitively, then redirect_routes. */
#include "config.h"
#include "api/repo.h"
#include "gitlab.h"
#include "api/api.h"
#include "bounds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Without a caller: lfs_authenticate and the Kubernetes agent's projects
 * ask about the container only. $1 the full path, or the id. */
const struct db_stmt repo_project_by_path = {
	"repo_project_by_path",
	REPO_PATH_CTE("$1") "SELECT " REPO_PROJECT_COLUMNS("t.path", "0") ", false, false, t.redirected" REPO_NO_SNIPPET
	" FROM t JOIN projects p ON p.id = t.project_id" REPO_FEATURES_JOIN,
	1, true,
};
const struct db_stmt repo_project_by_id = {
	"repo_project_by_id",
	"SELECT " REPO_PROJECT_COLUMNS("r.path", "0") ", false, false, false" REPO_NO_SNIPPET
	" FROM projects p JOIN routes r ON r.project_id = p.id" REPO_FEATURES_JOIN " WHERE p.id = $1",
	1, true,
};

static const char *const type_names[] = { "project", "wiki", "snippet", "design" };

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
	if (len == 0 || len > MAX_PATH_SEGMENT || s[0] == '-' || s[len - 1] == '.')
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

	if (len == 0 || len > MAX_REPO_PATH)
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
	char decimal[24], hex[SHA256_LEN * 2 + 1];
	unsigned char digest[SHA256_LEN];

	int n = snprintf(decimal, sizeof decimal, "%lld", id);
	if (sha256(decimal, (size_t)n, digest) < 0)
		return -1;
	/* Not snprintf per byte: that was 16 % of an /allowed's instructions. */
	hex_encode(digest, sizeof digest, hex);
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

/* REPO_COLUMN_COUNT columns from c, the layout of REPO_PROJECT_COLUMNS and
 * REPO_SNIPPET_BY_ID. */
static void repo_read_columns(struct request *req, PGresult *r, int c, struct repo *repo)
{
	repo->project_id = col_int(r, c + 0, 0);
	repo->full_path = col_text(req, r, c + 1);
	repo->visibility = (int)col_int(r, c + 2, 0);
	repo->archived = col_flag(r, c + 3);
	repo->read_only = col_flag(r, c + 4);
	repo->lfs_enabled = col_flag(r, c + 5);
	repo->storage = col_text(req, r, c + 6);
	repo->default_branch = col_text(req, r, c + 7);
	repo->repository_access_level = (int)col_int(r, c + 8, GITLAB_FEATURE_ENABLED);
	repo->wiki_access_level = (int)col_int(r, c + 9, GITLAB_FEATURE_ENABLED);
	repo->snippets_access_level = (int)col_int(r, c + 10, GITLAB_FEATURE_ENABLED);
	repo->root_namespace_id = col_int(r, c + 11, 0);
	repo->access_level = (int)col_int(r, c + 12, 0);
	repo->deploy_key_linked = col_flag(r, c + 13);
	repo->deploy_key_can_push = col_flag(r, c + 14);
	repo->redirected = col_flag(r, c + 15);
	repo->snippet_id = col_int(r, c + 16, 0);
	repo->snippet_author_id = col_int(r, c + 17, 0);
	repo->snippet_visibility = (int)col_int(r, c + 18, 0);
	if (repo->type == REPO_SNIPPET) {
		repo->read_only = col_flag(r, c + 19);
		repo->storage = col_text(req, r, c + 20);
	}
	repo->disk_path = col_text(req, r, c + 21);
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
		/* A wiki's and the designs' repositories sit beside the project's. */
		if (repo->disk_path) {
			repo->relative_path = arena_printf(a, "%s%s", repo->disk_path, suffix);
			return repo->gl_repository && repo->gl_project_path && repo->relative_path ? 0 : -1;
		}
		if (repo_hashed_path("@hashed", repo->project_id, suffix, rel, sizeof rel) < 0)
			return -1;
	}
	repo->relative_path = arena_strdup(a, rel);
	return repo->gl_repository && repo->gl_project_path && repo->relative_path ? 0 : -1;
}

const char *repo_ref_param(struct request *req, const struct repo_ref *ref, char *id_text, size_t size)
{
	if (!ref->valid)
		return NULL;
	if (!ref->by_id && ref->type != REPO_SNIPPET)
		return arena_strndup(req->arena, ref->path, ref->path_len);
	snprintf(id_text, size, "%lld", ref->id);
	return id_text;
}

int repo_read_row(struct request *req, PGresult *r, int col, struct repo *repo)
{
	int found_col = repo->type == REPO_SNIPPET ? col + 16 : col;

	if (PQntuples(r) != 1 || PQgetisnull(r, 0, found_col))
		return 0;
	repo->found = true;
	repo_read_columns(req, r, col, repo);
	return repo_names(req, repo);
}

int repo_find(struct request *req, struct app *app, const struct repo_ref *ref, struct repo *repo,
	      struct response *res)
{
	char id_text[24];
	PGresult *r;

	memset(repo, 0, sizeof *repo);
	repo->type = ref->type;
	if (!ref->valid)
		return 0;
	/* Only projects and wikis are looked up without a caller. */
	const char *params[] = { repo_ref_param(req, ref, id_text, sizeof id_text) };
	if (!params[0] || ref->type == REPO_SNIPPET) {
		response_status(res, 500);
		return -1;
	}
	r = api_query(app, ref->by_id ? &repo_project_by_id : &repo_project_by_path, params, res);
	if (!r)
		return -1;
	int rc = repo_read_row(req, r, 0, repo);
	PQclear(r);
	if (rc < 0) {
		response_status(res, 500);
		return -1;
	}
	return 0;
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
