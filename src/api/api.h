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

/* Every statement of every handler, prepared once per connection. */
extern const struct db_stmt *const api_statements[];

/* Writes the response for a database failure (503 when unavailable). */
void api_db_failure(struct response *res, int db_status);

void api_check(struct request *req, struct response *res, struct app *app);
void api_authorized_keys(struct request *req, struct response *res, struct app *app);
void api_discover(struct request *req, struct response *res, struct app *app);

#endif
