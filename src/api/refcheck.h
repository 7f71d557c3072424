/* The per-change checks of a push that Gitaly's pre-receive hook reports
 * (parsed by changes.c): GitLab's PushCheck, BranchCheck and TagCheck
 * against the project's protected branches and tags. */
#ifndef GLIA_REFCHECK_H
#define GLIA_REFCHECK_H

#include <stdbool.h>
#include <stddef.h>

struct change;
struct request;
struct response;
struct app;

/* A protected branch or tag with who may push (tags: create) and merge. */
struct protected_ref {
	bool tag;
	const char *name;	/* a name or a pattern with '*' */
	int push_level;		/* role row: 0 no one, 30, 40, 60; -1: no role row */
	bool push_user;		/* a row names the user (EE per-user access) */
	int merge_level;
	bool merge_user;
};

/* What the pusher may do in the project. */
struct ref_rights {
	bool admin;
	int access_level;	/* max role in the project */
	bool push_code;		/* GitLab's :push_code ability */
};

/* GitLab's ProtectedRef matching: exact, or '*' for any run of characters. */
bool refcheck_name_matches(const char *pattern, const char *name);

/* The message refusing one change, or NULL when it may go through. */
const char *refcheck_change(const struct change *c, const char *default_branch,
			    const struct protected_ref *refs, size_t n_refs, const struct ref_rights *rights);

/* Reads the project's protected branches and tags. Returns the count, or
 * -1 after writing the database failure. */
long refcheck_load(struct request *req, struct app *app, long long project_id, long long user_id,
		   struct protected_ref **out, struct response *res);

#endif
