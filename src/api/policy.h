/* GitLab's abilities on a repository, as far as git needs them: its
 * ProjectPolicy and snippet policies reduced to download and push of code,
 * wikis and snippets (≈14.0). allowed.c asks them in GitAccess's order;
 * kubernetes.c asks what an anonymous caller (GitLab's Guest) may do. */
#ifndef GLIA_API_POLICY_H
#define GLIA_API_POLICY_H

#include <stdbool.h>

#include "api/repo.h"

/* Who asks. */
struct policy_subject {
	bool user;		/* a user whose rights count: not a deploy key, not anonymous */
	bool admin;
	bool external;		/* an external user: internal projects are not theirs to see */
	bool deploy_key;
	long long user_id;
	int role;		/* access level in the container, 0 for none */
};

/* Nobody: the anonymous caller. */
extern const struct policy_subject policy_anonymous;

bool policy_can_read_project(const struct policy_subject *who, const struct repo *p);
bool policy_can_download_code(const struct policy_subject *who, const struct repo *p);
bool policy_can_push_code(const struct policy_subject *who, const struct repo *p);
bool policy_can_download_wiki(const struct policy_subject *who, const struct repo *p);
bool policy_can_create_wiki(const struct policy_subject *who, const struct repo *p);
bool policy_can_read_snippet(const struct policy_subject *who, const struct repo *s);
bool policy_can_update_snippet(const struct policy_subject *who, const struct repo *s);

#endif
