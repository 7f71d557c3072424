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

#define ADMIN_TOKEN_MAX 1024	/* bytes of a personal access token */
#define NAMESPACE_PATH_MAX 2048	/* routes.path */

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
	if (len == 0 || len > ADMIN_TOKEN_MAX || app->secrets->pepper_len == 0)
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
	} else if (len == 0 || len > NAMESPACE_PATH_MAX || !utf8_valid(id_or_path, len)) {
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

/* --- Grape's coercions */

void bvalue_json(json_object *obj, const char *key, struct bvalue *v)
{
	json_object *val;
	v->kind = BV_ABSENT;
	v->s = NULL;
	v->len = 0;
	if (!obj || !json_object_object_get_ex(obj, key, &val))
		return;
	switch (json_object_get_type(val)) {
	case json_type_null:
		v->kind = BV_NULL;
		break;
	case json_type_string:
		v->kind = BV_STRING;
		v->s = json_object_get_string(val);
		v->len = (size_t)json_object_get_string_len(val);
		break;
	case json_type_int:
		v->kind = BV_INT;
		v->s = json_object_get_string(val);
		v->len = strlen(v->s);
		break;
	case json_type_boolean:
		v->kind = BV_BOOL;
		v->s = json_object_get_boolean(val) ? "true" : "false";
		v->len = strlen(v->s);
		break;
	default:
		v->kind = BV_OTHER;
		break;
	}
}

void bvalue_param(const struct request *req, const char *name, struct bvalue *v)
{
	const struct param *p = request_param(req, name);
	v->kind = BV_ABSENT;
	v->s = NULL;
	v->len = 0;
	if (!p)
		return;
	switch (p->type) {
	case PARAM_NULL: v->kind = BV_NULL; return;
	case PARAM_STRING: v->kind = BV_STRING; break;
	case PARAM_INT: v->kind = BV_INT; break;
	case PARAM_BOOL: v->kind = BV_BOOL; break;
	default: v->kind = BV_OTHER; return;
	}
	v->s = p->str;
	v->len = p->str ? strlen(p->str) : 0;
	if (p->type == PARAM_STRING)
		v->len = p->len;
}

static int bvalue_common(const struct bvalue *v)
{
	if (v->kind == BV_ABSENT)
		return BC_ABSENT;
	if (v->kind == BV_NULL || (v->kind == BV_STRING && v->len == 0))
		return BC_NIL;
	if (v->kind == BV_OTHER || !v->s)
		return BC_INVALID;
	return BC_OK;
}

static const char *const month_names[] = {
	"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december",
};

static bool all_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int date_out(long long y, long long m, long long d, char out[11])
{
	if (!calendar_day_valid(y, m, d))
		return -1;
	char tmp[40];	/* roomy, since the compiler cannot see the ranges above */
	snprintf(tmp, sizeof tmp, "%04lld-%02lld-%02lld", y, m, d);
	memcpy(out, tmp, 11);
	return 0;
}

int billing_parse_date(const char *s, size_t len, char out[11])
{
	long long y, m, d;

	/* YYYY-MM-DD */
	if (len == 10 && s[4] == '-' && s[7] == '-' && all_digits(s, 4) && all_digits(s + 5, 2) &&
	    all_digits(s + 8, 2)) {
		parse_int64(s, 4, &y);
		parse_int64(s + 5, 2, &m);
		parse_int64(s + 8, 2, &d);
		return date_out(y, m, d, out);
	}
	/* DD/MM/YYYY, as Ruby's Date.parse reads it */
	if (len == 10 && s[2] == '/' && s[5] == '/' && all_digits(s, 2) && all_digits(s + 3, 2) &&
	    all_digits(s + 6, 4)) {
		parse_int64(s, 2, &d);
		parse_int64(s + 3, 2, &m);
		parse_int64(s + 6, 4, &y);
		return date_out(y, m, d, out);
	}
	/* "13 Jun 2021", "6 June 2021": day, one space, month name or its
	 * first three letters, one space, four-digit year */
	const char *sp1 = memchr(s, ' ', len);
	if (!sp1)
		return -1;
	size_t dl = (size_t)(sp1 - s);
	const char *rest = sp1 + 1, *end = s + len;
	const char *sp2 = memchr(rest, ' ', (size_t)(end - rest));
	if (!sp2 || dl < 1 || dl > 2 || !all_digits(s, dl))
		return -1;
	size_t ml = (size_t)(sp2 - rest), yl = (size_t)(end - sp2 - 1);
	if (yl != 4 || !all_digits(sp2 + 1, 4) || ml < 3)
		return -1;
	m = 0;
	for (int i = 0; i < 12 && !m; i++)
		if ((ml == 3 || ml == strlen(month_names[i])) && strncasecmp(rest, month_names[i], ml) == 0)
			m = i + 1;
	if (!m)
		return -1;
	parse_int64(s, dl, &d);
	parse_int64(sp2 + 1, 4, &y);
	return date_out(y, m, d, out);
}

int bvalue_date(const struct bvalue *v, char out[11])
{
	int c = bvalue_common(v);
	if (c != BC_OK)
		return c;
	if (v->kind != BV_STRING || billing_parse_date(v->s, v->len, out) < 0)
		return BC_INVALID;
	return BC_OK;
}

int bvalue_int(const struct bvalue *v, long long *out)
{
	int c = bvalue_common(v);
	if (c != BC_OK)
		return c;
	if (v->kind == BV_BOOL || parse_int64(v->s, v->len, out) < 0 || *out < 0 || *out > 2147483647LL)
		return BC_INVALID;
	return BC_OK;
}

int bvalue_bool(const struct bvalue *v, bool *out)
{
	static const char *const yes[] = { "1", "on", "On", "ON", "t", "true", "True", "TRUE", "T", "y", "yes",
					   "Yes", "YES", "Y" };
	static const char *const no[] = { "0", "off", "Off", "OFF", "f", "false", "False", "FALSE", "F", "n", "no",
					  "No", "NO", "N" };
	int c = bvalue_common(v);
	if (c != BC_OK)
		return c;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strlen(yes[i]) == v->len && memcmp(yes[i], v->s, v->len) == 0) {
			*out = true;
			return BC_OK;
		}
		if (strlen(no[i]) == v->len && memcmp(no[i], v->s, v->len) == 0) {
			*out = false;
			return BC_OK;
		}
	}
	return BC_INVALID;
}

void grape_error(struct grape_errors *e, const char *name, const char *what)
{
	char one[256];
	int n = snprintf(one, sizeof one, "%s %s", name, what);
	if (n < 0 || (size_t)n >= sizeof one)
		return;
	/* Grape reports a nested attribute once, however many elements fail. */
	for (const char *p = e->text; (p = strstr(p, one)); p++) {
		if ((p == e->text || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
			return;
	}
	if (e->len + (size_t)n + 3 >= sizeof e->text)
		return;
	e->len += (size_t)snprintf(e->text + e->len, sizeof e->text - e->len, "%s%s", e->len ? ", " : "", one);
}
