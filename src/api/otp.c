/* POST /internal/two_factor_otp_check (gitlab-shell v13.14–v14.9),
 * /internal/two_factor_manual_otp_check and /internal/two_factor_push_otp_check
 * (v14.10 on): `ssh git@host 2fa_verify`, a user typing the code of their
 * authenticator app. GitLab's free edition answers every call "Feature is
 * not available"; glia checks the code as GitLab EE does, against the TOTP
 * secret `glia-admin user 2fa` gave the user. Every answer is 200 with
 * success true or false and GitLab's message, which gitlab-shell prints. */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"
#include "log.h"
#include "totp.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The secret is read from the primary: a code made from a secret set a
 * moment ago must not be checked against a standby's older one. */
/* Devise's lockable as GitLab configures it: maximum_attempts 10, unlock_in
 * 10 minutes. */
#define OTP_LOCK_INTERVAL "interval '10 minutes'"
#define OTP_MAX_ATTEMPTS "10"

const struct db_stmt otp_user_secret = {
	"otp_user_secret",
	"SELECT encrypted_otp_secret, consumed_timestep, coalesce(locked_at > now() - " OTP_LOCK_INTERVAL ", false)"
	" FROM users WHERE id = $1 AND otp_required_for_login",
	1, false,
};
/* A wrong code: one failed attempt more (one, when an earlier lock has run
 * out, as Devise's unlock_access! resets the count), and the lock at the
 * tenth. Computed from the row itself, so concurrent failures all count. */
#define OTP_FAILURES \
	"CASE WHEN locked_at <= now() - " OTP_LOCK_INTERVAL " THEN 1 ELSE failed_attempts + 1 END"
const struct db_stmt otp_failed = {
	"otp_failed",
	"UPDATE users SET failed_attempts = " OTP_FAILURES ","
	" locked_at = CASE WHEN " OTP_FAILURES " >= " OTP_MAX_ATTEMPTS " THEN now() END WHERE id = $1",
	1, false,
};
/* Takes the step and opens the OTP session in one statement: of two
 * requests with the same code, one updates the row and the other finds the
 * step taken. The secret must still be the one the code was checked with,
 * and 2FA still on. $4: the key, NULL for a check made with user_id. */
const struct db_stmt otp_consume = {
	"otp_consume",
	"WITH consumed AS ("
	" UPDATE users SET consumed_timestep = $2, failed_attempts = 0, locked_at = NULL"
	"  WHERE id = $1 AND otp_required_for_login AND encrypted_otp_secret = $3"
	"    AND (consumed_timestep IS NULL OR consumed_timestep < $2)"
	" RETURNING id)"
	" INSERT INTO two_factor_otp_sessions (user_id, key_id, expires_at)"
	" SELECT id, $4::bigint, now() + interval '15 minutes' FROM consumed"
	" ON CONFLICT (user_id, key_id) DO UPDATE SET expires_at = excluded.expires_at"
	" RETURNING user_id",
	4, false,
};

const struct db_stmt *const otp_statements[] = {
	&otp_user_secret,
	&otp_failed,
	&otp_consume,
	NULL,
};

/* GitLab EE's checks before the code, in its order. Returns 0 when the
 * actor may go on, else -1 with the answer written. */
static int actor_checks(struct request *req, struct response *res, struct app *app, struct actor *actor)
{
	const char *problem;

	if (actor_find(req, app, ACTOR_PARAMS, actor, res) < 0)
		return -1;
	if ((problem = actor_shell_problem(req, actor))) {
		api_shell_answer(res, problem);
		return -1;
	}
	if (actor->deploy_key) {
		api_shell_answer(res, "Deploy keys cannot be used for Two Factor");
		return -1;
	}
	if (!actor->otp_enabled) {
		api_shell_answer(res, "Two-factor authentication is not enabled for this user");
		return -1;
	}
	return 0;
}

/* "Invalid OTP", and one failed attempt more (GitLab EE's
 * user.increment_failed_attempts!). */
static void refuse_code(struct response *res, struct app *app, const char *const *params)
{
	PGresult *r = api_query(app, &otp_failed, params, res);
	if (!r)
		return;
	PQclear(r);
	api_shell_answer(res, "Invalid OTP");
}

