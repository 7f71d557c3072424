/* The per-change checks of a push (changes.c parses them): GitLab's Gitlab::Checks::PushCheck,
 * BranchCheck and TagCheck (≈14.0), for the changes Gitaly's pre-receive
 * hook sends. What needs the repository itself is not known here: whether
 * a push is a force push (ancestry), whether the repository is empty, and
 * whether a tag exists is read from oldrev (a tag being updated or deleted
 * exists). */
#include "config.h"
#include "api/refcheck.h"
#include "api/changes.h"
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* Role rows only (user_id and group_id NULL), plus whether a row names the
 * user: group rows are EE and not read. $1 project, $2 user (0: none). */
const struct db_stmt refcheck_protected_refs = {
	"refcheck_protected_refs",
	"SELECT false, b.name,"
	" (SELECT a.access_level FROM protected_branch_push_access_levels a"
	"  WHERE a.protected_branch_id = b.id AND a.user_id IS NULL AND a.group_id IS NULL),"
	" EXISTS (SELECT 1 FROM protected_branch_push_access_levels a"
	"  WHERE a.protected_branch_id = b.id AND a.user_id = $2),"
	" (SELECT a.access_level FROM protected_branch_merge_access_levels a"
	"  WHERE a.protected_branch_id = b.id AND a.user_id IS NULL AND a.group_id IS NULL),"
	" EXISTS (SELECT 1 FROM protected_branch_merge_access_levels a"
	"  WHERE a.protected_branch_id = b.id AND a.user_id = $2)"
	" FROM protected_branches b WHERE b.project_id = $1"
	" UNION ALL SELECT true, t.name,"
	" (SELECT a.access_level FROM protected_tag_create_access_levels a"
	"  WHERE a.protected_tag_id = t.id AND a.user_id IS NULL AND a.group_id IS NULL),"
	" EXISTS (SELECT 1 FROM protected_tag_create_access_levels a"
	"  WHERE a.protected_tag_id = t.id AND a.user_id = $2), NULL, false"
	" FROM protected_tags t WHERE t.project_id = $1",
	2, true,
};

/* Gitlab::Checks::BranchCheck::ERROR_MESSAGES and TagCheck's, verbatim. */
#define MSG_PUSH_CODE "You are not allowed to push code to this project."
#define MSG_DELETE_DEFAULT "The default branch of a project cannot be deleted."
#define MSG_NON_MASTER_DELETE \
	"You are not allowed to delete protected branches from this project. " \
	"Only a project maintainer or owner can delete a protected branch."
#define MSG_NON_WEB_DELETE "You can only delete protected branches using the web interface."
#define MSG_PUSH_PROTECTED "You are not allowed to push code to protected branches on this project."
#define MSG_CREATE_PROTECTED "You are not allowed to create protected branches on this project."
#define MSG_NON_WEB_CREATE "You can only create protected branches using the web interface and API."
#define MSG_HEX_BRANCH "You cannot create a branch with a 40-character hexadecimal branch name."
#define MSG_CHANGE_TAG "You are not allowed to change existing tags on this project."
#define MSG_UPDATE_TAG "Protected tags cannot be updated."
#define MSG_DELETE_TAG "Protected tags cannot be deleted."
#define MSG_CREATE_TAG "You are not allowed to create this tag as it is protected."

#define ACCESS_MAINTAINER 40
#define PROTECTED_NO_ONE 0

/* Creation (oldrev blank) or deletion (newrev blank). */
struct change_kind {
	bool old_blank;
	bool new_blank;
};

