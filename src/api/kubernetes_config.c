/* POST /internal/kubernetes/agent_configuration: kas posts the
 * configuration file of an agent (agentk's ConfigurationFile as protojson,
 * so int64 ids come as strings) and GitLab keeps what the file authorizes
 * (current GitLab's lib/api/internal/kubernetes.rb, update_configuration):
 *
 *   {"agent_id": "7", "agent_config": {
 *     "ci_access": {"projects": [{"id": "group/project", "default_namespace": "prod"}],
 *                   "groups": [{"id": "group", "environments": ["production"]}]},
 *     "user_access": {"access_as": {"agent": {}}, "projects": [{"id": "group/project"}],
 *                     "groups": [{"id": "group"}]}}}
 *
 * Each ci_access entry authorizes its project or group with the entry as
 * config (its id taken out); user_access authorizes its projects and groups
 * with {"access_as": ...}. Only the first 500 entries of a list count
 * (GitLab's AUTHORIZED_ENTITY_LIMIT); the rest are ignored, unread. Every
 * entry is checked first and all is replaced by one call of
 * glia_kas_agent_configure (db/migrations/0007): a refusal writes nothing.
 * GitLab answers a malformed file with a 500, possibly after replacing a
 * part of the authorizations; glia answers 400. */
#include "config.h"
#include "api/api.h"
#include "api/kubernetes.h"
#include "bounds.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* Entries of a list past this are ignored, as GitLab's .first(500). */
#define AUTHORIZED_ENTITY_LIMIT 500

/* $1 agent id, $2 ci_access and $3 user_access as checked here. True, or
 * false when there is no such agent. */
const struct db_stmt kas_agent_configure = {
	"kas_agent_configure",
	"SELECT glia_kas_agent_configure($1::bigint, $2::jsonb, $3::jsonb)",
	3, false,
};

/* GitLab's rescue of ActiveRecord::RecordNotFound, with its lower-case f. */
static const char not_found[] = "404 Not found";

static void out_of_memory(struct response *res)
{
	response_status(res, 500);
}

/* The entry without its id: a ci_access entry's config. */
static json_object *entry_config(json_object *entry)
{
	json_object *config = json_object_new_object();
	if (!config)
		return NULL;
	json_object_object_foreach(entry, key, val)
		if (strcmp(key, "id") != 0)
			json_object_object_add(config, key, json_object_get(val));
	return config;
}

/* A config as stored must be at most MAX_KAS_AGENT_CONFIG bytes of JSON:
 * every user_access row holds a copy of the same one, so the body's bound
 * is not enough. */
static bool config_small(struct request *req, json_object *config)
{
	size_t len;
	return response_json_text(req->arena, config, &len) && len <= MAX_KAS_AGENT_CONFIG;
}

/* What is wrong with an entry of a list, as the end of Grape's message, or
 * NULL; *id is its id. */
static const char *entry_bad(json_object *entry, json_object **id)
{
	*id = NULL;
	if (!json_object_is_type(entry, json_type_object))
		return " is invalid";
	if (!json_object_object_get_ex(entry, "id", id) || json_object_is_type(*id, json_type_null))
		return "[id] is missing";
	if (!json_object_is_type(*id, json_type_string))
		return "[id] is invalid";
	return NULL;
}

/* Checks agent_config[section][list] and puts its first
 * AUTHORIZED_ENTITY_LIMIT entries in out[list] as {"id": ...} (ci_access:
 * {"id": ..., "config": ...}). False after writing the refusal. */
static bool read_list(struct request *req, struct response *res, json_object *section, const char *section_name,
		      const char *list_name, json_object *out)
{
	bool ci = strcmp(section_name, "ci_access") == 0;
	json_object *list = NULL, *entries = json_object_new_array();
	if (!entries) {
		out_of_memory(res);
		return false;
	}
	json_object_object_add(out, list_name, entries);
	if (section && json_object_object_get_ex(section, list_name, &list) && json_object_is_type(list, json_type_null))
		list = NULL;
	if (list && !json_object_is_type(list, json_type_array)) {
		response_error(res, 400, arena_printf(req->arena, "agent_config[%s][%s] is invalid", section_name,
						      list_name));
		return false;
	}
	size_t n = list ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n && i < AUTHORIZED_ENTITY_LIMIT; i++) {
		json_object *entry = json_object_array_get_idx(list, i), *id, *e, *config = NULL;
		const char *bad = entry_bad(entry, &id);
		if (!bad) {
			if (!(e = json_object_new_object()) || (ci && !(config = entry_config(entry)))) {
				json_object_put(e);
				out_of_memory(res);
				return false;
			}
			json_object_object_add(e, "id", json_object_get(id));
			if (ci)
				json_object_object_add(e, "config", config);
			json_object_array_add(entries, e);
			if (ci && !config_small(req, config))
				bad = " is too large";
		}
		if (bad) {
			response_error(res, 400, arena_printf(req->arena, "agent_config[%s][%s][%zu]%s", section_name,
							      list_name, i, bad));
			return false;
		}
	}
	return true;
}

