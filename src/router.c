/* The route table: the one place that says which endpoints exist, how each
 * is authenticated, and which handler answers it. */
#include "config.h"
#include "api/api.h"
#include "bounds.h"
#include "conf.h"
#include "form.h"
#include "request.h"
#include "router.h"

#include <stdio.h>
#include <string.h>

const struct route routes[] = {
	{ "GET", "/-/liveness", AUTH_MONITORING, api_liveness, "liveness" },
	{ "GET", "/-/metrics", AUTH_MONITORING, api_metrics, "metrics" },
	{ "GET", "/-/readiness", AUTH_MONITORING, api_readiness, "readiness" },
	{ "POST", "/api/v4/internal/allowed", AUTH_SHELL, api_allowed, "allowed" },
	{ "GET", "/api/v4/internal/authorized_keys", AUTH_SHELL, api_authorized_keys, "authorized_keys" },
	{ "GET", "/api/v4/internal/check", AUTH_SHELL, api_check, "check" },
	{ "GET", "/api/v4/internal/discover", AUTH_SHELL, api_discover, "discover" },
	{ "POST", "/api/v4/internal/lfs_authenticate", AUTH_SHELL, api_lfs_authenticate, "lfs_authenticate" },
	{ "POST", "/api/v4/internal/personal_access_token", AUTH_SHELL, api_personal_access_token,
	  "personal_access_token" },
	{ "POST", "/api/v4/internal/post_receive", AUTH_SHELL, api_post_receive, "post_receive" },
	{ "POST", "/api/v4/internal/pre_receive", AUTH_SHELL, api_pre_receive, "pre_receive" },
	/* gitlab-shell v13.14–v14.9's 2fa_verify; v14.10 on calls the two below. */
	{ "POST", "/api/v4/internal/two_factor_otp_check", AUTH_SHELL, api_two_factor_otp_check,
	  "two_factor_otp_check" },
	{ "POST", "/api/v4/internal/two_factor_manual_otp_check", AUTH_SHELL, api_two_factor_otp_check,
	  "two_factor_manual_otp_check" },
	{ "POST", "/api/v4/internal/two_factor_push_otp_check", AUTH_SHELL, api_two_factor_push_otp_check,
	  "two_factor_push_otp_check" },
	{ "POST", "/api/v4/internal/two_factor_recovery_codes", AUTH_SHELL, api_two_factor_recovery_codes,
	  "two_factor_recovery_codes" },
	{ "PUT", "/api/v4/internal/upcoming_reconciliations", AUTH_ADMIN, api_upcoming_reconciliations,
	  "upcoming_reconciliations" },
	{ "POST", "/api/v4/internal/kubernetes/agent_configuration", AUTH_KAS, api_kubernetes_agent_configuration,
	  "kubernetes_agent_configuration" },
	{ "POST", "/api/v4/internal/kubernetes/agent_events", AUTH_KAS, api_kubernetes_agent_events,
	  "kubernetes_agent_events" },
	{ "GET", "/api/v4/internal/kubernetes/agent_info", AUTH_KAS, api_kubernetes_agent_info, "kubernetes_agent_info" },
	/* Current GitLab serves agent_info here too. */
	{ "GET", "/api/v4/internal/agents/agentk/agent_info", AUTH_KAS, api_kubernetes_agent_info,
	  "agentk_agent_info" },
	{ "POST", "/api/v4/internal/kubernetes/modules/cilium_alert", AUTH_KAS, api_kubernetes_cilium_alert,
	  "kubernetes_cilium_alert" },
	{ "GET", "/api/v4/internal/kubernetes/project_info", AUTH_KAS, api_kubernetes_project_info,
	  "kubernetes_project_info" },
	{ "POST", "/api/v4/internal/kubernetes/usage_metrics", AUTH_KAS, api_kubernetes_usage_metrics,
	  "kubernetes_usage_metrics" },
	{ "GET", "/api/v4/internal/kubernetes/verify_project_access", AUTH_KAS, api_kubernetes_verify_project_access,
	  "kubernetes_verify_project_access" },
	{ "GET", "/api/v4/namespaces/:id/gitlab_subscription", AUTH_ADMIN, api_subscription_show, "subscription" },
	/* GitLab validates these two's parameters before it authenticates
	 * (authenticated_as_admin! inside the endpoint, after Grape). */
	{ "POST", "/api/v4/namespaces/:id/gitlab_subscription", AUTH_ADMIN_IN_HANDLER, api_subscription_create,
	  "subscription" },
	{ "PUT", "/api/v4/namespaces/:id/gitlab_subscription", AUTH_ADMIN_IN_HANDLER, api_subscription_update,
	  "subscription" },
	{ "POST", "/api/v4/namespaces/:id/minutes", AUTH_ADMIN, api_minutes_create, "minutes" },
	{ "PATCH", "/api/v4/namespaces/:id/minutes/move/:target_id", AUTH_ADMIN, api_minutes_move, "minutes_move" },
};
const size_t n_routes = sizeof routes / sizeof routes[0];