bool refcheck_name_matches(const char *pattern, const char *name)
{
	/* Iterative glob with backtracking to the last '*'. */
	const char *star = NULL, *resume = NULL;

	while (*name) {
		if (*pattern == '*') {
			star = pattern++;
			resume = name;
		} else if (*pattern == *name) {
			pattern++;
			name++;
		} else if (star) {
			pattern = star + 1;
			name = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

/* ProtectedRefAccess#check_access: "no one" passes nobody, an admin passes,
 * a user named by a row passes; otherwise push_code and a high enough role. */
static bool access_passes(int level, bool user_row, const struct ref_rights *r)
{
	if (user_row)
		return true;
	if (level < 0 || level == PROTECTED_NO_ONE)
		return false;
	return r->admin || (r->push_code && r->access_level >= level);
}

/* Whether name is protected (of that kind), and whether any matching rule
 * lets the user push (tags: create) or merge: GitLab gathers the access
 * levels of every matching rule and asks whether any passes. */
static bool protected_rights(const struct protected_ref *refs, size_t n, bool tag, const char *name,
			     const struct ref_rights *r, bool *can_push, bool *can_merge)
{
	bool found = false;

	*can_push = *can_merge = false;
	for (size_t i = 0; i < n; i++) {
		if (refs[i].tag != tag || !refcheck_name_matches(refs[i].name, name))
			continue;
		found = true;
		*can_push |= access_passes(refs[i].push_level, refs[i].push_user, r);
		*can_merge |= access_passes(refs[i].merge_level, refs[i].merge_user, r);
	}
	return found;
}

static bool hex40(const char *s)
{
	size_t i;
	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return s[i] == '\0';
}

static const char *branch_check(const struct change_kind *c, const char *branch, const char *default_branch,
				const struct protected_ref *refs, size_t n, const struct ref_rights *r)
{
	bool can_push, can_merge;

	if (c->new_blank && default_branch && strcmp(branch, default_branch) == 0)
		return MSG_DELETE_DEFAULT;
	if (!c->new_blank && hex40(branch))
		return MSG_HEX_BRANCH;
	if (!protected_rights(refs, n, false, branch, r, &can_push, &can_merge))
		return NULL;
	/* A force push needs the repository to tell; deletion and creation
	 * are known from the ids alone. */
	if (c->new_blank) {
		/* push_to_delete_protected_branch: maintainers; and never over git. */
		bool can_delete = r->admin || (r->push_code && r->access_level >= ACCESS_MAINTAINER);
		return can_delete ? MSG_NON_WEB_DELETE : MSG_NON_MASTER_DELETE;
	}
	if (can_push)
		return NULL;
	if (c->old_blank)
		/* Whether the commit is safe needs the repository; over git the
		 * creation is refused for not coming from the web either way. */
		return can_merge ? MSG_NON_WEB_CREATE : MSG_CREATE_PROTECTED;
	return MSG_PUSH_PROTECTED;
}

static const char *tag_check(const struct change_kind *c, const char *tag, const struct protected_ref *refs,
			     size_t n, const struct ref_rights *r)
{
	bool can_create, unused;

	/* admin_tag: maintainers in this era. A tag being updated or deleted
	 * exists. */
	if (!c->old_blank && !(r->admin || r->access_level >= ACCESS_MAINTAINER))
		return MSG_CHANGE_TAG;
	if (!protected_rights(refs, n, true, tag, r, &can_create, &unused))
		return NULL;
	if (!c->old_blank && !c->new_blank)
		return MSG_UPDATE_TAG;
	if (c->new_blank)
		return MSG_DELETE_TAG;
	return can_create ? NULL : MSG_CREATE_TAG;
}

const char *refcheck_change(const struct change *c, const char *default_branch,
			    const struct protected_ref *refs, size_t n_refs, const struct ref_rights *rights)
{
	struct change_kind kind = { change_blank(c->oldrev), change_blank(c->newrev) };

	if (!rights->push_code)
		return MSG_PUSH_CODE;
	if (strncmp(c->ref, "refs/heads/", 11) == 0)
		return branch_check(&kind, c->ref + 11, default_branch, refs, n_refs, rights);
	if (strncmp(c->ref, "refs/tags/", 10) == 0)
		return tag_check(&kind, c->ref + 10, refs, n_refs, rights);
	return NULL;
}

static int level_column(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? -1 : atoi(PQgetvalue(r, row, col));
}

long refcheck_load(struct request *req, struct app *app, long long project_id, long long user_id,
		   struct protected_ref **out, struct response *res)
{
	char project_text[24], user_text[24];
	const char *params[] = { project_text, user_text };
	PGresult *r;

	snprintf(project_text, sizeof project_text, "%lld", project_id);
	snprintf(user_text, sizeof user_text, "%lld", user_id);
	int rc = db_exec(app->db, &refcheck_protected_refs, params, &r);
	if (rc != DB_OK) {
		api_db_failure(res, rc);
		return -1;
	}
	int n = PQntuples(r);
	struct protected_ref *refs = arena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof *refs);
	for (int i = 0; refs && i < n; i++) {
		refs[i].tag = PQgetvalue(r, i, 0)[0] == 't';
		refs[i].name = arena_strdup(req->arena, PQgetvalue(r, i, 1));
		refs[i].push_level = level_column(r, i, 2);
		refs[i].push_user = PQgetvalue(r, i, 3)[0] == 't';
		refs[i].merge_level = level_column(r, i, 4);
		refs[i].merge_user = PQgetvalue(r, i, 5)[0] == 't';
		if (!refs[i].name)
			refs = NULL;
	}
	PQclear(r);
	if (!refs) {
		response_message(res, 500, "500 Internal Server Error");
		return -1;
	}
	*out = refs;
	return n;
}
