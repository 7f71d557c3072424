/* GET /internal/authorized_keys: the key whose body OpenSSH offers, found by
 * its SHA-256 fingerprint through the unique index on keys. As in GitLab, an
 * expired key or the key of a blocked user is still found here: refusing it
 * is /internal/allowed's job, which tells the user why. */
#include "config.h"
#include "api/api.h"
#include "sshkey.h"

#include <stdlib.h>

#define TS_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

const struct db_stmt keys_by_fingerprint = {
	"keys_by_fingerprint",
	"SELECT id, title, key, " TS_UTC("created_at") ", " TS_UTC("expires_at")
	" FROM keys WHERE fingerprint_sha256 = $1",
	1, true,
};

void api_authorized_keys(struct request *req, struct response *res, struct app *app)
{
	const char *body;
	size_t len;
	char fingerprint[SSHKEY_FINGERPRINT_LEN + 1];
	PGresult *r;

	switch (request_param_string(req, "key", &body, &len)) {
	case PARAM_ABSENT:
		response_error(res, 400, "key is missing");
		return;
	case PARAM_INVALID:
		response_error(res, 400, "key is invalid");
		return;
	}
	if (sshkey_fingerprint_body(body, len, fingerprint) < 0) {
		response_message(res, 404, "404 Key Not Found");
		return;
	}
	const char *params[] = { fingerprint };
	r = api_query(app, app->sql->keys_by_fingerprint, params, res);
	if (!r)
		return;
	if (PQntuples(r) != 1) {
		PQclear(r);
		response_message(res, 404, "404 Key Not Found");
		return;
	}
	json_object *o = json_object_new_object();
	if (o) {
		json_object_object_add(o, "id", json_object_new_int64(strtoll(PQgetvalue(r, 0, 0), NULL, 10)));
		json_object_object_add(o, "title", col_json_string(r, 1));
		json_object_object_add(o, "key", col_json_string(r, 2));
		json_object_object_add(o, "created_at", col_json_string(r, 3));
		json_object_object_add(o, "expires_at", col_json_string(r, 4));
		response_json(res, 200, o);
	}
	PQclear(r);
}
