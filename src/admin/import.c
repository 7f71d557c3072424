/* glia-admin import: loads a data set (the format of
 * contrib/dev/demo-data.json, described in glia-admin(8)) in one
 * transaction.
 *
 * Two passes. The first reads the whole file into plain structs with strict
 * checks (every field's JSON type, ranges, GitLab's name rules, duplicates)
 * and touches no database, so a malformed file is refused before anything
 * starts. The second writes in dependency order, each row found by its id
 * or natural key and then inserted, or updated only where it differs: a
 * second run of the same file matches every row and writes nothing. Import
 * adds and updates; it never deletes. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"
#include "api/repo.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define IMPORT_MAX_SIZE (64L * 1024 * 1024)
#define IMPORT_MAX_DEPTH 16
/* Serializes imports (not migrate: "glia" + 1). */
#define IMPORT_LOCK_KEY "1735158114"
#define TOKEN_MAX 1024

/* ---- What the file holds, once checked -------------------------------- */

struct user_in { long long id; const char *username, *name, *email, *state; bool admin, two_factor; };
struct group_in { long long id; const char *path, *name, *parent; int visibility; char *full_path; size_t depth; };
struct project_in {
	long long id;
	const char *ns, *path, *name, *storage, *branch;
	int visibility;
	bool archived, lfs;
	char *full_path;
};
struct member_in { const char *user, *project, *group; int level; };
struct link_in { const char *project; bool can_push; };
struct key_in {
	long long id;
	const char *user, *title, *expires;
	char *line;			/* trimmed */
	struct sshkey key;		/* points into line */
	char md5[SSHKEY_MD5_LEN + 1];
	struct link_in *links;		/* deploy keys */
	size_t nlinks;
};
struct branch_in { const char *project, *name; int push, merge; bool force_push; };
struct pat_in { const char *user, *name, *expires; char *scopes; bool revoked; char digest[65]; };
struct agent_in { long long id; const char *project, *name; char (*digests)[65]; size_t ntokens; };
struct snippet_in { long long id; const char *author, *project, *title; int visibility; };

struct counts {
	const char *label;
	bool present;
	size_t n[3];
};

enum {
	C_USERS, C_GROUPS, C_PROJECTS, C_MEMBERS, C_KEYS, C_DEPLOY_KEYS, C_DEPLOY_LINKS,
	C_BRANCHES, C_PATS, C_AGENTS, C_AGENT_TOKENS, C_SNIPPETS, C_COUNT
};

struct import {
	struct admin *a;
	const char *file;
	char err[1024];
	unsigned char *pepper;
	size_t pepper_len;
	bool pepper_tried;
	char **owned;		/* strings this import allocated */
	size_t nowned, capowned;

	struct user_in *users; size_t nusers;
	struct group_in *groups; size_t ngroups;
	size_t *group_order;	/* parents before children */
	struct project_in *projects; size_t nprojects;
	struct member_in *members; size_t nmembers;
	struct key_in *keys; size_t nkeys;
	struct key_in *deploy_keys; size_t ndeploy_keys;
	struct branch_in *branches; size_t nbranches;
	struct pat_in *pats; size_t npats;
	struct agent_in *agents; size_t nagents;
	struct snippet_in *snippets; size_t nsnippets;

	struct counts counts[C_COUNT];
};

/* ---- Messages --------------------------------------------------------- */

/* Records "AT.FIELD: message" (or "AT: message") and returns -1. Messages
 * never contain a token: callers name the field, not its value. */
