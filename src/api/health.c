/* GET /-/liveness, /-/readiness and /-/metrics, as GitLab's health
 * endpoints: reachable only from the addresses monitoring_whitelist names,
 * 404 to everyone else. */
#include "config.h"
#include "api/api.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"

const struct db_stmt health_ping = { "health_ping", "SELECT 1", 0, true };


static json_object *status_object(const char *status)
{
	json_object *o = json_object_new_object();
	if (o)
		json_object_object_add(o, "status", json_object_new_string(status));
	return o;
}

void api_liveness(struct request *req, struct response *res, struct app *app)
{
	json_object *o = status_object("ok");
	if (o)	/* else the response's default 500 stands */
		response_json(res, 200, o);
}

/* This worker reaches PostgreSQL: GitLab's readiness shape, one check. */
void api_readiness(struct request *req, struct response *res, struct app *app)
{
	bool ok = db_ping(app->db, &health_ping);
	json_object *o = status_object(ok ? "ok" : "failed"), *checks = json_object_new_array();
	json_object *check = status_object(ok ? "ok" : "failed");
	if (!o || !checks || !check) {
		json_object_put(o);
		json_object_put(checks);
		json_object_put(check);
		return;
	}
	if (!ok)
		json_object_object_add(check, "message", json_object_new_string("database unavailable"));
	json_object_array_add(checks, check);
	json_object_object_add(o, "db_check", checks);
	response_json(res, ok ? 200 : 503, o);
}

void api_metrics(struct request *req, struct response *res, struct app *app)
{
	size_t len;
	char *text = metrics_render(req->arena, &len);
	if (!text)
		return;
	res->status = 200;
	res->content_type = PROMETHEUS_TYPE;
	res->body = text;
	res->body_len = len;
}
