/* The route table: method and path pattern → authentication kind and handler. */
#ifndef GLIA_ROUTER_H
#define GLIA_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

struct request;
struct response;
struct app;

enum auth_kind {
	AUTH_NONE,
	AUTH_MONITORING,	/* health and metrics: the client address must be in monitoring_whitelist */
	AUTH_SHELL,	/* gitlab-shell and Gitaly: shared secret or its JWT */
	AUTH_KAS,	/* Kubernetes agent server JWT */
	AUTH_ADMIN,	/* administrator's personal access token */
	AUTH_ADMIN_IN_HANDLER,	/* the same, checked by the handler after its parameters */
};

typedef void (*route_handler)(struct request *req, struct response *res, struct app *app);

struct route {
	const char *method;
	const char *pattern;	/* "/api/v4/namespaces/:id/minutes" */
	enum auth_kind auth;
	route_handler handler;
	const char *name;	/* for logs and metrics: the pattern's short name */
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

/* Finds the route for method and path among those schema (enum
 * glia_schema) serves: with schema = gitlab, only the monitoring routes
 * and the read endpoints glia answers from GitLab's tables; the others are
 * GitLab's Rails' to answer, and not found here. On ROUTE_FOUND, *out is set and the
 * :segment values are stored in req->path_params. On ROUTE_BAD_METHOD, allow
 * (of allow_len bytes) receives the Allow header value. HEAD matches GET. */
enum route_result router_match(struct request *req, int schema, const struct route **out, char *allow,
			       size_t allow_len);

/* schema = gitlab: where the web server wants the answers glia leaves to
 * GitLab's Rails sent instead, from the FastCGI parameter GLIA_NOT_SERVED
 * (contrib/nginx/glia-gitlab.conf sets it to the named location of GitLab's
 * Workhorse): value when it names an nginx named location ("@" and 1 to 63
 * of [A-Za-z0-9_-]), else NULL. glia then answers with X-Accel-Redirect to
 * it, and nginx asks Workhorse in place of glia. */
const char *router_not_served_target(const char *value);

/* Whether schema serves route. */
bool router_serves(int schema, const struct route *route);

/* The name of route i, for metrics. */
const char *router_route_name(size_t i);

/* The table itself, for tests. */
extern const struct route routes[];
extern const size_t n_routes;

#endif
