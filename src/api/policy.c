/* GitLab's abilities on a repository (policy.h). */
#include "config.h"
#include "api/policy.h"
#include "gitlab.h"

const struct policy_subject policy_anonymous = { 0 };

static bool is_admin(const struct policy_subject *who)
{
	return who->user && who->admin;
}

static int role(const struct policy_subject *who)
{
	return who->user ? who->role : 0;
}

/* A logged-in user who is not external sees internal things. */
static bool sees_internal(const struct policy_subject *who)
{
	return who->user && !who->external;
}

/* :read_project, or a deploy key enabled on the project; else the
 * anonymous rule, which reads public projects. */
bool policy_can_read_project(const struct policy_subject *who, const struct repo *p)
{
	if (p->visibility == GITLAB_PUBLIC)
		return true;
	if (who->deploy_key)
		return p->deploy_key_linked;
	if (is_admin(who) || role(who) >= GITLAB_GUEST)
		return true;
	return p->visibility == GITLAB_INTERNAL && sees_internal(who);
}

/* Whether a feature with this access level lets the caller read it, given
 * the role that reads it when the feature is members-only. */
static bool feature_readable(const struct policy_subject *who, const struct repo *p, int feature_level,
			     int member_role)
{
	if (feature_level == GITLAB_FEATURE_DISABLED)
		return false;
	if (is_admin(who))
		return true;
	if (feature_level == GITLAB_FEATURE_PRIVATE || p->visibility == GITLAB_PRIVATE)
		return role(who) >= member_role;
	if (p->visibility == GITLAB_INTERNAL)
		return role(who) >= member_role || sees_internal(who);
	return true;
}

/* :download_code: reporters of private projects (guests cannot), anyone
 * who can see an internal or public one; a linked deploy key. */
bool policy_can_download_code(const struct policy_subject *who, const struct repo *p)
{
	if (who->deploy_key)
		return p->deploy_key_linked && p->repository_access_level != GITLAB_FEATURE_DISABLED;
	return feature_readable(who, p, p->repository_access_level, GITLAB_REPORTER);
}

/* :push_code: developers and up, admins; nobody on an archived project. */
bool policy_can_push_code(const struct policy_subject *who, const struct repo *p)
{
	if (p->archived || p->repository_access_level == GITLAB_FEATURE_DISABLED)
		return false;
	return is_admin(who) || role(who) >= GITLAB_DEVELOPER;
}

bool policy_can_download_wiki(const struct policy_subject *who, const struct repo *p)
{
	if (who->deploy_key)
		return p->deploy_key_linked && p->wiki_access_level != GITLAB_FEATURE_DISABLED;
	return feature_readable(who, p, p->wiki_access_level, GITLAB_GUEST);
}

bool policy_can_create_wiki(const struct policy_subject *who, const struct repo *p)
{
	if (p->archived || p->wiki_access_level == GITLAB_FEATURE_DISABLED)
		return false;
	return is_admin(who) || role(who) >= GITLAB_DEVELOPER;
}

static bool is_snippet_author(const struct policy_subject *who, const struct repo *s)
{
	return who->user && who->user_id == s->snippet_author_id;
}

/* :read_snippet: by the snippet's own visibility; a project snippet also
 * needs the project's snippets feature. */
bool policy_can_read_snippet(const struct policy_subject *who, const struct repo *s)
{
	if (is_admin(who) || is_snippet_author(who, s))
		return true;
	if (s->project_id && !feature_readable(who, s, s->snippets_access_level, GITLAB_GUEST))
		return false;
	switch (s->snippet_visibility) {
	case GITLAB_PUBLIC:
		return true;
	case GITLAB_INTERNAL:
		return sees_internal(who) || role(who) >= GITLAB_GUEST;
	default:
		return s->project_id && role(who) >= GITLAB_GUEST;
	}
}

/* :update_snippet: the author, a maintainer of the snippet's project. */
bool policy_can_update_snippet(const struct policy_subject *who, const struct repo *s)
{
	if (!who->user)
		return false;
	return is_admin(who) || is_snippet_author(who, s) || (s->project_id && role(who) >= GITLAB_MAINTAINER);
}
