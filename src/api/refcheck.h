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

/* Sorts refs as refcheck_change needs them (refcheck_parse does it). */
void refcheck_sort(struct protected_ref *refs, size_t n);

/* The message refusing one change, or NULL when it may go through. refs
 * sorted by refcheck_sort: O(log n) for the exact names, one match a
 * pattern. */
const char *refcheck_change(const struct change *c, const char *default_branch,
			    const struct protected_ref *refs, size_t n_refs, const struct ref_rights *rights);

/* The project's protected branches and tags as one JSON array of
 * [tag, name, push_level, push_user, merge_level, merge_user] (NULL when
 * there are none), for the statement of /allowed. Role rows only (user_id
 * and group_id NULL; group rows are EE and not read), and whether a row
 * names the user. project, uid: SQL expressions (uid 0: nobody). */
#define REFCHECK_PROTECTED_REFS_JSON(project, uid) \
	"(SELECT json_agg(json_build_array(pr.tag, pr.name, pr.push_level, pr.push_user, pr.merge_level," \
	" pr.merge_user)) FROM (SELECT false, b.name," \
	" (SELECT a.access_level FROM protected_branch_push_access_levels a" \
	"  WHERE a.protected_branch_id = b.id AND a.user_id IS NULL AND a.group_id IS NULL)," \
	" EXISTS (SELECT 1 FROM protected_branch_push_access_levels a" \
	"  WHERE a.protected_branch_id = b.id AND a.user_id = " uid ")," \
	" (SELECT a.access_level FROM protected_branch_merge_access_levels a" \
	"  WHERE a.protected_branch_id = b.id AND a.user_id IS NULL AND a.group_id IS NULL)," \
	" EXISTS (SELECT 1 FROM protected_branch_merge_access_levels a" \
	"  WHERE a.protected_branch_id = b.id AND a.user_id = " uid ")" \
	" FROM protected_branches b WHERE b.project_id = " project \
	" UNION ALL SELECT true, t.name," \
	" (SELECT a.access_level FROM protected_tag_create_access_levels a" \
	"  WHERE a.protected_tag_id = t.id AND a.user_id IS NULL AND a.group_id IS NULL)," \
	" EXISTS (SELECT 1 FROM protected_tag_create_access_levels a" \
	"  WHERE a.protected_tag_id = t.id AND a.user_id = " uid "), NULL, false" \
	" FROM protected_tags t WHERE t.project_id = " project ")" \
	" pr(tag, name, push_level, push_user, merge_level, merge_user))"

/* Reads REFCHECK_PROTECTED_REFS_JSON's array into *out (arena). Returns the
 * count, or -1 when it is not that array or memory ran out. */
long refcheck_parse(struct request *req, const char *json, struct protected_ref **out);

#endif
