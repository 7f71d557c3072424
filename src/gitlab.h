/* GitLab's numbers and names, in one place: the access levels, visibility
 * and feature levels it stores, the levels a protected ref takes, user
 * states and personal access token scopes. The service and glia-admin read
 * them here. */
#ifndef GLIA_GITLAB_H
#define GLIA_GITLAB_H

#include <stdbool.h>

/* Gitlab::Access: a member's role. Protected refs also take 0 (no one) and
 * 60 (administrators), and a namespace's owner counts as 40 on a project. */
enum gitlab_access {
	GITLAB_NO_ONE = 0,
	GITLAB_GUEST = 10,
	GITLAB_REPORTER = 20,
	GITLAB_DEVELOPER = 30,
	GITLAB_MAINTAINER = 40,
	GITLAB_OWNER = 50,
	GITLAB_ADMIN = 60,
};

/* Gitlab::VisibilityLevel. */
enum gitlab_visibility { GITLAB_PRIVATE = 0, GITLAB_INTERNAL = 10, GITLAB_PUBLIC = 20 };

/* ProjectFeature's access levels (repository, wiki, snippets). */
enum gitlab_feature {
	GITLAB_FEATURE_DISABLED = 0,
	GITLAB_FEATURE_PRIVATE = 10,
	GITLAB_FEATURE_ENABLED = 20,
	GITLAB_FEATURE_PUBLIC = 30,
};

/* "private", "internal", "public": the level, or -1; and back ("?"). */
int gitlab_visibility_parse(const char *s);
const char *gitlab_visibility_name(int level);

/* "guest" .. "owner" (any case) or "10" .. "50": the level, or -1; and
 * back ("?"). */
int gitlab_access_parse(const char *s);
const char *gitlab_access_name(int level);

/* A protected branch or tag's push, merge or create level: 0, 30, 40, 60,
 * or no-one, developer, maintainer, admin (any case): the level, or -1; and
 * back ("?"). */
int gitlab_protected_parse(const char *s);
const char *gitlab_protected_name(int level);
bool gitlab_protected_level_valid(long long level);

/* users.state values, NULL-terminated. */
extern const char *const gitlab_user_states[];
bool gitlab_user_state_valid(const char *s);

/* Personal access token scopes of GitLab 13.x/14.x, sorted as GitLab's
 * VALID_PAT_SCOPES message prints them, NULL-terminated; sudo is one of
 * them, which glia-admin may give and the internal API never does. */
extern const char *const gitlab_token_scopes[];
#define GITLAB_TOKEN_SCOPES_TEXT \
	"api, read_api, read_registry, read_repository, read_user, sudo, write_registry, write_repository"
#define GITLAB_TOKEN_SCOPE_MAX 16	/* "write_repository", the longest */
bool gitlab_token_scope_valid(const char *s, bool sudo);

#endif
