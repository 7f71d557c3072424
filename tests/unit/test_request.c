/* The request value: environment, path, limits, and parameters from the
 * query, a form body and a JSON body. */
#include "config.h"
#include "bounds.h"
#include "request.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct arena arena;
static struct request req;
static struct request_error err;

static void setup(void) { arena_init(&arena, ARENA_MAX); }
static void teardown(void)
{
	request_release(&req);
	arena_destroy(&arena);
}

/* Builds a request from "NAME=value" strings; returns request_init's result. */
static int init_env(const char *method, const char *uri, const char *query, const char *ctype)
{
	static char bufs[8][MAX_QUERY_STRING + 64];
	char *envp[8];
	int n = 0;
	snprintf(bufs[n], sizeof bufs[n], "REQUEST_METHOD=%s", method);
	envp[n] = bufs[n], n++;
	snprintf(bufs[n], sizeof bufs[n], "DOCUMENT_URI=%s", uri);
	envp[n] = bufs[n], n++;
	snprintf(bufs[n], sizeof bufs[n], "QUERY_STRING=%s", query);
	envp[n] = bufs[n], n++;
	if (ctype) {
		snprintf(bufs[n], sizeof bufs[n], "CONTENT_TYPE=%s", ctype);
		envp[n] = bufs[n], n++;
	}
	envp[n] = NULL;
	return request_init(&req, &arena, envp, &err);
}

static int parse(const char *query, const char *ctype, const char *body)
{
	ck_assert_int_eq(init_env("POST", "/api/v4/internal/allowed", query, ctype), 0);
	return request_parse_params(&req, body, body ? strlen(body) : 0, &err);
}

static const char *str(const char *name)
{
	const char *v = NULL;
	size_t len;
	return request_param_string(&req, name, &v, &len) == PARAM_OK ? v : NULL;
}

START_TEST(body_overrides_query_and_last_wins)
{
	ck_assert_int_eq(parse("key_id=1&project=a&project=b", "application/x-www-form-urlencoded", "key_id=2"), 0);
	ck_assert_str_eq(str("key_id"), "2");
	ck_assert_str_eq(str("project"), "b");
	ck_assert_int_eq(request_param_count(&req, "key_id"), 2);
}
END_TEST

START_TEST(form_arrays)
{
	ck_assert_int_eq(parse("", "application/x-www-form-urlencoded",
			       "user_id=29&name=mytokenname&scopes[]=read_user&scopes%5B%5D=read_repository"), 0);
	const struct param *p = request_param(&req, "scopes");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->type, PARAM_ARRAY);
	ck_assert_uint_eq(p->n_items, 2);
	ck_assert_str_eq(p->items[0], "read_user");
	ck_assert_str_eq(p->items[1], "read_repository");
}
END_TEST

START_TEST(no_content_type_is_a_form)
{
	ck_assert_int_eq(parse("", NULL, "key_id=11&project=gnuwget%2Fwget2"), 0);
	ck_assert_str_eq(str("project"), "gnuwget/wget2");
}
END_TEST

/* Ruby gitlab-shell v9's form body: a field without "=" is nil to Rack, a
 * parameter without a value, absent to the readers; "name=" is "". */
