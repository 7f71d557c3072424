/* Authentication of gitlab-shell and Gitaly, and of the Kubernetes agent
 * server's JWT. libjwt 1.10 verifies only the
 * signature, with whatever algorithm the token names: glia pins the
 * algorithm and checks every claim itself. */
#include "config.h"
#include "auth.h"
#include "bounds.h"
#include "request.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool auth_secret_matches(const struct secrets *s, const char *input, size_t len)
{
	len = chomp_len(input, len);
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

/* Whether every secret_token parameter (query and body) says the same. */
static bool secret_token_consistent(const struct request *req, const struct param *param)
{
	for (size_t i = 0; i < req->n_params; i++) {
		const struct param *p = &req->params[i];
		if (strcmp(p->name, "secret_token") == 0 &&
		    (p->type != PARAM_STRING || p->len != param->len || memcmp(p->str, param->str, p->len) != 0))
			return false;
	}
	return true;
}

/* Whether the Gitlab-Shared-Secret header decodes to the secret. */
static bool shared_secret_header_matches(const struct secrets *s, const char *header)
{
	size_t hl = strlen(header);
	unsigned char decoded[MAX_HEADER_VALUE / 4 * 3 + 3];
	if (hl > MAX_HEADER_VALUE)
		return false;
	long dl = base64_decode(header, hl, decoded);
	bool match = dl > 0 && auth_secret_matches(s, (const char *)decoded, (size_t)dl);
	/* What base64_decode may have written, not the whole buffer. */
	OPENSSL_cleanse(decoded, hl / 4 * 3 + 3);
	return match;
}

/* A request is authenticated when one credential it carries verifies: the
 * secret (header or secret_token) or the JWT. gitlab-shell v14.0-v14.11 send
 * the header beside a JWT signed with the secret file's raw bytes, trailing
 * newline included, which GitLab of their time never checked; gitlab-shell
 * from v14.13 sends the JWT alone. What stays refused is ambiguity: a
 * repeated header, or secret parameters that disagree with each other or
 * with the header. */
bool auth_shell(const struct request *req, const struct secrets *s, time_t now)
{
	int n_header, n_jwt;
	const char *header = request_env(req, "HTTP_GITLAB_SHARED_SECRET", &n_header);
	const char *jwt = request_env(req, "HTTP_GITLAB_SHELL_API_REQUEST", &n_jwt);
	const struct param *param = request_param(req, "secret_token");
	bool secret_ok = false;

	if (n_header > 1 || n_jwt > 1)
		return false;
	/* The last secret_token wins; one without a value is absent. */
	if (param && param->type == PARAM_NULL)
		param = NULL;
	if (param && !secret_token_consistent(req, param))
		return false;
	if (header) {
		secret_ok = shared_secret_header_matches(s, header);
		if (param && auth_secret_matches(s, param->str, param->len) != secret_ok)
			return false;
	} else if (param) {
		secret_ok = auth_secret_matches(s, param->str, param->len);
	}
	return secret_ok || (jwt && auth_shell_jwt_valid(s, jwt, now));
}

/* aud absent: accepted (GitLab 14.0 did not check it); a string or an array
 * of strings must name "gitlab". The grants come back as JSON text, since
 * libjwt 1.10 reads an array aud as NULL. */
static bool kas_audience_ok(jwt_t *jwt)
{
	char *text = jwt_get_grants_json(jwt, "aud");
	bool ok = false;

	if (!text)
		return true;
	json_object *aud = json_tokener_parse(text);
	free(text);
	if (json_object_is_type(aud, json_type_string)) {
		ok = strcmp(json_object_get_string(aud), "gitlab") == 0;
	} else if (json_object_is_type(aud, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(aud) && !ok; i++) {
			json_object *item = json_object_array_get_idx(aud, i);
			ok = json_object_is_type(item, json_type_string) &&
			     strcmp(json_object_get_string(item), "gitlab") == 0;
		}
	}
	json_object_put(aud);
	return ok;
}

bool auth_kas_jwt_valid(const struct secrets *s, const char *token, time_t now)
{
	jwt_t *jwt = NULL;
	bool valid = false, ok;
	long long exp, nbf, iat;

	/* The key is always KAS_SECRET_LEN bytes when has_kas is set; without
	 * it libjwt would be called with an empty key and accept any token. */
	if (!s->has_kas || !token || strlen(token) > MAX_HEADER_VALUE)
		return false;
	if (jwt_decode(&jwt, token, s->kas, KAS_SECRET_LEN) != 0 || !jwt)
		goto out;
	/* libjwt compares alg case-insensitively and accepts HS384/HS512. */
	const char *alg = jwt_get_header(jwt, "alg");
	if (jwt_get_alg(jwt) != JWT_ALG_HS256 || !alg || strcmp(alg, "HS256") != 0)
		goto out;
	const char *iss = jwt_get_grant(jwt, "iss");
	if (!iss || strcmp(iss, "gitlab-kas") != 0 || !kas_audience_ok(jwt))
		goto out;
	/* ruby-jwt: expired when exp <= now - leeway; immature when nbf > now + leeway. */
	if (jwt_claim_int(jwt, "exp", &exp, &ok) && (!ok || exp <= (long long)now - KAS_JWT_LEEWAY))
		goto out;
	if (jwt_claim_int(jwt, "nbf", &nbf, &ok) && (!ok || nbf > (long long)now + KAS_JWT_LEEWAY))
		goto out;
	if (jwt_claim_int(jwt, "iat", &iat, &ok) && !ok)
		goto out;
	valid = true;
out:
	jwt_free(jwt);
	return valid;
}

/* RFC 6750's b64token: ALPHA DIGIT "-" "." "_" "~" "+" "/", then "=" padding. */
static bool b64token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

/* A whole b64token: 1..MAX_AGENT_TOKEN characters, "=" padding last. */
static int b64token(const char *t, const char **token, size_t *len)
{
	size_t n = 0;

	while (t[n] && b64token_char(t[n]) && n <= MAX_AGENT_TOKEN)
		n++;
	size_t body = n;
	while (t[n] == '=' && n <= MAX_AGENT_TOKEN)
		n++;
	if (body == 0 || t[n] != '\0' || n > MAX_AGENT_TOKEN)
		return -1;
	*token = t;
	*len = n;
	return 0;
}

int auth_bearer_token(const char *header, const char **token, size_t *len)
{
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return -1;
	return b64token(header + 7, token, len);
}

int auth_agent_token(const struct request *req, const char **token, size_t *len)
{
	int n;
	const char *header = request_env(req, "HTTP_AUTHORIZATION", &n);

	if (n > 0)
		return n == 1 ? auth_bearer_token(header, token, len) : -1;
	header = request_env(req, "HTTP_GITLAB_AGENTK_API_REQUEST", &n);
	return n == 1 ? b64token(header, token, len) : -1;
}
