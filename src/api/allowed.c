/* POST /internal/allowed: being written. */
#include "config.h"
#include "api/api.h"

const struct db_stmt *const git_access_statements[] = { NULL };

void api_allowed(struct request *req, struct response *res, struct app *app)
{
	response_message(res, 501, "501 Not Implemented");
}
