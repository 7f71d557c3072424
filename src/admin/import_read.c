/* glia-admin import, first pass: reads every list of the document into
 * plain records with strict checks (each field's JSON type, ranges, GitLab's
 * name rules, duplicates) and touches no database, so that a malformed file
 * is refused before anything starts. */
#include "config.h"
#include "admin/import.h"
#include "gitlab.h"
#include "api/repo.h"
#include "token.h"
#include "util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_MAX 1024

/* n zeroed elements of size from the run's arena. */
static void *list_alloc(struct import *im, size_t n, size_t size)
{
	if (n == 0)
		n = 1;
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = arena_alloc(&im->arena, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

/* A lowercase copy (ASCII only: paths are ASCII), in the run's arena. */
static const char *folded(struct import *im, const char *s)
{
	char *copy = arena_strdup(&im->arena, s);
	for (char *p = copy; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return copy;
}

/* ---- Duplicate natural keys -------------------------------------------- */

/* Two entries for one row would make the second run undo the first's last
 * write, so the file may name each row once. */
struct dup {
	char *key;
	const char *list, *field;
	size_t index;
};

struct dupset {
	struct dup *v;
	size_t n, cap;
};

static int dup_add(struct import *im, struct dupset *d, const char *list, const char *fieldname, size_t index,
		   bool fold, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int dup_add(struct import *im, struct dupset *d, const char *list, const char *fieldname, size_t index,
		   bool fold, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *key = n < 0 ? NULL : arena_alloc(&im->arena, (size_t)n + 1);
	if (!key)
		return import_error(im, list, NULL, "out of memory");
	va_start(ap, fmt);
	vsnprintf(key, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (fold)
		for (char *p = key; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct dup *grown = realloc(d->v, cap * sizeof *grown);
		if (!grown)
			return import_error(im, list, NULL, "out of memory");
		d->v = grown;
		d->cap = cap;
	}
	d->v[d->n++] = (struct dup){ key, list, fieldname, index };
	return 0;
}

static int cmp_dup(const void *a, const void *b)
{
	const struct dup *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	c = strcmp(x->list, y->list);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int dup_check(struct import *im, struct dupset *d)
{
	int rc = 0;
	if (d->n > 1)
		qsort(d->v, d->n, sizeof *d->v, cmp_dup);
	for (size_t i = 1; i < d->n && rc == 0; i++)
		if (strcmp(d->v[i].key, d->v[i - 1].key) == 0) {
			char at[64];
			snprintf(at, sizeof at, "%s[%zu]", d->v[i].list, d->v[i].index);
			rc = import_error(im, at, d->v[i].field, "names the same row as %s[%zu]", d->v[i - 1].list,
				 d->v[i - 1].index);
		}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
	return rc;
}

/* ---- First pass: read and check ---------------------------------------- */

/* The pepper is read once, when the first token needs it. */
static int digest_token(struct import *im, const char *at, const char *fieldname, const char *token, char out[65])
{
	char msg[512];
	if (!im->pepper_tried) {
		im->pepper_tried = true;
		if (pepper_load(im->a->conf.token_pepper_file, &im->pepper, &im->pepper_len, msg, sizeof msg) != 0)
			return import_error(im, at, fieldname, "cannot store tokens: %s", msg);
	}
	if (!im->pepper)
		return import_error(im, at, fieldname, "cannot store tokens: no token pepper");
	if (token_digest(im->pepper, im->pepper_len, token, strlen(token), out) != 0)
		return import_error(im, at, fieldname, "cannot compute the token digest");
	return 0;
}

typedef int (*entry_reader)(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d);

static int read_user(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "username", "name", "email", "state", "admin", "two_factor_enabled", NULL };
	struct user_in *u = &im->users[i];
	if (field_object(im, at, o, keys) || field_id(im, at, o, OPTIONAL, &u->id) ||
	    field_string(im, at, o, "username", REQUIRED, 255, &u->username) ||
	    field_string(im, at, o, "name", OPTIONAL, 255, &u->name) ||
	    field_string(im, at, o, "email", NULLABLE, 255, &u->email) ||
	    field_enum(im, at, o, "state", gitlab_user_states, NULL, &u->state) ||
	    field_bool(im, at, o, "admin", false, &u->admin) ||
	    field_bool(im, at, o, "two_factor_enabled", false, &u->two_factor))
		return -1;
	if (!repo_valid_segment(u->username, strlen(u->username)) || reserved_top_level(u->username))
		return import_error(im, at, "username", "not a valid username (letters, digits, '_', '-', '.'; "
			   "not starting with '-' or ending with '.', '.git' or '.atom')");
	if (u->email && !valid_email(u->email))
		return import_error(im, at, "email", "not an email address");
	/* A user's namespace takes the username as a top-level path. */
	if (dup_add(im, d, "users", "username", i, true, "route:%s", u->username) ||
	    (u->id && dup_add(im, d, "users", "id", i, false, "user#%lld", u->id)))
		return -1;
	return 0;
}

static int read_group(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "path", "name", "parent", "visibility", NULL };
	struct group_in *g = &im->groups[i];
	if (field_object(im, at, o, keys) || field_id(im, at, o, OPTIONAL, &g->id) ||
	    field_string(im, at, o, "path", REQUIRED, 255, &g->path) ||
	    field_string(im, at, o, "name", OPTIONAL, 255, &g->name) ||
	    field_full_path(im, at, o, "parent", NULLABLE, &g->parent) || field_visibility(im, at, o, &g->visibility))
		return -1;
	if (!repo_valid_segment(g->path, strlen(g->path)) || (!g->parent && reserved_top_level(g->path)))
		return import_error(im, at, "path", "not a valid path (letters, digits, '_', '-', '.'; "
			   "not starting with '-' or ending with '.', '.git' or '.atom')");
	g->full_path = g->parent ? arena_printf(&im->arena, "%s/%s", g->parent, g->path)
				 : arena_strdup(&im->arena, g->path);
	if (!g->full_path)
		return import_error(im, at, NULL, "out of memory");
	for (const char *p = g->full_path; *p; p++)
		g->depth += *p == '/';
	if (dup_add(im, d, "groups", "path", i, true, "route:%s", g->full_path) ||
	    (g->id && dup_add(im, d, "groups", "id", i, false, "namespace#%lld", g->id)))
		return -1;
	return 0;
}

static int read_project(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "namespace", "path", "name", "visibility", "archived",
					    "repository_storage", "default_branch", "lfs_enabled", NULL };
	struct project_in *p = &im->projects[i];
	if (field_object(im, at, o, keys) || field_id(im, at, o, OPTIONAL, &p->id) ||
	    field_full_path(im, at, o, "namespace", REQUIRED, &p->ns) ||
	    field_string(im, at, o, "path", REQUIRED, 255, &p->path) ||
	    field_string(im, at, o, "name", OPTIONAL, 255, &p->name) || field_visibility(im, at, o, &p->visibility) ||
	    field_bool(im, at, o, "archived", false, &p->archived) ||
	    field_string(im, at, o, "repository_storage", OPTIONAL, 255, &p->storage) ||
	    field_string(im, at, o, "default_branch", NULLABLE, 255, &p->branch) ||
	    field_bool(im, at, o, "lfs_enabled", true, &p->lfs))
		return -1;
	if (!valid_project_segment(p->path))
		return import_error(im, at, "path", "not a valid project path (letters, digits, '_', '-', '.'; "
			   "not ending with '.git', '.atom', '.wiki' or '.design')");
	if (p->branch && !valid_branch_name(p->branch))
		return import_error(im, at, "default_branch", "not a valid branch name");
	if (p->storage && strpbrk(p->storage, " /"))
		return import_error(im, at, "repository_storage", "not a storage name");
	p->full_path = arena_printf(&im->arena, "%s/%s", p->ns, p->path);
	if (!p->full_path)
		return import_error(im, at, NULL, "out of memory");
	if (dup_add(im, d, "projects", "path", i, true, "route:%s", p->full_path) ||
	    (p->id && dup_add(im, d, "projects", "id", i, false, "project#%lld", p->id)))
		return -1;
	return 0;
}

static int read_member(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "user", "project", "group", "access_level", NULL };
	struct member_in *m = &im->members[i];
	long long level;
	if (field_object(im, at, o, keys) || field_string(im, at, o, "user", REQUIRED, 255, &m->user) ||
	    field_full_path(im, at, o, "project", NULLABLE, &m->project) ||
	    field_full_path(im, at, o, "group", NULLABLE, &m->group) ||
	    field_int(im, at, o, "access_level", REQUIRED, 10, 50, &level))
		return -1;
	if (!m->project == !m->group)
		return import_error(im, at, NULL, "give exactly one of \"project\" and \"group\"");
	if (level % 10 != 0)
		return import_error(im, at, "access_level", "expected 10, 20, 30, 40 or 50");
	m->level = (int)level;
	return dup_add(im, d, "members", m->project ? "project" : "group", i, true, "member:%s:%s:%s", m->user,
		       m->project ? "p" : "g", m->project ? m->project : m->group);
}

/* A key entry of either list; deploy keys may carry project links. */
static int read_key_common(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d,
			   struct key_in *k, const char *list, bool deploy)
{
	const char *line;
	char msg[256];

	if (field_id(im, at, o, OPTIONAL, &k->id) || field_string(im, at, o, "key", REQUIRED, 20000, &line) ||
	    field_string(im, at, o, "title", OPTIONAL, 255, &k->title) ||
	    field_string(im, at, o, "user", deploy ? NULLABLE : REQUIRED, 255, &k->user) ||
	    field_string(im, at, o, "expires_at", NULLABLE, 64, &k->expires))
		return -1;
	if (k->expires && !valid_timestamp(k->expires))
		return import_error(im, at, "expires_at", "expected a date (YYYY-MM-DD) or an RFC 3339 timestamp");
	size_t len;
	const char *start = key_line_trim(line, &len);
	k->line = arena_strndup(&im->arena, start, len);
	if (!k->line)
		return import_error(im, at, NULL, "out of memory");
	if (admin_key_parse(k->line, &k->key, k->md5, msg, sizeof msg) != 0)
		return import_error(im, at, "key", "%s", msg);
	/* User keys and deploy keys share one table, ids and fingerprints. */
	if (dup_add(im, d, list, "key", i, false, "key:%s", k->key.fingerprint) ||
	    (k->id && dup_add(im, d, list, "id", i, false, "key#%lld", k->id)))
		return -1;
	return 0;
}

static int read_key(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "user", "title", "key", "expires_at", NULL };
	if (field_object(im, at, o, keys))
		return -1;
	return read_key_common(im, at, o, i, d, &im->keys[i], "keys", false);
}

static int read_deploy_key(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "user", "title", "key", "expires_at", "projects", NULL };
	static const char *const link_keys[] = { "project", "can_push", NULL };
	struct key_in *k = &im->deploy_keys[i];
	json_object *links;

	if (field_object(im, at, o, keys) || read_key_common(im, at, o, i, d, k, "deploy_keys", true) ||
	    field_array(im, at, o, "projects", NULLABLE, &links))
		return -1;
	k->nlinks = links ? json_object_array_length(links) : 0;
	k->links = list_alloc(im, k->nlinks, sizeof *k->links);
	if (!k->links)
		return import_error(im, at, NULL, "out of memory");
	for (size_t j = 0; j < k->nlinks; j++) {
		char sub[96];
		json_object *lo = json_object_array_get_idx(links, j);
		snprintf(sub, sizeof sub, "%s.projects[%zu]", at, j);
		if (field_object(im, sub, lo, link_keys) ||
		    field_full_path(im, sub, lo, "project", REQUIRED, &k->links[j].project) ||
		    field_bool(im, sub, lo, "can_push", false, &k->links[j].can_push))
			return -1;
		for (size_t e = 0; e < j; e++)
			if (strcasecmp(k->links[e].project, k->links[j].project) == 0)
				return import_error(im, sub, "project", "listed twice (also projects[%zu])", e);
	}
	return 0;
}

