/* Who may call a route, for every kind of route the table names: the one
 * place the worker asks, before any handler runs. The cryptography stays in
 * auth.c; the administrator's token needs the database and stays with the
 * billing endpoints (billing.c). A refusal is written here, and counted. */
#include "config.h"
#include "api/api.h"
#include "log.h"
#include "metrics.h"
#include "router.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* GitLab's monitoring whitelist: the client address in one of its
 * networks. */
static bool monitoring_allowed(struct request *req, const struct glia_conf *conf)
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

static const char jwt_refused[] = "KAS JWT authentication invalid";

/* The Gitlab-Kas-Api-Request JWT, once, verifying (auth.c). */
static bool kas_authenticated(struct request *req, struct response *res, struct app *app)
{
	int n;
	const char *token = request_env(req, "HTTP_GITLAB_KAS_API_REQUEST", &n);

	/* GitLab 14.0–14.1: render_api_error!('KAS JWT authentication invalid', 401). */
	if (n != 1 || !auth_kas_jwt_valid(app->secrets, token, time(NULL))) {
		if (!app->secrets->has_kas)
			log_debug("kubernetes: refused, kas_secret_file is not set");
		response_message(res, 401, jwt_refused);
		return false;
	}
	return true;
}

bool api_authenticate(enum auth_kind kind, struct request *req, struct response *res, struct app *app)
{
	switch (kind) {
	case AUTH_NONE:
	case AUTH_ADMIN_IN_HANDLER:	/* the handler asks, after its parameters */
		return true;
	case AUTH_MONITORING:
		/* As GitLab's monitoring whitelist: others learn nothing is here. */
		if (monitoring_allowed(req, app->conf))
			return true;
		response_status(res, 404);
		return false;
	case AUTH_SHELL:
		if (auth_shell(req, app->secrets, time(NULL)))
			return true;
		metrics_auth_failure(AUTH_FAIL_SHELL);
		response_status(res, 401);
		return false;
	case AUTH_KAS:	/* refused in its own words */
		if (kas_authenticated(req, res, app))
			return true;
		metrics_auth_failure(AUTH_FAIL_KAS);
		return false;
	case AUTH_ADMIN:
		return api_authenticate_admin(req, res, app);
	}
	return false;
}
