/* The Kubernetes agent server's endpoints (GitLab's
 * lib/api/internal/kubernetes.rb of 14.0–14.1, and current GitLab's
 * additions): the kas JWT on every call, the agent token on all but
 * usage_metrics, agent_events and agent_configuration, then agent_info,
 * project_info and verify_project_access. cilium_alert is in
 * kubernetes_alert.c, usage_metrics and agent_events in kubernetes_usage.c,
 * agent_configuration in kubernetes_config.c. */
#include "config.h"
#include "api/api.h"
#include "api/kubernetes.h"
#include "api/policy.h"
#include "api/repo.h"
#include "gitlab.h"
#include "log.h"
#include "token.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* $1 token digest. The token's last use is recorded at most every 10
 * minutes, as GitLab's AgentToken#track_usage throttles it. */
const struct db_stmt kas_agent_by_token = {
	"kas_agent_by_token",
	"WITH t AS (SELECT t.id AS token_id, a.id, a.name, a.project_id FROM cluster_agent_tokens t"
	" JOIN cluster_agents a ON a.id = t.agent_id WHERE t.token_digest = $1 AND NOT t.revoked),"
	" u AS (UPDATE cluster_agent_tokens SET last_used_at = now() WHERE id = (SELECT token_id FROM t)"
	" AND (last_used_at IS NULL OR last_used_at < now() - interval '10 minutes') RETURNING 1)"
	" SELECT id, name, project_id FROM t",
	1, false,
};
const struct db_stmt *const kubernetes_statements[] = {
	&kas_agent_by_token,
	&kas_usage_add,
	&kas_alert_create,
	&kas_agent_configure,
	NULL,
};


int kas_agent_find(struct request *req, struct app *app, struct kas_agent *agent, struct response *res)
{
	const char *token;
	char digest[TOKEN_DIGEST_HEX + 1];
	size_t len;
	PGresult *r;

	memset(agent, 0, sizeof *agent);
	if (auth_agent_token(req, &token, &len) < 0 ||
	    token_digest(app->secrets->pepper, app->secrets->pepper_len, token, len, digest) < 0) {
		response_status(res, 401);
		return -1;
	}
	const char *params[] = { digest };
	r = api_query(app, &kas_agent_by_token, params, res);
	if (!r)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		response_status(res, 401);
		return -1;
	}
	agent->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	agent->name = arena_strdup(req->arena, PQgetvalue(r, 0, 1));
	agent->project_id = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	PQclear(r);
	if (!agent->name) {
		response_status(res, 500);
		return -1;
	}
	return 0;
}

/* project_id (and agent fields), gitaly_info and gitaly_repository, as
 * kubernetes.rb's gitaly_info(project) and gitaly_repository(project), and
 * default_branch (current GitLab: project.default_branch_or_main), which
 * kas from about GitLab 15 requires, non-empty, or drops the answer. */
static void write_project(struct request *req, struct response *res, struct app *app, const struct repo *repo,
			  const struct kas_agent *agent)
{
	const char *address = repo_gitaly_address(req, app->conf->gitaly_storages, repo->storage);
	if (!address) {
		log_req(LOG_LVL_ERROR, req->request_id, "kubernetes: no gitaly_storages entry for storage \"%s\" of %s", repo->storage,
			  repo->gl_repository);
		response_status(res, 500);
		return;
	}
	json_object *o = json_object_new_object(), *info = json_object_new_object(),
		    *repository = json_object_new_object();
	if (!o || !info || !repository) {
		json_object_put(o);
		json_object_put(info);
		json_object_put(repository);
		response_status(res, 500);
		return;
	}
	json_object_object_add(o, "project_id", json_object_new_int64(repo->project_id));
	if (agent) {
		json_object_object_add(o, "agent_id", json_object_new_int64(agent->id));
		json_object_object_add(o, "agent_name", json_object_new_string(agent->name));
	}
	json_object_object_add(info, "address", json_object_new_string(address));
	json_object_object_add(info, "token", json_object_new_string(app->secrets->gitaly_token));
	json_object_object_add(info, "features", json_object_new_object());
	json_object_object_add(o, "gitaly_info", info);
	json_object_object_add(repository, "storage_name", json_object_new_string(repo->storage));
	json_object_object_add(repository, "relative_path", json_object_new_string(repo->relative_path));
	json_object_object_add(repository, "gl_repository", json_object_new_string(repo->gl_repository));
	json_object_object_add(repository, "gl_project_path", json_object_new_string(repo->gl_project_path));
	json_object_object_add(o, "gitaly_repository", repository);
	json_object_object_add(o, "default_branch", json_object_new_string(
		repo->default_branch && *repo->default_branch ? repo->default_branch : "main"));
	response_json(res, 200, o);
}

