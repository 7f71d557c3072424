/* POST /internal/kubernetes/usage_metrics: what kas counted since its last
 * report. Current GitLab's shape (lib/api/internal/kubernetes.rb):
 *
 *   {"counters": {"k8s_api_proxy_request": 3, ...},
 *    "unique_counters": {"flux_git_push_notified_unique_projects": [7, 9], ...}}
 *
 * and GitLab 14.1's flat one, {"gitops_sync_count": 1,
 * "k8s_api_proxy_request_count": 2}, which still works. Counters are added
 * to (GitLab: Redis INCRBY); unique counters keep the distinct ids per
 * event and UTC day (GitLab: a HyperLogLog per event and week). Every value
 * is checked before anything is written, and all is written in one
 * statement: a bad report writes nothing.
 *
 * POST /internal/kubernetes/agent_events (current GitLab): events that kas
 * saw, {"events": {"k8s_api_proxy_requests_unique_users_via_ci_access":
 * [{"user_id": 7, "project_id": 9}], "register_agent_at_kas": [{...}]}}.
 * GitLab hands each to Gitlab::InternalEvents.track_event (product
 * analytics and Service Ping counters, which no internal API reads) and
 * stores nothing else, so glia checks them as Grape's params block does,
 * answers 204 and keeps nothing. */
#include "config.h"
#include "api/api.h"
#include "api/kubernetes.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* $1 a JSON object of counter → count > 0, $2 one of unique counter →
 * array of ids; both checked here. A total past 2^63 - 1 is SQLSTATE
 * 22003, which api_query answers 400: then neither is written. */
const struct db_stmt kas_usage_add = {
	"kas_usage_add",
	"WITH counted AS (INSERT INTO kubernetes_usage_counters AS c (event, count)"
	" SELECT key, value::bigint FROM jsonb_each_text($1::jsonb)"
	" ON CONFLICT (event) DO UPDATE SET count = c.count + EXCLUDED.count, updated_at = now() RETURNING 1)"
	" INSERT INTO kubernetes_usage_unique_ids (event, day, id)"
	" SELECT DISTINCT u.key, (now() AT TIME ZONE 'UTC')::date, v.id::bigint"
	" FROM jsonb_each($2::jsonb) u, jsonb_array_elements_text(u.value) v (id)"
	" ON CONFLICT DO NOTHING",
	2, false,
};

/* The counters current GitLab declares, then 14.1's gitops_sync (sent as
 * gitops_sync_count at the top level, as is k8s_api_proxy_request_count). */
static const char *const counter_names[] = {
	"k8s_api_proxy_request",
	"flux_git_push_notifications_total",
	"k8s_api_proxy_requests_via_ci_access",
	"k8s_api_proxy_requests_via_user_access",
	"k8s_api_proxy_requests_via_pat_access",
	"gitops_sync",
};
#define N_COUNTERS (sizeof counter_names / sizeof counter_names[0])

static const char *const unique_names[] = {
	"k8s_api_proxy_requests_unique_users_via_ci_access",
	"k8s_api_proxy_requests_unique_users_via_user_access",
	"k8s_api_proxy_requests_unique_users_via_pat_access",
	"k8s_api_proxy_requests_unique_agents_via_ci_access",
	"k8s_api_proxy_requests_unique_agents_via_user_access",
	"k8s_api_proxy_requests_unique_agents_via_pat_access",
	"flux_git_push_notified_unique_projects",
};
#define N_UNIQUE (sizeof unique_names / sizeof unique_names[0])

static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Grape's Integer: a JSON integer or a decimal string; not a float, "12abc",
 * "", null, true or an array, nor what does not fit 64 bits. */
static bool json_integer(json_object *v, long long *out)
{
	if (json_object_is_type(v, json_type_int)) {
		const char *s = json_object_get_string(v);
		return parse_int64(s, strlen(s), out) == 0;
	}
	if (json_object_is_type(v, json_type_string))
		return parse_int64(json_object_get_string(v), (size_t)json_object_get_string_len(v), out) == 0;
	return false;
}

/* A count to add: an error written, false, when it is not an integer or is
 * negative (GitLab's KubernetesAgentCounter raises ArgumentError, which the
 * endpoint answers 400 with its message), or the total would overflow. */
static bool add_count(struct response *res, long long *total, const char *name, long long n)
{
	char msg[160];
	if (n < 0) {
		snprintf(msg, sizeof msg, "400 Bad request - %s count must be greater than or equal to zero", name);
		response_message(res, 400, msg);
		return false;
	}
	if (__builtin_add_overflow(*total, n, total)) {
		response_message(res, 400, "400 Bad request - invalid value");
		return false;
	}
	return true;
}

