/* POST /internal/lfs_authenticate: a short-lived token with which the Git
 * LFS client, having come over SSH, talks to GitLab over HTTP. As GitLab,
 * no access check here (gitlab-shell asked /allowed first): the repository
 * must exist and have LFS, and someone must be asking. The token is an
 * HS256 JWT, so nothing is written. On glia's tables it is signed with
 * lfs_secret_file's key and glia checks it itself; with schema = gitlab it
 * is the token GitLab's own Gitlab::LfsToken mints, under the key GitLab
 * derives from db_key_base (lfs_key.h), because GitLab checks it when the
 * client comes back over HTTP. */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"
#include "api/repo.h"

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lfs_key.h"
#include "log.h"

/* The reference's lifetime (GitLab 2021 used 7200 s), and JSONWebToken's
 * not-before allowance. */
#define LFS_TOKEN_LIFETIME 1800
#define LFS_NOT_BEFORE 5
/* Gitlab::LfsToken::DEFAULT_EXPIRE_TIME of the GitLab whose tables
 * schema = gitlab reads: its tokens live as GitLab's. */
#define GITLAB_LFS_TOKEN_LIFETIME 7200

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

/* {"data":{"actor":name}} through json-c, so that the name is escaped;
 * GitLab's tokens also name the project they are for
 * ("container_gid":"gid://gitlab/Project/7"), which GitLab compares with
 * the project the client then asks about. */
static int add_data_claim(jwt_t *jwt, const char *name, const char *container_gid)
{
	json_object *claims = json_object_new_object(), *data = json_object_new_object();
	if (!claims || !data) {
		json_object_put(claims);
		json_object_put(data);
		return -1;
	}
	json_object_object_add(data, "actor", json_object_new_string(name));
	if (container_gid)
		json_object_object_add(data, "container_gid", json_object_new_string(container_gid));
	json_object_object_add(claims, "data", data);
	int rc = jwt_add_grants_json(jwt, json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN));
	json_object_put(claims);
	return rc == 0 ? 0 : -1;
}

/* The signed token (malloc'd), or NULL: JSONWebToken::HMACToken's claims,
 * data, jti, iat, nbf and exp. libjwt 1.10 writes them sorted by name
 * (data, exp, iat, jti, nbf), not in the order GitLab does; a verifier
 * reads them by name. iat is now, as GitLab's: ruby-jwt refuses a token
 * whose iat is in the future, without leeway. */
static char *lfs_token(const unsigned char *key, size_t key_len, const char *actor_name, const char *container_gid,
		       time_t now, long lifetime)
{
	char jti[37];
	char *token = NULL;
	jwt_t *jwt = NULL;

	/* With a zero-length key libjwt would silently emit an unsigned token:
	 * the callers have refused that case already, and jwt_set_alg's result
	 * is checked besides. */
	if (key_len == 0 || key_len > INT32_MAX || uuid_v4(jti) < 0 || jwt_new(&jwt) != 0)
		goto done;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)key_len) != 0 || jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto done;
	if (add_data_claim(jwt, actor_name, container_gid) < 0 || jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "nbf", (long)now - LFS_NOT_BEFORE) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)now + lifetime) != 0)
		goto done;
	token = jwt_encode_str(jwt);
done:
	jwt_free(jwt);
	return token;
}

/* Frees a token (NULL too), wiped first: it is a credential for its
 * lifetime. */
static void token_free(char *token)
{
	if (!token)
		return;
	OPENSSL_cleanse(token, strlen(token));
	free(token);
}

/* LfsToken's actor name: the user, or the deploy key itself. */
static const char *actor_name(struct request *req, const struct actor *a)
{
	if (a->deploy_key)
		return arena_printf(req->arena, "lfs+deploy-key-%lld", a->key_id);
	return a->has_user ? a->username : NULL;
}

/* 200 {"username","lfs_token","repository_http_path","expires_in"}:
 * LfsToken#authentication_payload. Frees token. */
static void write_token(struct request *req, struct response *res, struct app *app, const char *name, char *token,
			const char *full_path, long lifetime)
{
	const char *url = arena_printf(req->arena, "%s/%s.git", app->conf->external_url, full_path);
	json_object *o = token && url ? json_object_new_object() : NULL;

	if (!o) {
		log_req(LOG_LVL_ERROR, req->request_id, "lfs_authenticate: could not make a token");
		token_free(token);
		response_status(res, 500);
		return;
	}
	json_object_object_add(o, "username", json_object_new_string(name));
	json_object_object_add(o, "lfs_token", json_object_new_string(token));
	json_object_object_add(o, "repository_http_path", json_object_new_string(url));
	json_object_object_add(o, "expires_in", json_object_new_int64(lifetime));
	token_free(token);
	response_json(res, 200, o);
}

/* gitlab_lfs_by_path / _by_id's columns (gitlab_schema.c). */
enum {
	GITLAB_LFS_KEY_ID,
	GITLAB_LFS_DEPLOY_KEY,
	GITLAB_LFS_FINGERPRINT16,
	GITLAB_LFS_USER_ID,
	GITLAB_LFS_USERNAME,
	GITLAB_LFS_PASSWORD_TAIL,
	GITLAB_LFS_PROJECT_ID,
	GITLAB_LFS_PATH,
	GITLAB_LFS_ENABLED,
};

/* The token of row 0's actor for its project (malloc'd), and its name
 * (arena) in *name; NULL with *name NULL when there is no actor to sign
 * for (no key, no user, or a key GitLab fails on, below), NULL with *name
 * set when it cannot be made. The key lives on this stack only, and is
 * wiped. */
