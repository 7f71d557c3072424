/* The route table: matches, 404, 405 with Allow, HEAD, :segments. */
#include "config.h"
#include "conf.h"
#include "request.h"
#include "router.h"
#include "tests.h"

#include <string.h>

static const struct { const char *method, *path; enum route_result result; const char *name; } cases[] = {
	{ "GET", "/api/v4/internal/check", ROUTE_FOUND, "check" },
	{ "HEAD", "/api/v4/internal/check", ROUTE_FOUND, "check" },
	{ "GET", "/api/v4/internal/authorized_keys", ROUTE_FOUND, "authorized_keys" },
	{ "GET", "/api/v4/internal/discover", ROUTE_FOUND, "discover" },
	{ "POST", "/api/v4/internal/kubernetes/agent_configuration", ROUTE_FOUND, "kubernetes_agent_configuration" },
	{ "POST", "/api/v4/internal/kubernetes/agent_events", ROUTE_FOUND, "kubernetes_agent_events" },
	{ "GET", "/api/v4/internal/kubernetes/verify_project_access", ROUTE_FOUND,
	  "kubernetes_verify_project_access" },
	{ "POST", "/api/v4/internal/kubernetes/verify_project_access", ROUTE_BAD_METHOD, NULL },
	{ "POST", "/api/v4/internal/check", ROUTE_BAD_METHOD, NULL },
	{ "DELETE", "/api/v4/internal/discover", ROUTE_BAD_METHOD, NULL },
	/* request_init tidies slashes before routing; the router itself sees
	 * an empty segment as no match. */
	{ "GET", "/api/v4/internal/check/", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/namespaces/./gitlab_subscription", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/namespaces/../gitlab_subscription", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/namespaces/.../gitlab_subscription", ROUTE_FOUND, "subscription" },
	{ "GET", "/api/v4/internal//check", ROUTE_NOT_FOUND, NULL },
	{ "GET", "//api/v4/internal/check", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/internal/checks", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/internal", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/", ROUTE_NOT_FOUND, NULL },
	{ "GET", "", ROUTE_NOT_FOUND, NULL },
	{ "get", "/api/v4/internal/check", ROUTE_BAD_METHOD, NULL },
};

/* Routes a request of method for path (and raw_path, if any) as schema does. */
static enum route_result route_in(int schema, struct request *req, struct arena *a, const char *method,
				  const char *path, const char *raw_path, const struct route **route, char allow[128])
{
	arena_init(a, 1 << 20);
	memset(req, 0, sizeof *req);
	req->arena = a;
	req->method = method;
	req->path = path;
	req->raw_path = raw_path;
	return router_match(req, schema, route, allow, 128);
}

static enum route_result route_request(struct request *req, struct arena *a, const char *method, const char *path,
				       const char *raw_path, const struct route **route, char allow[128])
{
	return route_in(SCHEMA_GLIA, req, a, method, path, raw_path, route, allow);
}

START_TEST(matching)
{
	struct arena a;
	struct request req;
	const struct route *route = NULL;
	char allow[128];

	enum route_result r = route_request(&req, &a, cases[_i].method, cases[_i].path, NULL, &route, allow);
	ck_assert_msg(r == cases[_i].result, "%s %s: %d", cases[_i].method, cases[_i].path, r);
	if (r == ROUTE_FOUND)
		ck_assert_str_eq(route->name, cases[_i].name);
	if (r == ROUTE_BAD_METHOD)
		ck_assert_str_eq(allow, "GET, HEAD");
	arena_destroy(&a);
}
END_TEST

START_TEST(table_is_sane)
{
	/* Every route has a handler, a name, and no (method, pattern) twice. */
	for (size_t i = 0; i < n_routes; i++) {
		ck_assert_ptr_nonnull(routes[i].handler);
		ck_assert_ptr_nonnull(routes[i].name);
		ck_assert(routes[i].pattern[0] == '/');
		for (size_t j = i + 1; j < n_routes; j++)
			ck_assert(strcmp(routes[i].method, routes[j].method) || strcmp(routes[i].pattern, routes[j].pattern));
	}
}
END_TEST

/* A raw path with an encoded slash: split first, each segment decoded, so
 * the slash stays in a ":id" and a literal segment never takes one. */
static const struct {
	const char *method, *raw;
	enum route_result result;
	const char *id, *target;
} raw_cases[] = {
	{ "GET", "/api/v4/namespaces/group%2Fsub/gitlab_subscription", ROUTE_FOUND, "group/sub", NULL },
	{ "GET", "/api/v4/namespaces/group%2fsub%2Fdeeper/gitlab_subscription", ROUTE_FOUND, "group/sub/deeper", NULL },
	{ "PATCH", "/api/v4/namespaces/a%2Fb/minutes/move/c%2Fd", ROUTE_FOUND, "a/b", "c/d" },
	{ "GET", "/api/v4/namespaces/gr%6Fup%2Fs%20b/gitlab_subscription", ROUTE_FOUND, "group/s b", NULL },
	{ "DELETE", "/api/v4/namespaces/group%2Fsub/gitlab_subscription", ROUTE_BAD_METHOD, NULL, NULL },
	{ "POST", "/api/v4/internal%2Fallowed", ROUTE_NOT_FOUND, NULL, NULL },
	{ "POST", "/api/v4/internal/allowed%2F..", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/%2F/gitlab_subscription/x", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/group%2Fsub/gitlab_subscription%2F", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4//namespaces/group%2Fsub/gitlab_subscription", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/bad%00%2Fnul/gitlab_subscription", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/bad%zz%2F/gitlab_subscription", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/..%2Fgroup/gitlab_subscription", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/group%2F./gitlab_subscription", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/group%2F%2Fsub/gitlab_subscription", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/%2Fgroup/gitlab_subscription", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/group%2F/gitlab_subscription", ROUTE_NOT_FOUND, NULL, NULL },
	{ "GET", "/api/v4/namespaces/gr.oup%2F.sub%2F..x/gitlab_subscription", ROUTE_FOUND, "gr.oup/.sub/..x", NULL },
};

START_TEST(raw_path_with_encoded_slash)
{
	struct arena a;
	struct request req;
	const struct route *route = NULL;
	char allow[128];

	enum route_result r = route_request(&req, &a, raw_cases[_i].method, "/decoded/path/is/not/used",
					    raw_cases[_i].raw, &route, allow);
	ck_assert_msg(r == raw_cases[_i].result, "%s %s: %d", raw_cases[_i].method, raw_cases[_i].raw, r);
	if (raw_cases[_i].id) {
		ck_assert_str_eq(req.path_params[0], raw_cases[_i].id);
		ck_assert_uint_eq(req.n_path_params, raw_cases[_i].target ? 2 : 1);
	}
	if (raw_cases[_i].target)
		ck_assert_str_eq(req.path_params[1], raw_cases[_i].target);
	if (r == ROUTE_BAD_METHOD)
		ck_assert_str_eq(allow, "GET, HEAD, POST, PUT");
	arena_destroy(&a);
}
END_TEST

/* schema = gitlab: the read endpoints, allowed, lfs_authenticate (which
 * answers as not found itself without db_key_base_file) and monitoring; the rest is
 * not found, not even for another method (GitLab's Rails answers them).
 * name: the route's, or for 405 the Allow header. */
static const struct { const char *method, *path; enum route_result result; const char *name; } gitlab_cases[] = {
	{ "GET", "/api/v4/internal/check", ROUTE_FOUND, "check" },
	{ "HEAD", "/api/v4/internal/check", ROUTE_FOUND, "check" },
	{ "GET", "/api/v4/internal/authorized_keys", ROUTE_FOUND, "authorized_keys" },
	{ "GET", "/api/v4/internal/discover", ROUTE_FOUND, "discover" },
	{ "GET", "/-/readiness", ROUTE_FOUND, "readiness" },
	{ "GET", "/-/liveness", ROUTE_FOUND, "liveness" },
	{ "GET", "/-/metrics", ROUTE_FOUND, "metrics" },
	{ "POST", "/api/v4/internal/check", ROUTE_BAD_METHOD, "GET, HEAD" },
	{ "POST", "/api/v4/internal/allowed", ROUTE_FOUND, "allowed" },
	{ "GET", "/api/v4/internal/allowed", ROUTE_BAD_METHOD, "POST" },
	{ "POST", "/api/v4/internal/lfs_authenticate", ROUTE_FOUND, "lfs_authenticate" },
	{ "GET", "/api/v4/internal/lfs_authenticate", ROUTE_BAD_METHOD, "POST" },
	{ "POST", "/api/v4/internal/pre_receive", ROUTE_NOT_FOUND, NULL },
	{ "POST", "/api/v4/internal/personal_access_token", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/internal/kubernetes/agent_info", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/namespaces/1/gitlab_subscription", ROUTE_NOT_FOUND, NULL },
	{ "PUT", "/api/v4/internal/upcoming_reconciliations", ROUTE_NOT_FOUND, NULL },
};

START_TEST(gitlab_schema_serves_reads_only)
{
	struct arena a;
	struct request req;
	const struct route *route = NULL;
	char allow[128];

	enum route_result r = route_in(SCHEMA_GITLAB, &req, &a, gitlab_cases[_i].method, gitlab_cases[_i].path, NULL,
				       &route, allow);
	ck_assert_msg(r == gitlab_cases[_i].result, "%s %s: %d", gitlab_cases[_i].method, gitlab_cases[_i].path, r);
	if (r == ROUTE_FOUND)
		ck_assert_str_eq(route->name, gitlab_cases[_i].name);
	if (r == ROUTE_BAD_METHOD)
		ck_assert_str_eq(allow, gitlab_cases[_i].name);
	arena_destroy(&a);
}
END_TEST

START_TEST(gitlab_schema_route_count)
{
	/* Exactly five API routes (check, authorized_keys, discover, allowed,
	 * lfs_authenticate) and the monitoring ones: a route added to the
	 * table is not served from GitLab's tables by accident. */
	size_t served = 0;
	for (size_t i = 0; i < n_routes; i++)
		served += router_serves(SCHEMA_GITLAB, &routes[i]) && routes[i].auth != AUTH_MONITORING;
	ck_assert_uint_eq(served, 5);
	for (size_t i = 0; i < n_routes; i++)
		ck_assert(router_serves(SCHEMA_GLIA, &routes[i]));
}
END_TEST

START_TEST(not_served_target)
{
	/* Only an nginx named location: nothing that could end the header
	 * line, nor a URI that would change the method to GET. */
	ck_assert_str_eq(router_not_served_target("@workhorse"), "@workhorse");
	ck_assert_str_eq(router_not_served_target("@gitlab-workhorse_2"), "@gitlab-workhorse_2");
	ck_assert_ptr_null(router_not_served_target(NULL));
	ck_assert_ptr_null(router_not_served_target(""));
	ck_assert_ptr_null(router_not_served_target("@"));
	ck_assert_ptr_null(router_not_served_target("/workhorse"));
	ck_assert_ptr_null(router_not_served_target("workhorse"));
	ck_assert_ptr_null(router_not_served_target("@work horse"));
	ck_assert_ptr_null(router_not_served_target("@w\r\nSet-Cookie: x=1"));
	ck_assert_ptr_null(router_not_served_target("@w/x"));
	char longest[65];
	longest[0] = '@';
	memset(longest + 1, 'w', 63);
	longest[64] = '\0';
	ck_assert_ptr_nonnull(router_not_served_target(longest));
	char too_long[66];
	memcpy(too_long, longest, 64);
	too_long[64] = 'w';
	too_long[65] = '\0';
	ck_assert_ptr_null(router_not_served_target(too_long));
}
END_TEST

Suite *suite_router(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("router");
	tcase_add_loop_test(tc, matching, 0, sizeof cases / sizeof cases[0]);
	tcase_add_loop_test(tc, raw_path_with_encoded_slash, 0, sizeof raw_cases / sizeof raw_cases[0]);
	tcase_add_test(tc, table_is_sane);
	tcase_add_loop_test(tc, gitlab_schema_serves_reads_only, 0, sizeof gitlab_cases / sizeof gitlab_cases[0]);
	tcase_add_test(tc, gitlab_schema_route_count);
	tcase_add_test(tc, not_served_target);
	suite_add_tcase(s, tc);
	return s;
}
