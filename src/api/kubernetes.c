/* The Kubernetes agent server's endpoints: being written. */
#include "config.h"
#include "api/api.h"

const struct db_stmt *const kubernetes_statements[] = { NULL };

bool api_authenticate_kas(struct request *req, struct response *res, struct app *app)
{
	response_message(res, 401, "401 Unauthorized");
	return false;
}

void api_kubernetes_agent_info(struct request *req, struct response *res, struct app *app) {}
void api_kubernetes_project_info(struct request *req, struct response *res, struct app *app) {}
void api_kubernetes_usage_metrics(struct request *req, struct response *res, struct app *app) {}
void api_kubernetes_cilium_alert(struct request *req, struct response *res, struct app *app) {}
