/* What the handlers share: the list of their statements and the answer to
 * a database failure. */
#include "config.h"
#include "api/api.h"

/* The statements of allowed.c and lfs.c. */
extern const struct db_stmt *const git_access_statements[];
/* The statements of account.c, and of receive.c. */
extern const struct db_stmt *const account_statements[];
extern const struct db_stmt *const receive_statements[];
/* kubernetes.c's, and billing.c's. */
extern const struct db_stmt *const kubernetes_statements[];
extern const struct db_stmt *const billing_statements[];

extern const struct db_stmt check_store_ping, keys_by_fingerprint, actor_by_key, actor_by_user_id,
	actor_by_username, health_ping;

static const struct db_stmt *const core_statements[] = {
	&check_store_ping,
	&keys_by_fingerprint,
	&actor_by_key,
	&actor_by_user_id,
	&actor_by_username,
	&health_ping,
	NULL,
};

/* Each endpoint family keeps its statements next to its SQL; the database
 * layer prepares all these lists on every new connection. */
const struct db_stmt *const *const api_statements[] = {
	core_statements,
	git_access_statements,
	account_statements,
	receive_statements,
	kubernetes_statements,
	billing_statements,
	NULL,
};

void api_db_failure(struct response *res, int db_status)
{
	switch (db_status) {
	case DB_UNAVAILABLE:
		response_message(res, 503, "503 Service Unavailable - database unavailable");
		res->retry_after = 5;
		break;
	case DB_BAD_INPUT:
		response_message(res, 400, "400 Bad request - invalid value");
		break;
	default:
		response_message(res, 500, "500 Internal Server Error");
		break;
	}
}
