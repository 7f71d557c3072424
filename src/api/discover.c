/* GET /internal/discover: who is behind a key, a user id or a username.
 * Nobody found answers 200 with a JSON null, which gitlab-shell reads as
 * an anonymous user. */
#include "config.h"
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_COLUMNS "u.id, u.name, u.username"

const struct db_stmt discover_by_key = {
	"discover_by_key",
	"SELECT " USER_COLUMNS " FROM keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1",
	1, true,
};
const struct db_stmt discover_by_user_id = {
	"discover_by_user_id", "SELECT " USER_COLUMNS " FROM users u WHERE u.id = $1", 1, true,
};
const struct db_stmt discover_by_username = {
	"discover_by_username", "SELECT " USER_COLUMNS " FROM users u WHERE lower(u.username) = lower($1)",
	1, true,
};

/* Usernames in GitLab are at most 255 characters. */
#define USERNAME_MAX 255

void api_discover(struct request *req, struct response *res, struct app *app)
{
	const struct db_stmt *stmt = NULL;
	const char *value = NULL;
	char id_text[24];
	long long id;
	size_t len;

	/* The first of key_id, user_id, username that is given decides, as
	 * GitLab's actor lookup does. */
	static const struct { const char *name; const struct db_stmt *stmt; } by_id[] = {
		{ "key_id", &discover_by_key }, { "user_id", &discover_by_user_id },
	};
	for (size_t i = 0; i < 2 && !stmt; i++) {
		int st = request_param_id(req, by_id[i].name, &id);
		if (st == PARAM_INVALID) {
			char msg[64];
			snprintf(msg, sizeof msg, "%s is invalid", by_id[i].name);
			response_error(res, 400, msg);
			return;
		}
		if (st == PARAM_OK) {
			snprintf(id_text, sizeof id_text, "%lld", id);
			stmt = by_id[i].stmt;
			value = id_text;
		}
	}
	if (!stmt) {
		int st = request_param_string(req, "username", &value, &len);
		if (st == PARAM_INVALID) {
			response_error(res, 400, "username is invalid");
			return;
		}
		if (st == PARAM_OK && len > 0 && len <= USERNAME_MAX)
			stmt = &discover_by_username;
	}
	if (!stmt) {
		response_json(res, 200, NULL);
		return;
	}

	PGresult *r;
	const char *params[] = { value };
	int rc = db_exec(app->db, stmt, params, &r);
	if (rc != DB_OK) {
		api_db_failure(res, rc);
		return;
	}
	json_object *o = NULL;
	if (PQntuples(r) == 1 && (o = json_object_new_object())) {
		json_object_object_add(o, "id", json_object_new_int64(strtoll(PQgetvalue(r, 0, 0), NULL, 10)));
		json_object_object_add(o, "name", json_object_new_string(PQgetvalue(r, 0, 1)));
		json_object_object_add(o, "username", json_object_new_string(PQgetvalue(r, 0, 2)));
	}
	PQclear(r);
	response_json(res, 200, o);
}
