/* POST /internal/pre_receive and /internal/post_receive: the reference
 * counter Gitaly's hooks raise before a push and lower after it (GitLab
 * keeps it in Redis; glia in PostgreSQL, so every worker and host shares
 * it), and the messages shown to the pusher afterwards. */
#include "config.h"
#include "api/actor.h"
#include "api/api.h"
#include "api/changes.h"
#include "bounds.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* Like GitLab's INCR + EXPIRE 600: a counter last raised more than 600 s ago
 * has expired and starts again from 1. */
const struct db_stmt receive_increase = {
	"receive_increase",
	"INSERT INTO reference_counters AS c (gl_repository, value, updated_at) VALUES ($1, 1, now())"
	" ON CONFLICT (gl_repository) DO UPDATE SET updated_at = now(),"
	" value = CASE WHEN c.updated_at < now() - interval '600 seconds' THEN 1 ELSE c.value + 1 END",
	1, false,
};
/* Everything post_receive reads and writes, in one round trip:
 *  - the counter lowered in one statement, so concurrent decrements never
 *    take it below zero; the expiry is not extended (Redis's DECR keeps the
 *    key's TTL). A counter that could not be lowered (at zero, expired or
 *    missing) is deleted, as GitLab's DEL after a negative DECR;
 *  - the pusher ($2 key id, $3 user id: actor_ref, a username read as a
 *    user id first; a deploy key is nobody's, as User.find_by_ssh_key_id),
 *    whose messages /allowed left are taken: fetch-and-delete, as GitLab's
 *    Redis GETDEL;
 *  - what the merge request links need ($4 the project id, NULL when there
 *    are no links to give): the project's path and default branch, and
 *    whether merge requests are enabled.
 * $1 gl_repository. */
const struct db_stmt receive_post = {
	"receive_post",
	"WITH lowered AS (UPDATE reference_counters SET value = value - 1"
	" WHERE gl_repository = $1 AND value > 0 AND updated_at >= now() - interval '600 seconds' RETURNING 1),"
	" reset AS (DELETE FROM reference_counters WHERE gl_repository = $1"
	" AND NOT EXISTS (SELECT FROM lowered) RETURNING 1),"
	" pusher AS (SELECT k.user_id AS id FROM keys k WHERE k.id = $2 AND k.type = 'Key'"
	" UNION ALL SELECT u.id FROM users u WHERE u.id = $3),"
	" taken AS (DELETE FROM console_messages WHERE user_id IN (SELECT id FROM pusher) AND gl_repository = $1"
	" RETURNING message, expires_at, kind)"
	" SELECT EXISTS (SELECT FROM lowered), r.path, p.default_branch,"
	" coalesce(f.merge_requests_access_level, 20) > 0,"
	" (SELECT json_agg(message ORDER BY kind = 'moved' DESC) FROM taken WHERE expires_at > now())"
	" FROM (SELECT 1) one LEFT JOIN (projects p JOIN routes r ON r.project_id = p.id"
	" LEFT JOIN project_features f ON f.project_id = p.id) ON p.id = $4",
	4, false,
};

const struct db_stmt *const receive_statements[] = {
	&receive_increase,
	&receive_post,
	NULL,
};

/* gl_repository is required and opaque here, as in GitLab: any string names
 * a counter. */
static const char *gl_repository_param(struct request *req, struct response *res)
{
	const char *value;
	size_t len;
	switch (request_param_string(req, "gl_repository", &value, &len)) {
	case PARAM_ABSENT:
		response_error(res, 400, "gl_repository is missing");
		return NULL;
	case PARAM_INVALID:
		response_error(res, 400, "gl_repository is invalid");
		return NULL;
	}
	if (len == 0) {
		response_error(res, 400, "gl_repository is empty");
		return NULL;
	}
	if (len > MAX_GL_REPOSITORY) {
		response_error(res, 400, "gl_repository is invalid");
		return NULL;
	}
	return value;
}

void api_pre_receive(struct request *req, struct response *res, struct app *app)
{
	const char *gl_repository = gl_repository_param(req, res);
	if (!gl_repository)
		return;
	const char *params[] = { gl_repository };
	PGresult *r;
	/* The counter is best effort, as GitLab's: a store that fails says
	 * false rather than refusing the push. */
	bool increased = db_exec(app->db, &receive_increase, params, &r) == DB_OK;
	if (increased)
		PQclear(r);
	json_object *o = json_object_new_object();
	if (!o)
		return;
	json_object_object_add(o, "reference_counter_increased", json_object_new_boolean(increased));
	response_json(res, 200, o);
}

