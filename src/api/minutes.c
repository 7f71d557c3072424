/* CI minutes packs (POST /namespaces/:id/minutes, PATCH .../minutes/move/
 * :target_id) and PUT /internal/upcoming_reconciliations, as GitLab EE
 * 14.1 answers them (ee/lib/api/ci/minutes.rb,
 * ee/lib/api/internal/upcoming_reconciliations.rb). Each write is one
 * statement, so it is all or nothing. */
#include "config.h"
#include "api/billing.h"
#include "bounds.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* GitLab's: ee/app/models/ci/minutes/additional_pack.rb validates
 * purchase_xid with length maximum 50. */
#define PURCHASE_XID_MAX 50

const struct db_stmt minutes_add_packs = {
	"minutes_add_packs",
	"SELECT namespace_id, to_char(expires_at, 'YYYY-MM-DD'), number_of_minutes, purchase_xid"
	" FROM glia_add_minutes_packs($1, $2::integer[], $3::date[], $4::text[])",
	4, false,
};
/* Both namespaces must have an owner in common (a personal namespace's
 * owner, a group's direct owners); then every pack moves at once. */
const struct db_stmt minutes_move_packs = {
	"minutes_move_packs",
	"WITH owners AS ("
	"   SELECT n.id AS ns, n.owner_id AS user_id FROM namespaces n WHERE n.type = 'User' AND n.id IN ($1, $2)"
	"   UNION SELECT m.namespace_id, m.user_id FROM members m"
	"    WHERE m.namespace_id IN ($1, $2) AND m.access_level = 50"
	"      AND (m.expires_at IS NULL OR m.expires_at > current_date)),"
	" shared AS (SELECT EXISTS (SELECT 1 FROM owners a JOIN owners b ON a.user_id = b.user_id"
	"                            WHERE a.ns = $1 AND b.ns = $2) AS ok),"
	" moved AS (UPDATE ci_minutes_additional_packs SET namespace_id = $2"
	"            WHERE namespace_id = $1 AND (SELECT ok FROM shared) RETURNING 1)"
	" SELECT (SELECT ok FROM shared), (SELECT count(*) FROM moved)",
	2, false,
};
/* Answers the namespace ids that do not exist; writes (the last element of
 * a namespace wins) only when $4 and every namespace exists. */
const struct db_stmt reconciliations_upsert = {
	"reconciliations_upsert",
	"WITH input AS (SELECT * FROM unnest($1::bigint[], $2::date[], $3::date[]) WITH ORDINALITY"
	"               AS i(namespace_id, next_date, alert_from, n)),"
	" missing AS (SELECT DISTINCT i.namespace_id FROM input i"
	"             WHERE NOT EXISTS (SELECT 1 FROM namespaces ns WHERE ns.id = i.namespace_id)),"
	" up AS (INSERT INTO upcoming_reconciliations (namespace_id, next_reconciliation_date, display_alert_from)"
	"        SELECT DISTINCT ON (namespace_id) namespace_id, next_date, alert_from FROM input"
	"         WHERE $4::boolean AND NOT EXISTS (SELECT 1 FROM missing) ORDER BY namespace_id, n DESC"
	"        ON CONFLICT (namespace_id) DO UPDATE SET next_reconciliation_date = EXCLUDED.next_reconciliation_date,"
	"          display_alert_from = EXCLUDED.display_alert_from, updated_at = now() RETURNING 1)"
	" SELECT namespace_id FROM missing",
	4, false,
};

/* The array parameter NAME of a JSON body; NULL with the Grape error
 * written into errs when missing or not an array of objects. */
static json_object *object_array(struct request *req, const char *name, size_t max, struct grape_errors *errs)
{
	json_object *list;
	grape_requires(errs, name, param_object_array(req, name, max, &list));
	return list;
}

/* --- POST /namespaces/:id/minutes */

static void minutes_unsaved(struct response *res)
{
	response_message(res, 400, "400 Bad request - Unable to save additional packs");
}