/* schema = gitlab: what glia answers from GitLab's own tables (the
 * monitoring routes too). lfs_authenticate answers as an unserved route
 * does while db_key_base_file is not set (lfs.c). */
static const route_handler gitlab_served[] = { api_allowed, api_authorized_keys, api_check, api_discover,
					       api_lfs_authenticate };

bool router_serves(int schema, const struct route *route)
{
	if (schema != SCHEMA_GITLAB || route->auth == AUTH_MONITORING)
		return true;
	for (size_t i = 0; i < sizeof gitlab_served / sizeof gitlab_served[0]; i++)
		if (route->handler == gitlab_served[i])
			return true;
	return false;
}

const char *router_not_served_target(const char *value)
{
	if (!value || value[0] != '@')
		return NULL;
	size_t n = strspn(value + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
	return n > 0 && n < 64 && value[1 + n] == '\0' ? value : NULL;
}

const char *router_route_name(size_t i)
{
	return i < n_routes ? routes[i].name : "none";
}

/* Whether a decoded raw segment names something: none of its '/'-separated
 * parts is empty, "." or "..". */
static bool segment_clean(const char *s, size_t n)
{
	size_t part = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/') {
			part++;
			continue;
		}
		const char *p = s + i - part;
		if (part == 0 || (part == 1 && p[0] == '.') || (part == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		part = 0;
	}
	return true;
}

/* Matches path against pattern segment by segment; a ":name" segment takes
 * any non-empty segment but "." and "..". decode: path is req->raw_path, whose segments are
 * percent-decoded one at a time, so that a decoded slash stays in its
 * segment: only a ":name" can take it, and never with an empty, "." or
 * ".." part. Values go to vals when it is given. */
static bool pattern_match(const char *pattern, const char *path, bool decode, struct request *req,
			  const char **vals, size_t *n_vals)
{
	size_t nv = 0;
	while (*pattern && *path) {
		if (*pattern != '/' || *path != '/')
			return false;
		pattern++;
		path++;
		const char *pe = strchr(pattern, '/'), *se = strchr(path, '/');
		size_t pl = pe ? (size_t)(pe - pattern) : strlen(pattern);
		size_t sl = se ? (size_t)(se - path) : strlen(path);
		const char *seg = path;
		size_t seg_len = sl;
		/* A dot segment never matches: nginx resolves them, Apache's
		 * REQUEST_URI may still hold them. */
		if (decode && !(seg = percent_decode(req->arena, path, sl, false, &seg_len)))
			return false;
		if (!segment_clean(seg, seg_len))
			return false;
		if (pattern[0] == ':') {
			if (seg_len == 0 || nv >= 4)
				return false;
			if (vals) {
				vals[nv] = decode ? seg : arena_strndup(req->arena, path, sl);
				if (!vals[nv])
					return false;
			}
			nv++;
		} else if (pl != seg_len || memcmp(pattern, seg, pl) != 0) {
			return false;
		}
		pattern += pl;
		path += sl;
	}
	if (*pattern || *path)
		return false;
	if (n_vals)
		*n_vals = nv;
	return true;
}

enum route_result router_match(struct request *req, int schema, const struct route **out, char *allow,
			       size_t allow_len)
{
	const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
	bool path_known = false;

	if (allow_len)
		allow[0] = '\0';
	const char *path = req->raw_path ? req->raw_path : req->path;
	bool decode = req->raw_path != NULL;

	for (size_t i = 0; i < n_routes; i++) {
		if (!router_serves(schema, &routes[i]) || !pattern_match(routes[i].pattern, path, decode, req, NULL, NULL))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			if (!pattern_match(routes[i].pattern, path, decode, req, req->path_params, &req->n_path_params))
				return ROUTE_NOT_FOUND;
			*out = &routes[i];
			return ROUTE_FOUND;
		}
		path_known = true;
		size_t used = strlen(allow);
		snprintf(allow + used, allow_len - used, "%s%s%s", used ? ", " : "", routes[i].method,
			 strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
	}
	return path_known ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}