static int read_branch(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "project", "name", "push_access_level", "merge_access_level",
					    "allow_force_push", NULL };
	struct branch_in *b = &im->branches[i];
	long long push, merge;
	if (field_object(im, at, o, keys) || field_full_path(im, at, o, "project", REQUIRED, &b->project) ||
	    field_string(im, at, o, "name", REQUIRED, 255, &b->name) ||
	    field_int(im, at, o, "push_access_level", OPTIONAL, 0, 60, &push) ||
	    field_int(im, at, o, "merge_access_level", OPTIONAL, 0, 60, &merge) ||
	    field_bool(im, at, o, "allow_force_push", false, &b->force_push))
		return -1;
	json_object *v;
	b->push = field_get(o, "push_access_level", &v) ? (int)push : PROTECTED_DEFAULT_LEVEL;
	b->merge = field_get(o, "merge_access_level", &v) ? (int)merge : PROTECTED_DEFAULT_LEVEL;
	if (!gitlab_protected_level_valid(b->push))
		return import_error(im, at, "push_access_level", "expected 0 (no one), 30, 40 or 60 (admins)");
	if (!gitlab_protected_level_valid(b->merge))
		return import_error(im, at, "merge_access_level", "expected 0 (no one), 30, 40 or 60 (admins)");
	if (!valid_branch_name(b->name))
		return import_error(im, at, "name", "not a valid branch name or pattern");
	/* Branch names are case-sensitive in git; project paths are not. */
	const char *project = folded(im, b->project);
	if (!project)
		return import_error(im, at, NULL, "out of memory");
	return dup_add(im, d, "protected_branches", "name", i, false, "branch:%s\x1f%s", project, b->name);
}