static int bad(struct import *im, const char *at, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(struct import *im, const char *at, const char *field, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (field)
		snprintf(im->err, sizeof im->err, "%s.%s: %s", at, field, msg);
	else
		snprintf(im->err, sizeof im->err, "%s: %s", at, msg);
	return -1;
}

static char *own(struct import *im, char *s)
{
	if (!s)
		return NULL;
	if (im->nowned == im->capowned) {
		size_t cap = im->capowned ? 2 * im->capowned : 64;
		char **grown = realloc(im->owned, cap * sizeof *grown);
		if (!grown) {
			free(s);
			return NULL;
		}
		im->owned = grown;
		im->capowned = cap;
	}
	return im->owned[im->nowned++] = s;
}

static char *own_printf(struct import *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *own_printf(struct import *im, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : own(im, s);
}

/* A lowercase copy (ASCII only: paths are ASCII), owned by the import. */
static const char *folded(struct import *im, const char *s)
{
	char *copy = own_printf(im, "%s", s);
	for (char *p = copy; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return copy;
}

static void *alloc_list(struct import *im, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (p && !own(im, p))
		p = NULL;
	return p;
}

/* ---- Typed access to JSON fields --------------------------------------- */

enum { OPTIONAL = 0, REQUIRED = 1, NULLABLE = 2, EMPTY_OK = 4 };

static const char *type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number with a fraction";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "something else";
}

/* Whether key is present; *v is its value (NULL for JSON null). */
static bool field(json_object *o, const char *key, json_object **v)
{
	*v = NULL;
	return json_object_object_get_ex(o, key, v);
}

/* An object holding only the allowed keys. */
static int check_object(struct import *im, const char *at, json_object *o, const char *const *allowed)
{
	if (json_object_get_type(o) != json_type_object)
		return bad(im, at, NULL, "expected an object, not %s", type_name(o));
	json_object_object_foreach(o, key, val) {
		(void)val;
		bool known = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				known = true;
		if (!known) {
			char list[512] = "", esc[128];
			for (size_t i = 0; allowed[i]; i++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", allowed[i]);
			return bad(im, at, log_escape(esc, sizeof esc, key), "unknown field (expected %s)", list);
		}
	}
	return 0;
}

static int get_string(struct import *im, const char *at, json_object *o, const char *key, int flags,
		      size_t maxlen, const char **out)
{
	json_object *v;
	*out = NULL;
	if (!field(o, key, &v)) {
		if (flags & REQUIRED)
			return bad(im, at, key, "missing");
		return 0;
	}
	if (!v) {
		if (flags & NULLABLE)
			return 0;
		return bad(im, at, key, "expected a string, not null");
	}
	if (json_object_get_type(v) != json_type_string)
		return bad(im, at, key, "expected a string, not %s", type_name(v));
	const char *s = json_object_get_string(v);
	int len = json_object_get_string_len(v);
	if (len < 0 || memchr(s, '\0', (size_t)len))
		return bad(im, at, key, "contains a NUL character");
	if (!utf8_valid(s, (size_t)len))
		return bad(im, at, key, "not valid UTF-8");
	if (len == 0 && !(flags & EMPTY_OK))
		return bad(im, at, key, "must not be empty");
	if ((size_t)len > maxlen)
		return bad(im, at, key, "longer than %zu bytes", maxlen);
	for (int i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return bad(im, at, key, "contains a control character");
	*out = s;
	return 0;
}

static int get_bool(struct import *im, const char *at, json_object *o, const char *key, bool dflt, bool *out)
{
	json_object *v;
	*out = dflt;
	if (!field(o, key, &v))
		return 0;
	if (!v || json_object_get_type(v) != json_type_boolean)
		return bad(im, at, key, "expected true or false, not %s", v ? type_name(v) : "null");
	*out = json_object_get_boolean(v);
	return 0;
}

/* An integer in [min, max]; *present tells whether the key was there. */
static int get_int(struct import *im, const char *at, json_object *o, const char *key, int flags,
		   long long min, long long max, long long *out)
{
	json_object *v;
	*out = 0;
	if (!field(o, key, &v) || (!v && (flags & NULLABLE))) {
		if (flags & REQUIRED)
			return bad(im, at, key, "missing");
		return 0;
	}
	if (!v || json_object_get_type(v) != json_type_int)
		return bad(im, at, key, "expected an integer, not %s", v ? type_name(v) : "null");
	/* json-c saturates what does not fit in int64, without an error. */
	int64_t n = json_object_get_int64(v);
	if (n == INT64_MAX || n == INT64_MIN || n < min || n > max)
		return bad(im, at, key, "out of range (%lld to %lld)", min, max);
	*out = n;
	return 0;
}

static int get_id(struct import *im, const char *at, json_object *o, int flags, long long *out)
{
	return get_int(im, at, o, "id", flags | NULLABLE, 1, INT64_MAX - 1, out);
}

static int get_enum(struct import *im, const char *at, json_object *o, const char *key,
		    const char *const *names, const char *dflt, const char **out)
{
	if (get_string(im, at, o, key, OPTIONAL, 64, out) != 0)
		return -1;
	if (!*out) {
		*out = dflt;
		return 0;
	}
	for (size_t i = 0; names[i]; i++)
		if (strcmp(*out, names[i]) == 0)
			return 0;
	char list[256] = "";
	for (size_t i = 0; names[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
	return bad(im, at, key, "expected one of %s", list);
}

static int get_visibility(struct import *im, const char *at, json_object *o, int *out)
{
	static const char *const names[] = { "private", "internal", "public", NULL };
	const char *v;
	if (get_enum(im, at, o, "visibility", names, "private", &v) != 0)
		return -1;
	*out = gitlab_visibility_parse(v);
	return 0;
}

/* A full path: segments that are each valid. */
static int get_full_path(struct import *im, const char *at, json_object *o, const char *key, int flags,
			 const char **out)
{
	if (get_string(im, at, o, key, flags, 2048, out) != 0)
		return -1;
	if (!*out)
		return 0;
	char *copy = strdup(*out), *save = NULL;
	int ok = copy != NULL && (*out)[strlen(*out) - 1] != '/' && (*out)[0] != '/';
	for (char *s = ok ? strtok_r(copy, "/", &save) : NULL; s && ok; s = strtok_r(NULL, "/", &save))
		ok = repo_valid_segment(s, strlen(s));
	free(copy);
	if (!ok || strstr(*out, "//"))
		return bad(im, at, key, "not a valid full path (segments of letters, digits, '_', '-', '.' joined by '/')");
	return 0;
}

static int get_array(struct import *im, const char *at, json_object *o, const char *key, int flags,
		     json_object **out)
{
	json_object *v;
	*out = NULL;
	if (!field(o, key, &v)) {
		if (flags & REQUIRED)
			return bad(im, at, key, "missing");
		return 0;
	}
	if (!v) {
		if (flags & NULLABLE)
			return 0;
		return bad(im, at, key, "expected an array, not null");
	}
	if (json_object_get_type(v) != json_type_array)
		return bad(im, at, key, "expected an array, not %s", type_name(v));
	*out = v;
	return 0;
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
	char *key = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&key, fmt, ap);
	va_end(ap);
	if (n < 0 || !own(im, key))
		return bad(im, list, NULL, "out of memory");
	if (fold)
		for (char *p = key; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct dup *grown = realloc(d->v, cap * sizeof *grown);
		if (!grown)
			return bad(im, list, NULL, "out of memory");
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
			rc = bad(im, at, d->v[i].field, "names the same row as %s[%zu]", d->v[i - 1].list,
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
			return bad(im, at, fieldname, "cannot store tokens: %s", msg);
	}
	if (!im->pepper)
		return bad(im, at, fieldname, "cannot store tokens: no token pepper");
	if (token_digest(im->pepper, im->pepper_len, token, strlen(token), out) != 0)
		return bad(im, at, fieldname, "cannot compute the token digest");
	return 0;
}

typedef int (*entry_reader)(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d);

static int read_user(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "username", "name", "email", "state", "admin", "two_factor_enabled", NULL };
	struct user_in *u = &im->users[i];
	if (check_object(im, at, o, keys) || get_id(im, at, o, OPTIONAL, &u->id) ||
	    get_string(im, at, o, "username", REQUIRED, 255, &u->username) ||
	    get_string(im, at, o, "name", OPTIONAL, 255, &u->name) ||
	    get_string(im, at, o, "email", NULLABLE, 255, &u->email) ||
	    get_enum(im, at, o, "state", gitlab_user_states, "active", &u->state) ||
	    get_bool(im, at, o, "admin", false, &u->admin) ||
	    get_bool(im, at, o, "two_factor_enabled", false, &u->two_factor))
		return -1;
	if (!repo_valid_segment(u->username, strlen(u->username)) || reserved_top_level(u->username))
		return bad(im, at, "username", "not a valid username (letters, digits, '_', '-', '.'; "
			   "not starting with '-' or ending with '.', '.git' or '.atom')");
	if (u->email && !valid_email(u->email))
		return bad(im, at, "email", "not an email address");
	if (!u->name)
		u->name = u->username;
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
	if (check_object(im, at, o, keys) || get_id(im, at, o, OPTIONAL, &g->id) ||
	    get_string(im, at, o, "path", REQUIRED, 255, &g->path) ||
	    get_string(im, at, o, "name", OPTIONAL, 255, &g->name) ||
	    get_full_path(im, at, o, "parent", NULLABLE, &g->parent) || get_visibility(im, at, o, &g->visibility))
		return -1;
	if (!repo_valid_segment(g->path, strlen(g->path)) || (!g->parent && reserved_top_level(g->path)))
		return bad(im, at, "path", "not a valid path (letters, digits, '_', '-', '.'; "
			   "not starting with '-' or ending with '.', '.git' or '.atom')");
	if (!g->name)
		g->name = g->path;
	g->full_path = g->parent ? own_printf(im, "%s/%s", g->parent, g->path) : own_printf(im, "%s", g->path);
	if (!g->full_path)
		return bad(im, at, NULL, "out of memory");
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
	if (check_object(im, at, o, keys) || get_id(im, at, o, OPTIONAL, &p->id) ||
	    get_full_path(im, at, o, "namespace", REQUIRED, &p->ns) ||
	    get_string(im, at, o, "path", REQUIRED, 255, &p->path) ||
	    get_string(im, at, o, "name", OPTIONAL, 255, &p->name) || get_visibility(im, at, o, &p->visibility) ||
	    get_bool(im, at, o, "archived", false, &p->archived) ||
	    get_string(im, at, o, "repository_storage", OPTIONAL, 255, &p->storage) ||
	    get_string(im, at, o, "default_branch", NULLABLE, 255, &p->branch) ||
	    get_bool(im, at, o, "lfs_enabled", true, &p->lfs))
		return -1;
	if (!valid_project_segment(p->path))
		return bad(im, at, "path", "not a valid project path (letters, digits, '_', '-', '.'; "
			   "not ending with '.git', '.atom', '.wiki' or '.design')");
	if (p->branch && !valid_branch_name(p->branch))
		return bad(im, at, "default_branch", "not a valid branch name");
	if (p->storage && strpbrk(p->storage, " /"))
		return bad(im, at, "repository_storage", "not a storage name");
	if (!p->storage)
		p->storage = "default";
	if (!p->name)
		p->name = p->path;
	p->full_path = own_printf(im, "%s/%s", p->ns, p->path);
	if (!p->full_path)
		return bad(im, at, NULL, "out of memory");
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
	if (check_object(im, at, o, keys) || get_string(im, at, o, "user", REQUIRED, 255, &m->user) ||
	    get_full_path(im, at, o, "project", NULLABLE, &m->project) ||
	    get_full_path(im, at, o, "group", NULLABLE, &m->group) ||
	    get_int(im, at, o, "access_level", REQUIRED, 10, 50, &level))
		return -1;
	if (!m->project == !m->group)
		return bad(im, at, NULL, "give exactly one of \"project\" and \"group\"");
	if (level % 10 != 0)
		return bad(im, at, "access_level", "expected 10, 20, 30, 40 or 50");
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

	if (get_id(im, at, o, OPTIONAL, &k->id) || get_string(im, at, o, "key", REQUIRED, 20000, &line) ||
	    get_string(im, at, o, "title", OPTIONAL, 255, &k->title) ||
	    get_string(im, at, o, "user", deploy ? NULLABLE : REQUIRED, 255, &k->user) ||
	    get_string(im, at, o, "expires_at", NULLABLE, 64, &k->expires))
		return -1;
	if (k->expires && !valid_timestamp(k->expires))
		return bad(im, at, "expires_at", "expected a date (YYYY-MM-DD) or an RFC 3339 timestamp");
	size_t start = strspn(line, " \t"), end = strlen(line);
	while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	k->line = own(im, strndup(line + start, end - start));
	if (!k->line)
		return bad(im, at, NULL, "out of memory");
	if (admin_key_parse(k->line, &k->key, k->md5, msg, sizeof msg) != 0)
		return bad(im, at, "key", "%s", msg);
	if (!k->title)
		k->title = *k->key.comment ? k->key.comment
					   : own_printf(im, "SHA256:%s", k->key.fingerprint);
	if (!k->title)
		return bad(im, at, NULL, "out of memory");
	/* User keys and deploy keys share one table, ids and fingerprints. */
	if (dup_add(im, d, list, "key", i, false, "key:%s", k->key.fingerprint) ||
	    (k->id && dup_add(im, d, list, "id", i, false, "key#%lld", k->id)))
		return -1;
	return 0;
}

static int read_key(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "user", "title", "key", "expires_at", NULL };
	if (check_object(im, at, o, keys))
		return -1;
	return read_key_common(im, at, o, i, d, &im->keys[i], "keys", false);
}

static int read_deploy_key(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "user", "title", "key", "expires_at", "projects", NULL };
	static const char *const link_keys[] = { "project", "can_push", NULL };
	struct key_in *k = &im->deploy_keys[i];
	json_object *links;

	if (check_object(im, at, o, keys) || read_key_common(im, at, o, i, d, k, "deploy_keys", true) ||
	    get_array(im, at, o, "projects", NULLABLE, &links))
		return -1;
	k->nlinks = links ? json_object_array_length(links) : 0;
	k->links = alloc_list(im, k->nlinks, sizeof *k->links);
	if (!k->links)
		return bad(im, at, NULL, "out of memory");
	for (size_t j = 0; j < k->nlinks; j++) {
		char sub[96];
		json_object *lo = json_object_array_get_idx(links, j);
		snprintf(sub, sizeof sub, "%s.projects[%zu]", at, j);
		if (check_object(im, sub, lo, link_keys) ||
		    get_full_path(im, sub, lo, "project", REQUIRED, &k->links[j].project) ||
		    get_bool(im, sub, lo, "can_push", false, &k->links[j].can_push))
			return -1;
		for (size_t e = 0; e < j; e++)
			if (strcasecmp(k->links[e].project, k->links[j].project) == 0)
				return bad(im, sub, "project", "listed twice (also projects[%zu])", e);
	}
	return 0;
}

static int read_branch(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "project", "name", "push_access_level", "merge_access_level",
					    "allow_force_push", NULL };
	struct branch_in *b = &im->branches[i];
	long long push, merge;
	if (check_object(im, at, o, keys) || get_full_path(im, at, o, "project", REQUIRED, &b->project) ||
	    get_string(im, at, o, "name", REQUIRED, 255, &b->name) ||
	    get_int(im, at, o, "push_access_level", OPTIONAL, 0, 60, &push) ||
	    get_int(im, at, o, "merge_access_level", OPTIONAL, 0, 60, &merge) ||
	    get_bool(im, at, o, "allow_force_push", false, &b->force_push))
		return -1;
	json_object *v;
	/* GitLab protects with "Maintainers" unless told otherwise. */
	b->push = field(o, "push_access_level", &v) ? (int)push : 40;
	b->merge = field(o, "merge_access_level", &v) ? (int)merge : 40;
	if (!gitlab_protected_level_valid(b->push))
		return bad(im, at, "push_access_level", "expected 0 (no one), 30, 40 or 60 (admins)");
	if (!gitlab_protected_level_valid(b->merge))
		return bad(im, at, "merge_access_level", "expected 0 (no one), 30, 40 or 60 (admins)");
	if (!valid_branch_name(b->name))
		return bad(im, at, "name", "not a valid branch name or pattern");
	/* Branch names are case-sensitive in git; project paths are not. */
	const char *project = folded(im, b->project);
	if (!project)
		return bad(im, at, NULL, "out of memory");
	return dup_add(im, d, "protected_branches", "name", i, false, "branch:%s\x1f%s", project, b->name);
}

static int read_pat(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "user", "name", "token", "scopes", "expires_at", "revoked", NULL };
	struct pat_in *t = &im->pats[i];
	const char *token;
	json_object *scopes;
	char lit[256] = "{";

	if (check_object(im, at, o, keys) || get_string(im, at, o, "user", REQUIRED, 255, &t->user) ||
	    get_string(im, at, o, "name", REQUIRED, 255, &t->name) ||
	    get_string(im, at, o, "token", REQUIRED, TOKEN_MAX, &token) ||
	    get_array(im, at, o, "scopes", REQUIRED, &scopes) ||
	    get_string(im, at, o, "expires_at", NULLABLE, 10, &t->expires) ||
	    get_bool(im, at, o, "revoked", false, &t->revoked))
		return -1;
	if (t->expires && !valid_date(t->expires))
		return bad(im, at, "expires_at", "expected a date as YYYY-MM-DD");
	size_t n = json_object_array_length(scopes);
	if (n == 0)
		return bad(im, at, "scopes", "needs at least one scope");
	for (size_t j = 0; j < n; j++) {
		json_object *s = json_object_array_get_idx(scopes, j);
		char fieldname[32];
		snprintf(fieldname, sizeof fieldname, "scopes[%zu]", j);
		if (!s || json_object_get_type(s) != json_type_string || !gitlab_token_scope_valid(json_object_get_string(s), true))
			return bad(im, at, fieldname, "expected one of " GITLAB_TOKEN_SCOPES_TEXT);
		const char *name = json_object_get_string(s);
		for (size_t e = 0; e < j; e++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(scopes, e)), name) == 0)
				return bad(im, at, fieldname, "given twice");
		snprintf(lit + strlen(lit), sizeof lit - strlen(lit), "%s%s", j ? "," : "", name);
	}
	snprintf(lit + strlen(lit), sizeof lit - strlen(lit), "}");
	t->scopes = own_printf(im, "%s", lit);
	if (!t->scopes || digest_token(im, at, "token", token, t->digest) != 0)
		return t->scopes ? -1 : bad(im, at, NULL, "out of memory");
	return dup_add(im, d, "personal_access_tokens", "token", i, false, "pat:%s", t->digest);
}

