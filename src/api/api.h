/* Endpoint handlers and what a worker owns across requests. */
#ifndef GLIA_API_H
#define GLIA_API_H

#include "auth.h"
#include "conf.h"
#include "db.h"
#include "request.h"
#include "response.h"
#include "router.h"
#include "api/params.h"

/* The statements of the endpoints that both schemas serve (conf schema):
 * over glia's tables (api.c) or GitLab's (gitlab_schema.c); and every
 * statement a connection prepares in that schema. */
struct api_sql {
	const struct db_stmt *store_ping;	/* check's "redis" */
	const struct db_stmt *keys_by_fingerprint;
	const struct db_stmt *actor_by_key, *actor_by_user_id, *actor_by_username;
	/* /allowed (allowed.c has their columns); NULL: what that schema does
	 * not serve (a snippet: 404), or keep (the "project moved" message). */
	const struct db_stmt *allowed_by_path, *allowed_by_id, *allowed_snippet, *allowed_store_moved;
	/* schema = gitlab's lfs_authenticate (lfs.c has their columns); NULL in
	 * glia's, whose tokens are its own. */
	const struct db_stmt *lfs_by_path, *lfs_by_id;
	/* Whether the schema knows a project's default branch, without which a
	 * push that deletes a branch is not answered (404). */
	bool knows_default_branch;
	const struct db_stmt *const *const *statements;
};
extern const struct api_sql api_glia_sql, api_gitlab_sql;

/* What a worker owns: its configuration, secrets and database connection. */
struct app {
	const struct glia_conf *conf;
	const struct secrets *secrets;
	struct db *db;
	const struct api_sql *sql;	/* the schema's statements */
};

/* Gives app (conf and secrets set) the statements of its schema and a
 * database connection that prepares them. Returns 0, or -1 out of memory. */
int api_app_init(struct app *app);

/* Each family's statements (api/statements.h gathers them). */
extern const struct db_stmt *const git_access_statements[];	/* allowed.c, lfs.c, repo.c */
extern const struct db_stmt *const account_statements[];	/* account.c */
extern const struct db_stmt *const otp_statements[];		/* otp.c */
extern const struct db_stmt *const receive_statements[];	/* receive.c */
extern const struct db_stmt *const kubernetes_statements[];	/* kubernetes*.c */
extern const struct db_stmt *const billing_statements[];	/* billing.c, subscriptions.c, minutes.c */
/* glia's /allowed statements (allowed.c), for api_glia_sql. */
extern const struct db_stmt allowed_project_by_path, allowed_project_by_id, allowed_snippet, allowed_store_moved;
/* The statements of the small endpoints, which api.c lists itself. */
extern const struct db_stmt check_store_ping, keys_by_fingerprint, health_ping;

/* gitlab-shell's 200 answers of the account commands (2FA codes, tokens,
 * OTP checks): {"success":true}, or with failure {"success":false,
 * "message":failure}, which gitlab-shell prints. */
void api_shell_answer(struct response *res, const char *failure);

/* Whether the request may reach its route's handler, for every kind of
 * route (authenticate.c); false with the refusal written. */
bool api_authenticate(enum auth_kind kind, struct request *req, struct response *res, struct app *app);

/* Writes the response for a database failure (503 when unavailable). */
void api_db_failure(struct response *res, int db_status);

/* Row 0's column col of a result: a boolean (NULL: false), an integer
 * (NULL: dflt), text copied to the request's arena or a JSON string (NULL
 * for NULL). */
bool col_flag(PGresult *r, int col);
long long col_int(PGresult *r, int col, long long dflt);
const char *col_text(struct request *req, PGresult *r, int col);
json_object *col_json_string(PGresult *r, int col);

/* A PostgreSQL array literal built in the request's arena, for a text[]
 * parameter: {"a","b",NULL}. pg_array_add quotes an element (\ before " and
 * \) or writes NULL for s == NULL; it fails (false) rather than overrun the
 * cap given to pg_array_init, which must allow 2 * len + 8 bytes an
 * element and 3 more. */
struct pg_array {
	char *buf;
	size_t len, cap;
};
bool pg_array_init(struct request *req, struct pg_array *a, size_t cap);
bool pg_array_add(struct pg_array *a, const char *s, size_t len);
const char *pg_array_end(struct pg_array *a);

/* db_exec on the worker's connection: the result (PQclear it), or NULL
 * with the failure's response written. */
PGresult *api_query(struct app *app, const struct db_stmt *stmt, const char *const *params, struct response *res);

/* Git access: allowed.c, lfs.c */
void api_allowed(struct request *req, struct response *res, struct app *app);
void api_lfs_authenticate(struct request *req, struct response *res, struct app *app);
/* Account helpers over SSH: account.c */
void api_two_factor_recovery_codes(struct request *req, struct response *res, struct app *app);
void api_personal_access_token(struct request *req, struct response *res, struct app *app);
/* Two-factor checks over SSH (2fa_verify): otp.c. The manual check is the
 * legacy one under its v14.10 name. */
void api_two_factor_otp_check(struct request *req, struct response *res, struct app *app);
void api_two_factor_push_otp_check(struct request *req, struct response *res, struct app *app);
/* Gitaly hooks' reference counter: receive.c */
void api_pre_receive(struct request *req, struct response *res, struct app *app);
void api_post_receive(struct request *req, struct response *res, struct app *app);

/* Kubernetes agent server: kubernetes*.c (its JWT: authenticate.c). */
void api_kubernetes_agent_info(struct request *req, struct response *res, struct app *app);
void api_kubernetes_project_info(struct request *req, struct response *res, struct app *app);
void api_kubernetes_usage_metrics(struct request *req, struct response *res, struct app *app);
void api_kubernetes_cilium_alert(struct request *req, struct response *res, struct app *app);
void api_kubernetes_verify_project_access(struct request *req, struct response *res, struct app *app);
void api_kubernetes_agent_events(struct request *req, struct response *res, struct app *app);
void api_kubernetes_agent_configuration(struct request *req, struct response *res, struct app *app);
/* Billing (CustomersDot): billing.c. api_authenticate_admin checks the
 * administrator's personal access token (401/403): api_authenticate calls
 * it for AUTH_ADMIN routes, the handler for AUTH_ADMIN_IN_HANDLER ones. */
bool api_authenticate_admin(struct request *req, struct response *res, struct app *app);
void api_subscription_show(struct request *req, struct response *res, struct app *app);
void api_subscription_create(struct request *req, struct response *res, struct app *app);
void api_subscription_update(struct request *req, struct response *res, struct app *app);
void api_minutes_create(struct request *req, struct response *res, struct app *app);
void api_minutes_move(struct request *req, struct response *res, struct app *app);
void api_upcoming_reconciliations(struct request *req, struct response *res, struct app *app);

/* Health and metrics: health.c. */
void api_liveness(struct request *req, struct response *res, struct app *app);
void api_readiness(struct request *req, struct response *res, struct app *app);
void api_metrics(struct request *req, struct response *res, struct app *app);

void api_check(struct request *req, struct response *res, struct app *app);
void api_authorized_keys(struct request *req, struct response *res, struct app *app);
void api_discover(struct request *req, struct response *res, struct app *app);

#endif
