/* POST /internal/two_factor_recovery_codes and personal_access_token: being written. */
#include "config.h"
#include "api/api.h"

const struct db_stmt *const account_statements[] = { NULL };

void api_two_factor_recovery_codes(struct request *req, struct response *res, struct app *app)
{
	response_message(res, 501, "501 Not Implemented");
}

void api_personal_access_token(struct request *req, struct response *res, struct app *app)
{
	response_message(res, 501, "501 Not Implemented");
}
