/* What the handlers share: the list of their statements and the answer to
 * a database failure. */
#include "config.h"
#include "api/api.h"

extern const struct db_stmt check_store_ping, keys_by_fingerprint, discover_by_key,
	discover_by_user_id, discover_by_username;

const struct db_stmt *const api_statements[] = {
	&check_store_ping,
	&keys_by_fingerprint,
	&discover_by_key,
	&discover_by_user_id,
	&discover_by_username,
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