static int read_pat(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "user", "name", "token", "scopes", "expires_at", "revoked", NULL };
	struct pat_in *t = &im->pats[i];
	const char *token;
	json_object *scopes;
	char lit[256] = "{";

	if (field_object(im, at, o, keys) || field_string(im, at, o, "user", REQUIRED, 255, &t->user) ||
	    field_string(im, at, o, "name", REQUIRED, 255, &t->name) ||
	    field_string(im, at, o, "token", REQUIRED, TOKEN_MAX, &token) ||
	    field_array(im, at, o, "scopes", REQUIRED, &scopes) ||
	    field_string(im, at, o, "expires_at", NULLABLE, 10, &t->expires) ||
	    field_bool(im, at, o, "revoked", false, &t->revoked))
		return -1;
	if (t->expires && !valid_date(t->expires))
		return import_error(im, at, "expires_at", "expected a date as YYYY-MM-DD");
	size_t n = json_object_array_length(scopes);
	if (n == 0)
		return import_error(im, at, "scopes", "needs at least one scope");
	for (size_t j = 0; j < n; j++) {
		json_object *s = json_object_array_get_idx(scopes, j);
		char fieldname[32];
		snprintf(fieldname, sizeof fieldname, "scopes[%zu]", j);
		if (!s || json_object_get_type(s) != json_type_string || !gitlab_token_scope_valid(json_object_get_string(s), true))
			return import_error(im, at, fieldname, "expected one of " GITLAB_TOKEN_SCOPES_TEXT);
		const char *name = json_object_get_string(s);
		for (size_t e = 0; e < j; e++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(scopes, e)), name) == 0)
				return import_error(im, at, fieldname, "given twice");
		snprintf(lit + strlen(lit), sizeof lit - strlen(lit), "%s%s", j ? "," : "", name);
	}
	snprintf(lit + strlen(lit), sizeof lit - strlen(lit), "}");
	t->scopes = arena_printf(&im->arena, "%s", lit);
	if (!t->scopes || digest_token(im, at, "token", token, t->digest) != 0)
		return t->scopes ? -1 : import_error(im, at, NULL, "out of memory");
	return dup_add(im, d, "personal_access_tokens", "token", i, false, "pat:%s", t->digest);
}

