/* POST /internal/kubernetes/modules/cilium_alert: an alert that the agent
 * derived from Cilium, stored against the agent's project (EE's
 * AlertManagement::NetworkAlertService). agentk posts {"alert": {"flow":
 * <Hubble flow>, "ciliumNetworkPolicy": <policy>}}, which GitLab reads with
 * Payload::Cilium: the title is the policy's metadata.name ("New: Alert"
 * without one), the description the flow's dropReasonDesc. The reference's
 * example is a generic payload (title, description or message), read as
 * such when the Cilium fields are absent. An open alert with the same
 * fingerprint counts one more event. */
#include "config.h"
#include "api/api.h"
#include "api/kubernetes.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* GitLab's: app/models/alert_management/alert.rb validates title with
 * length maximum 200 and description with maximum 1_000. */
#define ALERT_TITLE_MAX 200
#define ALERT_DESCRIPTION_MAX 1000

/* $1 project, $2 agent, $3 title, $4 description, $5 severity,
 * $6 fingerprint as given (hashed here), $7 payload, $8 monitoring tool. */
const struct db_stmt kas_alert_create = {
	"kas_alert_create",
	"INSERT INTO alert_management_alerts AS a (project_id, cluster_agent_id, title, description, severity,"
	" fingerprint, payload, monitoring_tool)"
	" VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::text IS NULL THEN NULL"
	" ELSE encode(sha256(convert_to($6::text, 'UTF8')), 'hex') END, $7::jsonb, $8)"
	" ON CONFLICT (project_id, fingerprint) WHERE status <> 2 AND fingerprint IS NOT NULL"
	" DO UPDATE SET events = a.events + 1, payload = EXCLUDED.payload RETURNING id",
	8, false,
};

/* GitLab's severities in the order of its enum; anything else is critical. */
static const char *const severities[] = { "critical", "high", "medium", "low", "info", "unknown" };

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A string field of the payload at the path of keys (NULL-terminated):
 * NULL when absent or null, or when a step on the way is not an object;
 * *bad when present but not a string, or longer than max characters. */
static const char *text_at(json_object *alert, const char *const *path, size_t max, bool *bad)
{
	json_object *v = alert;
	for (; *path; path++)
		if (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, *path, &v))
			return NULL;
	if (json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, json_type_string) || utf8_chars(json_object_get_string(v)) > max) {
		*bad = true;
		return NULL;
	}
	return json_object_get_string(v);
}

static const char *text_field(json_object *alert, const char *key, size_t max, bool *bad)
{
	const char *path[] = { key, NULL };
	return text_at(alert, path, max, bad);
}

/* Payload::Cilium's title: the policy's name, else (the reference's generic
 * payload) title, else DEFAULT_TITLE. */
static const char *alert_title(json_object *alert, bool *bad)
{
	static const char *const policy_name[] = { "ciliumNetworkPolicy", "metadata", "name", NULL };
	const char *title = text_at(alert, policy_name, ALERT_TITLE_MAX, bad);
	if (!title && !*bad)
		title = text_field(alert, "title", ALERT_TITLE_MAX, bad);
	return title ? title : "New: Alert";
}

/* Payload::Cilium's description: the flow's dropReasonDesc, else the
 * generic description, else Grafana's message. */
static const char *alert_description(json_object *alert, bool *bad)
{
	static const char *const drop_reason[] = { "flow", "dropReasonDesc", NULL };
	const char *d = text_at(alert, drop_reason, ALERT_DESCRIPTION_MAX, bad);
	if (!d && !*bad)
		d = text_field(alert, "description", ALERT_DESCRIPTION_MAX, bad);
	if (!d && !*bad)
		d = text_field(alert, "message", ALERT_DESCRIPTION_MAX, bad);
	return d;
}

static void bad_payload(struct response *res, const char *why)
{
	char msg[160];
	snprintf(msg, sizeof msg, "400 Bad request - %s", why);
	response_message(res, 400, msg);
}

void api_kubernetes_cilium_alert(struct request *req, struct response *res, struct app *app)
{
	struct kas_agent agent;
	bool bad = false;

	if (kas_agent_find(req, app, &agent, res) < 0)
		return;
	/* requires :alert, type: Hash */
	json_object *alert;
	switch (param_object(req, "alert", &alert)) {
	case PARAM_ABSENT:
		response_error(res, 400, "alert is missing");
		return;
	case PARAM_INVALID:
		response_error(res, 400, "alert is invalid");
		return;
	}
	const char *title = alert_title(alert, &bad);
	/* AlertManagement::Alert validates a present title of at most 200. */
	if (bad || str_blank(title)) {
		bad_payload(res, bad ? "title must be a string of at most 200 characters" : "title is missing");
		return;
	}
	const char *description = alert_description(alert, &bad);
	if (bad) {
		bad_payload(res, "description must be a string of at most 1000 characters");
		return;
	}
	int severity = 0;
	json_object *v;
	if (json_object_object_get_ex(alert, "severity", &v) && json_object_is_type(v, json_type_string))
		for (int i = 0; i < (int)(sizeof severities / sizeof severities[0]); i++)
			if (strcasecmp(json_object_get_string(v), severities[i]) == 0)
				severity = i;
	/* The fingerprint may be any JSON value; its text is hashed. */
	const char *fingerprint = NULL;
	if (json_object_object_get_ex(alert, "fingerprint", &v) && !json_object_is_type(v, json_type_null))
		fingerprint = json_object_is_type(v, json_type_string)
			? json_object_get_string(v)
			: json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	const char *payload = json_object_to_json_string_ext(alert, JSON_C_TO_STRING_PLAIN);

	char project_id[24], agent_id[24], severity_text[12];
	snprintf(project_id, sizeof project_id, "%lld", agent.project_id);
	snprintf(agent_id, sizeof agent_id, "%lld", agent.id);
	snprintf(severity_text, sizeof severity_text, "%d", severity);
	/* Payload::Cilium's monitoring_tool, whatever the payload says. */
	const char *params[] = { project_id, agent_id, title, description, severity_text, fingerprint, payload,
				 "Cilium" };
	PGresult *r = api_query(app, &kas_alert_create, params, res);
	if (!r)
		return;
	PQclear(r);
	/* The endpoint ends in `status result.http_status`: Grape sends that
	 * number as the body. */
	response_json(res, 200, json_object_new_int(200));
}
