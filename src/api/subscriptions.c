/* GET, POST and PUT /namespaces/:id/gitlab_subscription: a top-level
 * namespace's GitLab.com subscription, as GitLab EE 14.0–14.1 keeps it
 * (ee/lib/ee/api/namespaces.rb, EE::API::Entities::GitlabSubscription). */
#include "config.h"
#include "api/billing.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* The entity's columns: plan name and title, trial, auto_renew, seats,
 * seats in use (counted now), max_seats_used, the three dates, and whether
 * the subscription has ended. */
#define SUBSCRIPTION_SELECT(from)                                                                          \
	"SELECT p.name, p.title, s.trial, s.auto_renew, s.seats,"                                          \
	" glia_billable_members_count(s.namespace_id, p.name IN ('gold', 'ultimate')), s.max_seats_used," \
	" to_char(s.start_date, 'YYYY-MM-DD'), to_char(s.end_date, 'YYYY-MM-DD'),"                         \
	" to_char(s.trial_ends_on, 'YYYY-MM-DD'), coalesce(s.end_date < current_date, false)"              \
	" FROM " from " s LEFT JOIN plans p ON p.id = s.hosted_plan_id"

const struct db_stmt subscription_show = {
	"subscription_show",
	SUBSCRIPTION_SELECT("gitlab_subscriptions") " WHERE s.namespace_id = $1",
	1, true,
};
/* $2 holds the given attributes, already validated and normalised; a
 * namespace that has a subscription already inserts nothing. */
const struct db_stmt subscription_create = {
	"subscription_create",
	"WITH ins AS (INSERT INTO gitlab_subscriptions (namespace_id, hosted_plan_id, seats, max_seats_used,"
	"   start_date, end_date, trial, trial_starts_on, trial_ends_on, auto_renew, trial_extension_type)"
	" SELECT $1, (SELECT id FROM plans WHERE name = c->>'plan_code'), coalesce((c->>'seats')::integer, 0),"
	"   coalesce((c->>'max_seats_used')::integer, 0), (c->>'start_date')::date, (c->>'end_date')::date,"
	"   coalesce((c->>'trial')::boolean, false), (c->>'trial_starts_on')::date, (c->>'trial_ends_on')::date,"
	"   (c->>'auto_renew')::boolean, (c->>'trial_extension_type')::smallint"
	"  FROM (SELECT $2::jsonb AS c) x"
	" ON CONFLICT (namespace_id) DO NOTHING RETURNING *) " SUBSCRIPTION_SELECT("ins"),
	2, false,
};
/* Only the attributes given change; updated_at moves even when nothing
 * else does, as in GitLab 14.0. */
#define SET_IF_GIVEN(col, type) \
	" " col " = CASE WHEN c ? '" col "' THEN (c->>'" col "')::" type " ELSE s." col " END,"
const struct db_stmt subscription_update = {
	"subscription_update",
	"WITH upd AS (UPDATE gitlab_subscriptions s SET"
	" hosted_plan_id = CASE WHEN c ? 'plan_code' THEN (SELECT id FROM plans WHERE name = c->>'plan_code')"
	"   ELSE s.hosted_plan_id END,"
	SET_IF_GIVEN("seats", "integer")
	" max_seats_used = CASE WHEN c ? 'max_seats_used' THEN coalesce((c->>'max_seats_used')::integer, 0)"
	"   ELSE s.max_seats_used END,"
	SET_IF_GIVEN("start_date", "date")
	SET_IF_GIVEN("end_date", "date")
	" trial = CASE WHEN c ? 'trial' THEN coalesce((c->>'trial')::boolean, false) ELSE s.trial END,"
	SET_IF_GIVEN("trial_starts_on", "date")
	SET_IF_GIVEN("trial_ends_on", "date")
	SET_IF_GIVEN("auto_renew", "boolean")
	SET_IF_GIVEN("trial_extension_type", "smallint")
	" updated_at = now()"
	" FROM (SELECT $2::jsonb AS c) x WHERE s.namespace_id = $1 RETURNING s.*) " SUBSCRIPTION_SELECT("upd"),
	2, false,
};
const struct db_stmt subscription_plan = {
	"subscription_plan",
	"SELECT 1 FROM plans WHERE name = $1",
	1, true,
};

