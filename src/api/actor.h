/* Who is calling through gitlab-shell: GitLab's GitAccessActor. The first of
 * key_id, user_id, username (and identifier, for post_receive) that is given
 * names the actor. */
#ifndef GLIA_ACTOR_H
#define GLIA_ACTOR_H

#include <stdbool.h>

#include <libpq-fe.h>

struct request;
struct response;
struct app;
struct db_stmt;

/* The actor lookups, listed by api.c. */
extern const struct db_stmt actor_by_key, actor_by_user_id, actor_by_username;

struct actor {
	bool has_key;
	long long key_id;
	bool deploy_key;	/* keys.type = 'DeployKey' */
	bool key_expired;	/* expires_at in the past */
	bool key_expiring;	/* expires_at within 7 days */
	bool has_user;		/* the key's owner, or the user named */
	long long user_id;
	const char *username;
	const char *name;
	const char *state;	/* "active", "blocked", ... */
	bool admin;
	bool otp_enabled;
	int user_type;		/* 0: a human */
	bool external;		/* an external user: internal projects are not theirs to see */
};

/* The parameter that names the actor, read without a query. At most one of
 * the three is set, the others NULL: the statements that look the actor up
 * with something else take them as parameters. */
struct actor_ref {
	const char *key_id;	/* decimal */
	const char *user_id;	/* decimal */
	const char *username;
	char key_text[24];
	char user_text[24];
};

/* The actor's columns, in actor_read_row's order, from keys k and users u. */
#define ACTOR_KEY_COLUMNS \
	"k.id, k.type = 'DeployKey', coalesce(k.expires_at < now(), false)," \
	" coalesce(k.expires_at < now() + interval '7 days', false), "
#define ACTOR_NO_KEY_COLUMNS "NULL::bigint, NULL::boolean, NULL::boolean, NULL::boolean, "
#define ACTOR_USER_COLUMNS \
	"u.id, u.username, u.name, u.state, u.admin, u.otp_required_for_login, coalesce(u.user_type, 0), u.external"
#define ACTOR_COLUMN_COUNT 12
/* Where ACTOR_USER_COLUMNS start: the user's id. */
#define ACTOR_USER_ID_COLUMN 4

enum actor_source {
	ACTOR_PARAMS,		/* key_id | user_id | username */
	ACTOR_PARAMS_OR_IDENTIFIER,	/* and identifier "user-N" / "key-N" (post_receive) */
};

/* Reads the parameter that names the actor (source: which ones count).
 * Returns 0 (ref all NULL when none names anybody), or -1 after writing
 * 400 for a malformed id. */
int actor_ref_from_request(struct request *req, enum actor_source source, struct actor_ref *ref,
			   struct response *res);

/* A username becomes the user's id (ref->user_id; nobody: all NULL), for
 * the statements that take a key id or a user id. Returns 0, or -1 after
 * writing the database failure. */
int actor_resolve_username(struct app *app, struct actor_ref *ref, struct response *res);

/* Fills *actor from ACTOR_COLUMN_COUNT columns of row 0 starting at col;
 * all false when they are NULL (nobody). */
void actor_read_row(struct request *req, PGresult *r, int col, struct actor *actor);

/* Fills *actor (all false when no parameter names anybody, or nobody
 * matches). Returns 0, or -1 when it has written the response itself: 400
 * for a malformed id, 503 when the database is away. */
int actor_find(struct request *req, struct app *app, enum actor_source source, struct actor *actor,
	       struct response *res);

/* GitLab 14.0–14.1's checks on the actor of what a user asks for over SSH
 * (recovery codes, tokens, OTP checks): a user_id must name a user; a
 * key_id must name a key that belongs to a user. glia also takes a user_id
 * (or username) alone, which GitLab answers "Could not find the given key".
 * The message to answer with, or NULL when the actor will do. */
const char *actor_shell_problem(struct request *req, const struct actor *actor);

/* "user-N", or "" without a user: GitLab's gl_id. Arena string. */
const char *actor_gl_id(struct request *req, const struct actor *actor);

#endif
