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
#include "gitlab.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

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
	if (level < 0 || level == GITLAB_NO_ONE)
		return false;
	return r->admin || (r->push_code && r->access_level >= level);
}

static bool is_pattern(const struct protected_ref *ref)
{
	return strchr(ref->name, '*') != NULL;
}

/* refcheck_sort's order: exact names first, by kind and name; then the
 * patterns. */
static int ref_order(const void *va, const void *vb)
{
	const struct protected_ref *a = va, *b = vb;
	bool pa = is_pattern(a), pb = is_pattern(b);
	if (pa != pb)
		return pa ? 1 : -1;
	if (a->tag != b->tag)
		return a->tag ? 1 : -1;
	return strcmp(a->name, b->name);
}

void refcheck_sort(struct protected_ref *refs, size_t n)
{
	if (n > 1)
		qsort(refs, n, sizeof *refs, ref_order);
}

static void gather(const struct protected_ref *ref, const struct ref_rights *r, bool *can_push, bool *can_merge)
{
	*can_push |= access_passes(ref->push_level, ref->push_user, r);
	*can_merge |= access_passes(ref->merge_level, ref->merge_user, r);
}

/* Whether name is protected (of that kind), and whether any matching rule
 * lets the user push (tags: create) or merge: GitLab gathers the access
 * levels of every matching rule and asks whether any passes. A push of
 * 100 000 refs against many rules: the exact names are found by binary
 * search (refs sorted by refcheck_sort), only the patterns are tried one
 * by one. */
static bool protected_rights(const struct protected_ref *refs, size_t n, bool tag, const char *name,
			     const struct ref_rights *r, bool *can_push, bool *can_merge)
{
	bool found = false;
	size_t lo = 0, hi = n, exact;

	*can_push = *can_merge = false;
	while (lo < hi) {	/* where the patterns begin */
		size_t mid = lo + (hi - lo) / 2;
		if (is_pattern(&refs[mid]))
			hi = mid;
		else
			lo = mid + 1;
	}
	exact = lo;
	struct protected_ref key = { .tag = tag, .name = name };
	lo = 0, hi = exact;
	while (lo < hi) {	/* the first exact rule not before (tag, name) */
		size_t mid = lo + (hi - lo) / 2;
		if (ref_order(&refs[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < exact && refs[lo].tag == tag && strcmp(refs[lo].name, name) == 0; lo++) {
		found = true;
		gather(&refs[lo], r, can_push, can_merge);
	}
	for (size_t i = exact; i < n; i++) {
		if (refs[i].tag != tag || !refcheck_name_matches(refs[i].name, name))
			continue;
		found = true;
		gather(&refs[i], r, can_push, can_merge);
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
		bool can_delete = r->admin || (r->push_code && r->access_level >= GITLAB_MAINTAINER);
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
	if (!c->old_blank && !(r->admin || r->access_level >= GITLAB_MAINTAINER))
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

/* An element of REFCHECK_PROTECTED_REFS_JSON's array. */
static bool read_ref(struct arena *a, json_object *row, struct protected_ref *ref)
{
	json_object *v[6];
	if (!json_object_is_type(row, json_type_array) || json_object_array_length(row) != 6)
		return false;
	for (size_t i = 0; i < 6; i++)
		v[i] = json_object_array_get_idx(row, i);
	if (!json_object_is_type(v[1], json_type_string))
		return false;
	ref->tag = json_object_get_boolean(v[0]);
	ref->name = arena_strdup(a, json_object_get_string(v[1]));
	ref->push_level = v[2] ? json_object_get_int(v[2]) : -1;
	ref->push_user = json_object_get_boolean(v[3]);
	ref->merge_level = v[4] ? json_object_get_int(v[4]) : -1;
	ref->merge_user = json_object_get_boolean(v[5]);
	return ref->name != NULL;
}

long refcheck_parse(struct request *req, const char *json, struct protected_ref **out)
{
	json_object *list = json_tokener_parse(json);
	long n = -1;

	if (list && json_object_is_type(list, json_type_array)) {
		size_t len = json_object_array_length(list);
		struct protected_ref *refs = arena_alloc(req->arena, (len ? len : 1) * sizeof *refs);
		n = refs ? (long)len : -1;
		for (size_t i = 0; refs && i < len; i++)
			if (!read_ref(req->arena, json_object_array_get_idx(list, i), &refs[i]))
				n = -1;
		if (n >= 0)
			refcheck_sort(refs, len);
		*out = refs;
	}
	json_object_put(list);
	return n;
}
