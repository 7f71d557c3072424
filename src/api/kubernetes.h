/* What the Kubernetes agent server's endpoints share: the agent behind the
 * Authorization header. */
#ifndef GLIA_API_KUBERNETES_H
#define GLIA_API_KUBERNETES_H

struct request;
struct response;
struct app;
struct db_stmt;

struct kas_agent {
	long long id;
	const char *name;
	long long project_id;
};

/* The agent of the request's "Authorization: Bearer <token>" (or, without
 * Authorization, "Gitlab-Agentk-Api-Request: <token>"), found by the
 * token's digest among tokens not revoked; its last_used_at is refreshed
 * (at most every 10 minutes). Returns 0, or -1 after writing the refusal
 * (401 as GitLab 14.1) or the database failure. */
int kas_agent_find(struct request *req, struct app *app, struct kas_agent *agent, struct response *res);

/* The statements of kubernetes_alert.c, kubernetes_usage.c and
 * kubernetes_config.c, which kubernetes.c lists with its own. */
extern const struct db_stmt kas_alert_create, kas_usage_add, kas_agent_configure;

#endif
