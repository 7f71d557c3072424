/* POST /internal/lfs_authenticate: being written. */
#include "config.h"
#include "api/api.h"

void api_lfs_authenticate(struct request *req, struct response *res, struct app *app)
{
	response_message(res, 501, "501 Not Implemented");
}
