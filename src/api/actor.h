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
	bool external;		/* an external user: internal projects are not theirs to see */
};

/* The parameter that names the actor, read without a query. At most one of
 * the three is set, the others NULL: the statements that look the actor up
 * with something else (allowed, post_receive) take all three. */
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
	" coalesce(k.expires_at < now() + interval '7 days', false), k.fingerprint, "
#define ACTOR_NO_KEY_COLUMNS "NULL::bigint, NULL::boolean, NULL::boolean, NULL::boolean, NULL::text, "
#define ACTOR_USER_COLUMNS \
	"u.id, u.username, u.name, u.state, u.admin, u.otp_required_for_login, coalesce(u.user_type, 0), u.external"
#define ACTOR_COLUMN_COUNT 13
/* Names for those columns where a statement reads them itself. */
#define ACTOR_COLUMN_NAMES \
	"(key_id, deploy_key, key_expired, key_expiring, key_fingerprint, user_id, username, name, state," \
	" admin, otp_required_for_login, user_type, external)"
/* The actor as one row from the three parameters of an actor_ref (SQL
 * placeholders key, user, name): a lookup by NULL costs an index probe that
 * finds nothing, so one statement serves every way of naming the actor. */
#define ACTOR_ANY(key, user, name) \
	"SELECT " ACTOR_KEY_COLUMNS ACTOR_USER_COLUMNS " FROM keys k LEFT JOIN users u ON u.id = k.user_id" \
	" WHERE k.id = " key \
	" UNION ALL SELECT " ACTOR_NO_KEY_COLUMNS ACTOR_USER_COLUMNS " FROM users u WHERE u.id = " user \
	" UNION ALL SELECT " ACTOR_NO_KEY_COLUMNS ACTOR_USER_COLUMNS " FROM users u" \
	" WHERE lower(u.username) = lower(" name ")"


enum actor_source {
	ACTOR_PARAMS,		/* key_id | user_id | username */
	ACTOR_PARAMS_OR_IDENTIFIER,	/* and identifier "user-N" / "key-N" (post_receive) */
};

/* Reads the parameter that names the actor (source: which ones count).
 * Returns 0 (ref all NULL when none names anybody), or -1 after writing
 * 400 for a malformed id. */
int actor_ref_from_request(struct request *req, enum actor_source source, struct actor_ref *ref,
			   struct response *res);

/* Fills *actor from ACTOR_COLUMN_COUNT columns of row 0 starting at col;
 * all false when they are NULL (nobody). */
void actor_read_row(struct request *req, PGresult *r, int col, struct actor *actor);

/* Fills *actor (all false when no parameter names anybody, or nobody
 * matches). Returns 0, or -1 when it has written the response itself: 400
 * for a malformed id, 503 when the database is away. */
int actor_find(struct request *req, struct app *app, enum actor_source source, struct actor *actor,
	       struct response *res);

/* "user-N", or "" without a user: GitLab's gl_id. Arena string. */
const char *actor_gl_id(struct request *req, const struct actor *actor);

#endif
