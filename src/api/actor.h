/* Who is calling through gitlab-shell: GitLab's GitAccessActor. The first of
 * key_id, user_id, username (and identifier, for post_receive) that is given
 * names the actor. */
#ifndef GLIA_ACTOR_H
#define GLIA_ACTOR_H

#include <stdbool.h>

struct request;
struct response;
struct app;

struct actor {
	bool has_key;
	long long key_id;
	bool deploy_key;	/* keys.type = 'DeployKey' */
	bool key_expired;	/* expires_at in the past */
	bool key_expiring;	/* expires_at within 7 days */
	const char *key_fingerprint_md5;	/* "xx:xx:..." or NULL */
	bool has_user;		/* the key's owner, or the user named */
	long long user_id;
	const char *username;
	const char *name;
	const char *state;	/* "active", "blocked", ... */
	bool admin;
	bool otp_enabled;
	int user_type;		/* 0: a human */
};

enum actor_source {
	ACTOR_PARAMS,		/* key_id | user_id | username */
	ACTOR_PARAMS_OR_IDENTIFIER,	/* and identifier "user-N" / "key-N" (post_receive) */
};

/* Fills *actor (all false when no parameter names anybody, or nobody
 * matches). Returns 0, or -1 when it has written the response itself: 400
 * for a malformed id, 503 when the database is away. */
int actor_find(struct request *req, struct app *app, enum actor_source source, struct actor *actor,
	       struct response *res);

/* "user-N", or "" without a user: GitLab's gl_id. Arena string. */
const char *actor_gl_id(struct request *req, const struct actor *actor);

#endif