/* GitLab 14.0's Plan::PAID_HOSTED_PLANS; the last one cannot be upgraded. */
static const char *const paid_plans[] = { "bronze", "silver", "premium", "gold", "ultimate" };
#define TOP_PLAN "ultimate"

/* The entity; r == NULL gives the one for no subscription: every leaf null. */
static json_object *subscription_entity(PGresult *r)
{
	json_object *o = json_object_new_object(), *plan = json_object_new_object(),
		    *usage = json_object_new_object(), *billing = json_object_new_object();
	if (!o || !plan || !usage || !billing) {
		json_object_put(o);
		json_object_put(plan);
		json_object_put(usage);
		json_object_put(billing);
		return NULL;
	}
	json_object_object_add(o, "plan", plan);
	json_object_object_add(o, "usage", usage);
	json_object_object_add(o, "billing", billing);
	if (!r) {
		static const char *const p[] = { "code", "name", "trial", "auto_renew", "upgradable" };
		static const char *const u[] = { "seats_in_subscription", "seats_in_use", "max_seats_used", "seats_owed" };
		static const char *const b[] = { "subscription_start_date", "subscription_end_date", "trial_ends_on" };
		for (size_t i = 0; i < 5; i++)
			json_object_object_add(plan, p[i], NULL);
		for (size_t i = 0; i < 4; i++)
			json_object_object_add(usage, u[i], NULL);
		for (size_t i = 0; i < 3; i++)
			json_object_object_add(billing, b[i], NULL);
		return o;
	}
	const char *code = PQgetisnull(r, 0, 0) ? NULL : PQgetvalue(r, 0, 0);
	bool trial = col_flag(r, 2), expired = col_flag(r, 10);
	long long seats = col_int(r, 4, 0), in_use = col_int(r, 5, 0), max_used = col_int(r, 6, 0);
	bool paid = false;
	for (size_t i = 0; code && i < sizeof paid_plans / sizeof paid_plans[0]; i++)
		paid = paid || strcmp(code, paid_plans[i]) == 0;
	paid = paid && !trial && seats > 0;	/* has_a_paid_hosted_plan? */

	json_object_object_add(plan, "code", col_json_string(r, 0));
	json_object_object_add(plan, "name", col_json_string(r, 1));
	json_object_object_add(plan, "trial", json_object_new_boolean(trial));
	json_object_object_add(plan, "auto_renew",
			       PQgetisnull(r, 0, 3) ? NULL : json_object_new_boolean(col_flag(r, 3)));
	json_object_object_add(plan, "upgradable",
			       json_object_new_boolean(paid && !expired && strcmp(code, TOP_PLAN) != 0));
	json_object_object_add(usage, "seats_in_subscription", json_object_new_int64(seats));
	json_object_object_add(usage, "seats_in_use", json_object_new_int64(in_use));
	json_object_object_add(usage, "max_seats_used", json_object_new_int64(max_used));
	json_object_object_add(usage, "seats_owed", json_object_new_int64(paid && max_used > seats ? max_used - seats : 0));
	json_object_object_add(billing, "subscription_start_date", col_json_string(r, 7));
	json_object_object_add(billing, "subscription_end_date", col_json_string(r, 8));
	json_object_object_add(billing, "trial_ends_on", col_json_string(r, 9));
	return o;
}

/* The given attributes, checked as Grape does, into a JSON object of
 * normalised values (JSON null for nil); false when refused (answered). */
struct sub_attrs {
	json_object *changes;
	bool seats_nil, start_date_nil, has_plan;
	const char *plan;	/* NULL: nil (the free plan) */
};

