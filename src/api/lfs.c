/* POST /internal/lfs_authenticate: a short-lived token with which the Git
 * LFS client, having come over SSH, talks to GitLab over HTTP. As GitLab,
 * no access check here (gitlab-shell asked /allowed first): the repository
 * must exist and have LFS, and someone must be asking. The token is an
 * HS256 JWT under lfs_secret_file's key, so nothing is written. */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"
#include "api/repo.h"

#include <jwt.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* The reference's lifetime (GitLab 2021 used 7200 s), and JSONWebToken's
 * not-before allowance. */
#define LFS_TOKEN_LIFETIME 1800
#define LFS_NOT_BEFORE 5

/* A random UUID, version 4 (RFC 4122). Returns 0 or -1. */
static int uuid_v4(char out[37])
{
	unsigned char b[16];
	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* {"data":{"actor":name}} through json-c, so that the name is escaped. */
static int add_actor_claim(jwt_t *jwt, const char *name)
{
	json_object *claims = json_object_new_object(), *data = json_object_new_object();
	if (!claims || !data) {
		json_object_put(claims);
		json_object_put(data);
		return -1;
	}
	json_object_object_add(data, "actor", json_object_new_string(name));
	json_object_object_add(claims, "data", data);
	int rc = jwt_add_grants_json(jwt, json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN));
	json_object_put(claims);
	return rc == 0 ? 0 : -1;
}

/* The signed token (malloc'd), or NULL. */
static char *lfs_token(const struct secrets *secrets, const char *actor_name, time_t now)
{
	char jti[37];
	char *token = NULL;
	jwt_t *jwt = NULL;

	/* With a zero-length key libjwt would silently emit an unsigned token:
	 * the caller has refused that case already, and jwt_set_alg's result
	 * is checked besides. */
	if (secrets->lfs_len == 0 || uuid_v4(jti) < 0 || jwt_new(&jwt) != 0)
		goto done;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, secrets->lfs, (int)secrets->lfs_len) != 0 ||
	    jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto done;
	if (add_actor_claim(jwt, actor_name) < 0 || jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "nbf", (long)now - LFS_NOT_BEFORE) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)now + LFS_TOKEN_LIFETIME) != 0)
		goto done;
	token = jwt_encode_str(jwt);
done:
	jwt_free(jwt);
	return token;
}

/* LfsToken's actor name: the user, or the deploy key itself. */
static const char *actor_name(struct request *req, const struct actor *a)
{
	if (a->deploy_key)
		return arena_printf(req->arena, "lfs+deploy-key-%lld", a->key_id);
	return a->has_user ? a->username : NULL;
}

static void write_token(struct request *req, struct response *res, struct app *app, const char *name,
			const struct repo *repo)
{
	char *token = lfs_token(app->secrets, name, time(NULL));
	const char *url = arena_printf(req->arena, "%s/%s.git", app->conf->external_url, repo->gl_project_path);
	json_object *o = token && url ? json_object_new_object() : NULL;

	if (!o) {
		log_req(LOG_LVL_ERROR, req->request_id, "lfs_authenticate: could not make a token");
		free(token);
		response_status(res, 500);
		return;
	}
	json_object_object_add(o, "username", json_object_new_string(name));
	json_object_object_add(o, "lfs_token", json_object_new_string(token));
	json_object_object_add(o, "repository_http_path", json_object_new_string(url));
	json_object_object_add(o, "expires_in", json_object_new_int(LFS_TOKEN_LIFETIME));
	free(token);
	response_json(res, 200, o);
}

void api_lfs_authenticate(struct request *req, struct response *res, struct app *app)
{
	static bool warned;
	struct actor actor;
	struct repo_ref ref;
	struct repo repo;

	if (app->secrets->lfs_len == 0) {
		if (!warned)
			log_warn("lfs_authenticate refused: lfs_secret_file is not configured");
		warned = true;
		response_status(res, 404);
		return;
	}
	if (actor_find(req, app, ACTOR_PARAMS, &actor, res) < 0 || repo_ref_from_request(req, &ref, res) < 0)
		return;
	/* A wiki has its project's LFS; snippets and designs have none. */
	if (ref.type == REPO_SNIPPET || ref.type == REPO_DESIGN) {
		response_status(res, 404);
		return;
	}
	if (repo_find(req, app, &ref, &repo, res) < 0)
		return;
	if (!repo.found || !repo.lfs_enabled) {
		response_status(res, 404);
		return;
	}
	const char *name = actor_name(req, &actor);
	if (!name) {
		/* GitLab's RecordNotFound('User not found!'), lowercase "found". */
		response_message(res, 404, "404 Not found");
		return;
	}
	write_token(req, res, app, name, &repo);
}