static int read_agent(struct import *im, const char *at, json_object *o, size_t i, struct dupset *d)
{
	static const char *const keys[] = { "id", "project", "name", "tokens", NULL };
	struct agent_in *g = &im->agents[i];
	json_object *tokens;

	if (check_object(im, at, o, keys) || get_id(im, at, o, OPTIONAL, &g->id) ||
	    get_full_path(im, at, o, "project", REQUIRED, &g->project) ||
	    get_string(im, at, o, "name", REQUIRED, 63, &g->name) || get_array(im, at, o, "tokens", NULLABLE, &tokens))
		return -1;
	if (!valid_agent_name(g->name))
		return bad(im, at, "name", "not a valid agent name (lowercase letters, digits and '-', "
			   "at most 63, as a DNS label)");
	g->ntokens = tokens ? json_object_array_length(tokens) : 0;
	g->digests = alloc_list(im, g->ntokens, sizeof *g->digests);
	if (!g->digests)
		return bad(im, at, NULL, "out of memory");
	for (size_t j = 0; j < g->ntokens; j++) {
		json_object *t = json_object_array_get_idx(tokens, j);
		char fieldname[32];
		snprintf(fieldname, sizeof fieldname, "tokens[%zu]", j);
		if (!t || json_object_get_type(t) != json_type_string)
			return bad(im, at, fieldname, "expected a string, not %s", t ? type_name(t) : "null");
		const char *s = json_object_get_string(t);
		int len = json_object_get_string_len(t);
		if (len <= 0 || len > TOKEN_MAX || memchr(s, '\0', (size_t)len) || !utf8_valid(s, (size_t)len))
			return bad(im, at, fieldname, "expected 1 to %d bytes of UTF-8 text", TOKEN_MAX);
		for (int c = 0; c < len; c++)
			if ((unsigned char)s[c] <= ' ' || s[c] == 0x7f)
				return bad(im, at, fieldname, "contains a space or control character");
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
	if (check_object(im, at, o, keys) || get_id(im, at, o, REQUIRED, &s->id) ||
	    get_string(im, at, o, "author", REQUIRED, 255, &s->author) ||
	    get_full_path(im, at, o, "project", NULLABLE, &s->project) || get_visibility(im, at, o, &s->visibility) ||
	    get_string(im, at, o, "title", OPTIONAL | EMPTY_OK, 255, &s->title))
		return -1;
	if (!s->id)
		return bad(im, at, "id", "missing (snippets are matched by id)");
	if (!s->title)
		s->title = "";
	return dup_add(im, d, "snippets", "id", i, false, "snippet#%lld", s->id);
}

/* One list of the file: allocates its entries and reads each one. */
static int read_list(struct import *im, json_object *root, const char *name, void **entries, size_t *n,
		     size_t size, entry_reader reader, struct dupset *d, int count_slot)
{
	json_object *list;
	if (!field(root, name, &list) || !list)
		return 0;
	if (json_object_get_type(list) != json_type_array)
		return bad(im, name, NULL, "expected an array, not %s", type_name(list));
	*n = json_object_array_length(list);
	*entries = alloc_list(im, *n, size);
	if (!*entries)
		return bad(im, name, NULL, "out of memory");
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

static int read_document(struct import *im, json_object *root)
{
	static const char *const lists[] = { "users", "groups", "projects", "members", "keys", "deploy_keys",
					     "protected_branches", "personal_access_tokens", "cluster_agents",
					     "snippets", NULL };
	struct dupset d = { 0 };
	int rc;

	if (check_object(im, "(top level)", root, lists) != 0)
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
	im->group_order = alloc_list(im, im->ngroups, sizeof *im->group_order);
	if (!im->group_order)
		return bad(im, "groups", NULL, "out of memory");
	for (size_t i = 0; i < im->ngroups; i++)
		im->group_order[i] = i;
	qsort_r(im->group_order, im->ngroups, sizeof *im->group_order, cmp_group_depth, im->groups);
	im->counts[C_DEPLOY_LINKS].present = im->counts[C_DEPLOY_KEYS].present;
	im->counts[C_AGENT_TOKENS].present = im->counts[C_AGENTS].present;
	return 0;
}

/* Reads the file and parses it strictly: one JSON object, nothing after it. */
static json_object *parse_file(struct import *im)
{
	FILE *f = fopen(im->file, "rbe");
	struct stat st;
	json_object *root = NULL;

	if (!f) {
		snprintf(im->err, sizeof im->err, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > IMPORT_MAX_SIZE) {
		fclose(f);
		snprintf(im->err, sizeof im->err, "not a regular file of at most %ld bytes", IMPORT_MAX_SIZE);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t len = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	bool failed = !buf || ferror(f) || len != (size_t)st.st_size;
	fclose(f);
	if (failed) {
		free(buf);
		snprintf(im->err, sizeof im->err, "read error");
		return NULL;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		free(buf);
		snprintf(im->err, sizeof im->err, "contains a NUL byte: not a JSON text");
		return NULL;
	}

	struct json_tokener *tok = json_tokener_new_ex(IMPORT_MAX_DEPTH);
	if (!tok) {
		free(buf);
		snprintf(im->err, sizeof im->err, "out of memory");
		return NULL;
	}
	/* STRICT refuses trailing commas, comments and the like; UTF-8 is
	 * checked as it goes. json-c still takes the last of duplicate keys. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (!root || jerr != json_tokener_success) {
		size_t line = 1, col = 1;
		for (size_t i = 0; i < end && i < len; i++, col++)
			if (buf[i] == '\n')
				line++, col = 0;
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			snprintf(im->err, sizeof im->err, "unexpected end of the JSON text");
		else
			snprintf(im->err, sizeof im->err, "line %zu, column %zu: JSON syntax error: %s", line, col,
				 json_tokener_error_desc(jerr));
		json_object_put(root);
		root = NULL;
	} else if (end + strspn(buf + end, " \t\r\n") != len) {
		snprintf(im->err, sizeof im->err, "text after the JSON object");
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	free(buf);
	return root;
}

/* ---- Second pass: write ------------------------------------------------ */

/* Each entity's file writes the row; this looks up what the record names,
 * and counts. */

static void count(struct import *im, int slot, int outcome)
{
	im->counts[slot].n[outcome]++;
}

static int db_failed(struct import *im, const char *at, const struct db_err *err)
{
	return bad(im, at, NULL, "%s", db_err_reason(err));
}

static int write_failed(struct import *im, const char *at, const struct write_err *e)
{
	return bad(im, at, e->field, "%s", e->message);
}

static int lookup_user(struct import *im, const char *at, const char *fieldname, const char *username, long long *id)
{
	struct db_err err;
	int found = db_find_user(im->a->db, username, id, &err);
	if (found < 0)
		return db_failed(im, at, &err);
	if (!found)
		return bad(im, at, fieldname, "user \"%s\" not found", username);
	return 0;
}

/* kind: 'p' a project, 'g' a group, 'n' any namespace. */
static int lookup_route(struct import *im, const char *at, const char *fieldname, const char *path, char kind,
			struct route *r)
{
	struct db_err err;
	int found = db_find_route(im->a->db, path, r, &err);
	if (found < 0)
		return db_failed(im, at, &err);
	if (kind == 'p' && (!found || !r->is_project))
		return bad(im, at, fieldname, "project \"%s\" not found", path);
	if (kind != 'p' && (!found || r->is_project))
		return bad(im, at, fieldname, "%s \"%s\" not found", kind == 'g' ? "group" : "namespace", path);
	if (kind == 'g' && r->is_user_ns)
		return bad(im, at, fieldname, "\"%s\" is a user's namespace, not a group", path);
	return 0;
}

static int check_visibility(struct import *im, const char *at, int visibility, const struct route *outer)
{
	char why[1280];
	if (!visibility_fits(visibility, outer, why, sizeof why))
		return bad(im, at, "visibility", "%s", why);
	return 0;
}

static int write_users(struct import *im)
{
	for (size_t i = 0; i < im->nusers; i++) {
		const struct user_in *u = &im->users[i];
		struct user_rec rec = { .id = u->id, .username = u->username, .name = u->name, .email = u->email,
					.state = u->state, .admin = u->admin, .two_factor = u->two_factor };
		struct write_err e;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "users[%zu]", i);
		if (user_write(im->a->db, &rec, WRITE_MATCH, &id, &outcome, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_USERS, outcome);
	}
	return 0;
}

static int write_groups(struct import *im)
{
	for (size_t k = 0; k < im->ngroups; k++) {
		size_t i = im->group_order[k];
		const struct group_in *g = &im->groups[i];
		struct route parent = { 0 };
		struct write_err e;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "groups[%zu]", i);
		if (g->parent && (lookup_route(im, at, "parent", g->parent, 'g', &parent) != 0 ||
				  check_visibility(im, at, g->visibility, &parent) != 0))
			return -1;
		struct group_rec rec = { .id = g->id, .parent_id = g->parent ? parent.id : 0, .path = g->path,
					 .name = g->name, .full_path = g->full_path, .visibility = g->visibility };
		if (group_write(im->a->db, &rec, WRITE_MATCH, &id, &outcome, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_GROUPS, outcome);
	}
	return 0;
}

static int write_projects(struct import *im)
{
	for (size_t i = 0; i < im->nprojects; i++) {
		const struct project_in *p = &im->projects[i];
		struct route ns;
		struct write_err e;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "projects[%zu]", i);
		if (lookup_route(im, at, "namespace", p->ns, 'n', &ns) != 0 ||
		    check_visibility(im, at, p->visibility, &ns) != 0)
			return -1;
		struct project_rec rec = { .id = p->id, .namespace_id = ns.id, .path = p->path, .name = p->name,
					   .storage = p->storage, .branch = p->branch, .full_path = p->full_path,
					   .visibility = p->visibility, .archived = p->archived, .lfs = p->lfs };
		if (project_write(im->a->db, &rec, WRITE_MATCH, &id, &outcome, NULL, 0, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_PROJECTS, outcome);
	}
	return 0;
}

static int write_members(struct import *im)
{
	for (size_t i = 0; i < im->nmembers; i++) {
		const struct member_in *m = &im->members[i];
		struct route r;
		struct db_err err;
		char at[64];
		long long user_id;
		int outcome;
		snprintf(at, sizeof at, "members[%zu]", i);
		if (lookup_user(im, at, "user", m->user, &user_id) != 0 ||
		    lookup_route(im, at, m->project ? "project" : "group", m->project ? m->project : m->group,
				 m->project ? 'p' : 'g', &r) != 0)
			return -1;
		if (member_write(im->a->db, user_id, r.id, m->project == NULL, m->level, &outcome, &err) != 0)
			return db_failed(im, at, &err);
		count(im, C_MEMBERS, outcome);
	}
	return 0;
}

static int write_key(struct import *im, const char *at, const struct key_in *k, bool deploy, long long *id)
{
	struct write_err e;
	long long user_id = 0;
	int outcome;

	if (k->user && lookup_user(im, at, "user", k->user, &user_id) != 0)
		return -1;
	struct key_rec rec = { .id = k->id, .user_id = user_id, .title = k->title, .line = k->line,
			       .expires = k->expires, .key = &k->key, .md5 = k->md5 };
	if (key_write(im->a->db, &rec, deploy, WRITE_MATCH, id, &outcome, &e) != 0)
		return write_failed(im, at, &e);
	count(im, deploy ? C_DEPLOY_KEYS : C_KEYS, outcome);
	return 0;
}

static int write_keys(struct import *im)
{
	for (size_t i = 0; i < im->nkeys; i++) {
		char at[64];
		long long id;
		snprintf(at, sizeof at, "keys[%zu]", i);
		if (write_key(im, at, &im->keys[i], false, &id) != 0)
			return -1;
	}
	for (size_t i = 0; i < im->ndeploy_keys; i++) {
		const struct key_in *k = &im->deploy_keys[i];
		char at[64];
		long long id;
		snprintf(at, sizeof at, "deploy_keys[%zu]", i);
		if (write_key(im, at, k, true, &id) != 0)
			return -1;
		for (size_t j = 0; j < k->nlinks; j++) {
			char sub[96];
			struct route r;
			struct db_err err;
			int outcome;
			snprintf(sub, sizeof sub, "%s.projects[%zu]", at, j);
			if (lookup_route(im, sub, "project", k->links[j].project, 'p', &r) != 0)
				return -1;
			if (deploy_link_write(im->a->db, id, r.id, k->links[j].can_push, &outcome, &err) != 0)
				return db_failed(im, sub, &err);
			count(im, C_DEPLOY_LINKS, outcome);
		}
	}
	return 0;
}

static int write_branches(struct import *im)
{
	for (size_t i = 0; i < im->nbranches; i++) {
		const struct branch_in *b = &im->branches[i];
		struct route r;
		struct db_err err;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "protected_branches[%zu]", i);
		if (lookup_route(im, at, "project", b->project, 'p', &r) != 0)
			return -1;
		struct branch_rec rec = { .project_id = r.id, .name = b->name, .push = b->push, .merge = b->merge,
					  .force_push = b->force_push };
		if (branch_write(im->a->db, &rec, &id, &outcome, &err) != 0)
			return db_failed(im, at, &err);
		count(im, C_BRANCHES, outcome);
	}
	return 0;
}

static int write_pats(struct import *im)
{
	for (size_t i = 0; i < im->npats; i++) {
		const struct pat_in *t = &im->pats[i];
		struct db_err err;
		char at[64];
		long long user_id;
		int outcome;
		snprintf(at, sizeof at, "personal_access_tokens[%zu]", i);
		if (lookup_user(im, at, "user", t->user, &user_id) != 0)
			return -1;
		struct pat_rec rec = { .user_id = user_id, .name = t->name, .digest = t->digest, .scopes = t->scopes,
				       .expires = t->expires, .revoked = t->revoked };
		if (pat_write(im->a->db, &rec, WRITE_MATCH, &outcome, &err) != 0)
			return db_failed(im, at, &err);
		count(im, C_PATS, outcome);
	}
	return 0;
}

static int write_agents(struct import *im)
{
	for (size_t i = 0; i < im->nagents; i++) {
		const struct agent_in *g = &im->agents[i];
		struct route r;
		struct write_err e;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "cluster_agents[%zu]", i);
		if (lookup_route(im, at, "project", g->project, 'p', &r) != 0)
			return -1;
		struct agent_rec rec = { .id = g->id, .project_id = r.id, .name = g->name, .project_path = r.path };
		if (agent_write(im->a->db, &rec, WRITE_MATCH, &id, &outcome, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_AGENTS, outcome);
		for (size_t j = 0; j < g->ntokens; j++) {
			char sub[96];
			snprintf(sub, sizeof sub, "%s.tokens[%zu]", at, j);
			if (agent_token_write(im->a->db, id, g->digests[j], NULL, WRITE_MATCH, &outcome, &e.db) != 0)
				return db_failed(im, sub, &e.db);
			count(im, C_AGENT_TOKENS, outcome);
		}
	}
	return 0;
}

static int write_snippets(struct import *im)
{
	for (size_t i = 0; i < im->nsnippets; i++) {
		const struct snippet_in *s = &im->snippets[i];
		struct route r = { 0 };
		struct write_err e;
		char at[64];
		long long author;
		int outcome;
		snprintf(at, sizeof at, "snippets[%zu]", i);
		if (lookup_user(im, at, "author", s->author, &author) != 0 ||
		    (s->project && (lookup_route(im, at, "project", s->project, 'p', &r) != 0 ||
				    check_visibility(im, at, s->visibility, &r) != 0)))
			return -1;
		struct snippet_rec rec = { .id = s->id, .author_id = author, .project_id = s->project ? r.id : 0,
					   .title = s->title, .visibility = s->visibility };
		if (snippet_write(im->a->db, &rec, &outcome, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_SNIPPETS, outcome);
	}
	return 0;
}

/* Sequences must stay ahead of explicit ids: before writing, past the file's
 * ids (rows made by the sequence meanwhile, such as users' namespaces, must
 * not take an id the file gives a group later); after writing, past every
 * row. setval is not transactional: a rolled-back import leaves a gap. */
static const char *const sequenced[] = { "users", "namespaces", "projects", "keys", "cluster_agents", "snippets", NULL };

static long long max_file_id(const struct import *im, const char *table)
{
	long long m = 0;
#define MAX_OF(arr, n) for (size_t i = 0; i < (n); i++) if ((arr)[i].id > m) m = (arr)[i].id
	if (!strcmp(table, "users")) { MAX_OF(im->users, im->nusers); }
	else if (!strcmp(table, "namespaces")) { MAX_OF(im->groups, im->ngroups); }
	else if (!strcmp(table, "projects")) { MAX_OF(im->projects, im->nprojects); }
	else if (!strcmp(table, "keys")) { MAX_OF(im->keys, im->nkeys); MAX_OF(im->deploy_keys, im->ndeploy_keys); }
	else if (!strcmp(table, "cluster_agents")) { MAX_OF(im->agents, im->nagents); }
	else if (!strcmp(table, "snippets")) { MAX_OF(im->snippets, im->nsnippets); }
#undef MAX_OF
	return m;
}

static int bump_sequences(struct import *im, bool after)
{
	for (size_t t = 0; sequenced[t]; t++) {
		char max[24], sql[512];
		struct db_err err;
		const char *params[] = { sequenced[t], max };
		snprintf(max, sizeof max, "%lld", max_file_id(im, sequenced[t]));
		/* The table name comes from the constant list above. */
		if (after)
			snprintf(sql, sizeof sql,
				 "SELECT setval(s, m) FROM pg_get_serial_sequence($1, 'id') AS s,"
				 " (SELECT max(id) AS m FROM %s) AS t"
				 " WHERE m > coalesce(pg_sequence_last_value(s::regclass), 0)", sequenced[t]);
		else
			snprintf(sql, sizeof sql,
				 "SELECT setval(s, $2::bigint) FROM pg_get_serial_sequence($1, 'id') AS s"
				 " WHERE $2::bigint > coalesce(pg_sequence_last_value(s::regclass), 0)");
		if (admin_command(im->a->db, sql, after ? 1 : 2, params, &err) != 0)
			return bad(im, sequenced[t], NULL, "advancing the id sequence: %s", err.message);
	}
	return 0;
}

static int write_all(struct import *im)
{
	struct db_err err;
	const char *lock[] = { IMPORT_LOCK_KEY };

	if (admin_command(im->a->db, "SELECT pg_advisory_xact_lock($1::bigint)", 1, lock, &err) != 0)
		return bad(im, "import", NULL, "taking the import lock: %s", err.message);
	PGresult *res = admin_query(im->a->db, "SELECT to_regclass('glia_schema_migrations') IS NOT NULL", 0, NULL, &err);
	if (!res)
		return bad(im, "import", NULL, "%s", err.message);
	bool migrated = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!migrated)
		return bad(im, "import", NULL, "the database has no glia schema: run \"glia-admin migrate\" first");
	return bump_sequences(im, false) || write_users(im) || write_groups(im) || write_projects(im) ||
	       write_members(im) || write_keys(im) || write_branches(im) || write_pats(im) || write_agents(im) ||
	       write_snippets(im) || bump_sequences(im, true);
}

static void print_counts(const struct import *im, bool dry_run)
{
	static const char *const labels[C_COUNT] = {
		"users", "groups", "projects", "members", "keys", "deploy_keys", "deploy_keys_projects",
		"protected_branches", "personal_access_tokens", "cluster_agents", "cluster_agent_tokens", "snippets",
	};
	size_t changed = 0;
	for (int c = 0; c < C_COUNT; c++) {
		const struct counts *k = &im->counts[c];
		if (!k->present)
			continue;
		printf("%-24s %zu created, %zu updated, %zu unchanged\n", labels[c], k->n[WRITE_CREATED],
		       k->n[WRITE_UPDATED], k->n[WRITE_UNCHANGED]);
		changed += k->n[WRITE_CREATED] + k->n[WRITE_UPDATED];
	}
	if (dry_run)
		printf("dry run: nothing was written (%zu row%s would change)\n", changed, changed == 1 ? "" : "s");
	else
		printf("imported %s: %zu row%s changed\n", im->file, changed, changed == 1 ? "" : "s");
}

static void import_free(struct import *im)
{
	for (size_t i = 0; i < im->nowned; i++)
		free(im->owned[i]);
	free(im->owned);
	pepper_free(im->pepper, im->pepper_len);
}

int cmd_import(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct import im = { .a = a };
	bool dry_run = false;
	int c, rc = ADMIN_FAIL;

	while ((c = getopt_long(argc, argv, ":nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry_run = true;
			break;
		case 'h':
			print_help();
			return ADMIN_OK;
		default:
			return option_error(c, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error("import: expected one FILE.json");
	im.file = argv[optind];
	if (admin_load_config(a) != 0)
		return ADMIN_FAIL;

	json_object *root = parse_file(&im);
	if (!root) {
		admin_fail("%s: %s", im.file, im.err);
		goto out;
	}
	if (read_document(&im, root) != 0) {
		admin_fail("%s: %s (nothing was written)", im.file, im.err);
		goto out;
	}
	if (admin_connect(a) != 0)
		goto out;
	struct db_err err;
	if (db_begin(a->db, &err) != 0) {
		admin_fail("%s: %s", im.file, err.message);
		goto out;
	}
	if (write_all(&im) != 0) {
		db_rollback(a->db);
		admin_fail("%s: %s (nothing was written)", im.file, im.err);
		goto out;
	}
	if (dry_run) {
		db_rollback(a->db);
	} else if (db_commit(a->db, &err) != 0) {
		admin_fail("%s: commit failed: %s (nothing was written)", im.file, err.message);
		goto out;
	}
	print_counts(&im, dry_run);
	rc = ADMIN_OK;
out:
	json_object_put(root);
	import_free(&im);
	return rc;
}
