/* auth_shell_jwt_valid and auth_kas_jwt_valid (src/auth.c) with a fixed
 * 32-byte key and a fixed clock, plus auth_secret_matches and
 * auth_bearer_token. Oracle for an accepted token, computed apart from
 * libjwt: three base64url parts; the header's alg is exactly "HS256"; the
 * signature is HMAC-SHA256 of "header.payload" under the key; iss is
 * gitlab-shell (or gitlab-kas); exp/nbf hold against the clock. The shared
 * secret is compared against a reference of GitLab's chomp rule. */
#include "config.h"
#include "auth.h"
#include "bounds.h"
#include "secret.h"
#include "fuzz.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define NOW ((time_t)1700000000)

/* "glia-fuzz-key-0123456789abcdef!!": 32 bytes, as the seeds are signed. */
static const unsigned char KEY[32] = "glia-fuzz-key-0123456789abcdef!!";
static const char SHELL_SECRET[] = "0123456789abcdef0123456789abcdef";

static struct secrets secrets;

/* base64url without padding → bytes; -1 on any other character. */
static long b64url_decode(const char *s, size_t len, unsigned char *out)
{
	unsigned int acc = 0;
	int bits = 0;
	long o = 0;
	for (size_t i = 0; i < len; i++) {
		const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *p = s[i] ? strchr(alpha, s[i]) : NULL;
		if (!p)
			return -1;
		acc = acc << 6 | (unsigned int)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

static json_object *part_json(const char *s, size_t len)
{
	unsigned char *buf = malloc(len + 1);
	long n = b64url_decode(s, len, buf);
	json_object *o = NULL;
	if (n >= 0) {
		buf[n] = '\0';
		if (strlen((char *)buf) == (size_t)n)
			o = json_tokener_parse((char *)buf);
	}
	free(buf);
	return o;
}

static long long claim_int(json_object *payload, const char *name, int *present)
{
	json_object *v;
	*present = json_object_object_get_ex(payload, name, &v);
	return *present ? json_object_get_int64(v) : 0;
}

/* What every accepted token must be. */
static void check_accepted(const char *token, const char *iss)
{
	const char *d1 = strchr(token, '.');
	CHECK(d1);
	const char *d2 = strchr(d1 + 1, '.');
	CHECK(d2 && !strchr(d2 + 1, '.'));

	json_object *header = part_json(token, (size_t)(d1 - token));
	json_object *payload = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
	json_object *v;
	CHECK(header && payload);
	CHECK(json_object_object_get_ex(header, "alg", &v) && json_object_is_type(v, json_type_string));
	CHECK(strcasecmp(json_object_get_string(v), "HS256") == 0);
	if (strcmp(iss, "gitlab-kas") == 0)
		CHECK(strcmp(json_object_get_string(v), "HS256") == 0);
	CHECK(json_object_object_get_ex(payload, "iss", &v) && json_object_is_type(v, json_type_string));
	CHECK(strcmp(json_object_get_string(v), iss) == 0);

	int present;
	long long exp = claim_int(payload, "exp", &present);
	if (strcmp(iss, "gitlab-shell") == 0)
		CHECK(present && exp + SHELL_JWT_LEEWAY >= NOW);
	else if (present)
		CHECK(exp > NOW - KAS_JWT_LEEWAY);
	long long nbf = claim_int(payload, "nbf", &present);
	if (present)
		CHECK(nbf <= NOW + (strcmp(iss, "gitlab-shell") == 0 ? SHELL_JWT_LEEWAY : KAS_JWT_LEEWAY));

	/* The signature, recomputed. */
	unsigned char mac[EVP_MAX_MD_SIZE], sig[EVP_MAX_MD_SIZE + 4];
	unsigned int mac_len = 0;
	size_t sig_text = strlen(d2 + 1);
	CHECK(sig_text <= 4 * (EVP_MAX_MD_SIZE / 3));
	long sig_len = b64url_decode(d2 + 1, sig_text, sig);
	CHECK(HMAC(EVP_sha256(), KEY, sizeof KEY, (const unsigned char *)token, (size_t)(d2 - token), mac, &mac_len));
	CHECK(sig_len == (long)mac_len && CRYPTO_memcmp(sig, mac, mac_len) == 0);
	json_object_put(header);
	json_object_put(payload);
}

static bool ref_secret_matches(const char *in, size_t len)
{
	if (len >= 2 && in[len - 2] == '\r' && in[len - 1] == '\n')
		len -= 2;
	else if (len >= 1 && (in[len - 1] == '\r' || in[len - 1] == '\n'))
		len--;
	return len == sizeof SHELL_SECRET - 1 && memcmp(in, SHELL_SECRET, len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (secrets.shell_len == 0) {
		memcpy(secrets.shell, SHELL_SECRET, sizeof SHELL_SECRET - 1);
		secrets.shell_len = sizeof SHELL_SECRET - 1;
		memcpy(secrets.shell_jwt_key, KEY, sizeof KEY);
		secrets.shell_jwt_key_len = sizeof KEY;
		memcpy(secrets.kas, KEY, sizeof KEY);
		secrets.has_kas = true;
	}
	char *token = fuzz_cstr(data, size);

	bool shell = auth_shell_jwt_valid(&secrets, token, NOW);
	if (shell)
		check_accepted(token, "gitlab-shell");
	bool kas = auth_kas_jwt_valid(&secrets, token, NOW);
	if (kas)
		check_accepted(token, "gitlab-kas");
	if (size > MAX_HEADER_VALUE)
		CHECK(!shell && !kas);

	/* The same bytes as a shared secret, exactly size bytes long. */
	char *raw = malloc(size ? size : 1);
	memcpy(raw, data, size);
	CHECK(auth_secret_matches(&secrets, raw, size) == ref_secret_matches(raw, size));
	free(raw);

	/* And as an Authorization header. */
	const char *t;
	size_t tl;
	if (auth_bearer_token(token, &t, &tl) == 0) {
		CHECK(strncasecmp(token, "Bearer ", 7) == 0 && t == token + 7);
		CHECK(tl >= 1 && tl <= MAX_AGENT_TOKEN && tl == strlen(t));
		CHECK(t[0] != '=');
	}
	free(token);
	return 0;
}