static bool attrs_parse(struct request *req, struct response *res, bool create, struct sub_attrs *a)
{
	static const char *const dates[] = { "start_date", "end_date", "trial_ends_on", "trial_starts_on" };
	struct grape_errors errs = { .len = 0 };
	struct grape_value v;
	char date[11];
	long long n;
	bool b;

	memset(a, 0, sizeof *a);
	a->changes = json_object_new_object();
	if (!a->changes)
		return false;
	/* Grape's declaration order: start_date, end_date, plan_code, seats,
	 * max_seats_used, auto_renew, trial, trial_ends_on, trial_starts_on,
	 * trial_extension_type. */
	for (size_t i = 0; i < 4; i++) {
		if (i == 2) {
			grape_param(req, "plan_code", &v);
			if (v.kind == GV_NULL) {
				a->has_plan = true;	/* nil: the free plan */
				json_object_object_add(a->changes, "plan_code", json_object_new_string("free"));
			} else if (v.kind == GV_STRING || v.kind == GV_INT) {
				a->has_plan = true;
				a->plan = arena_strndup(req->arena, v.s, v.len);
				json_object_object_add(a->changes, "plan_code", json_object_new_string_len(v.s, (int)v.len));
			} else if (v.kind != GV_ABSENT) {
				grape_error(&errs, "plan_code", "is invalid");
			}
			static const char *const ints[] = { "seats", "max_seats_used" };
			for (size_t k = 0; k < 2; k++) {
				grape_param(req, ints[k], &v);
				switch (grape_int(&v, &n)) {
				case GC_INVALID: grape_error(&errs, ints[k], "is invalid"); break;
				case GC_NIL:
					json_object_object_add(a->changes, ints[k], NULL);
					if (k == 0)
						a->seats_nil = true;
					break;
				case GC_OK: json_object_object_add(a->changes, ints[k], json_object_new_int64(n)); break;
				}
			}
			static const char *const bools[] = { "auto_renew", "trial" };
			for (size_t k = 0; k < 2; k++) {
				grape_param(req, bools[k], &v);
				switch (grape_bool(&v, &b)) {
				case GC_INVALID: grape_error(&errs, bools[k], "is invalid"); break;
				case GC_NIL: json_object_object_add(a->changes, bools[k], NULL); break;
				case GC_OK: json_object_object_add(a->changes, bools[k], json_object_new_boolean(b)); break;
				}
			}
		}
		grape_param(req, dates[i], &v);
		switch (grape_date(&v, date)) {
		case GC_ABSENT:
			if (i == 0 && create)
				grape_error(&errs, "start_date", "is missing");
			break;
		case GC_INVALID: grape_error(&errs, dates[i], "is invalid"); break;
		case GC_NIL:
			json_object_object_add(a->changes, dates[i], NULL);
			if (i == 0)
				a->start_date_nil = true;
			break;
		case GC_OK: json_object_object_add(a->changes, dates[i], json_object_new_string(date)); break;
		}
	}
	grape_param(req, "trial_extension_type", &v);
	switch (grape_int(&v, &n)) {
	case GC_INVALID: grape_error(&errs, "trial_extension_type", "is invalid"); break;
	case GC_NIL: json_object_object_add(a->changes, "trial_extension_type", NULL); break;
	case GC_OK:
		if (n != 1 && n != 2)	/* GitlabSubscription's enum: extended, reactivated */
			grape_error(&errs, "trial_extension_type", "does not have a valid value");
		else
			json_object_object_add(a->changes, "trial_extension_type", json_object_new_int64(n));
		break;
	}
	if (errs.len) {
		json_object_put(a->changes);
		a->changes = NULL;
		response_error(res, 400, errs.text);
		return false;
	}
	/* A trial starts with the subscription unless told otherwise. */
	json_object *trial = NULL, *start = NULL;
	if (json_object_object_get_ex(a->changes, "trial", &trial) && json_object_get_boolean(trial) &&
	    !json_object_object_get_ex(a->changes, "trial_starts_on", NULL)) {
		json_object_object_get_ex(a->changes, "start_date", &start);
		json_object_object_add(a->changes, "trial_starts_on", start ? json_object_get(start) : NULL);
	}
	return true;
}

/* render_validation_error!: {"message":{"seats":["can't be blank"]}}. */
static bool attrs_blank(struct response *res, const struct sub_attrs *a)
{
	if (!a->seats_nil && !a->start_date_nil)
		return false;
	json_object *o = json_object_new_object(), *m = json_object_new_object();
	if (!o || !m) {
		json_object_put(o);
		json_object_put(m);
		return true;
	}
	if (a->seats_nil) {
		json_object *l = json_object_new_array();
		json_object_array_add(l, json_object_new_string("can't be blank"));
		json_object_object_add(m, "seats", l);
	}
	if (a->start_date_nil) {
		json_object *l = json_object_new_array();
		json_object_array_add(l, json_object_new_string("can't be blank"));
		json_object_object_add(m, "start_date", l);
	}
	json_object_object_add(o, "message", m);
	response_json(res, 400, o);
	return true;
}

