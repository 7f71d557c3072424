/* Shell authentication: the secret (header, parameter, chomp, constant-time
 * path, duplicates) and the gitlab-shell JWT (algorithm, issuer, expiry). */
#include "config.h"
#include "auth.h"
#include "request.h"
#include "tests.h"
#include "util.h"

#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define NOW 1700000000

static struct secrets secrets;

static void setup(void)
{
	memset(&secrets, 0, sizeof secrets);
	memcpy(secrets.shell, SECRET, strlen(SECRET));
	secrets.shell_len = strlen(SECRET);
	memcpy(secrets.shell_jwt_key, SECRET, strlen(SECRET));
	secrets.shell_jwt_key_len = strlen(SECRET);
}

static const struct { const char *input; bool ok; } secret_cases[] = {
	{ SECRET, true }, { SECRET "\n", true }, { SECRET "\r\n", true }, { SECRET "\r", true },
	{ SECRET "\n\n", false }, { SECRET " ", false }, { " " SECRET, false },
	{ "0a1b2c3d4e5f60718293a4b5c6d7e8f", false }, { SECRET "0", false },
	{ "1a1b2c3d4e5f60718293a4b5c6d7e8f9", false }, { "", false }, { "\n", false },
};

START_TEST(secret_compare)
{
	const char *in = secret_cases[_i].input;
	ck_assert_msg(auth_secret_matches(&secrets, in, strlen(in)) == secret_cases[_i].ok, "input %d", _i);
}
END_TEST

START_TEST(empty_configured_secret_matches_nothing)
{
	struct secrets none;
	memset(&none, 0, sizeof none);
	ck_assert(!auth_secret_matches(&none, "", 0));
	ck_assert(!auth_secret_matches(&none, "\n", 1));
	ck_assert(!auth_shell_jwt_valid(&none, "e30.e30.", NOW));
}
END_TEST

static char *make_jwt(jwt_alg_t alg, const char *key, const char *iss, long long exp, long long iat)
{
	jwt_t *jwt;
	ck_assert_int_eq(jwt_new(&jwt), 0);
	if (iss)
		jwt_add_grant(jwt, "iss", iss);
	if (exp)
		jwt_add_grant_int(jwt, "exp", exp);
	if (iat)
		jwt_add_grant_int(jwt, "iat", iat);
	if (alg == JWT_ALG_NONE)
		ck_assert_int_eq(jwt_set_alg(jwt, alg, NULL, 0), 0);
	else
		ck_assert_int_eq(jwt_set_alg(jwt, alg, (const unsigned char *)key, (int)strlen(key)), 0);
	char *s = jwt_encode_str(jwt);
	jwt_free(jwt);
	ck_assert_ptr_nonnull(s);
	return s;
}

static const struct {
	jwt_alg_t alg;
	const char *key, *iss;
	long long exp, iat;
	bool ok;
	const char *why;
} jwt_cases[] = {
	{ JWT_ALG_HS256, SECRET, "gitlab-shell", NOW + 60, NOW, true, "as gitlab-shell signs" },
	{ JWT_ALG_HS256, SECRET, "gitlab-shell", NOW - 30, NOW - 90, true, "expired within the leeway" },
	{ JWT_ALG_HS256, SECRET, "gitlab-shell", NOW - 61, NOW - 120, false, "expired beyond the leeway" },
	{ JWT_ALG_HS256, SECRET, "gitlab-shell", 1, 0, false, "expired in 1970" },
	{ JWT_ALG_HS256, SECRET, "gitlab-shell", 0, NOW, false, "no exp" },
	{ JWT_ALG_HS256, SECRET, "gitlab-shell", NOW + 600, NOW + 300, false, "issued in the future" },
	{ JWT_ALG_HS256, SECRET, "gitlab-kas", NOW + 60, NOW, false, "wrong issuer" },
	{ JWT_ALG_HS256, SECRET, NULL, NOW + 60, NOW, false, "no issuer" },
	{ JWT_ALG_HS256, "another secret", "gitlab-shell", NOW + 60, NOW, false, "wrong key" },
	{ JWT_ALG_HS512, SECRET, "gitlab-shell", NOW + 60, NOW, false, "HS512 with the right key" },
	{ JWT_ALG_HS384, SECRET, "gitlab-shell", NOW + 60, NOW, false, "HS384 with the right key" },
	{ JWT_ALG_NONE, "", "gitlab-shell", NOW + 60, NOW, false, "alg none" },
};

START_TEST(shell_jwt)
{
	char *token = make_jwt(jwt_cases[_i].alg, jwt_cases[_i].key, jwt_cases[_i].iss, jwt_cases[_i].exp,
			       jwt_cases[_i].iat);
	ck_assert_msg(auth_shell_jwt_valid(&secrets, token, NOW) == jwt_cases[_i].ok, "%s", jwt_cases[_i].why);
	free(token);
}
END_TEST

START_TEST(shell_jwt_malformed)
{
	static const char *const bad[] = { "", ".", "..", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9.e30.x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!auth_shell_jwt_valid(&secrets, bad[i], NOW), "\"%s\"", bad[i]);
	char *huge = malloc(20000);
	memset(huge, 'a', 19999);
	huge[19999] = '\0';
	ck_assert(!auth_shell_jwt_valid(&secrets, huge, NOW));
	free(huge);
}
END_TEST