START_TEST(form_field_without_value_is_absent)
{
	const char *v;
	size_t len;
	long long id;
	ck_assert_int_eq(parse("", NULL, "action=git-upload-pack&gl_repository&project=gnuwget%2Fwget2&env=%7B%7D&key_id"), 0);
	ck_assert_int_eq(request_param(&req, "gl_repository")->type, PARAM_NULL);
	ck_assert_int_eq(request_param_string(&req, "gl_repository", &v, &len), PARAM_ABSENT);
	ck_assert_int_eq(request_param_id(&req, "key_id", &id), PARAM_ABSENT);
	ck_assert_str_eq(str("env"), "{}");
	ck_assert_int_eq(parse("", NULL, "gl_repository=&key_id="), 0);
	ck_assert_int_eq(request_param_string(&req, "gl_repository", &v, &len), PARAM_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(request_param_id(&req, "key_id", &id), PARAM_INVALID);
	/* JSON null reads the same way. */
	ck_assert_int_eq(parse("", "application/json", "{\"gl_repository\":null,\"key_id\":null}"), 0);
	ck_assert_int_eq(request_param_string(&req, "gl_repository", &v, &len), PARAM_ABSENT);
	ck_assert_int_eq(request_param_id(&req, "key_id", &id), PARAM_ABSENT);
}
END_TEST

START_TEST(json_body_as_gitlab_shell_sends_it)
{
	ck_assert_int_eq(parse("", "application/json",
			       "{\"action\":\"git-upload-pack\",\"project\":\"gnuwget/wget2\",\"changes\":\"_any\","
			       "\"protocol\":\"ssh\",\"key_id\":\"11\"}"), 0);
	long long id;
	ck_assert_int_eq(request_param_id(&req, "key_id", &id), PARAM_OK);
	ck_assert_int_eq(id, 11);
	ck_assert_str_eq(str("project"), "gnuwget/wget2");
}
END_TEST

START_TEST(json_integer_ids)
{
	long long id;
	ck_assert_int_eq(parse("", "application/json; charset=utf-8", "{\"key_id\": 11, \"user_id\": 1.5}"), 0);
	ck_assert_int_eq(request_param_id(&req, "key_id", &id), PARAM_OK);
	ck_assert_int_eq(id, 11);
	ck_assert_int_eq(request_param_id(&req, "user_id", &id), PARAM_INVALID);
	ck_assert_int_eq(request_param_id(&req, "username", &id), PARAM_ABSENT);
}
END_TEST

static const char *const bad_json[] = {
	"{\"a\":1} xyz", "{\"a\":1,}", "{'a':1}", "\"[1]\"", "\"{'a':1}\"", "\"x\"", "\"{\\\"a\\\":1} x\"", "{\"a\":NaN}", "{\"a\":TRUE}", "{\"a\":01}",
	"{\"a\":\"x\\u0000y\"}", "{\"a\":\"\xff\"}", "[1,2]", "{\"a\":99999999999999999999}",
	"{\"a\":9223372036854775807}", "{\"a\":-Infinity}", "{\"a\"", "{\"a\":1}{\"b\":2}",
};

START_TEST(json_refused)
{
	ck_assert_int_eq(parse("", "application/json", bad_json[_i]), -1);
	ck_assert_int_eq(err.status, 400);
	ck_assert_str_eq(err.message, "400 Bad request - invalid JSON body");
}
END_TEST

/* One body's failure leaves nothing behind for the next: a high surrogate
 * left pending must not join the next body's first \u escape (gitlab-shell
 * sends & < > as \u0026 \u003c \u003e). */
START_TEST(json_bodies_are_independent)
{
	static const char *const poison[] = { "{\"a\":\"\\ud800", "{\"a\":\"\\ud800\\uzzzz\"}", "{\"a\":\"\\ud800\"}" };
	for (size_t i = 0; i < sizeof poison / sizeof poison[0]; i++) {
		parse("", "application/json", poison[i]);	/* refused or not: what it leaves counts */
		request_release(&req);
		ck_assert_int_eq(parse("", "application/json", "{\"changes\":\"refs/heads/a\\u0026b\"}"), 0);
		ck_assert_str_eq(str("changes"), "refs/heads/a&b");
		request_release(&req);
	}
}
END_TEST

START_TEST(json_depth_limited)
{
	char body[200];
	size_t n = 0;
	body[n++] = '{';
	strcpy(body + n, "\"a\":");
	n += 4;
	for (int i = 0; i < MAX_JSON_DEPTH + 2; i++)
		body[n++] = '[';
	for (int i = 0; i < MAX_JSON_DEPTH + 2; i++)
		body[n++] = ']';
	body[n++] = '}';
	body[n] = '\0';
	ck_assert_int_eq(parse("", "application/json", body), -1);
	ck_assert_int_eq(err.status, 400);
}
END_TEST

START_TEST(json_string_holding_an_object)
{
	/* curl --data '"{\"alert\":{\"title\":\"minimal\"}}"', as the reference. */
	ck_assert_int_eq(parse("", "application/json", "\"{\\\"alert\\\":{\\\"title\\\":\\\"minimal\\\"}}\""), 0);
	const struct param *p = request_param(&req, "alert");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->type, PARAM_OBJECT);
}
END_TEST

START_TEST(empty_json_body_is_an_empty_object)
{
	ck_assert_int_eq(parse("a=1", "application/json", ""), 0);
	ck_assert_str_eq(str("a"), "1");
}
END_TEST

START_TEST(multipart_refused)
{
	ck_assert_int_eq(parse("", "multipart/form-data; boundary=x", "--x--"), -1);
	ck_assert_int_eq(err.status, 415);
}
END_TEST