void api_minutes_create(struct request *req, struct response *res, struct app *app)
{
	struct grape_errors errs = { .len = 0 };
	json_object *packs = object_array(req, "packs", MAX_PACKS, &errs);
	size_t n = packs ? json_object_array_length(packs) : 0;
	bool unsaved = false;
	struct pg_array minutes, expires, xids;

	if (!pg_array_init(req, &minutes, n * 40 + 16) || !pg_array_init(req, &expires, n * 40 + 16) ||
	    !pg_array_init(req, &xids, n * (2 * PURCHASE_XID_MAX + 12) + 16))
		return;
	/* Grape checks each attribute over every element, in declaration
	 * order; a nil or out-of-range value passes Grape and fails the save. */
	for (int attr = 0; attr < 3; attr++) {
		static const char *const names[] = { "number_of_minutes", "expires_at", "purchase_xid" };
		char label[64];
		snprintf(label, sizeof label, "packs[%s]", names[attr]);
		for (size_t i = 0; i < n; i++) {
			struct grape_value v;
			grape_json(json_object_array_get_idx(packs, i), names[attr], &v);
			if (v.kind == GV_ABSENT) {
				grape_error(&errs, label, "is missing");
				continue;
			}
			if (attr == 0) {
				long long m = 0;
				bool nil = v.kind == GV_NULL || (v.kind == GV_STRING && v.len == 0);
				if (!nil && (v.kind == GV_BOOL || v.kind == GV_OTHER || parse_int64(v.s, v.len, &m) < 0)) {
					grape_error(&errs, label, "is invalid");
					continue;
				}
				if (nil || m <= 0 || m > 2147483647LL) {
					unsaved = true;
					continue;
				}
				char num[16];
				snprintf(num, sizeof num, "%lld", m);
				pg_array_add(&minutes, num, strlen(num));
			} else if (attr == 1) {
				char date[11];
				switch (grape_date(&v, date)) {
				case GC_INVALID: grape_error(&errs, label, "is invalid"); break;
				case GC_OK: pg_array_add(&expires, date, 10); break;
				default: unsaved = true; break;
				}
			} else {
				if (v.kind == GV_BOOL || v.kind == GV_OTHER) {
					grape_error(&errs, label, "is invalid");
					continue;
				}
				if (v.kind == GV_NULL || v.len == 0 || v.len > PURCHASE_XID_MAX) {
					unsaved = true;
					continue;
				}
				pg_array_add(&xids, v.s, v.len);
			}
		}
	}
	if (errs.len) {
		response_error(res, 400, errs.text);
		return;
	}
	struct namespace_ref ns;
	if (!namespace_find(res, app, req->path_params[0], &ns, "404 Namespace Not Found"))
		return;
	if (unsaved) {
		minutes_unsaved(res);
		return;
	}

	char id[24];
	snprintf(id, sizeof id, "%lld", ns.id);
	const char *params[] = { id, pg_array_end(&minutes), pg_array_end(&expires), pg_array_end(&xids) };
	PGresult *r;
	int rc = db_exec(app->db, &minutes_add_packs, params, &r);
	if (rc == DB_BAD_INPUT) {	/* a purchase_xid of another namespace, or a date PostgreSQL refuses */
		minutes_unsaved(res);
		return;
	}
	if (rc != DB_OK) {
		api_db_failure(res, rc);
		return;
	}
	json_object *list = json_object_new_array();
	for (int i = 0; list && i < PQntuples(r); i++) {
		json_object *o = json_object_new_object();
		if (!o)
			break;
		long long v;
		parse_int64(PQgetvalue(r, i, 0), strlen(PQgetvalue(r, i, 0)), &v);
		json_object_object_add(o, "namespace_id", json_object_new_int64(v));
		json_object_object_add(o, "expires_at", json_object_new_string(PQgetvalue(r, i, 1)));
		parse_int64(PQgetvalue(r, i, 2), strlen(PQgetvalue(r, i, 2)), &v);
		json_object_object_add(o, "number_of_minutes", json_object_new_int64(v));
		json_object_object_add(o, "purchase_xid", json_object_new_string(PQgetvalue(r, i, 3)));
		json_object_array_add(list, o);
	}
	PQclear(r);
	if (list)
		response_json(res, 201, list);
}

/* --- PATCH /namespaces/:id/minutes/move/:target_id */

void api_minutes_move(struct request *req, struct response *res, struct app *app)
{
	struct namespace_ref from, to;
	if (!namespace_find(res, app, req->path_params[0], &from, "404 Namespace Not Found") ||
	    !namespace_find(res, app, req->path_params[1], &to, "404 Target namespace Not Found"))
		return;
	if (!from.top_level) {
		response_message(res, 400, "400 Bad request - Namespace must be a top-level namespace");
		return;
	}
	if (!to.top_level) {
		response_message(res, 400, "400 Bad request - Target namespace must be a top-level namespace");
		return;
	}
	char a[24], b[24];
	snprintf(a, sizeof a, "%lld", from.id);
	snprintf(b, sizeof b, "%lld", to.id);
	const char *params[] = { a, b };
	PGresult *r = api_query(app, &minutes_move_packs, params, res);
	if (!r)
		return;
	bool shared = PQntuples(r) == 1 && col_flag(r, 0);
	PQclear(r);
	if (!shared)
		response_message(res, 400, "400 Bad request - Both namespaces must share the same owner");
	else
		response_status(res, 202);
}

