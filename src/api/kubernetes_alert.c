/* POST /internal/kubernetes/modules/cilium_alert: an alert that the agent
 * derived from Cilium, in GitLab's generic alert payload format, stored
 * against the agent's project (EE's AlertManagement::NetworkAlertService).
 * An open alert with the same fingerprint counts one more event. */
#include "config.h"
#include "api/api.h"
#include "api/kubernetes.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* GitLab's AlertManagement::Alert limits. */
#define ALERT_TITLE_MAX 200
#define ALERT_DESCRIPTION_MAX 1000
#define ALERT_TOOL_MAX 100

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

/* A string field of the payload: NULL when absent; *bad when present but
 * not a string, or longer than max characters. */
static const char *text_field(json_object *alert, const char *key, size_t max, bool *bad)
{
	json_object *v;
	if (!json_object_object_get_ex(alert, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, json_type_string) || utf8_chars(json_object_get_string(v)) > max) {
		*bad = true;
		return NULL;
	}
	return json_object_get_string(v);
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
	const struct param *p = request_param(req, "alert");
	if (!p) {
		response_error(res, 400, "alert is missing");
		return;
	}
	if (p->type != PARAM_OBJECT || !p->json) {
		response_error(res, 400, "alert is invalid");
		return;
	}
	json_object *alert = p->json;
	const char *title = text_field(alert, "title", ALERT_TITLE_MAX, &bad);
	if (bad || !title || str_blank(title)) {
		bad_payload(res, bad ? "title must be a string of at most 200 characters" : "title is missing");
		return;
	}
	/* Generic payloads say description; Grafana-style ones say message. */
	const char *description = text_field(alert, "description", ALERT_DESCRIPTION_MAX, &bad);
	if (!description && !bad)
		description = text_field(alert, "message", ALERT_DESCRIPTION_MAX, &bad);
	if (bad) {
		bad_payload(res, "description must be a string of at most 1000 characters");
		return;
	}
	const char *tool = text_field(alert, "monitoring_tool", ALERT_TOOL_MAX, &bad);
	if (tool && !*tool)
		tool = NULL;
	if (bad) {
		bad_payload(res, "monitoring_tool must be a string of at most 100 characters");
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
	const char *params[] = { project_id, agent_id, title, description, severity_text, fingerprint, payload,
				 tool ? tool : "Cilium" };
	PGresult *r = api_query(app, &kas_alert_create, params, res);
	if (!r)
		return;
	PQclear(r);
	/* The endpoint ends in `status result.http_status`: Grape sends that
	 * number as the body. */
	response_json(res, 200, json_object_new_int(200));
}