static char *gitlab_token(struct request *req, struct app *app, PGresult *r, const char **name)
{
	unsigned char key[LFS_KEY_MAX];
	size_t key_len = 0;
	const unsigned char *base = app->secrets->db_key_base;
	size_t base_len = app->secrets->db_key_base_len;
	char *token;

	*name = NULL;
	/* LfsToken.new(actor.key_or_user): a deploy key signs as itself, a
	 * user's key as its user. */
	if (!PQgetisnull(r, 0, GITLAB_LFS_KEY_ID) && col_flag(r, GITLAB_LFS_DEPLOY_KEY)) {
		/* A deploy key without fingerprint_sha256 (one from before
		 * that column, NULL, or an empty one, which the statement
		 * makes NULL): GitLab fails on it (500, nil.first), and an
		 * empty fingerprint would make a key GitLab never signs with.
		 * glia signs nothing and answers as for no actor (404). */
		if (PQgetisnull(r, 0, GITLAB_LFS_FINGERPRINT16)) {
			log_req(LOG_LVL_WARN, req->request_id,
				"lfs_authenticate: deploy key %lld has no fingerprint_sha256: no token",
				col_int(r, GITLAB_LFS_KEY_ID, 0));
			return NULL;
		}
		*name = arena_printf(req->arena, "lfs+deploy-key-%lld", col_int(r, GITLAB_LFS_KEY_ID, 0));
		key_len = lfs_key_deploy_key(PQgetvalue(r, 0, GITLAB_LFS_FINGERPRINT16), base, base_len, key,
					     sizeof key);
	} else if (!PQgetisnull(r, 0, GITLAB_LFS_USER_ID)) {
		*name = col_text(req, r, GITLAB_LFS_USERNAME);
		key_len = lfs_key_user(col_int(r, GITLAB_LFS_USER_ID, 0), PQgetvalue(r, 0, GITLAB_LFS_PASSWORD_TAIL),
				       base, base_len, key, sizeof key);
	} else {
		/* No key and no user; or a key (not a deploy key) whose
		 * user_id is NULL, which GitLab's LfsToken turns into a nil
		 * actor and fails on (500): glia answers 404 "404 Not found",
		 * as for no actor. */
		return NULL;
	}
	const char *gid = arena_printf(req->arena, "gid://gitlab/Project/%lld", col_int(r, GITLAB_LFS_PROJECT_ID, 0));
	token = *name && gid && key_len ? lfs_token(key, key_len, *name, gid, time(NULL), GITLAB_LFS_TOKEN_LIFETIME)
					: NULL;
	OPENSSL_cleanse(key, sizeof key);
	if (!*name)
		*name = "";	/* out of memory: not "nobody" */
	return token;
}

/* schema = gitlab: GitLab's lfs_authenticate (lib/api/internal/base.rb):
 * not_found! unless the container has LFS, then RecordNotFound without an
 * actor, then LfsToken.new(actor.key_or_user, container). */
static void gitlab_lfs_authenticate(struct request *req, struct response *res, struct app *app)
{
	struct actor_ref who;
	struct repo_ref ref;
	char id_text[24];

	if (app->secrets->db_key_base_len == 0) {
		/* Without GitLab's key: the route stays GitLab's, as the router
		 * answers every route it does not serve. */
		response_error(res, 404, "404 Not Found");
		res->not_served = true;
		return;
	}
	if (actor_ref_from_request(req, ACTOR_PARAMS, &who, res) < 0 || repo_ref_from_request(req, &ref, res) < 0 ||
	    actor_resolve_username(app, &who, res) < 0)
		return;
	/* A wiki's and a design repository's tokens name that container
	 * (its global id), which glia does not know how GitLab spells: both
	 * have their project's LFS (DesignManagement::Repository delegates
	 * lfs_enabled? to it), so GitLab's to answer. */
	if (ref.type == REPO_WIKI || ref.type == REPO_DESIGN) {
		response_error(res, 404, "404 Not Found");
		res->not_served = true;
		return;
	}
	/* Snippets have no LFS (HasRepository#lfs_enabled?). */
	if (ref.type != REPO_PROJECT || !ref.valid) {
		response_status(res, 404);
		return;
	}
	const char *params[] = { who.key_id, who.user_id, repo_ref_param(req, &ref, id_text, sizeof id_text) };
	if (!params[2]) {
		response_status(res, 500);
		return;
	}
	PGresult *r = api_query(app, ref.by_id ? app->sql->lfs_by_id : app->sql->lfs_by_path, params, res);
	if (!r)
		return;
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, GITLAB_LFS_PROJECT_ID) || !col_flag(r, GITLAB_LFS_ENABLED)) {
		PQclear(r);
		response_status(res, 404);
		return;
	}
	const char *name;
	char *token = gitlab_token(req, app, r, &name);
	const char *path = col_text(req, r, GITLAB_LFS_PATH);
	PQclear(r);
	if (!name) {
		token_free(token);
		/* GitLab's RecordNotFound('User not found!'), lowercase "found". */
		response_message(res, 404, "404 Not found");
		return;
	}
	if (!path) {
		token_free(token);
		token = NULL;
	}
	write_token(req, res, app, name, token, path, GITLAB_LFS_TOKEN_LIFETIME);
}

void api_lfs_authenticate(struct request *req, struct response *res, struct app *app)
{
	static bool warned;
	struct actor actor;
	struct repo_ref ref;
	struct repo repo;

	if (app->conf->schema == SCHEMA_GITLAB) {
		gitlab_lfs_authenticate(req, res, app);
		return;
	}
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
	write_token(req, res, app, name,
		    lfs_token(app->secrets->lfs, app->secrets->lfs_len, name, NULL, time(NULL), LFS_TOKEN_LIFETIME),
		    repo.gl_project_path, LFS_TOKEN_LIFETIME);
}
