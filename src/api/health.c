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

/* Whether addr lies in "ADDRESS/BITS" (BITS optional: the whole address). */
static bool in_cidr(const char *addr, const char *cidr, size_t cidr_len)
{
	char net[64];
	unsigned char a[16], n[16];
	int family, bits, max;

	if (cidr_len == 0 || cidr_len >= sizeof net)
		return false;
	memcpy(net, cidr, cidr_len);
	net[cidr_len] = '\0';
	char *slash = strchr(net, '/');
	if (slash)
		*slash = '\0';
	family = strchr(net, ':') ? AF_INET6 : AF_INET;
	max = family == AF_INET6 ? 128 : 32;
	bits = max;
	if (slash) {
		char *end;
		long b = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || b < 0 || b > max)
			return false;
		bits = (int)b;
	}
	if (inet_pton(family, net, n) != 1 || inet_pton(family, addr, a) != 1)
		return false;
	for (int i = 0; i < bits / 8; i++)
		if (a[i] != n[i])
			return false;
	if (bits % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));
		if ((a[bits / 8] & mask) != (n[bits / 8] & mask))
			return false;
	}
	return true;
}

bool api_monitoring_allowed(struct request *req, const struct glia_conf *conf)
{
	const char *addr = request_env(req, "REMOTE_ADDR", NULL);
	const char *list = conf->monitoring_whitelist;
	if (!addr || !list)
		return false;
	/* An IPv4 client seen through an IPv6 socket. */
	if (strncmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, '.'))
		addr += 7;
	while (*list) {
		size_t len = strcspn(list, ",");
		const char *item = list;
		while (len > 0 && *item == ' ')
			item++, len--;
		size_t trimmed = len;
		while (trimmed > 0 && item[trimmed - 1] == ' ')
			trimmed--;
		if (in_cidr(addr, item, trimmed))
			return true;
		list = item + len;
		if (*list == ',')
			list++;
	}
	return false;
}

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
