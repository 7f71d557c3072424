/* GET /internal/check: the instance's versions, and whether the store that
 * stands in for GitLab's Redis (PostgreSQL here) answers. */
#include "config.h"
#include "api/api.h"

/* The reference counters are what GitLab keeps in Redis; a query on their
 * table is the honest answer to "is Redis available". */
const struct db_stmt check_store_ping = {
	"check_store_ping", "SELECT 1 FROM reference_counters LIMIT 1", 0, true,
};

void api_check(struct request *req, struct response *res, struct app *app)
{
	json_object *o = json_object_new_object();
	if (!o)
		return;
	json_object_object_add(o, "api_version", json_object_new_string("v4"));
	json_object_object_add(o, "gitlab_version", json_object_new_string(GLIA_GITLAB_VERSION));
	json_object_object_add(o, "gitlab_rev", json_object_new_string(GLIA_REVISION));
	json_object_object_add(o, "redis", json_object_new_boolean(db_ping(app->db, app->sql->store_ping)));
	response_json(res, 200, o);
}