/* 14.1's flat parameters: gitops_sync_count, k8s_api_proxy_request_count. */
static bool read_flat(struct request *req, struct response *res, long long *totals)
{
	static const char *const params[] = { "gitops_sync_count", "k8s_api_proxy_request_count" };
	static const char *const events[] = { "gitops_sync", "k8s_api_proxy_request" };
	struct grape_errors invalid = { .len = 0 };
	long long n[2] = { 0, 0 };

	for (int i = 0; i < 2; i++)
		grape_optional(&invalid, params[i], param_integer(req, params[i], &n[i]));
	if (invalid.len) {
		response_error(res, 400, invalid.text);
		return false;
	}
	for (int i = 0; i < 2; i++)
		if (!add_count(res, &totals[name_index(counter_names, N_COUNTERS, events[i])], events[i], n[i]))
			return false;
	return true;
}

/* An object parameter of known names, or absent; the error written, false,
 * when it is not an object or names something unknown. */
static bool known_object(struct request *req, struct response *res, const char *param, const char *const *names,
			 size_t n, json_object **out)
{
	int st = param_object(req, param, out);
	if (st == PARAM_ABSENT)
		return true;
	if (st == PARAM_INVALID) {
		response_error(res, 400, arena_printf(req->arena, "%s is invalid", param));
		return false;
	}
	json_object_object_foreach(*out, key, val) {
		(void)val;
		if (name_index(names, n, key) < 0) {
			response_error(res, 400, arena_printf(req->arena, "%s[%s] is not a known counter", param, key));
			return false;
		}
	}
	return true;
}

static bool read_counters(struct request *req, struct response *res, long long *totals)
{
	json_object *counters;
	if (!known_object(req, res, "counters", counter_names, N_COUNTERS, &counters))
		return false;
	if (!counters)
		return true;
	json_object_object_foreach(counters, key, val) {
		long long n;
		if (json_object_is_type(val, json_type_null))
			continue;	/* an optional counter not given */
		if (!json_integer(val, &n)) {
			response_error(res, 400, arena_printf(req->arena, "counters[%s] is invalid", key));
			return false;
		}
		if (!add_count(res, &totals[name_index(counter_names, N_COUNTERS, key)], key, n))
			return false;
	}
	return true;
}

/* The unique counters, each an array of positive integer ids (or null),
 * checked; *out is the request's object (NULL when none was given). */
static bool read_unique(struct request *req, struct response *res, json_object **out)
{
	json_object *unique;
	*out = NULL;
	if (!known_object(req, res, "unique_counters", unique_names, N_UNIQUE, &unique))
		return false;
	if (!unique)
		return true;
	json_object_object_foreach(unique, key, val) {
		if (json_object_is_type(val, json_type_null))
			continue;
		bool ok = json_object_is_type(val, json_type_array);
		size_t len = ok ? json_object_array_length(val) : 0;
		for (size_t i = 0; ok && i < len; i++) {
			long long id;
			ok = json_integer(json_object_array_get_idx(val, i), &id) && id > 0;
		}
		if (!ok) {
			response_error(res, 400, arena_printf(req->arena, "unique_counters[%s] is invalid", key));
			return false;
		}
	}
	*out = unique;
	return true;
}

void api_kubernetes_usage_metrics(struct request *req, struct response *res, struct app *app)
{
	long long totals[N_COUNTERS] = { 0 };
	json_object *unique;

	if (!read_flat(req, res, totals) || !read_counters(req, res, totals) || !read_unique(req, res, &unique))
		return;
	/* What to write, as JSON that glia wrote itself from checked values:
	 * the counters that add something, the unique counters with ids. */
	json_object *counts = json_object_new_object(), *ids = json_object_new_object();
	bool any = false;
	for (size_t i = 0; counts && i < N_COUNTERS; i++)
		if (totals[i] > 0) {
			json_object_object_add(counts, counter_names[i], json_object_new_int64(totals[i]));
			any = true;
		}
	if (unique) {
		json_object_object_foreach(unique, key, val) {
			if (ids && json_object_is_type(val, json_type_array) && json_object_array_length(val) > 0) {
				json_object_object_add(ids, key, json_object_get(val));
				any = true;
			}
		}
	}
	const char *params[] = {
		counts ? json_object_to_json_string_ext(counts, JSON_C_TO_STRING_PLAIN) : NULL,
		ids ? json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN) : NULL,
	};
	/* Out of memory: the response's default 500 stands. A report that
	 * adds nothing needs no statement. */
	bool ok = params[0] && params[1];
	PGresult *r = ok && any ? api_query(app, &kas_usage_add, params, res) : NULL;
	if (ok && any)
		ok = r != NULL;
	PQclear(r);
	json_object_put(counts);
	json_object_put(ids);
	if (ok)
		response_no_content(res);
}

