/* POST /internal/two_factor_recovery_codes and /internal/personal_access_token:
 * what a user asks for over SSH (`ssh git@host 2fa_recovery_codes`,
 * `personal_access_token`). Both answer 200 and say success or failure in
 * the body, with GitLab's messages, because gitlab-shell prints them. */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"
#include "gitlab.h"
#include "bounds.h"
#include "token.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define RECOVERY_CODES 10
#define RECOVERY_CODE_BYTES 8		/* 16 hex characters, as devise-two-factor */
#define RECOVERY_HASH_ITERATIONS 10000	/* PBKDF2-HMAC-SHA256 */
#define RECOVERY_HASH_MAX 96		/* "pbkdf2-sha256$10000$" + 24 + "$" + 44 = 89 */
#define TOKEN_CHARS 20			/* Devise.friendly_token(20) */

const struct db_stmt account_store_recovery_codes = {
	"account_store_recovery_codes",
	"UPDATE users SET otp_backup_codes = $2::text[] WHERE id = $1 AND otp_required_for_login RETURNING id",
	2, false,
};
const struct db_stmt account_create_token = {
	"account_create_token",
	"INSERT INTO personal_access_tokens (user_id, name, token_digest, scopes, expires_at)"
	" VALUES ($1, $2, $3, $4::text[], $5::date) RETURNING to_char(expires_at, 'YYYY-MM-DD')",
	5, false,
};

const struct db_stmt *const account_statements[] = {
	&account_store_recovery_codes,
	&account_create_token,
	NULL,
};

/* "pbkdf2-sha256$ITER$SALT$HASH" (base64): a slow hash, since the codes are
 * short secrets that unlock an account. */
static char *hash_recovery_code(struct request *req, const char *code)
{
	unsigned char salt[16], hash[32];
	char salt64[32], hash64[48];

	if (RAND_bytes(salt, sizeof salt) != 1 ||
	    PKCS5_PBKDF2_HMAC(code, (int)strlen(code), salt, sizeof salt, RECOVERY_HASH_ITERATIONS, EVP_sha256(),
			      sizeof hash, hash) != 1)
		return NULL;
	base64_encode(salt, sizeof salt, salt64);
	base64_encode(hash, sizeof hash, hash64);
	OPENSSL_cleanse(hash, sizeof hash);
	return arena_printf(req->arena, "pbkdf2-sha256$%d$%s$%s", RECOVERY_HASH_ITERATIONS, salt64, hash64);
}

void api_two_factor_recovery_codes(struct request *req, struct response *res, struct app *app)
{
	struct actor actor;
	const char *problem;

	if (actor_find(req, app, ACTOR_PARAMS, &actor, res) < 0)
		return;
	if ((problem = actor_shell_problem(req, &actor))) {
		api_shell_answer(res, problem);
		return;
	}
	if (actor.deploy_key) {
		api_shell_answer(res, "Deploy keys cannot be used to retrieve recovery codes");
		return;
	}
	if (!actor.otp_enabled) {
		api_shell_answer(res, "Two-factor authentication is not enabled for this user");
		return;
	}

	/* The whole set is replaced in one UPDATE, so concurrent requests leave
	 * exactly one response's codes valid. */
	char codes[RECOVERY_CODES][2 * RECOVERY_CODE_BYTES + 1];
	struct pg_array hashes;
	if (!pg_array_init(req, &hashes, RECOVERY_CODES * (2 * RECOVERY_HASH_MAX + 8) + 3))
		return;
	for (int i = 0; i < RECOVERY_CODES; i++) {
		unsigned char raw[RECOVERY_CODE_BYTES];
		if (RAND_bytes(raw, sizeof raw) != 1)
			return;
		hex_encode(raw, sizeof raw, codes[i]);
		OPENSSL_cleanse(raw, sizeof raw);
		char *h = hash_recovery_code(req, codes[i]);
		if (!h || !pg_array_add(&hashes, h, strlen(h))) {
			OPENSSL_cleanse(codes, sizeof codes);
			return;
		}
	}
	const char *array = pg_array_end(&hashes);

	char user_id[24];
	snprintf(user_id, sizeof user_id, "%lld", actor.user_id);
	const char *params[] = { user_id, array };
	PGresult *r = api_query(app, &account_store_recovery_codes, params, res);
	if (!r) {
		OPENSSL_cleanse(codes, sizeof codes);
		return;
	}
	/* Its row, not PQcmdTuples: through its function (db_prepare off)
	 * the statement is a SELECT. */
	bool stored = PQntuples(r) == 1;
	PQclear(r);
	if (!stored) {	/* 2FA turned off meanwhile */
		OPENSSL_cleanse(codes, sizeof codes);
		api_shell_answer(res, "Two-factor authentication is not enabled for this user");
		return;
	}
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	if (o && list) {
		for (int i = 0; i < RECOVERY_CODES; i++)
			json_object_array_add(list, json_object_new_string(codes[i]));
		json_object_object_add(o, "success", json_object_new_boolean(1));
		json_object_object_add(o, "recovery_codes", list);
		response_json(res, 200, o);
	} else {
		json_object_put(o);
		json_object_put(list);
	}
	OPENSSL_cleanse(codes, sizeof codes);
}

