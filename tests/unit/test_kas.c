/* The Kubernetes agent server's JWT and the agent token's header: every
 * refusal of RELIABILITY.md §1.4 and §2.4, and proof that libjwt is never
 * reached with an empty key. */
#include "config.h"
#include "auth.h"
#include "bounds.h"
#include "tests.h"
#include "util.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1700000000LL
/* 32 bytes, as the secret file decodes to. */
static const unsigned char KEY[32] = "0123456789abcdef0123456789ABCDEF";

static struct secrets secrets;

static void setup(void)
{
	memset(&secrets, 0, sizeof secrets);
	memcpy(secrets.kas, KEY, sizeof KEY);
	secrets.has_kas = true;
}

static void b64url(const unsigned char *in, size_t len, char *out)
{
	size_t n = base64_encode(in, len, out);
	for (size_t i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
}

/* A token built by hand, so that the header can say anything: signed with
 * HMAC-<digest> under key (of key_len bytes), or unsigned when digest is
 * NULL. */
static char *token(const char *header, const char *payload, const char *digest, const unsigned char *key,
		   size_t key_len)
{
	char h[512], p[1024], sig64[128];
	unsigned char sig[EVP_MAX_MD_SIZE];
	unsigned int sig_len = 0;
	b64url((const unsigned char *)header, strlen(header), h);
	b64url((const unsigned char *)payload, strlen(payload), p);
	char *out = malloc(strlen(h) + strlen(p) + sizeof sig64 + 3);
	ck_assert_ptr_nonnull(out);
	sprintf(out, "%s.%s", h, p);
	sig64[0] = '\0';
	if (digest) {
		ck_assert_ptr_nonnull(HMAC(EVP_get_digestbyname(digest), key, (int)key_len, (unsigned char *)out,
					   strlen(out), sig, &sig_len));
		b64url(sig, sig_len, sig64);
	}
	strcat(out, ".");
	strcat(out, sig64);
	return out;
}

#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define KAS "\"iss\":\"gitlab-kas\""

static const struct {
	const char *header, *payload, *digest;
	bool ok;
	const char *why;
} cases[] = {
	/* What kas sends (golang-jwt: aud as an array), and variants GitLab accepts. */
	{ HS256, "{" KAS ",\"aud\":[\"gitlab\"],\"exp\":1700000005,\"nbf\":1699999995,\"iat\":1700000000}", "sha256", true, "as kas signs" },
	{ HS256, "{" KAS ",\"aud\":\"gitlab\"}", "sha256", true, "aud as a string" },
	{ HS256, "{" KAS ",\"aud\":[\"other\",\"gitlab\"]}", "sha256", true, "aud array holding gitlab" },
	{ HS256, "{" KAS "}", "sha256", true, "no aud (GitLab 14.0 did not check it), no exp" },
	{ "{\"alg\":\"HS256\"}", "{" KAS "}", "sha256", true, "no typ" },
	{ HS256, "{" KAS ",\"exp\":1699999996}", "sha256", true, "expired within the leeway" },
	{ HS256, "{" KAS ",\"nbf\":1700000005}", "sha256", true, "not yet valid within the leeway" },
	/* §1.4 and §2.4 rows 36–45 */
	{ "{\"alg\":\"none\",\"typ\":\"JWT\"}", "{" KAS "}", NULL, false, "alg none, no signature" },
	{ "{\"alg\":\"none\",\"typ\":\"JWT\"}", "{" KAS "}", "sha256", false, "alg none with a signature" },
	{ "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", "{" KAS "}", "sha512", false, "HS512 with the right key" },
	{ "{\"alg\":\"HS384\",\"typ\":\"JWT\"}", "{" KAS "}", "sha384", false, "HS384 with the right key" },
	{ "{\"alg\":\"hs256\",\"typ\":\"JWT\"}", "{" KAS "}", "sha256", false, "alg hs256 (libjwt: strcasecmp)" },
	{ "{\"alg\":\"none\",\"alg\":\"HS256\"}", "{" KAS "}", "sha256", true, "duplicate alg, last wins: HS256 signed" },
	{ "{\"alg\":\"HS256\",\"alg\":\"none\"}", "{" KAS "}", NULL, false, "duplicate alg, last wins: none" },
	{ "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", "{" KAS "}", "sha256", false, "RS256 header" },
	{ HS256, "{\"iss\":\"gitlab-shell\"}", "sha256", false, "wrong iss" },
	{ HS256, "{\"aud\":\"gitlab\"}", "sha256", false, "no iss" },
	{ HS256, "{\"iss\":[\"gitlab-kas\"]}", "sha256", false, "iss as an array" },
	{ HS256, "{" KAS ",\"aud\":\"gitlab-shell\"}", "sha256", false, "wrong aud" },
	{ HS256, "{" KAS ",\"aud\":[\"other\"]}", "sha256", false, "aud array without gitlab" },
	{ HS256, "{" KAS ",\"aud\":[]}", "sha256", false, "empty aud array" },
	{ HS256, "{" KAS ",\"aud\":null}", "sha256", false, "aud null" },
	{ HS256, "{" KAS ",\"aud\":[[\"gitlab\"]]}", "sha256", false, "aud nested array" },
	{ HS256, "{" KAS ",\"exp\":1699999995}", "sha256", false, "expired beyond the leeway" },
	{ HS256, "{" KAS ",\"exp\":1}", "sha256", false, "expired in 1970" },
	{ HS256, "{" KAS ",\"nbf\":1700000006}", "sha256", false, "not yet valid beyond the leeway" },
	{ HS256, "{" KAS ",\"exp\":\"1800000000\"}", "sha256", false, "exp as a string" },
	{ HS256, "{" KAS ",\"exp\":1.8e9}", "sha256", false, "exp as a float" },
	{ HS256, "{" KAS ",\"nbf\":true}", "sha256", false, "nbf as a boolean" },
	{ HS256, "{" KAS ",\"iat\":\"now\"}", "sha256", false, "iat not a number" },
	{ HS256, "{" KAS ",\"iat\":1800000000}", "sha256", true, "iat in the future: not checked, as GitLab" },
	{ "{\"alg\":\"HS256\",\"typ\":\"JWS\"}", "{" KAS "}", "sha256", false, "typ not JWT" },
	{ "[]", "{" KAS "}", "sha256", false, "header not an object" },
	{ HS256, "[]", "sha256", false, "payload not an object" },
};

START_TEST(kas_jwt)
{
	char *t = token(cases[_i].header, cases[_i].payload, cases[_i].digest, KEY, sizeof KEY);
	ck_assert_msg(auth_kas_jwt_valid(&secrets, t, NOW) == cases[_i].ok, "%s: %s", cases[_i].why, t);
	free(t);
}
END_TEST

START_TEST(kas_jwt_wrong_key)
{
	static const unsigned char other[32] = "0123456789abcdef0123456789ABCDEX";
	char *t = token(HS256, "{" KAS "}", "sha256", other, sizeof other);
	ck_assert(!auth_kas_jwt_valid(&secrets, t, NOW));
	free(t);
	/* The shell secret's JWT is no KAS JWT. */
	t = token(HS256, "{" KAS "}", "sha256", KEY, 31);
	ck_assert(!auth_kas_jwt_valid(&secrets, t, NOW));
	free(t);
}
END_TEST

START_TEST(kas_jwt_tampered)
{
	char *t = token(HS256, "{" KAS "}", "sha256", KEY, sizeof KEY);
	size_t n = strlen(t);
	ck_assert(auth_kas_jwt_valid(&secrets, t, NOW));
	t[n - 1] = t[n - 1] == 'A' ? 'B' : 'A';
	ck_assert_msg(!auth_kas_jwt_valid(&secrets, t, NOW), "tampered signature");
	t[n - 1] = '\0';
	ck_assert_msg(!auth_kas_jwt_valid(&secrets, t, NOW), "truncated signature");
	char *dot = strrchr(t, '.');
	dot[1] = '\0';
	ck_assert_msg(!auth_kas_jwt_valid(&secrets, t, NOW), "empty signature");
	free(t);
}
END_TEST

START_TEST(kas_jwt_malformed)
{
	static const char *const bad[] = { "", ".", "..", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9.e30.x", "e30.e30.",
					   "!!!.e30.e30" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!auth_kas_jwt_valid(&secrets, bad[i], NOW), "\"%s\"", bad[i]);
	ck_assert(!auth_kas_jwt_valid(&secrets, NULL, NOW));
}
END_TEST

/* A valid token longer than the cap is refused before libjwt sees it. */
/* A valid token whose payload carries pad bytes of padding (malloc). */
static char *padded_token(size_t pad)
{
	char *payload = malloc(pad + 64);
	ck_assert_ptr_nonnull(payload);
	strcpy(payload, "{" KAS ",\"x\":\"");
	size_t n = strlen(payload);
	memset(payload + n, 'x', pad);
	strcpy(payload + n + pad, "\"}");
	char h[512], *p = malloc(2 * (pad + 64)), *t = malloc(4 * (pad + 64));
	unsigned char sig[EVP_MAX_MD_SIZE];
	unsigned int sig_len = 0;
	char sig64[128];
	ck_assert(p && t);
	b64url((const unsigned char *)HS256, strlen(HS256), h);
	b64url((const unsigned char *)payload, strlen(payload), p);
	sprintf(t, "%s.%s", h, p);
	HMAC(EVP_sha256(), KEY, sizeof KEY, (unsigned char *)t, strlen(t), sig, &sig_len);
	b64url(sig, sig_len, sig64);
	strcat(t, ".");
	strcat(t, sig64);
	free(payload);
	free(p);
	return t;
}

/* The same token is accepted short and refused past the cap: only the
 * length differs. */
START_TEST(kas_jwt_length_cap)
{
	char *small = padded_token(64), *big = padded_token(MAX_HEADER_VALUE);
	ck_assert(auth_kas_jwt_valid(&secrets, small, NOW));
	ck_assert_uint_gt(strlen(big), MAX_HEADER_VALUE);
	ck_assert(!auth_kas_jwt_valid(&secrets, big, NOW));
	free(small);
	free(big);
}
END_TEST

/* RELIABILITY.md §0.1: libjwt 1.10 with key_len 0 accepts any token. glia
 * never calls it so: without a KAS secret every token is refused, even the
 * ones libjwt itself would accept with an empty key. */
START_TEST(kas_jwt_empty_key_unreachable)
{
	static const unsigned char empty[1] = { 0 };
	struct secrets none;
	memset(&none, 0, sizeof none);
	char *signed_empty = token(HS256, "{" KAS "}", "sha256", empty, 0);
	char *unsigned_none = token("{\"alg\":\"none\"}", "{" KAS "}", NULL, empty, 0);

	/* The premise: libjwt itself accepts both with an empty key. */
	jwt_t *j = NULL;
	ck_assert_int_eq(jwt_decode(&j, unsigned_none, NULL, 0), 0);
	jwt_free(j);
	j = NULL;
	ck_assert_int_eq(jwt_decode(&j, signed_empty, (const unsigned char *)"", 0), 0);
	jwt_free(j);

	/* glia: no KAS secret, nothing accepted; the zeroed key bytes are
	 * never used. */
	ck_assert(!auth_kas_jwt_valid(&none, signed_empty, NOW));
	ck_assert(!auth_kas_jwt_valid(&none, unsigned_none, NOW));
	/* A token signed with 32 zero bytes (what an unloaded key holds). */
	static const unsigned char zeros[32] = { 0 };
	char *zero_signed = token(HS256, "{" KAS "}", "sha256", zeros, sizeof zeros);
	ck_assert(!auth_kas_jwt_valid(&none, zero_signed, NOW));
	/* And with the secret loaded, neither empty-key token passes. */
	ck_assert(!auth_kas_jwt_valid(&secrets, signed_empty, NOW));
	ck_assert(!auth_kas_jwt_valid(&secrets, unsigned_none, NOW));
	free(signed_empty);
	free(unsigned_none);
	free(zero_signed);
}
END_TEST

static const struct {
	const char *header, *token;
} bearer_ok[] = {
	{ "Bearer abc", "abc" },
	{ "bearer abc", "abc" },
	{ "BEARER a-b.c_d~e+f/g==", "a-b.c_d~e+f/g==" },
};
static const char *const bearer_bad[] = {
	"", "Bearer", "Bearer ", "Bearer  abc", "Bearer abc ", "Basic YWJj", "Token token=abc", "Bearerabc",
	"Bearer a\rb", "Bearer a\nb", "Bearer a b", "Bearer =abc", "Bearer ab=c", "Bearer ab\"c", "Bearer \tabc",
};

START_TEST(bearer_header)
{
	const char *t;
	size_t len;
	for (size_t i = 0; i < sizeof bearer_ok / sizeof bearer_ok[0]; i++) {
		ck_assert_msg(auth_bearer_token(bearer_ok[i].header, &t, &len) == 0, "\"%s\"", bearer_ok[i].header);
		ck_assert_uint_eq(len, strlen(bearer_ok[i].token));
		ck_assert(memcmp(t, bearer_ok[i].token, len) == 0);
	}
	for (size_t i = 0; i < sizeof bearer_bad / sizeof bearer_bad[0]; i++)
		ck_assert_msg(auth_bearer_token(bearer_bad[i], &t, &len) < 0, "\"%s\"", bearer_bad[i]);
	ck_assert(auth_bearer_token(NULL, &t, &len) < 0);
	char long_header[MAX_AGENT_TOKEN + 16];
	strcpy(long_header, "Bearer ");
	memset(long_header + 7, 'a', MAX_AGENT_TOKEN);
	long_header[7 + MAX_AGENT_TOKEN] = '\0';
	ck_assert(auth_bearer_token(long_header, &t, &len) == 0);
	strcat(long_header, "a");
	ck_assert(auth_bearer_token(long_header, &t, &len) < 0);
}
END_TEST

Suite *suite_kas(void)
{
	Suite *s = suite_create("kas");
	TCase *tc = tcase_create("kas");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, kas_jwt, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, kas_jwt_wrong_key);
	tcase_add_test(tc, kas_jwt_tampered);
	tcase_add_test(tc, kas_jwt_malformed);
	tcase_add_test(tc, kas_jwt_length_cap);
	tcase_add_test(tc, kas_jwt_empty_key_unreachable);
	tcase_add_test(tc, bearer_header);
	suite_add_tcase(s, tc);
	return s;
}