/* --- PUT /internal/upcoming_reconciliations */

void api_upcoming_reconciliations(struct request *req, struct response *res, struct app *app)
{
	static const char *const names[] = { "namespace_id", "next_reconciliation_date", "display_alert_from" };
	struct grape_errors errs = { .len = 0 };
	json_object *list = object_array(req, "upcoming_reconciliations", MAX_RECONCILIATIONS, &errs);
	size_t n = list ? json_object_array_length(list) : 0;
	struct pg_array ids, next, alert;
	long long *ns_ids = arena_alloc(req->arena, (n ? n : 1) * sizeof *ns_ids);
	unsigned char *blank = arena_alloc(req->arena, n ? n : 1);	/* bit 1: next, bit 2: alert */

	if (!ns_ids || !blank || !pg_array_init(req, &ids, n * 64 + 16) || !pg_array_init(req, &next, n * 40 + 16) ||
	    !pg_array_init(req, &alert, n * 40 + 16))
		return;
	memset(blank, 0, n ? n : 1);
	for (int attr = 0; attr < 3; attr++) {
		char label[64];
		snprintf(label, sizeof label, "upcoming_reconciliations[%s]", names[attr]);
		for (size_t i = 0; i < n; i++) {
			struct grape_value v;
			grape_json(json_object_array_get_idx(list, i), names[attr], &v);
			if (v.kind == GV_ABSENT) {
				grape_error(&errs, label, "is missing");
				continue;
			}
			if (attr == 0) {
				if (v.kind == GV_NULL || (v.kind == GV_STRING && v.len == 0)) {
					grape_error(&errs, label, "is empty");	/* allow_blank: false */
				} else if (v.kind == GV_BOOL || v.kind == GV_OTHER ||
					   parse_int64(v.s, v.len, &ns_ids[i]) < 0) {
					grape_error(&errs, label, "is invalid");
				} else {
					char num[24];
					snprintf(num, sizeof num, "%lld", ns_ids[i]);
					pg_array_add(&ids, num, strlen(num));
				}
				continue;
			}
			char date[11];
			struct pg_array *dst = attr == 1 ? &next : &alert;
			switch (grape_date(&v, date)) {
			case GC_INVALID: grape_error(&errs, label, "is invalid"); break;
			case GC_OK: pg_array_add(dst, date, 10); break;
			default:	/* nil: the model's presence validation */
				blank[i] |= (unsigned char)attr;
				pg_array_add(dst, NULL, 0);
				break;
			}
		}
	}
	if (errs.len) {
		response_error(res, 400, errs.text);
		return;
	}
	bool any_blank = false;
	for (size_t i = 0; i < n; i++)
		any_blank = any_blank || blank[i];
	const char *params[] = { pg_array_end(&ids), pg_array_end(&next), pg_array_end(&alert), any_blank ? "f" : "t" };
	PGresult *r = api_query(app, &reconciliations_upsert, params, res);
	if (!r)
		return;
	int missing = PQntuples(r);
	if (missing == 0 && !any_blank) {
		PQclear(r);
		response_json(res, 200, json_object_new_int(200));
		return;
	}
	/* The service's errors: [{"<namespace_id>": [full messages]}, ...] as a
	 * JSON string, in {"message":{"error": ...}}. Nothing was written. */
	json_object *errors = json_object_new_array();
	for (size_t i = 0; errors && i < n; i++) {
		json_object *msgs = json_object_new_array();
		char key[24];
		snprintf(key, sizeof key, "%lld", ns_ids[i]);
		for (int k = 0; k < missing; k++)
			if (strcmp(PQgetvalue(r, k, 0), key) == 0)
				json_object_array_add(msgs, json_object_new_string("Namespace can't be blank"));
		if (blank[i] & 1)
			json_object_array_add(msgs, json_object_new_string("Next reconciliation date can't be blank"));
		if (blank[i] & 2)
			json_object_array_add(msgs, json_object_new_string("Display alert from can't be blank"));
		if (json_object_array_length(msgs) == 0) {
			json_object_put(msgs);
			continue;
		}
		json_object *e = json_object_new_object();
		json_object_object_add(e, key, msgs);
		json_object_array_add(errors, e);
	}
	PQclear(r);
	json_object *o = json_object_new_object(), *m = json_object_new_object();
	if (errors && o && m) {
		json_object_object_add(m, "error", json_object_new_string(json_object_to_json_string_ext(
							    errors, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
		json_object_object_add(o, "message", m);
		response_json(res, 400, o);
		m = NULL;
		o = NULL;
	}
	json_object_put(errors);
	json_object_put(m);
	json_object_put(o);
}