/* The fields of an event that GitLab's params block declares (others are
 * ignored, as Grape does): Integer, String (Grape also takes a number or a
 * boolean as a String, not an array or an object) or a Hash of fields. */
enum event_field_type { FIELD_INTEGER, FIELD_STRING, FIELD_HASH };
struct event_field {
	const char *name;
	enum event_field_type type;
	const struct event_field *fields;	/* of a FIELD_HASH */
};

static const struct event_field user_event_fields[] = {
	{ "user_id", FIELD_INTEGER, NULL },
	{ "project_id", FIELD_INTEGER, NULL },
	{ NULL, 0, NULL },
};
static const struct event_field telemetry_fields[] = {
	{ "installation_method", FIELD_STRING, NULL },
	{ "helm_chart_version", FIELD_STRING, NULL },
	{ NULL, 0, NULL },
};
static const struct event_field register_fields[] = {
	{ "project_id", FIELD_INTEGER, NULL },
	{ "agent_version", FIELD_STRING, NULL },
	{ "architecture", FIELD_STRING, NULL },
	{ "agent_id", FIELD_INTEGER, NULL },
	{ "kubernetes_version", FIELD_STRING, NULL },
	{ "extra_telemetry_data", FIELD_HASH, telemetry_fields },
	{ NULL, 0, NULL },
};
static const struct {
	const char *name;
	const struct event_field *fields;
} event_lists[] = {
	{ "k8s_api_proxy_requests_unique_users_via_ci_access", user_event_fields },
	{ "k8s_api_proxy_requests_unique_users_via_user_access", user_event_fields },
	{ "k8s_api_proxy_requests_unique_users_via_pat_access", user_event_fields },
	{ "register_agent_at_kas", register_fields },
};

/* The first declared field of obj (fields of a Hash field included) whose
 * value has not its type, as the end of Grape's name for it ("[user_id]",
 * "[extra_telemetry_data][helm_chart_version]"), or NULL when all have. A
 * null field is an optional one not given. */
static const char *event_field_bad(struct request *req, json_object *obj, const struct event_field *fields)
{
	for (const struct event_field *f = fields; f->name; f++) {
		json_object *v;
		long long n;
		const char *inner = NULL;
		if (!json_object_object_get_ex(obj, f->name, &v) || json_object_is_type(v, json_type_null))
			continue;
		bool ok = false;
		switch (f->type) {
		case FIELD_INTEGER:
			ok = json_integer(v, &n);
			break;
		case FIELD_STRING:
			ok = !json_object_is_type(v, json_type_array) && !json_object_is_type(v, json_type_object);
			break;
		case FIELD_HASH:
			ok = json_object_is_type(v, json_type_object) && !(inner = event_field_bad(req, v, f->fields));
			break;
		}
		if (!ok) {
			const char *name = arena_printf(req->arena, "[%s]%s", f->name, inner ? inner : "");
			return name ? name : "";
		}
	}
	return NULL;
}

void api_kubernetes_agent_events(struct request *req, struct response *res, struct app *app)
{
	(void)app;
	/* optional :events, type: Hash */
	json_object *events;
	if (param_object(req, "events", &events) == PARAM_INVALID) {
		response_error(res, 400, "events is invalid");
		return;
	}
	for (size_t i = 0; events && i < sizeof event_lists / sizeof event_lists[0]; i++) {
		json_object *list;
		if (!json_object_object_get_ex(events, event_lists[i].name, &list) ||
		    json_object_is_type(list, json_type_null))
			continue;
		/* type: Array of Hashes; a null element is skipped, as GitLab's
		 * `next if event.blank?` does. */
		bool ok = json_object_is_type(list, json_type_array);
		size_t len = ok ? json_object_array_length(list) : 0, j;
		const char *bad = NULL;
		for (j = 0; ok && !bad && j < len; j++) {
			json_object *event = json_object_array_get_idx(list, j);
			if (!json_object_is_type(event, json_type_null))
				ok = json_object_is_type(event, json_type_object) &&
				     !(bad = event_field_bad(req, event, event_lists[i].fields));
		}
		const char *msg = NULL;
		if (bad)
			msg = arena_printf(req->arena, "events[%s][%zu]%s is invalid", event_lists[i].name, j - 1, bad);
		else if (!ok)
			msg = arena_printf(req->arena, "events[%s] is invalid", event_lists[i].name);
		else
			continue;
		if (msg)
			response_error(res, 400, msg);
		else
			response_status(res, 500);
		return;
	}
	response_no_content(res);
}