/* Whole-request decisions, from an environment and a query string. */
static bool shell_request(const char *const *env_extra, const char *query)
{
	struct arena a;
	struct request req;
	struct request_error err;
	char qs[512];
	const char *env[16] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v4/internal/check" };
	size_t n = 2;
	snprintf(qs, sizeof qs, "QUERY_STRING=%s", query ? query : "");
	env[n++] = qs;
	for (size_t i = 0; env_extra && env_extra[i]; i++)
		env[n++] = env_extra[i];
	env[n] = NULL;
	arena_init(&a, 1 << 20);
	ck_assert_int_eq(request_init(&req, &a, (char **)env, &err), 0);
	ck_assert_int_eq(request_parse_params(&req, NULL, 0, &err), 0);
	bool ok = auth_shell(&req, &secrets, time(NULL));
	request_release(&req);
	arena_destroy(&a);
	return ok;
}

START_TEST(shell_request_decisions)
{
	char good[128], newline[128], wrong[128];
	char enc[96];
	base64_encode((const unsigned char *)SECRET, strlen(SECRET), enc);
	snprintf(good, sizeof good, "HTTP_GITLAB_SHARED_SECRET=%s", enc);
	base64_encode((const unsigned char *)SECRET "\n", strlen(SECRET) + 1, enc);
	snprintf(newline, sizeof newline, "HTTP_GITLAB_SHARED_SECRET=%s", enc);
	base64_encode((const unsigned char *)"nope", 4, enc);
	snprintf(wrong, sizeof wrong, "HTTP_GITLAB_SHARED_SECRET=%s", enc);

	const char *h_good[] = { good, NULL }, *h_nl[] = { newline, NULL }, *h_wrong[] = { wrong, NULL };
	const char *h_twice[] = { good, good, NULL }, *h_raw[] = { "HTTP_GITLAB_SHARED_SECRET=" SECRET, NULL };

	ck_assert(shell_request(h_good, NULL));
	ck_assert(shell_request(h_nl, NULL));
	ck_assert(!shell_request(NULL, NULL));
	ck_assert(!shell_request(h_wrong, NULL));
	ck_assert(!shell_request(h_twice, NULL));
	ck_assert(!shell_request(h_raw, NULL));	/* not base64 */
	ck_assert(shell_request(NULL, "secret_token=" SECRET));
	ck_assert(shell_request(NULL, "secret_token=" SECRET "%0A"));
	ck_assert(!shell_request(NULL, "secret_token=nope"));
	ck_assert(shell_request(h_good, "secret_token=" SECRET));
	ck_assert(!shell_request(h_good, "secret_token=nope"));	/* disagree */
	ck_assert(!shell_request(h_wrong, "secret_token=" SECRET));
	ck_assert(!shell_request(NULL, "secret_token=" SECRET "&secret_token=nope"));
	ck_assert(!shell_request(NULL, "secret_token[]=" SECRET));
	/* secret_token without "=" is nil: absent, the header decides. */
	ck_assert(shell_request(h_good, "secret_token"));
	ck_assert(!shell_request(NULL, "secret_token"));

	char *token = make_jwt(JWT_ALG_HS256, SECRET, "gitlab-shell", time(NULL) + 60, time(NULL));
	char jwt_env[1024];
	snprintf(jwt_env, sizeof jwt_env, "HTTP_GITLAB_SHELL_API_REQUEST=%s", token);
	const char *h_jwt[] = { jwt_env, NULL }, *h_jwt_twice[] = { jwt_env, jwt_env, NULL };
	const char *h_jwt_wrong_secret[] = { jwt_env, wrong, NULL };
	ck_assert(shell_request(h_jwt, NULL));
	ck_assert(!shell_request(h_jwt_twice, NULL));
	/* One credential that verifies is enough. */
	ck_assert(shell_request(h_jwt_wrong_secret, NULL));
	ck_assert(!shell_request(h_jwt_wrong_secret, "secret_token=" SECRET));	/* disagree */
	ck_assert(shell_request(h_jwt, "secret_token=nope"));
	free(token);

	/* gitlab-shell v14.7-v14.11: the header, and a JWT signed with the
	 * secret file's bytes, trailing newline included. */
	token = make_jwt(JWT_ALG_HS256, SECRET "\n", "gitlab-shell", time(NULL) + 60, time(NULL));
	snprintf(jwt_env, sizeof jwt_env, "HTTP_GITLAB_SHELL_API_REQUEST=%s", token);
	const char *h_nl_jwt_good[] = { jwt_env, newline, NULL }, *h_nl_jwt_wrong[] = { jwt_env, wrong, NULL };
	ck_assert(!shell_request(h_jwt, NULL));	/* that JWT alone does not verify */
	ck_assert(shell_request(h_nl_jwt_good, NULL));
	ck_assert(!shell_request(h_nl_jwt_wrong, NULL));
	free(token);
}
END_TEST

Suite *suite_auth(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, secret_compare, 0, sizeof secret_cases / sizeof secret_cases[0]);
	tcase_add_test(tc, empty_configured_secret_matches_nothing);
	tcase_add_loop_test(tc, shell_jwt, 0, sizeof jwt_cases / sizeof jwt_cases[0]);
	tcase_add_test(tc, shell_jwt_malformed);
	tcase_add_test(tc, shell_request_decisions);
	suite_add_tcase(s, tc);
	return s;
}
