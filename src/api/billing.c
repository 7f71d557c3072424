/* The billing endpoints' common ground: the administrator's personal access
 * token (AUTH_ADMIN routes), the namespace named by ":id", and the coercion
 * of parameters the way Grape does it (GitLab EE 14.0–14.1). */
#include "config.h"
#include "api/billing.h"
#include "bounds.h"
#include "metrics.h"
#include "token.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The token's state in one round trip; last_used_at is written at most once
 * a minute, so that a busy caller does not turn the row into a hot spot. */
const struct db_stmt billing_admin_token = {
	"billing_admin_token",
	"WITH t AS (SELECT pat.id, pat.revoked OR coalesce(pat.expires_at <= current_date, false) AS dead,"
	"           'api' = ANY (pat.scopes) AS api, u.state = 'active' AS active, u.admin"
	"      FROM personal_access_tokens pat JOIN users u ON u.id = pat.user_id WHERE pat.token_digest = $1),"
	" touch AS (UPDATE personal_access_tokens p SET last_used_at = now() FROM t"
	"      WHERE p.id = t.id AND NOT t.dead"
	"        AND (p.last_used_at IS NULL OR p.last_used_at < now() - interval '1 minute') RETURNING 1)"
	" SELECT dead, api, active, admin, (SELECT count(*) FROM touch) FROM t",
	1, false,
};
const struct db_stmt billing_namespace_by_id = {
	"billing_namespace_by_id",
	"SELECT id, parent_id IS NULL FROM namespaces WHERE id = $1",
	1, true,
};
const struct db_stmt billing_namespace_by_path = {
	"billing_namespace_by_path",
	"SELECT n.id, n.parent_id IS NULL FROM routes r JOIN namespaces n ON n.id = r.namespace_id"
	" WHERE lower(r.path) = lower($1)",
	1, true,
};


const struct db_stmt *const billing_statements[] = {
	&billing_admin_token,
	&billing_namespace_by_id,
	&billing_namespace_by_path,
	&subscription_show,
	&subscription_create,
	&subscription_update,
	&subscription_plan,
	&minutes_add_packs,
	&minutes_move_packs,
	&reconciliations_upsert,
	NULL,
};

/* --- the administrator's token */

/* One more place the token may come from; a second, different value is a
 * refusal, as is a repeated header. */
static bool token_source(const char *value, int count, const char **token)
{
	if (!value || count == 0)
		return true;
	if (count > 1 || (*token && strcmp(*token, value) != 0))
		return false;
	*token = value;
	return true;
}

static void unauthorized(struct response *res)
{
	response_status(res, 401);
}

static bool admin_token_check(struct request *req, struct response *res, struct app *app)
{
	const char *token = NULL, *v;
	int count = 0;

	v = request_env(req, "HTTP_PRIVATE_TOKEN", &count);
	if (!token_source(v, count, &token))
		return unauthorized(res), false;
	v = request_env(req, "HTTP_TOKEN", &count);
	if (!token_source(v, count, &token))
		return unauthorized(res), false;
	v = request_env(req, "HTTP_AUTHORIZATION", &count);
	if (v && count > 0) {
		if (count > 1 || strncasecmp(v, "Bearer ", 7) != 0 || !token_source(v + 7, 1, &token))
			return unauthorized(res), false;
	}
	const char *param = NULL;
	size_t param_len = 0;
	int pc = request_param_count(req, "private_token");
	if (pc > 0) {
		if (request_param_string(req, "private_token", &param, &param_len) != PARAM_OK ||
		    !token_source(param, pc, &token))
			return unauthorized(res), false;
	}
	size_t len = token ? strlen(token) : 0;
	if (len == 0 || len > MAX_ADMIN_TOKEN || app->secrets->pepper_len == 0)
		return unauthorized(res), false;

	char digest[TOKEN_DIGEST_HEX + 1];
	if (token_digest(app->secrets->pepper, app->secrets->pepper_len, token, len, digest) < 0)
		return unauthorized(res), false;
	const char *params[] = { digest };
	PGresult *r = api_query(app, &billing_admin_token, params, res);
	if (!r)
		return false;
	bool found = PQntuples(r) == 1;
	bool dead = found && col_flag(r, 0);
	bool api = found && col_flag(r, 1);
	bool active = found && col_flag(r, 2);
	bool admin = found && col_flag(r, 3);
	PQclear(r);
	if (!found || dead)
		return unauthorized(res), false;
	if (!api) {	/* Gitlab::Auth::InsufficientScopeError, as GitLab words it */
		json_object *o = json_object_new_object();
		if (o) {
			json_object_object_add(o, "error", json_object_new_string("insufficient_scope"));
			json_object_object_add(o, "error_description",
					       json_object_new_string("The request requires higher privileges than "
								      "provided by the access token."));
			json_object_object_add(o, "scope", json_object_new_string("api"));
			response_json(res, 403, o);
		}
		return false;
	}
	if (!active)
		return unauthorized(res), false;
	if (!admin) {
		response_status(res, 403);
		return false;
	}
	return true;
}

/* A refusal (401, 403) counts in the metrics; a database failure does not. */
bool api_authenticate_admin(struct request *req, struct response *res, struct app *app)
{
	if (admin_token_check(req, res, app))
		return true;
	if (res->status == 401 || res->status == 403)
		metrics_auth_failure(AUTH_FAIL_ADMIN);
	return false;
}

/* --- namespaces */

bool namespace_find(struct response *res, struct app *app, const char *id_or_path, struct namespace_ref *ns,
		    const char *not_found)
{
	long long id;
	size_t len = strlen(id_or_path);
	const struct db_stmt *stmt = &billing_namespace_by_path;
	char idbuf[24];
	const char *params[1] = { id_or_path };

	if (parse_id(id_or_path, len, &id) == 0) {
		snprintf(idbuf, sizeof idbuf, "%lld", id);
		params[0] = idbuf;
		stmt = &billing_namespace_by_id;
	} else if (len == 0 || len > MAX_NAMESPACE_PATH || !utf8_valid(id_or_path, len)) {
		response_message(res, 404, not_found);
		return false;
	}
	PGresult *r = api_query(app, stmt, params, res);
	if (!r)
		return false;
	bool found = PQntuples(r) == 1;
	if (found) {
		ns->id = col_int(r, 0, 0);
		ns->top_level = col_flag(r, 1);
	} else {
		response_message(res, 404, not_found);
	}
	PQclear(r);
	return found;
}