static int read_agent(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "project", "name", "tokens", NULL };
	struct agent_in *g = &im->agents[i];
	json_object *tokens;

	if (field_object(im, at, o, keys) || field_id(im, at, o, OPTIONAL, &g->id) ||
	    field_full_path(im, at, o, "project", REQUIRED, &g->project) ||
	    field_string(im, at, o, "name", REQUIRED, 63, &g->name) || field_array(im, at, o, "tokens", NULLABLE, &tokens))
		return -1;
	if (!valid_agent_name(g->name))
		return import_error(im, at, "name", "not a valid agent name (lowercase letters, digits and '-', "
			   "at most 63, as a DNS label)");
	g->ntokens = tokens ? json_object_array_length(tokens) : 0;
	g->digests = list_alloc(im, g->ntokens, sizeof *g->digests);
	if (!g->digests)
		return import_error(im, at, NULL, "out of memory");
	for (size_t j = 0; j < g->ntokens; j++) {
		json_object *t = json_object_array_get_idx(tokens, j);
		char fieldname[32];
		snprintf(fieldname, sizeof fieldname, "tokens[%zu]", j);
		if (!t || json_object_get_type(t) != json_type_string)
			return import_error(im, at, fieldname, "expected a string, not %s", t ? field_type_name(t) : "null");
		const char *s = json_object_get_string(t);
		int len = json_object_get_string_len(t);
		if (len <= 0 || len > TOKEN_MAX || memchr(s, '\0', (size_t)len) || !utf8_valid(s, (size_t)len))
			return import_error(im, at, fieldname, "expected 1 to %d bytes of UTF-8 text", TOKEN_MAX);
		for (int c = 0; c < len; c++)
			if ((unsigned char)s[c] <= ' ' || s[c] == 0x7f)
				return import_error(im, at, fieldname, "contains a space or control character");
		if (digest_token(im, at, fieldname, s, g->digests[j]) != 0 ||
		    dup_add(im, d, "cluster_agents", fieldname, i, false, "agenttoken:%s", g->digests[j]))
			return -1;
	}
	/* Agent names are lowercase already; project paths fold. */
	if (dup_add(im, d, "cluster_agents", "name", i, true, "agent:%s\x1f%s", g->project, g->name) ||
	    (g->id && dup_add(im, d, "cluster_agents", "id", i, false, "agent#%lld", g->id)))
		return -1;
	return 0;
}

