/* Authentication of the callers: gitlab-shell and Gitaly by the shared
 * secret (or the JWT signed with it). */
#ifndef GLIA_AUTH_H
#define GLIA_AUTH_H

#include <stdbool.h>
#include <stddef.h>
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

/* The shell authentication of a request: secret_token parameter or
 * Gitlab-Shared-Secret header (base64), else the JWT header. A repeated
 * header, or a parameter and a header that disagree, is refused. */
bool auth_shell(const struct request *req, const struct secrets *s, time_t now);

#endif
