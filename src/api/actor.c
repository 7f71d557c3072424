/* Who is calling through gitlab-shell, found once per request. */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"
#include "bounds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const struct db_stmt actor_by_key = {
	"actor_by_key",
	"SELECT " ACTOR_KEY_COLUMNS ACTOR_USER_COLUMNS " FROM keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.id = $1",
	1, true,
};
const struct db_stmt actor_by_user_id = {
	"actor_by_user_id",
	"SELECT " ACTOR_NO_KEY_COLUMNS ACTOR_USER_COLUMNS " FROM users u WHERE u.id = $1",
	1, true,
};
const struct db_stmt actor_by_username = {
	"actor_by_username",
	"SELECT " ACTOR_NO_KEY_COLUMNS ACTOR_USER_COLUMNS " FROM users u WHERE lower(u.username) = lower($1)",
	1, true,
};

static void set_id(char *buf, size_t size, const char **slot, long long id)
{
	snprintf(buf, size, "%lld", id);
	*slot = buf;
}

/* "user-12" → user id 12; "key-3" → key id 3; anything else names nobody,
 * as GitLab's Gitlab::Identifier. */
static void parse_identifier(const char *s, size_t len, struct actor_ref *ref)
{
	long long id;
	if (len > 5 && strncmp(s, "user-", 5) == 0 && parse_id(s + 5, len - 5, &id) == 0)
		set_id(ref->user_text, sizeof ref->user_text, &ref->user_id, id);
	else if (len > 4 && strncmp(s, "key-", 4) == 0 && parse_id(s + 4, len - 4, &id) == 0)
		set_id(ref->key_text, sizeof ref->key_text, &ref->key_id, id);
}

int actor_ref_from_request(struct request *req, enum actor_source source, struct actor_ref *ref,
			   struct response *res)
{
	static const char *const id_names[] = { "key_id", "user_id" };
	const char *value;
	long long id;
	size_t len;

	memset(ref, 0, sizeof *ref);
	for (size_t i = 0; i < 2; i++) {
		int st = request_param_id(req, id_names[i], &id);
		if (st == PARAM_INVALID) {
			char msg[64];
			snprintf(msg, sizeof msg, "%s is invalid", id_names[i]);
			response_error(res, 400, msg);
			return -1;
		}
		if (st == PARAM_OK) {
			if (i == 0)
				set_id(ref->key_text, sizeof ref->key_text, &ref->key_id, id);
			else
				set_id(ref->user_text, sizeof ref->user_text, &ref->user_id, id);
			return 0;
		}
	}
	int st = request_param_string(req, "username", &value, &len);
	if (st == PARAM_INVALID) {
		response_error(res, 400, "username is invalid");
		return -1;
	}
	if (st == PARAM_OK) {
		/* A username no user can have names nobody, without a query. */
		if (len > 0 && len <= MAX_USERNAME)
			ref->username = value;
		return 0;
	}
	if (source != ACTOR_PARAMS_OR_IDENTIFIER)
		return 0;
	st = request_param_string(req, "identifier", &value, &len);
	if (st == PARAM_INVALID) {
		response_error(res, 400, "identifier is invalid");
		return -1;
	}
	if (st == PARAM_OK)
		parse_identifier(value, len, ref);
	return 0;
}

void actor_read_row(struct request *req, PGresult *r, int col, struct actor *actor)
{
	memset(actor, 0, sizeof *actor);
	if (!PQgetisnull(r, 0, col)) {
		actor->has_key = true;
		actor->key_id = strtoll(PQgetvalue(r, 0, col), NULL, 10);
		actor->deploy_key = col_flag(r, col + 1);
		actor->key_expired = col_flag(r, col + 2);
		actor->key_expiring = col_flag(r, col + 3);
	}
	if (!PQgetisnull(r, 0, col + ACTOR_USER_ID_COLUMN)) {
		actor->has_user = true;
		actor->user_id = strtoll(PQgetvalue(r, 0, col + ACTOR_USER_ID_COLUMN), NULL, 10);
		actor->username = col_text(req, r, col + ACTOR_USER_ID_COLUMN + 1);
		actor->name = col_text(req, r, col + ACTOR_USER_ID_COLUMN + 2);
		actor->state = col_text(req, r, col + ACTOR_USER_ID_COLUMN + 3);
		actor->admin = col_flag(r, col + ACTOR_USER_ID_COLUMN + 4);
		actor->otp_enabled = col_flag(r, col + ACTOR_USER_ID_COLUMN + 5);
		actor->user_type = atoi(PQgetvalue(r, 0, col + ACTOR_USER_ID_COLUMN + 6));
		actor->external = col_flag(r, col + ACTOR_USER_ID_COLUMN + 7);
	}
}

int actor_resolve_username(struct app *app, struct actor_ref *ref, struct response *res)
{
	if (!ref->username)
		return 0;
	const char *params[] = { ref->username };
	PGresult *r = api_query(app, app->sql->actor_by_username, params, res);
	if (!r)
		return -1;
	ref->username = NULL;
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, ACTOR_USER_ID_COLUMN)) {
		snprintf(ref->user_text, sizeof ref->user_text, "%s", PQgetvalue(r, 0, ACTOR_USER_ID_COLUMN));
		ref->user_id = ref->user_text;
	}
	PQclear(r);
	return 0;
}

int actor_find(struct request *req, struct app *app, enum actor_source source, struct actor *actor,
	       struct response *res)
{
	struct actor_ref ref;
	const struct db_stmt *stmt;
	const char *value;

	memset(actor, 0, sizeof *actor);
	if (actor_ref_from_request(req, source, &ref, res) < 0)
		return -1;
	if (ref.key_id) {
		stmt = app->sql->actor_by_key;
		value = ref.key_id;
	} else if (ref.user_id) {
		stmt = app->sql->actor_by_user_id;
		value = ref.user_id;
	} else if (ref.username) {
		stmt = app->sql->actor_by_username;
		value = ref.username;
	} else {
		return 0;
	}

	PGresult *r;
	const char *params[] = { value };
	r = api_query(app, stmt, params, res);
	if (!r)
		return -1;
	if (PQntuples(r) == 1)
		actor_read_row(req, r, 0, actor);
	PQclear(r);
	return 0;
}

const char *actor_shell_problem(struct request *req, const struct actor *actor)
{
	if (request_param(req, "user_id") && !request_param(req, "key_id"))
		return actor->has_user ? NULL : "Could not find the given user";
	if (!actor->has_key)
		return actor->has_user ? NULL : "Could not find the given key";
	if (!actor->has_user)
		return "Could not find a user for the given key";
	return NULL;
}

const char *actor_gl_id(struct request *req, const struct actor *actor)
{
	return actor->has_user ? arena_printf(req->arena, "user-%lld", actor->user_id) : "";
}