static int read_snippet(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "author", "project", "visibility", "title", NULL };
	struct snippet_in *s = &im->snippets[i];
	/* Snippets have no natural key: without an id, a second run could
	 * not find the row the first one made. */
	if (field_object(im, at, o, keys) || field_id(im, at, o, REQUIRED, &s->id) ||
	    field_string(im, at, o, "author", REQUIRED, 255, &s->author) ||
	    field_full_path(im, at, o, "project", NULLABLE, &s->project) || field_visibility(im, at, o, &s->visibility) ||
	    field_string(im, at, o, "title", OPTIONAL | EMPTY_OK, 255, &s->title))
		return -1;
	if (!s->id)
		return import_error(im, at, "id", "missing (snippets are matched by id)");
	if (!s->title)
		s->title = "";
	return dup_add(im, d, "snippets", "id", i, false, "snippet#%lld", s->id);
}

/* One list of the file: allocates its entries and reads each one. */
static int read_list(struct import *im, json_object *root, const char *name, void **entries, size_t *n,
		     size_t size, entry_reader reader, struct dupset *d, int count_slot)
{
	json_object *list;
	if (!field_get(root, name, &list) || !list)
		return 0;
	if (json_object_get_type(list) != json_type_array)
		return import_error(im, name, NULL, "expected an array, not %s", field_type_name(list));
	*n = json_object_array_length(list);
	*entries = list_alloc(im, *n, size);
	if (!*entries)
		return import_error(im, name, NULL, "out of memory");
	im->counts[count_slot].present = true;
	for (size_t i = 0; i < *n; i++) {
		char at[64];
		snprintf(at, sizeof at, "%s[%zu]", name, i);
		if (reader(im, at, json_object_array_get_idx(list, i), i, d) != 0)
			return -1;
	}
	return 0;
}

