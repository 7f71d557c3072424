/* Endpoint handlers and what a worker owns across requests. */
#ifndef GLIA_API_H
#define GLIA_API_H

#include "auth.h"
#include "conf.h"
#include "db.h"
#include "request.h"
#include "response.h"

/* What a worker owns: its configuration, secrets and database connection. */
struct app {
	const struct glia_conf *conf;
	const struct secrets *secrets;
	struct db *db;
};

/* Every statement of every handler, in NULL-terminated lists, prepared once
 * per connection. */
extern const struct db_stmt *const *const api_statements[];

/* Writes the response for a database failure (503 when unavailable). */
void api_db_failure(struct response *res, int db_status);

/* Git access: allowed.c, lfs.c */
void api_allowed(struct request *req, struct response *res, struct app *app);
void api_lfs_authenticate(struct request *req, struct response *res, struct app *app);
/* Account helpers over SSH: account.c */
void api_two_factor_recovery_codes(struct request *req, struct response *res, struct app *app);
void api_personal_access_token(struct request *req, struct response *res, struct app *app);
/* Gitaly hooks' reference counter: receive.c */
void api_pre_receive(struct request *req, struct response *res, struct app *app);
void api_post_receive(struct request *req, struct response *res, struct app *app);

void api_check(struct request *req, struct response *res, struct app *app);
void api_authorized_keys(struct request *req, struct response *res, struct app *app);
void api_discover(struct request *req, struct response *res, struct app *app);

#endif