static const char *const bad_queries[] = { "a=%zz", "a=%", "a=%4", "a=x%00y", "a=%ff" };

START_TEST(bad_query_refused)
{
	ck_assert_int_eq(parse(bad_queries[_i], NULL, NULL), -1);
	ck_assert_int_eq(err.status, 400);
	ck_assert_str_eq(err.message, "400 Bad request - invalid query string");
}
END_TEST

START_TEST(too_many_params)
{
	static char q[MAX_QUERY_STRING];
	size_t n = 0;
	for (int i = 0; i <= MAX_PARAMS && n + 8 < sizeof q; i++)
		n += (size_t)snprintf(q + n, sizeof q - n, "a%d=1&", i);
	ck_assert_int_eq(parse(q, NULL, NULL), -1);
	ck_assert_int_eq(err.status, 400);
}
END_TEST

START_TEST(too_many_array_items)
{
	static char q[MAX_QUERY_STRING];
	size_t n = 0;
	for (int i = 0; i <= MAX_ARRAY_ITEMS; i++)
		n += (size_t)snprintf(q + n, sizeof q - n, "s[]=x&");
	ck_assert_int_eq(parse(q, NULL, NULL), -1);
	ck_assert_int_eq(err.status, 400);
}
END_TEST

START_TEST(query_string_limit)
{
	static char q[MAX_QUERY_STRING + 2];
	memset(q, 'a', MAX_QUERY_STRING + 1);
	q[MAX_QUERY_STRING + 1] = '\0';
	ck_assert_int_eq(init_env("GET", "/api/v4/internal/check", q, NULL), -1);
	ck_assert_int_eq(err.status, 414);
	q[MAX_QUERY_STRING] = '\0';
	request_release(&req);
	ck_assert_int_eq(init_env("GET", "/api/v4/internal/check", q, NULL), 0);
}
END_TEST