static int cmp_group_depth(const void *a, const void *b, void *arg)
{
	const struct group_in *g = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	if (g[x].depth != g[y].depth)
		return g[x].depth < g[y].depth ? -1 : 1;
	return x < y ? -1 : x > y;
}

int read_document(struct import *im, json_object *root)
{
	static const char *const lists[] = { "users", "groups", "projects", "members", "keys", "deploy_keys",
					     "protected_branches", "personal_access_tokens", "cluster_agents",
					     "snippets", NULL };
	struct dupset d = { 0 };
	int rc;

	if (field_object(im, "(top level)", root, lists) != 0)
		return -1;
	rc = read_list(im, root, "users", (void **)&im->users, &im->nusers, sizeof *im->users, read_user, &d, C_USERS) ||
	     read_list(im, root, "groups", (void **)&im->groups, &im->ngroups, sizeof *im->groups, read_group, &d, C_GROUPS) ||
	     read_list(im, root, "projects", (void **)&im->projects, &im->nprojects, sizeof *im->projects, read_project, &d, C_PROJECTS) ||
	     read_list(im, root, "members", (void **)&im->members, &im->nmembers, sizeof *im->members, read_member, &d, C_MEMBERS) ||
	     read_list(im, root, "keys", (void **)&im->keys, &im->nkeys, sizeof *im->keys, read_key, &d, C_KEYS) ||
	     read_list(im, root, "deploy_keys", (void **)&im->deploy_keys, &im->ndeploy_keys, sizeof *im->deploy_keys, read_deploy_key, &d, C_DEPLOY_KEYS) ||
	     read_list(im, root, "protected_branches", (void **)&im->branches, &im->nbranches, sizeof *im->branches, read_branch, &d, C_BRANCHES) ||
	     read_list(im, root, "personal_access_tokens", (void **)&im->pats, &im->npats, sizeof *im->pats, read_pat, &d, C_PATS) ||
	     read_list(im, root, "cluster_agents", (void **)&im->agents, &im->nagents, sizeof *im->agents, read_agent, &d, C_AGENTS) ||
	     read_list(im, root, "snippets", (void **)&im->snippets, &im->nsnippets, sizeof *im->snippets, read_snippet, &d, C_SNIPPETS);
	if (rc != 0) {
		free(d.v);
		return -1;
	}
	if (dup_check(im, &d) != 0)
		return -1;
	/* A group's parent is written first: sort by depth, keeping file order. */
	im->group_order = list_alloc(im, im->ngroups, sizeof *im->group_order);
	if (!im->group_order)
		return import_error(im, "groups", NULL, "out of memory");
	for (size_t i = 0; i < im->ngroups; i++)
		im->group_order[i] = i;
	qsort_r(im->group_order, im->ngroups, sizeof *im->group_order, cmp_group_depth, im->groups);
	im->counts[C_DEPLOY_LINKS].present = im->counts[C_DEPLOY_KEYS].present;
	im->counts[C_AGENT_TOKENS].present = im->counts[C_AGENTS].present;
	return 0;
}

