/* Authentication of gitlab-shell and Gitaly. libjwt 1.10 verifies only the
 * signature, with whatever algorithm the token names: glia pins the
 * algorithm and checks every claim itself. */
#include "config.h"
#include "auth.h"
#include "bounds.h"
#include "request.h"
#include "util.h"

#include <errno.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

bool auth_secret_matches(const struct secrets *s, const char *input, size_t len)
{
	/* Ruby's chomp: one trailing "\r\n", "\n" or "\r". */
	if (len >= 2 && input[len - 2] == '\r' && input[len - 1] == '\n')
		len -= 2;
	else if (len >= 1 && (input[len - 1] == '\n' || input[len - 1] == '\r'))
		len -= 1;
	/* The length is not secret; the bytes are compared in constant time. */
	if (len == 0 || s->shell_len == 0 || len != s->shell_len)
		return false;
	return CRYPTO_memcmp(input, s->shell, len) == 0;
}

/* A numeric claim: false when absent; *ok false when present but not an
 * integer (libjwt would read 1.7e9 or "now" as absent or zero). */
static bool jwt_claim_int(jwt_t *jwt, const char *name, long long *out, bool *ok)
{
	char *text = jwt_get_grants_json(jwt, name);
	*ok = true;
	if (!text)
		return false;
	if (parse_int64(text, strlen(text), out) < 0)
		*ok = false;
	free(text);
	return true;
}

bool auth_shell_jwt_valid(const struct secrets *s, const char *token, time_t now)
{
	jwt_t *jwt = NULL;
	bool valid = false, ok;
	long long exp, nbf, iat;

	/* With an empty key libjwt accepts any token: never call it so. */
	if (s->shell_jwt_key_len == 0 || !token || strlen(token) > MAX_HEADER_VALUE)
		return false;
	if (jwt_decode(&jwt, token, s->shell_jwt_key, (int)s->shell_jwt_key_len) != 0 || !jwt)
		goto out;
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto out;
	const char *iss = jwt_get_grant(jwt, "iss");
	if (!iss || strcmp(iss, "gitlab-shell") != 0)
		goto out;
	if (!jwt_claim_int(jwt, "exp", &exp, &ok) || !ok || exp + SHELL_JWT_LEEWAY < (long long)now)
		goto out;
	if (jwt_claim_int(jwt, "nbf", &nbf, &ok) && (!ok || nbf - SHELL_JWT_LEEWAY > (long long)now))
		goto out;
	if (jwt_claim_int(jwt, "iat", &iat, &ok) && (!ok || iat - SHELL_JWT_LEEWAY > (long long)now))
		goto out;
	valid = true;
out:
	jwt_free(jwt);
	return valid;
}

bool auth_shell(const struct request *req, const struct secrets *s, time_t now)
{
	int n_header, n_jwt;
	const char *header = request_env(req, "HTTP_GITLAB_SHARED_SECRET", &n_header);
	const char *jwt = request_env(req, "HTTP_GITLAB_SHELL_API_REQUEST", &n_jwt);
	const struct param *param = request_param(req, "secret_token");

	if (n_header > 1 || n_jwt > 1)
		return false;
	if (param) {
		/* Given twice (query and body) it must agree with itself. */
		for (size_t i = 0; i < req->n_params; i++) {
			const struct param *p = &req->params[i];
			if (strcmp(p->name, "secret_token") == 0 &&
			    (p->type != PARAM_STRING || p->len != param->len || memcmp(p->str, param->str, p->len) != 0))
				return false;
		}
	}
	if (header) {
		size_t hl = strlen(header);
		unsigned char decoded[MAX_HEADER_VALUE / 4 * 3 + 3];
		if (hl > MAX_HEADER_VALUE)
			return false;
		long dl = base64_decode(header, hl, decoded);
		bool match = dl > 0 && auth_secret_matches(s, (const char *)decoded, (size_t)dl);
		OPENSSL_cleanse(decoded, sizeof decoded);
		/* A parameter beside the header must say the same thing. */
		if (!match || (param && !auth_secret_matches(s, param->str, param->len)))
			return false;
		return true;
	}
	if (param)
		return auth_secret_matches(s, param->str, param->len);
	if (jwt)
		return auth_shell_jwt_valid(s, jwt, now);
	return false;
}
