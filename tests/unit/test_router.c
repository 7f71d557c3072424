/* The route table: matches, 404, 405 with Allow, HEAD, :segments. */
#include "config.h"
#include "request.h"
#include "router.h"
#include "tests.h"

#include <string.h>

static const struct { const char *method, *path; enum route_result result; const char *name; } cases[] = {
	{ "GET", "/api/v4/internal/check", ROUTE_FOUND, "check" },
	{ "HEAD", "/api/v4/internal/check", ROUTE_FOUND, "check" },
	{ "GET", "/api/v4/internal/authorized_keys", ROUTE_FOUND, "authorized_keys" },
	{ "GET", "/api/v4/internal/discover", ROUTE_FOUND, "discover" },
	{ "POST", "/api/v4/internal/check", ROUTE_BAD_METHOD, NULL },
	{ "DELETE", "/api/v4/internal/discover", ROUTE_BAD_METHOD, NULL },
	{ "GET", "/api/v4/internal/check/", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/internal//check", ROUTE_NOT_FOUND, NULL },
	{ "GET", "//api/v4/internal/check", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/internal/checks", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/api/v4/internal", ROUTE_NOT_FOUND, NULL },
	{ "GET", "/", ROUTE_NOT_FOUND, NULL },
	{ "GET", "", ROUTE_NOT_FOUND, NULL },
	{ "get", "/api/v4/internal/check", ROUTE_BAD_METHOD, NULL },
};

START_TEST(matching)
{
	struct arena a;
	struct request req;
	const struct route *route = NULL;
	char allow[128];

	arena_init(&a, 1 << 20);
	memset(&req, 0, sizeof req);
	req.arena = &a;
	req.method = cases[_i].method;
	req.path = cases[_i].path;
	enum route_result r = router_match(&req, &route, allow, sizeof allow);
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

Suite *suite_router(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("router");
	tcase_add_loop_test(tc, matching, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, table_is_sane);
	suite_add_tcase(s, tc);
	return s;
}