/* agent_config[name] (ci_access or user_access), absent or an object, into
 * out[name]: its projects and groups, and for user_access the config of
 * every row, {"access_as": ...} ({} without one), as GitLab's
 * config['user_access'].slice('access_as'). */
static bool read_section(struct request *req, struct response *res, json_object *agent_config, const char *name,
			 json_object *out)
{
	json_object *section = NULL, *o = json_object_new_object();
	if (!o) {
		out_of_memory(res);
		return false;
	}
	json_object_object_add(out, name, o);
	if (json_object_object_get_ex(agent_config, name, &section) && json_object_is_type(section, json_type_null))
		section = NULL;
	if (section && !json_object_is_type(section, json_type_object)) {
		response_error(res, 400, arena_printf(req->arena, "agent_config[%s] is invalid", name));
		return false;
	}
	if (!read_list(req, res, section, name, "projects", o) || !read_list(req, res, section, name, "groups", o))
		return false;
	if (strcmp(name, "user_access") != 0)
		return true;
	json_object *config = json_object_new_object(), *access_as;
	if (!config) {
		out_of_memory(res);
		return false;
	}
	json_object_object_add(o, "config", config);
	if (section && json_object_object_get_ex(section, "access_as", &access_as))
		json_object_object_add(config, "access_as", json_object_get(access_as));
	if (!config_small(req, config)) {
		response_error(res, 400, "agent_config[user_access][access_as] is too large");
		return false;
	}
	return true;
}

/* requires :agent_id, type: Integer and :agent_config, type: JSON (an
 * object, or a string holding one, which *owned then holds). Grape names
 * every failing parameter; false after writing that. */
static bool read_params(struct request *req, struct response *res, long long *agent_id, json_object **agent_config,
			json_object **owned)
{
	struct grape_errors errors = { .len = 0 };
	grape_requires(&errors, "agent_id", param_integer(req, "agent_id", agent_id));
	grape_requires(&errors, "agent_config", param_json_object(req, "agent_config", agent_config, owned));
	if (errors.len) {
		response_error(res, 400, errors.text);
		return false;
	}
	return true;
}

void api_kubernetes_agent_configuration(struct request *req, struct response *res, struct app *app)
{
	long long agent_id = 0;
	json_object *agent_config = NULL, *owned = NULL, *checked = NULL;

	if (!read_params(req, res, &agent_id, &agent_config, &owned))
		goto done;
	/* Clusters::Agent.find: an id that no row can have is not found too. */
	if (agent_id <= 0) {
		response_message(res, 404, not_found);
		goto done;
	}
	checked = json_object_new_object();
	if (!checked) {
		out_of_memory(res);
		goto done;
	}
	if (!read_section(req, res, agent_config, "ci_access", checked) ||
	    !read_section(req, res, agent_config, "user_access", checked))
		goto done;

	char id[24];
	json_object *ci, *ua;
	size_t len;
	snprintf(id, sizeof id, "%lld", agent_id);
	json_object_object_get_ex(checked, "ci_access", &ci);
	json_object_object_get_ex(checked, "user_access", &ua);
	const char *params[] = { id, response_json_text(req->arena, ci, &len),
				 response_json_text(req->arena, ua, &len) };
	if (!params[1] || !params[2]) {
		out_of_memory(res);
		goto done;
	}
	PGresult *r = api_query(app, &kas_agent_configure, params, res);
	if (!r)
		goto done;
	bool found = col_flag(r, 0);
	PQclear(r);
	if (found)
		response_no_content(res);
	else
		response_message(res, 404, not_found);
done:
	json_object_put(checked);
	json_object_put(owned);
}
