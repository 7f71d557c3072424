/* Who is calling through gitlab-shell, found once per request. */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ACTOR_USER_COLUMNS \
	"u.id, u.username, u.name, u.state, u.admin, u.otp_required_for_login, coalesce(u.user_type, 0)"

const struct db_stmt actor_by_key = {
	"actor_by_key",
	"SELECT k.id, k.type = 'DeployKey', coalesce(k.expires_at < now(), false),"
	" coalesce(k.expires_at < now() + interval '7 days', false), k.fingerprint, " ACTOR_USER_COLUMNS
	" FROM keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.id = $1",
	1, true,
};
const struct db_stmt actor_by_user_id = {
	"actor_by_user_id",
	"SELECT NULL, NULL, NULL, NULL, NULL, " ACTOR_USER_COLUMNS " FROM users u WHERE u.id = $1",
	1, true,
};
const struct db_stmt actor_by_username = {
	"actor_by_username",
	"SELECT NULL, NULL, NULL, NULL, NULL, " ACTOR_USER_COLUMNS " FROM users u WHERE lower(u.username) = lower($1)",
	1, true,
};

#define USERNAME_MAX 255

static bool flag(PGresult *r, int col)
{
	return !PQgetisnull(r, 0, col) && PQgetvalue(r, 0, col)[0] == 't';
}

static const char *text(struct request *req, PGresult *r, int col)
{
	return PQgetisnull(r, 0, col) ? NULL : arena_strdup(req->arena, PQgetvalue(r, 0, col));
}

/* "user-12" → user id 12; "key-3" → key id 3; anything else names nobody,
 * as GitLab's Gitlab::Identifier. */
static const struct db_stmt *parse_identifier(const char *s, size_t len, long long *id)
{
	if (len > 5 && strncmp(s, "user-", 5) == 0 && parse_id(s + 5, len - 5, id) == 0)
		return &actor_by_user_id;
	if (len > 4 && strncmp(s, "key-", 4) == 0 && parse_id(s + 4, len - 4, id) == 0)
		return &actor_by_key;
	return NULL;
}

int actor_find(struct request *req, struct app *app, enum actor_source source, struct actor *actor,
	       struct response *res)
{
	static const struct { const char *name; const struct db_stmt *stmt; } by_id[] = {
		{ "key_id", &actor_by_key }, { "user_id", &actor_by_user_id },
	};
	const struct db_stmt *stmt = NULL;
	const char *value = NULL;
	char id_text[24];
	long long id;
	size_t len;

	memset(actor, 0, sizeof *actor);
	for (size_t i = 0; i < 2 && !stmt; i++) {
		int st = request_param_id(req, by_id[i].name, &id);
		if (st == PARAM_INVALID) {
			char msg[64];
			snprintf(msg, sizeof msg, "%s is invalid", by_id[i].name);
			response_error(res, 400, msg);
			return -1;
		}
		if (st == PARAM_OK)
			stmt = by_id[i].stmt;
	}
	if (!stmt) {
		int st = request_param_string(req, "username", &value, &len);
		if (st == PARAM_INVALID) {
			response_error(res, 400, "username is invalid");
			return -1;
		}
		if (st == PARAM_OK) {
			if (len == 0 || len > USERNAME_MAX)
				return 0;
			stmt = &actor_by_username;
		}
	}
	if (!stmt && source == ACTOR_PARAMS_OR_IDENTIFIER) {
		int st = request_param_string(req, "identifier", &value, &len);
		if (st == PARAM_INVALID) {
			response_error(res, 400, "identifier is invalid");
			return -1;
		}
		if (st == PARAM_OK && !(stmt = parse_identifier(value, len, &id)))
			return 0;
	}
	if (!stmt)
		return 0;
	if (stmt != &actor_by_username) {
		snprintf(id_text, sizeof id_text, "%lld", id);
		value = id_text;
	}

	PGresult *r;
	const char *params[] = { value };
	int rc = db_exec(app->db, stmt, params, &r);
	if (rc != DB_OK) {
		api_db_failure(res, rc);
		return -1;
	}
	if (PQntuples(r) == 1) {
		if (!PQgetisnull(r, 0, 0)) {
			actor->has_key = true;
			actor->key_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
			actor->deploy_key = flag(r, 1);
			actor->key_expired = flag(r, 2);
			actor->key_expiring = flag(r, 3);
			actor->key_fingerprint_md5 = text(req, r, 4);
		}
		if (!PQgetisnull(r, 0, 5)) {
			actor->has_user = true;
			actor->user_id = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
			actor->username = text(req, r, 6);
			actor->name = text(req, r, 7);
			actor->state = text(req, r, 8);
			actor->admin = flag(r, 9);
			actor->otp_enabled = flag(r, 10);
			actor->user_type = atoi(PQgetvalue(r, 0, 11));
		}
	}
	PQclear(r);
	return 0;
}

const char *actor_gl_id(struct request *req, const struct actor *actor)
{
	return actor->has_user ? arena_printf(req->arena, "user-%lld", actor->user_id) : "";
}