/* The code against the user's secret; the answer is written. */
static void check_code(struct request *req, struct response *res, struct app *app, const struct actor *actor)
{
	const char *code = NULL;
	size_t code_len = 0;

	/* As GitLab EE's manual check (user.can?(:log_in)): a user who may
	 * not sign in is told so, on both paths. */
	if (!actor->state || strcmp(actor->state, "active") != 0) {
		api_shell_answer(res, "Your account is locked");
		return;
	}

	char user_id[24];
	snprintf(user_id, sizeof user_id, "%lld", actor->user_id);
	const char *params[] = { user_id, NULL, NULL, NULL };
	PGresult *r = api_query(app, &otp_user_secret, params, res);
	if (!r)
		return;
	/* 2FA turned off meanwhile: no code is right, and none is counted. */
	if (PQntuples(r) != 1) {
		PQclear(r);
		api_shell_answer(res, "Invalid OTP");
		return;
	}
	/* Ten wrong codes in a row lock the checks for ten minutes
	 * (Devise's access_locked?, which makes can?(:log_in) false). */
	if (col_flag(r, 2)) {
		PQclear(r);
		api_shell_answer(res, "Your account is locked");
		return;
	}
	/* Missing, not a string, or not six digits: no code of any secret.
	 * 2FA on without a TOTP secret (imported, or `user 2fa` before glia
	 * had secrets): no code is right. Both count as failed attempts. */
	if (request_param_string(req, "otp_attempt", &code, &code_len) != PARAM_OK ||
	    !totp_code_well_formed(code, code_len) || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		refuse_code(res, app, params);
		return;
	}
	const char *sealed = col_text(req, r, 0);
	long long after = col_int(r, 1, -1);
	PQclear(r);
	if (!sealed) {
		response_status(res, 500);
		return;
	}

	unsigned char secret[TOTP_SECRET_BYTES];
	if (totp_unseal(app->secrets->pepper, app->secrets->pepper_len, actor->user_id, sealed, secret) < 0) {
		log_req(LOG_LVL_WARN, req->request_id, "two-factor check of user %lld: the TOTP secret does not open under token_pepper_file "
			 "(another pepper?); run glia-admin user 2fa again", actor->user_id);
		api_shell_answer(res, "Invalid OTP");
		return;
	}
	int64_t step;
	int found = totp_verify(secret, sizeof secret, code, totp_step(time(NULL)), after, &step);
	OPENSSL_cleanse(secret, sizeof secret);
	if (found < 0) {
		response_status(res, 500);
		return;
	}
	if (found == 0) {
		refuse_code(res, app, params);
		return;
	}

	char step_text[24], key_id[24];
	snprintf(step_text, sizeof step_text, "%lld", (long long)step);
	snprintf(key_id, sizeof key_id, "%lld", actor->key_id);
	params[1] = step_text;
	params[2] = sealed;
	params[3] = actor->has_key ? key_id : NULL;
	if (!(r = api_query(app, &otp_consume, params, res)))
		return;
	bool taken = PQntuples(r) == 1;
	PQclear(r);
	/* Not taken: another request took this step (or a later one) first,
	 * or the secret changed or 2FA went off meanwhile: a replayed code is
	 * a failed attempt, as GitLab's consume_otp! makes it. */
	if (taken)
		api_shell_answer(res, NULL);
	else
		refuse_code(res, app, params);
}

void api_two_factor_otp_check(struct request *req, struct response *res, struct app *app)
{
	struct actor actor;

	if (actor_checks(req, res, app, &actor) == 0)
		check_code(req, res, app, &actor);
}

/* Push notifications need a provider (FortiAuthenticator, Duo) glia does
 * not have: after GitLab EE's checks on the actor, the answer GitLab's
 * free edition gives. gitlab-shell waits for the typed code meanwhile. */
void api_two_factor_push_otp_check(struct request *req, struct response *res, struct app *app)
{
	struct actor actor;

	if (actor_checks(req, res, app, &actor) == 0)
		api_shell_answer(res, "Feature is not available");
}
