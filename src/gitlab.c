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

static const struct {
	const char *name;
	int level;
} roles[] = {
	{ "guest", GITLAB_GUEST },	     { "reporter", GITLAB_REPORTER }, { "developer", GITLAB_DEVELOPER },
	{ "maintainer", GITLAB_MAINTAINER }, { "owner", GITLAB_OWNER },
};

int gitlab_access_parse(const char *s)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		char num[4];
		snprintf(num, sizeof num, "%d", roles[i].level);
		if (strcasecmp(s, roles[i].name) == 0 || strcmp(s, num) == 0)
			return roles[i].level;
	}
	return -1;
}

const char *gitlab_access_name(int level)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (roles[i].level == level)
			return roles[i].name;
	return "?";
}

bool gitlab_protected_level_valid(long long level)
{
	return level == GITLAB_NO_ONE || level == GITLAB_DEVELOPER || level == GITLAB_MAINTAINER ||
	       level == GITLAB_ADMIN;
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
