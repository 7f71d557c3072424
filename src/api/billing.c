/* The billing endpoints CustomersDot calls: being written. */
#include "config.h"
#include "api/api.h"

const struct db_stmt *const billing_statements[] = { NULL };

bool api_authenticate_admin(struct request *req, struct response *res, struct app *app)
{
	response_message(res, 401, "401 Unauthorized");
	return false;
}

void api_subscription_show(struct request *req, struct response *res, struct app *app) {}
void api_subscription_create(struct request *req, struct response *res, struct app *app) {}
void api_subscription_update(struct request *req, struct response *res, struct app *app) {}
void api_minutes_create(struct request *req, struct response *res, struct app *app) {}
void api_minutes_move(struct request *req, struct response *res, struct app *app) {}
void api_upcoming_reconciliations(struct request *req, struct response *res, struct app *app) {}