START_TEST(path_sources)
{
	char *nginx[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v4/internal/check",
			  "REQUEST_URI=/api/v4/internal/../internal/check?x=1", NULL };
	char *split[] = { "REQUEST_METHOD=GET", "SCRIPT_NAME=/api/v4", "PATH_INFO=/internal/check", NULL };
	char *apache[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/api/v4/internal/ch%65ck?x=%zz", NULL };
	char *bad[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/api/v4/a%00b", NULL };
	/* Tidied as Grape's Router.normalize_path: slashes squeezed, trailing dropped. */
	char *slashes[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=//api/v4/internal//kubernetes/modules/cilium_alert//",
			    NULL };
	char *apache_slashes[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/api//v4/internal/check/?a=b", NULL };
	char *root[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=///", NULL };
	ck_assert_int_eq(request_init(&req, &arena, slashes, &err), 0);
	ck_assert_str_eq(req.path, "/api/v4/internal/kubernetes/modules/cilium_alert");
	ck_assert_int_eq(request_init(&req, &arena, apache_slashes, &err), 0);
	ck_assert_str_eq(req.path, "/api/v4/internal/check");
	ck_assert_int_eq(request_init(&req, &arena, root, &err), 0);
	ck_assert_str_eq(req.path, "/");
	ck_assert_int_eq(request_init(&req, &arena, nginx, &err), 0);
	ck_assert_str_eq(req.path, "/api/v4/internal/check");
	ck_assert_int_eq(request_init(&req, &arena, split, &err), 0);
	ck_assert_str_eq(req.path, "/api/v4/internal/check");
	ck_assert_int_eq(request_init(&req, &arena, apache, &err), 0);
	ck_assert_str_eq(req.path, "/api/v4/internal/check");
	ck_assert_int_eq(request_init(&req, &arena, bad, &err), -1);
	ck_assert_int_eq(err.status, 400);
	ck_assert_ptr_null(req.raw_path);
}
END_TEST

/* The raw path is kept for an encoded slash only when, decoded, it is the
 * path the web server gave: not past a prefix, a rewrite or normalisation. */
START_TEST(raw_path_only_when_it_is_the_path)
{
	char *same[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v4/namespaces/a/b/gitlab_subscription",
			 "REQUEST_URI=/api/v4/namespaces/a%2Fb/gitlab_subscription?x=%2F", NULL };
	char *split[] = { "REQUEST_METHOD=GET", "SCRIPT_NAME=/api/v4", "PATH_INFO=/namespaces/a/b/minutes",
			  "REQUEST_URI=/api/v4/namespaces/a%2fb/minutes", NULL };
	char *prefix[] = { "REQUEST_METHOD=GET", "SCRIPT_NAME=/api/v4", "PATH_INFO=/namespaces/a/b/minutes",
			   "REQUEST_URI=/gitlab/api/v4/namespaces/a%2Fb/minutes", NULL };
	char *dots[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v4/internal/x/gitlab_subscription",
			 "REQUEST_URI=/api/v4/namespaces/..%2F..%2Finternal%2Fx/gitlab_subscription", NULL };
	char *query_only[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v4/internal/check",
			       "REQUEST_URI=/api/v4/internal/check?id=a%2Fb", NULL };
	ck_assert_int_eq(request_init(&req, &arena, same, &err), 0);
	ck_assert_str_eq(req.raw_path, "/api/v4/namespaces/a%2Fb/gitlab_subscription");
	ck_assert_int_eq(request_init(&req, &arena, split, &err), 0);
	ck_assert_str_eq(req.raw_path, "/api/v4/namespaces/a%2fb/minutes");
	ck_assert_int_eq(request_init(&req, &arena, prefix, &err), 0);
	ck_assert_ptr_null(req.raw_path);
	ck_assert_int_eq(request_init(&req, &arena, dots, &err), 0);
	ck_assert_ptr_null(req.raw_path);
	ck_assert_str_eq(req.path, "/api/v4/internal/x/gitlab_subscription");
	ck_assert_int_eq(request_init(&req, &arena, query_only, &err), 0);
	ck_assert_ptr_null(req.raw_path);
}
END_TEST

static const struct { const char *value; int rc; long long length; } lengths[] = {
	{ "", 0, -1 }, { "0", 0, 0 }, { "12", 0, 12 }, { "-1", -1, 0 }, { "abc", -1, 0 },
	{ "1e3", -1, 0 }, { " 12", -1, 0 }, { "18446744073709551616", -1, 0 },
};

START_TEST(content_length)
{
	char cl[64];
	snprintf(cl, sizeof cl, "CONTENT_LENGTH=%s", lengths[_i].value);
	char *env[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/x", cl, NULL };
	ck_assert_int_eq(request_init(&req, &arena, env, &err), lengths[_i].rc);
	if (lengths[_i].rc == 0)
		ck_assert_int_eq(req.content_length, lengths[_i].length);
	else
		ck_assert_int_eq(err.status, 400);
}
END_TEST

START_TEST(repeated_headers_are_counted)
{
	char *env[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/x", "HTTP_GITLAB_SHARED_SECRET=first",
			"HTTP_GITLAB_SHARED_SECRET=second", NULL };
	int count;
	ck_assert_int_eq(request_init(&req, &arena, env, &err), 0);
	ck_assert_str_eq(request_env(&req, "HTTP_GITLAB_SHARED_SECRET", &count), "first");
	ck_assert_int_eq(count, 2);
}
END_TEST

Suite *suite_request(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("request");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, body_overrides_query_and_last_wins);
	tcase_add_test(tc, form_arrays);
	tcase_add_test(tc, no_content_type_is_a_form);
	tcase_add_test(tc, form_field_without_value_is_absent);
	tcase_add_test(tc, json_body_as_gitlab_shell_sends_it);
	tcase_add_test(tc, json_integer_ids);
	tcase_add_loop_test(tc, json_refused, 0, sizeof bad_json / sizeof bad_json[0]);
	tcase_add_test(tc, json_depth_limited);
	tcase_add_test(tc, json_bodies_are_independent);
	tcase_add_test(tc, raw_path_only_when_it_is_the_path);
	tcase_add_test(tc, empty_json_body_is_an_empty_object);
	tcase_add_test(tc, json_string_holding_an_object);
	tcase_add_test(tc, multipart_refused);
	tcase_add_loop_test(tc, bad_query_refused, 0, sizeof bad_queries / sizeof bad_queries[0]);
	tcase_add_test(tc, too_many_params);
	tcase_add_test(tc, too_many_array_items);
	tcase_add_test(tc, query_string_limit);
	tcase_add_test(tc, path_sources);
	tcase_add_loop_test(tc, content_length, 0, sizeof lengths / sizeof lengths[0]);
	tcase_add_test(tc, repeated_headers_are_counted);
	suite_add_tcase(s, tc);
	return s;
}
