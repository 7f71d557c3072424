/* POST /internal/pre_receive and post_receive: being written. */
#include "config.h"
#include "api/api.h"

const struct db_stmt *const receive_statements[] = { NULL };

void api_pre_receive(struct request *req, struct response *res, struct app *app)
{
	response_message(res, 501, "501 Not Implemented");
}

void api_post_receive(struct request *req, struct response *res, struct app *app)
{
	response_message(res, 501, "501 Not Implemented");
}