void api_kubernetes_agent_info(struct request *req, struct response *res, struct app *app)
{
	struct kas_agent agent;
	struct repo_ref ref = { .type = REPO_PROJECT, .by_id = true, .valid = true };
	struct repo repo;

	if (kas_agent_find(req, app, &agent, res) < 0)
		return;
	ref.id = agent.project_id;
	if (repo_find(req, app, &ref, &repo, res) < 0)
		return;
	if (!repo.found) {	/* the agent's project went away meanwhile */
		response_status(res, 404);
		return;
	}
	write_project(req, res, app, &repo, &agent);
}

/* find_project(id): all digits is an id, a path with '/' is a full path
 * (routes, then redirects); anything else names nothing. A path glia reads
 * as something else (a wiki, a snippet, a leading '/' or ".git") is not a
 * project's full path either. */
static bool project_ref(const char *s, size_t len, struct repo_ref *ref)
{
	bool digits = len > 0;
	for (size_t i = 0; i < len; i++)
		digits = digits && s[i] >= '0' && s[i] <= '9';
	memset(ref, 0, sizeof *ref);
	ref->type = REPO_PROJECT;
	if (digits) {
		ref->by_id = true;
		ref->valid = parse_id(s, len, &ref->id) == 0;
		return ref->valid;
	}
	if (!memchr(s, '/', len))
		return false;
	repo_parse_path(s, len, ref);
	return ref->valid && ref->type == REPO_PROJECT && ref->path == s && ref->path_len == len;
}

/* The project of the request's id that the agent may see, or -1 after
 * writing the refusal: project_info's decision, which verify_project_access
 * shares (current GitLab's agent_has_access_to_project?). */
static int agent_project_find(struct request *req, struct response *res, struct app *app,
			      const struct kas_agent *agent, struct repo *repo)
{
	struct repo_ref ref;
	const char *id;
	size_t id_len;
	switch (param_scalar(req, "id", &id, &id_len)) {
	case PARAM_ABSENT:
		response_error(res, 400, "id is missing");
		return -1;
	case PARAM_INVALID:
		response_error(res, 400, "id is invalid");
		return -1;
	}
	if (!project_ref(id, id_len, &ref)) {
		response_status(res, 404);
		return -1;
	}
	if (repo_find(req, app, &ref, repo, res) < 0)
		return -1;
	/* Guest.can?(:download_code) — a public project whose repository is
	 * public — or the agent's own project (GitLab 14.1). Anything else is
	 * 404, so that a private project's existence does not show. */
	bool visible = repo->found && (policy_can_download_code(&policy_anonymous, repo) ||
				       repo->project_id == agent->project_id);
	if (!visible) {
		response_status(res, 404);
		return -1;
	}
	return 0;
}

void api_kubernetes_project_info(struct request *req, struct response *res, struct app *app)
{
	struct kas_agent agent;
	struct repo repo;

	if (kas_agent_find(req, app, &agent, res) < 0 || agent_project_find(req, res, app, &agent, &repo) < 0)
		return;
	write_project(req, res, app, &repo, NULL);
}

/* Whether the agent may access the project (current GitLab): project_info's
 * decision, answered 204 without a body. */
void api_kubernetes_verify_project_access(struct request *req, struct response *res, struct app *app)
{
	struct kas_agent agent;
	struct repo repo;

	if (kas_agent_find(req, app, &agent, res) < 0 || agent_project_find(req, res, app, &agent, &repo) < 0)
		return;
	response_no_content(res);
}