/* Ruby's CGI.escape, which Rails' URL helpers apply to query values. */
static char *cgi_escape(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = arena_alloc(a, strlen(s) * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_.-~", c)) {
			*o++ = (char)c;
		} else if (c == ' ') {
			*o++ = '+';
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

static void add_message(json_object *list, const char *text, const char *type)
{
	json_object *m = json_object_new_object();
	if (!m || !text)
		return;
	json_object_object_add(m, "message", json_object_new_string(text));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_array_add(list, m);
}

/* "To create a merge request for BRANCH, visit:" for every branch pushed
 * that is not the default one and not deleted, from receive_post's row
 * (columns 1-3: path, default branch, merge requests enabled). glia keeps
 * no merge requests, so it never says "View merge request". */
static void merge_request_links(struct request *req, struct app *app, PGresult *r, const struct change *changes,
				long n, json_object *messages)
{
	if (PQgetisnull(r, 0, 1) || !col_flag(r, 3))
		return;
	const char *path = PQgetvalue(r, 0, 1);
	const char *default_branch = PQgetisnull(r, 0, 2) ? NULL : PQgetvalue(r, 0, 2);
	const char *base = app->conf->external_url;	/* no trailing '/' (conf.c) */
	for (long i = 0; i < n; i++) {
		const char *branch = change_branch(&changes[i]);
		if (!branch || change_blank(changes[i].newrev) || (default_branch && strcmp(branch, default_branch) == 0))
			continue;
		add_message(messages,
			    arena_printf(req->arena,
					 "To create a merge request for %s, visit:\n  %s/%s/-/merge_requests/new"
					 "?merge_request%%5Bsource_branch%%5D=%s",
					 branch, base, path, cgi_escape(req->arena, branch)),
			    "basic");
	}
}

/* The messages /allowed left (column 4: a JSON array of strings, or NULL). */
static void stored_messages(struct request *req, PGresult *r, json_object *messages)
{
	if (PQgetisnull(r, 0, 4))
		return;
	json_object *list = json_tokener_parse(PQgetvalue(r, 0, 4));
	size_t len = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < len; i++) {
		json_object *m = json_object_array_get_idx(list, i);
		if (json_object_is_type(m, json_type_string))
			add_message(messages, arena_strdup(req->arena, json_object_get_string(m)), "basic");
	}
	json_object_put(list);
}

/* push_options: an array of strings (git push -o), bounded, or one. glia
 * runs no pipelines and opens no merge requests, so it reads them no
 * further. */
static bool push_options_valid(struct request *req)
{
	const char *one, **list;
	size_t len, n;
	return request_param_string(req, "push_options", &one, &len) == PARAM_OK ||
	       param_string_list(req, "push_options", MAX_PUSH_OPTIONS, req->arena, &list, &n) != PARAM_INVALID;
}

void api_post_receive(struct request *req, struct response *res, struct app *app)
{
	const char *gl_repository = gl_repository_param(req, res), *text = "";
	size_t text_len = 0;
	struct change *changes = NULL;
	struct actor_ref pusher;
	long long project_id;
	char project_text[24];
	long n = 0;

	if (!gl_repository)
		return;
	if (request_param_string(req, "changes", &text, &text_len) == PARAM_INVALID ||
	    (n = changes_parse(req->arena, text, text_len, app->conf->max_changes, &changes)) < 0) {
		response_error(res, 400, "changes is invalid");
		return;
	}
	if (!push_options_valid(req)) {
		response_error(res, 400, "push_options is invalid");
		return;
	}
	if (actor_ref_from_request(req, ACTOR_PARAMS_OR_IDENTIFIER, &pusher, res) < 0 ||
	    actor_resolve_username(app, &pusher, res) < 0)
		return;
	/* Merge request links are for a project's branches. */
	bool links = n > 0 && strncmp(gl_repository, "project-", 8) == 0 &&
		     parse_id(gl_repository + 8, strlen(gl_repository + 8), &project_id) == 0;
	if (links)
		snprintf(project_text, sizeof project_text, "%lld", project_id);
	const char *params[] = { gl_repository, pusher.key_id, pusher.user_id, links ? project_text : NULL };
	PGresult *r = api_query(app, &receive_post, params, res);
	if (!r)
		return;
	if (PQntuples(r) != 1) {
		PQclear(r);
		response_status(res, 500);
		return;
	}
	if (!col_flag(r, 0)) {
		char esc[300];
		log_req(LOG_LVL_WARN, req->request_id,
			"Reference counter for %s decreased when its value was less than 1. Resetting the counter.",
			 log_escape(esc, sizeof esc, gl_repository));
	}
	json_object *o = json_object_new_object(), *messages = json_object_new_array();
	if (!o || !messages) {
		json_object_put(o);
		json_object_put(messages);
		PQclear(r);
		response_status(res, 500);
		return;
	}
	/* A broadcast message goes first: GitLab puts alerts before the rest;
	 * the messages /allowed left come after the merge request links. */
	if (*app->conf->broadcast_message)
		add_message(messages, app->conf->broadcast_message, "alert");
	merge_request_links(req, app, r, changes, n, messages);
	stored_messages(req, r, messages);
	PQclear(r);
	json_object_object_add(o, "messages", messages);
	json_object_object_add(o, "reference_counter_decreased", json_object_new_boolean(1));
	response_json(res, 200, o);
}
