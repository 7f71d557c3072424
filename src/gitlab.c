/* GitLab's numbers and names (gitlab.h). */
#include "config.h"
#include "gitlab.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	int level;
} visibilities[] = { { "private", GITLAB_PRIVATE }, { "internal", GITLAB_INTERNAL }, { "public", GITLAB_PUBLIC } };

int gitlab_visibility_parse(const char *s)
{
	for (size_t i = 0; i < sizeof visibilities / sizeof visibilities[0]; i++)
		if (strcmp(s, visibilities[i].name) == 0)
			return visibilities[i].level;
	return -1;
}

const char *gitlab_visibility_name(int level)
{
	for (size_t i = 0; i < sizeof visibilities / sizeof visibilities[0]; i++)
		if (visibilities[i].level == level)
			return visibilities[i].name;
	return "?";
}

/* A level by name (any case) or by number, and a level's name. */
struct named_level {
	const char *name;
	int level;
};

static int level_parse(const struct named_level *t, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		char num[4];
		snprintf(num, sizeof num, "%d", t[i].level);
		if (strcasecmp(s, t[i].name) == 0 || strcmp(s, num) == 0)
			return t[i].level;
	}
	return -1;
}

static const char *level_name(const struct named_level *t, size_t n, int level)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].level == level)
			return t[i].name;
	return "?";
}

static const struct named_level roles[] = {
	{ "guest", GITLAB_GUEST },	     { "reporter", GITLAB_REPORTER }, { "developer", GITLAB_DEVELOPER },
	{ "maintainer", GITLAB_MAINTAINER }, { "owner", GITLAB_OWNER },
};
#define N_ROLES (sizeof roles / sizeof roles[0])

/* Who may push, merge or create under a protected branch or tag. */
static const struct named_level protected_levels[] = {
	{ "no-one", GITLAB_NO_ONE },
	{ "developer", GITLAB_DEVELOPER },
	{ "maintainer", GITLAB_MAINTAINER },
	{ "admin", GITLAB_ADMIN },
};
#define N_PROTECTED (sizeof protected_levels / sizeof protected_levels[0])

int gitlab_access_parse(const char *s) { return level_parse(roles, N_ROLES, s); }
const char *gitlab_access_name(int level) { return level_name(roles, N_ROLES, level); }
int gitlab_protected_parse(const char *s) { return level_parse(protected_levels, N_PROTECTED, s); }
const char *gitlab_protected_name(int level) { return level_name(protected_levels, N_PROTECTED, level); }

bool gitlab_protected_level_valid(long long level)
{
	return level >= 0 && level <= GITLAB_ADMIN && strcmp(gitlab_protected_name((int)level), "?") != 0;
}

const char *const gitlab_user_states[] = {
	"active", "blocked", "deactivated", "blocked_pending_approval", "ldap_blocked", NULL,
};

bool gitlab_user_state_valid(const char *s)
{
	for (size_t i = 0; gitlab_user_states[i]; i++)
		if (strcmp(s, gitlab_user_states[i]) == 0)
			return true;
	return false;
}

const char *const gitlab_token_scopes[] = {
	"api", "read_api", "read_registry", "read_repository", "read_user", "sudo", "write_registry",
	"write_repository", NULL,
};

bool gitlab_token_scope_valid(const char *s, bool sudo)
{
	if (!sudo && strcmp(s, "sudo") == 0)
		return false;
	for (size_t i = 0; gitlab_token_scopes[i]; i++)
		if (strcmp(s, gitlab_token_scopes[i]) == 0)
			return true;
	return false;
}