/* GitLab's VALID_PAT_SCOPES of this era: gitlab.h's, without sudo. */
static bool scope_valid(const char *s)
{
	return gitlab_token_scope_valid(s, false);
}


/* YYYY-MM-DD naming a real day. */
void api_personal_access_token(struct request *req, struct response *res, struct app *app)
{
	struct actor actor;
	const char *problem, *name = NULL, *expires_at = NULL, **scopes;
	size_t name_len = 0, expires_len = 0, n_scopes;

	if (actor_find(req, app, ACTOR_PARAMS, &actor, res) < 0)
		return;
	if (actor.deploy_key) {
		api_shell_answer(res, "Deploy keys cannot be used to create personal access tokens");
		return;
	}
	if ((problem = actor_shell_problem(req, &actor))) {
		api_shell_answer(res, problem);
		return;
	}
	if (request_param_string(req, "name", &name, &name_len) == PARAM_INVALID) {
		response_error(res, 400, "name is invalid");
		return;
	}
	if (request_param_string(req, "expires_at", &expires_at, &expires_len) == PARAM_INVALID) {
		response_error(res, 400, "expires_at is invalid");
		return;
	}
	/* An Array of strings, as gitlab-shell always sends it; one string
	 * ({"scopes":"api"}, scopes=api) is refused: GitLab fails on it (500). */
	if (param_string_list(req, "scopes", MAX_ARRAY_ITEMS, req->arena, &scopes, &n_scopes) == PARAM_INVALID) {
		response_error(res, 400, "scopes is invalid");
		return;
	}
	if (!name || str_blank(name)) {
		api_shell_answer(res, "No token name specified");
		return;
	}
	if (n_scopes == 0) {
		api_shell_answer(res, "No token scopes specified");
		return;
	}
	/* The scopes as a PostgreSQL array literal, duplicates dropped; the
	 * first invalid scope is named, as GitLab does. */
	struct pg_array list;
	json_object *echo = json_object_new_array();
	if (!pg_array_init(req, &list, n_scopes * (2 * GITLAB_TOKEN_SCOPE_MAX + 8) + 3) || !echo) {
		json_object_put(echo);
		return;
	}
	for (size_t i = 0; i < n_scopes; i++) {
		if (!scope_valid(scopes[i])) {
			json_object_put(echo);
			char msg[512], quoted[256];
			size_t q = 0;
			for (size_t k = 0; gitlab_token_scopes[k]; k++)
				if (gitlab_token_scope_valid(gitlab_token_scopes[k], false))
					q += (size_t)snprintf(quoted + q, sizeof quoted - q, "%s\"%s\"", q ? ", " : "",
							      gitlab_token_scopes[k]);
			snprintf(msg, sizeof msg, "Invalid scope: '%.200s'. Valid scopes are: [%s]", scopes[i], quoted);
			api_shell_answer(res, msg);
			return;
		}
		bool seen = false;
		for (size_t k = 0; k < i; k++)
			seen = seen || strcmp(scopes[k], scopes[i]) == 0;
		if (seen)
			continue;
		if (!pg_array_add(&list, scopes[i], strlen(scopes[i]))) {
			json_object_put(echo);
			return;
		}
		json_object_array_add(echo, json_object_new_string(scopes[i]));
	}
	const char *array = pg_array_end(&list);
	if (expires_at && expires_len == 0)
		expires_at = NULL;	/* blank: no expiry */
	if (expires_at && !iso_date_valid(expires_at, expires_len)) {
		json_object_put(echo);
		char msg[512];
		snprintf(msg, sizeof msg, "Invalid token expiry date: '%.200s'", expires_at);
		api_shell_answer(res, msg);
		return;
	}
	if (strlen(name) > MAX_TOKEN_NAME) {
		json_object_put(echo);
		api_shell_answer(res, "Failed to create token: Name is too long (maximum is 255 characters)");
		return;
	}

	char token[TOKEN_CHARS + 1], digest[TOKEN_DIGEST_HEX + 1], user_id[24];
	if (app->secrets->pepper_len == 0) {
		json_object_put(echo);
		api_shell_answer(res, "Failed to create token: tokens are not enabled (token_pepper_file)");
		return;
	}
	if (token_random(token, TOKEN_CHARS) < 0 ||
	    token_digest(app->secrets->pepper, app->secrets->pepper_len, token, TOKEN_CHARS, digest) < 0) {
		json_object_put(echo);
		return;
	}
	snprintf(user_id, sizeof user_id, "%lld", actor.user_id);
	const char *params[] = { user_id, name, digest, array, expires_at };
	PGresult *r = api_query(app, &account_create_token, params, res);
	if (!r) {
		OPENSSL_cleanse(token, sizeof token);
		json_object_put(echo);
		return;
	}
	json_object *o = json_object_new_object();
	if (o) {
		json_object_object_add(o, "success", json_object_new_boolean(1));
		json_object_object_add(o, "token", json_object_new_string(token));
		json_object_object_add(o, "scopes", echo);
		json_object_object_add(o, "expires_at",
				       PQgetisnull(r, 0, 0) ? NULL : json_object_new_string(PQgetvalue(r, 0, 0)));
		response_json(res, 200, o);
	} else {
		json_object_put(echo);
	}
	PQclear(r);
	OPENSSL_cleanse(token, sizeof token);
}
