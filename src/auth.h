/* Authentication of the callers: gitlab-shell and Gitaly by the shared
 * secret (or the JWT signed with it). */
#ifndef GLIA_AUTH_H
#define GLIA_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"
#include <time.h>

#include "secret.h"

struct request;

/* GitLab's HMACToken leeway for the gitlab-shell JWT. */
#define SHELL_JWT_LEEWAY 60

/* Whether input (after one trailing newline is removed) equals the shared
 * secret, compared in constant time. */
bool auth_secret_matches(const struct secrets *s, const char *input, size_t len);

/* Verifies a Gitlab-Shell-Api-Request token: HS256 only, iss gitlab-shell,
 * exp present and not past (with leeway), nbf and iat not in the future. */
bool auth_shell_jwt_valid(const struct secrets *s, const char *token, time_t now);

/* The shell authentication of a request: true when one credential it
 * carries verifies, the secret (secret_token parameter or the base64
 * Gitlab-Shared-Secret header) or the Gitlab-Shell-Api-Request JWT. A
 * repeated header, or a parameter and a header that disagree, is refused. */
bool auth_shell(const struct request *req, const struct secrets *s, time_t now);

/* Leeway of the KAS JWT's exp and nbf: kas signs exp = now + 5 s, so a
 * small clock skew between the hosts must not refuse it. */
#define KAS_JWT_LEEWAY 5

/* Verifies a Gitlab-Kas-Api-Request token: refused without a KAS secret
 * (libjwt would accept anything with an empty key), longer than
 * MAX_HEADER_VALUE, with an alg other than exactly "HS256", iss other than
 * gitlab-kas, an aud present but not "gitlab" (a string, or an array that
 * holds it), exp past or nbf ahead (beyond the leeway), or exp, nbf or iat
 * that is not an integer. Pure: no I/O, no database. */
bool auth_kas_jwt_valid(const struct secrets *s, const char *token, time_t now);

/* The agent token of an Authorization header: "Bearer" (any case), exactly
 * one space, then 1..MAX_AGENT_TOKEN characters of RFC 6750's b64token.
 * Returns 0 with *token and *len set (pointing into header), or -1. */
int auth_bearer_token(const char *header, const char **token, size_t *len);

/* The agent token of a kas request, as current GitLab reads it
 * (AuthFinders#cluster_agent_token_from_authorization_token): from
 * Authorization: Bearer when that header is there, else the whole value of
 * Gitlab-Agentk-Api-Request, which kas moves to. A repeated header is
 * refused. Returns 0 with *token and *len set, or -1. */
int auth_agent_token(const struct request *req, const char **token, size_t *len);

#endif