/* The namespace of ":id", answered 404 when there is none. */
static bool find_or_404(struct request *req, struct response *res, struct app *app, struct namespace_ref *ns)
{
	return namespace_find(res, app, req->path_params[0], ns, "404 Namespace Not Found");
}

/* A plan_code must name a plan; GitLab would store no plan at all. */
static bool plan_known(struct response *res, struct app *app, const struct sub_attrs *a)
{
	if (!a->has_plan || !a->plan)
		return true;
	const char *params[] = { a->plan };
	PGresult *r = api_query(app, &subscription_plan, params, res);
	if (!r)
		return false;
	bool known = PQntuples(r) == 1;
	PQclear(r);
	if (!known)
		response_error(res, 400, "plan_code does not have a valid value");
	return known;
}

/* Runs a statement over (namespace id, changes) and answers with the entity;
 * 0 rows when nothing matched (answered by the caller). */
static int run_entity(struct app *app, struct response *res, const struct db_stmt *stmt, long long ns_id,
		      const char *changes, int status)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", ns_id);
	const char *params[] = { id, changes };
	PGresult *r = api_query(app, stmt, params, res);
	if (!r)
		return -1;
	int n = PQntuples(r);
	if (n == 1)
		response_json(res, status, subscription_entity(r));
	PQclear(r);
	return n;
}

void api_subscription_show(struct request *req, struct response *res, struct app *app)
{
	struct namespace_ref ns;
	if (!find_or_404(req, res, app, &ns))
		return;
	if (run_entity(app, res, &subscription_show, ns.id, NULL, 200) == 0)
		response_json(res, 200, subscription_entity(NULL));
}

/* What POST and PUT do first, in GitLab's order: the parameters, then the
 * administrator, then the namespace. The changes as JSON text, or NULL
 * with the response written. */
static const char *write_preamble(struct request *req, struct response *res, struct app *app, bool create,
				  struct sub_attrs *a, struct namespace_ref *ns)
{
	if (!attrs_parse(req, res, create, a))
		return NULL;
	size_t len;
	const char *changes = response_json_text(req->arena, a->changes, &len);
	json_object_put(a->changes);
	if (!changes) {
		response_status(res, 500);
		return NULL;
	}
	if (!api_authenticate_admin(req, res, app) || !find_or_404(req, res, app, ns))
		return NULL;
	return changes;
}

void api_subscription_create(struct request *req, struct response *res, struct app *app)
{
	struct sub_attrs a;
	struct namespace_ref ns;
	const char *changes = write_preamble(req, res, app, true, &a, &ns);

	if (!changes)
		return;
	if (!ns.top_level) {
		response_message(res, 400, "400 Bad request - Namespace must be a top-level namespace");
		return;
	}
	if (attrs_blank(res, &a) || !plan_known(res, app, &a))
		return;
	if (run_entity(app, res, &subscription_create, ns.id, changes, 201) == 0)
		response_json(res, 400, json_tokener_parse("{\"message\":{\"namespace_id\":[\"has already been taken\"]}}"));
}

void api_subscription_update(struct request *req, struct response *res, struct app *app)
{
	struct sub_attrs a;
	struct namespace_ref ns;
	const char *changes = write_preamble(req, res, app, false, &a, &ns);

	if (!changes)
		return;
	if (a.seats_nil || a.start_date_nil) {
		/* GitLab finds the subscription before it validates the update. */
		int n = run_entity(app, res, &subscription_show, ns.id, NULL, 200);
		if (n == 0)
			response_message(res, 404, "404 GitlabSubscription Not Found");
		if (n != 1)
			return;
		attrs_blank(res, &a);
		return;
	}
	if (!plan_known(res, app, &a))
		return;
	if (run_entity(app, res, &subscription_update, ns.id, changes, 200) == 0)
		response_message(res, 404, "404 GitlabSubscription Not Found");
}
