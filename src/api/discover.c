/* GET /internal/discover: who is behind a key, a user id or a username.
 * Nobody found answers 200 with a JSON null, which gitlab-shell reads as
 * an anonymous user. */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"

void api_discover(struct request *req, struct response *res, struct app *app)
{
	struct actor actor;
	json_object *o;

	if (actor_find(req, app, ACTOR_PARAMS, &actor, res) < 0)
		return;
	/* No user: GitLab presents nil, a body of null. */
	if (!actor.has_user) {
		response_json(res, 200, NULL);
		return;
	}
	if (!(o = json_object_new_object()))
		return;	/* out of memory: the response's default 500 stands */
	json_object_object_add(o, "id", json_object_new_int64(actor.user_id));
	json_object_object_add(o, "name", json_object_new_string(actor.name ? actor.name : ""));
	json_object_object_add(o, "username", json_object_new_string(actor.username ? actor.username : ""));
	response_json(res, 200, o);
}
