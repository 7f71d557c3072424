/* glia-admin import's parts: what the file holds once checked, the state of
 * one run, and what import.c (the command, the typed JSON reader, the
 * transaction and the counts), import_read.c (the first pass) and
 * import_write.c (the second) call in each other. */
#ifndef GLIA_ADMIN_IMPORT_H
#define GLIA_ADMIN_IMPORT_H

#include "admin/admin.h"
#include "arena.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

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
	struct arena arena;	/* all the records and strings of the run */

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

/* import.c: records "AT.FIELD: message" (or "AT: message") in im->err and
 * returns -1. Messages never contain a token: callers name the field, not
 * its value. */
int import_error(struct import *im, const char *at, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* import.c: typed access to a JSON object's fields. Each returns 0, or -1
 * after import_error naming AT.KEY. */
enum { OPTIONAL = 0, REQUIRED = 1, NULLABLE = 2, EMPTY_OK = 4 };
const char *field_type_name(json_object *v);
/* Whether key is present; *v is its value (NULL for JSON null). */
bool field_get(json_object *o, const char *key, json_object **v);
/* An object holding only the allowed keys. */
int field_object(struct import *im, const char *at, json_object *o, const char *const *allowed);
/* UTF-8 text without NUL or control characters, at most maxlen bytes. */
int field_string(struct import *im, const char *at, json_object *o, const char *key, int flags, size_t maxlen,
		 const char **out);
int field_bool(struct import *im, const char *at, json_object *o, const char *key, bool dflt, bool *out);
/* An integer in [min, max]. */
int field_int(struct import *im, const char *at, json_object *o, const char *key, int flags, long long min,
	      long long max, long long *out);
/* "id": a row id, or 0 when absent or null. */
int field_id(struct import *im, const char *at, json_object *o, int flags, long long *out);
/* One of names, else dflt when absent. */
int field_enum(struct import *im, const char *at, json_object *o, const char *key, const char *const *names,
	       const char *dflt, const char **out);
/* "visibility": private (the default), internal or public, as a level. */
int field_visibility(struct import *im, const char *at, json_object *o, int *out);
/* A full path: segments that are each valid. */
int field_full_path(struct import *im, const char *at, json_object *o, const char *key, int flags,
		    const char **out);
int field_array(struct import *im, const char *at, json_object *o, const char *key, int flags, json_object **out);

/* import_read.c: the first pass, which touches no database: every list of
 * the document into im's records, checked, duplicates refused. */
int read_document(struct import *im, json_object *root);

/* import_write.c: the second pass, in dependency order, in the caller's
 * transaction, with the id sequences kept ahead of the file's ids. */
int write_rows(struct import *im);

#endif
