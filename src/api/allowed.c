/* POST /internal/allowed: may this actor run this git command on this
 * repository? GitLab's GitAccess#check, in its order and with its messages
 * (GitAccessProject, GitAccessWiki, GitAccessSnippet, GitAccessDesign of
 * ≈14.0). A refusal is {"status":false,"message":...}: 401 for "forbidden"
 * (gitlab-shell shows the message only for 401), 404 for "not found".
 * One statement reads the actor, the container with the caller's role and
 * a deploy key's link, and, for a push with changes, the protected refs:
 * round trips, not instructions, decide this endpoint's speed. */
#include "config.h"
#include "api/api.h"
#include "api/actor.h"
#include "api/changes.h"
#include "api/policy.h"
#include "gitlab.h"
#include "api/refcheck.h"
#include "api/repo.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "log.h"


/* The statements of /allowed: $1 the key id or $2 the user id (a username
 * is read as a user id first), $3 the container (a path, or an id), $4
 * whether the protected refs are wanted (a push with changes), or for a
 * snippet the project path it was named under. The actor's columns, the
 * container's, the refs. The actor is keys k and users u; the caller's
 * role counts unless the actor is a deploy key, whose link counts instead. */
#define ALLOWED_ACTOR_JOINS \
	" FROM (SELECT 1) one LEFT JOIN keys k ON k.id = $1 LEFT JOIN users u ON u.id = coalesce(k.user_id, $2)"
#define ALLOWED_DEPLOY_KEY_JOIN \
	" LEFT JOIN deploy_keys_projects dk ON dk.project_id = p.id AND dk.deploy_key_id = k.id AND k.type = 'DeployKey'"
#define ALLOWED_ROLE \
	"CASE WHEN u.id IS NULL OR k.type = 'DeployKey' OR p.id IS NULL THEN 0 ELSE " REPO_ROLE("u.id") " END"
#define ALLOWED_CALLER_COLUMNS(redirected) ", dk.id IS NOT NULL, coalesce(dk.can_push, false), " redirected
#define ALLOWED_REFS \
	", CASE WHEN $4::boolean AND p.id IS NOT NULL THEN " \
	REFCHECK_PROTECTED_REFS_JSON("p.id", "CASE WHEN k.type = 'DeployKey' THEN 0 ELSE coalesce(u.id, 0) END") " END"
#define ALLOWED_SELECT(path) "SELECT " ACTOR_KEY_COLUMNS ACTOR_USER_COLUMNS ", " REPO_PROJECT_COLUMNS(path, ALLOWED_ROLE)

const struct db_stmt allowed_project_by_path = {
	"allowed_project_by_path",
	REPO_PATH_CTE("$3") ALLOWED_SELECT("t.path") ALLOWED_CALLER_COLUMNS("t.redirected") REPO_NO_SNIPPET ALLOWED_REFS
	ALLOWED_ACTOR_JOINS " LEFT JOIN (t JOIN projects p ON p.id = t.project_id" REPO_NAMESPACE_JOIN REPO_FEATURES_JOIN
	") ON true" ALLOWED_DEPLOY_KEY_JOIN,
	4, true,
};
const struct db_stmt allowed_project_by_id = {
	"allowed_project_by_id",
	ALLOWED_SELECT("r.path") ALLOWED_CALLER_COLUMNS("false") REPO_NO_SNIPPET ALLOWED_REFS
	ALLOWED_ACTOR_JOINS " LEFT JOIN (projects p JOIN routes r ON r.project_id = p.id" REPO_NAMESPACE_JOIN
	REPO_FEATURES_JOIN ") ON p.id = $3" ALLOWED_DEPLOY_KEY_JOIN,
	4, true,
};
const struct db_stmt allowed_snippet = {
	"allowed_snippet",
	ALLOWED_SELECT("r.path") ALLOWED_CALLER_COLUMNS("false") REPO_SNIPPET_COLUMNS ", NULL::json"
	ALLOWED_ACTOR_JOINS " LEFT JOIN (" REPO_SNIPPET_FROM ") ON " REPO_SNIPPET_MATCH("$3", "$4")
	ALLOWED_DEPLOY_KEY_JOIN,
	4, true,
};

/* GitLab's Checks::ContainerMoved: kept 300 s for the push's post_receive. */
const struct db_stmt allowed_store_moved = {
	"allowed_store_moved",
	"INSERT INTO console_messages (user_id, gl_repository, kind, message, expires_at)"
	" VALUES ($1, $2, 'moved', $3, now() + interval '300 seconds')"
	" ON CONFLICT (user_id, gl_repository, kind) DO UPDATE SET message = EXCLUDED.message,"
	" expires_at = EXCLUDED.expires_at",
	3, false,
};

/* Every statement of allowed.c, lfs.c and repo.c. */
const struct db_stmt *const git_access_statements[] = {
	&allowed_project_by_path,
	&allowed_project_by_id,
	&allowed_snippet,
	&allowed_store_moved,
	&repo_project_by_path,
	&repo_project_by_id,
	NULL,
};

/* users.user_type values that are GitLab's internal users: support, alert,
 * visual review, ghost, migration, security and automation bots (14.x). */
static const int internal_user_types[] = { 1, 2, 3, 5, 7, 8, 9 };
/* Current GitLab, whose tables schema = gitlab reads, has more types and
 * names the others instead (HasUserType::NON_INTERNAL_USER_TYPES): human,
 * service user, project bot, service account, retired human_deprecated. */
static const int gitlab_non_internal_user_types[] = { 0, 4, 6, 13, 14 };

#define MSG_COMMAND "The command you're trying to execute is not allowed."
#define MSG_PROJECT_NOT_FOUND "The project you were looking for could not be found."
#define MSG_DOWNLOAD "You are not allowed to download code from this project."
#define MSG_READ_ONLY "The repository is temporarily read-only. Please try again later."
#define MSG_DEPLOY_KEY_UPLOAD "This deploy key does not have write access to this project."
#define MSG_UPLOAD "You are not allowed to upload code for this project."
#define MSG_PUSH_CODE "You are not allowed to push code to this project."
#define MSG_WIKI_NOT_FOUND "The wiki you were looking for could not be found."
#define MSG_WIKI_DOWNLOAD "You are not allowed to download files from this wiki."
#define MSG_WIKI_WRITE "You are not allowed to write to this project's wiki."
#define MSG_SNIPPET_NOT_FOUND "The snippet you were looking for could not be found."
#define MSG_SNIPPET_AUTH "The authentication mechanism is not supported."
#define MSG_SNIPPET_READ "You are not allowed to read this snippet."
#define MSG_SNIPPET_UPDATE "You are not allowed to update this snippet."
#define MSG_SNIPPET_BRANCH "You can not create or delete branches."
#define MSG_DESIGN_WEB "Designs are only accessible using the web interface"
#define MSG_DESIGN_MANAGE "You are not allowed to manage designs of this project"

/* One request's view of the check. */
struct access {
	struct request *req;
	struct app *app;
	const struct actor *actor;
	struct repo repo;
	const char *action;
	const char *protocol;
	const char *changes;
	size_t changes_len;
	struct protected_ref *refs;	/* read with the container for a push with changes */
	long n_refs;
	bool user;		/* a user whose rights count: not a deploy key */
	struct policy_subject who;	/* the caller, as the abilities see it */
	bool download;
	bool push;
};

/* A refusal: HTTP status and message, or status 0 to go on. Status 404
 * without a message: what this schema does not answer, the router's 404
 * (schema = gitlab: the call belongs to GitLab's Rails). */
struct verdict {
	int status;
	const char *message;
};

static bool refuse(struct verdict *v, int status, const char *message)
{
	v->status = status;
	v->message = message;
	return false;
}

static void write_refusal(struct response *res, const struct verdict *v)
{
	if (!v->message) {
		response_error(res, 404, "404 Not Found");
		res->not_served = true;
		return;
	}
	json_object *o = json_object_new_object();
	if (!o) {
		response_status(res, 500);
		return;
	}
	json_object_object_add(o, "status", json_object_new_boolean(0));
	json_object_object_add(o, "message", json_object_new_string(v->message));
	response_json(res, v->status, o);
}

/* --- abilities: policy.c's, asked for this request's caller ------------ */

static void set_subject(struct access *ac)
{
	ac->who = (struct policy_subject){
		.user = ac->user,
		.admin = ac->actor->admin,
		.external = ac->actor->external,
		.deploy_key = ac->actor->deploy_key,
		.user_id = ac->actor->user_id,
		.role = ac->repo.access_level,
	};
}

/* A developer or more, or an admin: who may push past the protections
 * that merely need write access. */
static bool writer(const struct access *ac)
{
	return (ac->user && ac->actor->admin) || (ac->user ? ac->repo.access_level : 0) >= GITLAB_DEVELOPER;
}

/* --- the checks, in GitAccess#check's order ---------------------------- */

static bool check_protocol(const struct access *ac, struct verdict *v)
{
	const char *only = ac->app->conf->git_access_protocol;
	if (strcmp(ac->protocol, "web") == 0 || !only || !*only || strcmp(ac->protocol, only) == 0)
		return true;
	char upper[8];
	size_t i;
	for (i = 0; ac->protocol[i] && i < sizeof upper - 1; i++)
		upper[i] = (char)toupper((unsigned char)ac->protocol[i]);
	upper[i] = '\0';
	return refuse(v, 401, arena_printf(ac->req->arena, "Git access over %s is not allowed", upper));
}

static bool internal_user(const struct access *ac, int user_type)
{
	if (ac->app->conf->schema == SCHEMA_GITLAB) {
		const size_t n = sizeof gitlab_non_internal_user_types / sizeof gitlab_non_internal_user_types[0];
		for (size_t i = 0; i < n; i++)
			if (user_type == gitlab_non_internal_user_types[i])
				return false;
		return true;
	}
	for (size_t i = 0; i < sizeof internal_user_types / sizeof internal_user_types[0]; i++)
		if (user_type == internal_user_types[i])
			return true;
	return false;
}

/* UserAccess#allowed? and UserAccessDeniedReason's messages. */
static bool check_active_user(const struct access *ac, struct verdict *v)
{
	const struct actor *a = ac->actor;
	if (!ac->user)
		return true;
	if (internal_user(ac, a->user_type))
		return refuse(v, 401, "This action cannot be performed by internal users");
	if (strcmp(a->state, "active") == 0)
		return true;
	if (strcmp(a->state, "deactivated") == 0)
		return refuse(v, 401, arena_printf(ac->req->arena,
			"Your account has been deactivated by your administrator. Please log back in from a "
			"web browser to reactivate your account at %s", ac->app->conf->external_url));
	if (strcmp(a->state, "blocked_pending_approval") == 0)
		return refuse(v, 401, "Your account is pending approval from your administrator and hence blocked.");
	return refuse(v, 401, "Your account has been blocked.");
}

static bool check_command(const struct access *ac, struct verdict *v)
{
	if (ac->download || ac->push)
		return true;
	return refuse(v, 401, MSG_COMMAND);
}

/* The real changes of a push, each through PushCheck, BranchCheck and
 * TagCheck; the first refusal wins. "_any" and an empty list mean no
 * particular change: the right to push code decides. */
static bool check_changes(struct access *ac, struct change *changes, long n, struct verdict *v)
{
	struct ref_rights rights = { ac->user && ac->actor->admin, ac->user ? ac->repo.access_level : 0,
				     policy_can_push_code(&ac->who, &ac->repo) };

	if (n == 0)
		return rights.push_code || refuse(v, 401, MSG_PUSH_CODE);
	for (long i = 0; i < n; i++) {
		/* Deleting the default branch is refused before any protection
		 * counts; GitLab keeps the default branch in the repository, not
		 * in its tables, so where glia cannot tell it does not answer. */
		if (!ac->app->sql->knows_default_branch && rights.push_code && change_blank(changes[i].newrev) &&
		    strncmp(changes[i].ref, "refs/heads/", 11) == 0)
			return refuse(v, 404, NULL);
		const char *msg = refcheck_change(&changes[i], ac->repo.default_branch, ac->refs, (size_t)ac->n_refs,
						  &rights);
		if (msg)
			return refuse(v, 401, msg);
	}
	return true;
}

/* Push: GitAccess#check_push_access!. */
static bool check_project_push(struct access *ac, struct change *changes, long n, struct verdict *v)
{
	if (ac->repo.read_only)
		return refuse(v, 401, MSG_READ_ONLY);
	if (ac->actor->deploy_key)
		/* Deploy keys with write access can push anything. */
		return ac->repo.deploy_key_can_push || refuse(v, 401, MSG_DEPLOY_KEY_UPLOAD);
	if (!ac->user)
		return refuse(v, 401, MSG_UPLOAD);
	return check_changes(ac, changes, n, v);
}

static bool check_project(struct access *ac, struct change *changes, long n, struct verdict *v)
{
	if (!ac->repo.found || !policy_can_read_project(&ac->who, &ac->repo))
		return refuse(v, 404, MSG_PROJECT_NOT_FOUND);
	if (ac->download)
		return policy_can_download_code(&ac->who, &ac->repo) || refuse(v, 401, MSG_DOWNLOAD);
	return check_project_push(ac, changes, n, v);
}

static bool check_wiki(struct access *ac, struct verdict *v)
{
	if (!ac->repo.found || !policy_can_read_project(&ac->who, &ac->repo))
		return refuse(v, 404, MSG_WIKI_NOT_FOUND);
	if (ac->download)
		return policy_can_download_wiki(&ac->who, &ac->repo) || refuse(v, 401, MSG_WIKI_DOWNLOAD);
	if (ac->repo.read_only)
		return refuse(v, 401, MSG_READ_ONLY);
	return policy_can_create_wiki(&ac->who, &ac->repo) || refuse(v, 401, MSG_WIKI_WRITE);
}

/* GitAccessSnippet: its own actor rule and messages; Checks::SnippetCheck
 * refuses creating or deleting branches. */
static bool check_snippet(struct access *ac, struct change *changes, long n, struct verdict *v)
{
	if (ac->repo.project_id && !policy_can_read_project(&ac->who, &ac->repo))
		return refuse(v, 404, MSG_PROJECT_NOT_FOUND);
	if (ac->download)
		return policy_can_read_snippet(&ac->who, &ac->repo) || refuse(v, 401, MSG_SNIPPET_READ);
	if (!ac->user)
		return refuse(v, 401, MSG_SNIPPET_UPDATE);
	if (ac->repo.read_only)
		return refuse(v, 401, MSG_READ_ONLY);
	if (!policy_can_update_snippet(&ac->who, &ac->repo))
		return refuse(v, 401, MSG_SNIPPET_UPDATE);
	for (long i = 0; i < n; i++)
		if (change_blank(changes[i].oldrev) || change_blank(changes[i].newrev))
			return refuse(v, 401, MSG_SNIPPET_BRANCH);
	return true;
}

/* GitAccessDesign: only the web interface manages designs. */
static bool check_design(const struct access *ac, struct verdict *v)
{
	if (strcmp(ac->protocol, "web") != 0)
		return refuse(v, 401, MSG_DESIGN_WEB);
	if (ac->repo.found && policy_can_read_project(&ac->who, &ac->repo) && !ac->repo.archived && writer(ac))
		return true;
	return refuse(v, 401, MSG_DESIGN_MANAGE);
}

/* The whole check; false with v set when refused (v->status 0: the
 * response is already written). */
static bool git_access_check(struct access *ac, struct verdict *v, struct response *res)
{
	struct change *changes = NULL;
	long n = 0;
	bool any = strcmp(ac->changes, "_any") == 0;

	if (!any && (n = changes_parse(ac->req->arena, ac->changes, ac->changes_len, ac->app->conf->max_changes,
				       &changes)) < 0) {
		response_error(res, 400, "changes is invalid");
		return refuse(v, 0, NULL);
	}
	if (ac->repo.type == REPO_DESIGN)
		return check_design(ac, v);
	/* A snippet is looked for before anything else. */
	if (ac->repo.type == REPO_SNIPPET && !ac->repo.found)
		return refuse(v, 404, MSG_SNIPPET_NOT_FOUND);
	if (!check_protocol(ac, v))
		return false;
	/* check_valid_actor!: GitLab 14 enforces SSH key expiry (deploy keys
	 * included); a key about to expire only gets the INFO line. */
	if (ac->actor->has_key && ac->actor->key_expired)
		return refuse(v, 401, "Your SSH key has expired.");
	if (ac->repo.type == REPO_SNIPPET && ac->actor->deploy_key)
		return refuse(v, 401, MSG_SNIPPET_AUTH);
	if (!check_active_user(ac, v) || !check_command(ac, v))
		return false;
	switch (ac->repo.type) {
	case REPO_WIKI:
		return check_wiki(ac, v);
	case REPO_SNIPPET:
		return check_snippet(ac, changes, n, v);
	default:
		return check_project(ac, changes, n, v);
	}
}

/* --- parameters and the answer ------------------------------------------ */

/* GitLab's /allowed declares no parameters: GitAccess#check reads what it
 * is given. Without an action no command exists (401 from check_command);
 * without a protocol every protocol is allowed unless git_access_protocol
 * restricts them; a download needs no changes. Where GitLab 14 fails with
 * a 500 (NoMethodError on nil: a push without changes, or no protocol under
 * a restriction), glia answers 400 "... is missing" before any query. */
static int read_params(struct request *req, struct access *ac, struct response *res)
{
	static const char *const names[] = { "action", "changes", "protocol" };
	const char **slots[] = { &ac->action, &ac->changes, &ac->protocol };
	static const char *const absent[] = { "", "_any", "" };
	size_t len;

	for (size_t i = 0; i < 3; i++) {
		int st = request_param_string(req, names[i], slots[i], i == 1 ? &ac->changes_len : &len);
		if (st == PARAM_INVALID) {
			response_error(res, 400, arena_printf(req->arena, "%s is invalid", names[i]));
			return -1;
		}
		if (st == PARAM_ABSENT) {
			if (i == 1 && strcmp(ac->action, "git-receive-pack") == 0) {
				response_error(res, 400, "changes is missing");
				return -1;
			}
			*slots[i] = absent[i];
			if (i == 1)
				ac->changes_len = strlen(absent[i]);
		}
	}
	const char *only = ac->app->conf->git_access_protocol;
	if (!*ac->protocol && only && *only) {
		response_error(res, 400, "protocol is missing");
		return -1;
	}
	/* gitlab-shell and Gitaly send ssh or http; GitLab uses web itself. */
	if (*ac->protocol && strcmp(ac->protocol, "ssh") && strcmp(ac->protocol, "http") &&
	    strcmp(ac->protocol, "web")) {
		response_error(res, 400, "protocol does not have a valid value");
		return -1;
	}
	return 0;
}

static json_object *gitaly_payload(const struct access *ac, const char *address)
{
	const struct repo *r = &ac->repo;
	json_object *g = json_object_new_object(), *repo = json_object_new_object();
	if (!g || !repo) {
		json_object_put(g);
		json_object_put(repo);
		return NULL;
	}
	json_object_object_add(repo, "storage_name", json_object_new_string(r->storage));
	json_object_object_add(repo, "relative_path", json_object_new_string(r->relative_path));
	json_object_object_add(repo, "git_object_directory", json_object_new_string(""));
	json_object_object_add(repo, "git_alternate_object_directories", json_object_new_array());
	json_object_object_add(repo, "gl_repository", json_object_new_string(r->gl_repository));
	json_object_object_add(repo, "gl_project_path", json_object_new_string(r->gl_project_path));
	json_object_object_add(g, "repository", repo);
	json_object_object_add(g, "address", json_object_new_string(address));
	json_object_object_add(g, "token", json_object_new_string(ac->app->secrets->gitaly_token));
	json_object_object_add(g, "features", json_object_new_object());
	return g;
}

static json_object *config_options(const struct access *ac)
{
	json_object *a = json_object_new_array();
	if (!a)
		return NULL;
	json_object_array_add(a, json_object_new_string("uploadpack.allowFilter=true"));
	json_object_array_add(a, json_object_new_string("uploadpack.allowAnySHA1InWant=true"));
	long long mb = ac->app->conf->receive_max_input_size;
	if (mb > 0)
		json_object_array_add(a, json_object_new_string(
			arena_printf(ac->req->arena, "receive.maxInputSize=%lld", mb * 1048576LL)));
	return a;
}

/* KeyStatusChecker: only for key actors, deploy keys included. An expired
 * key never gets here: check_valid_actor refused it. */
static json_object *console_messages(const struct actor *a)
{
	json_object *m = json_object_new_array();
	if (m && a->has_key && a->key_expiring)
		json_object_array_add(m, json_object_new_string(
			"INFO: Your SSH key is expiring soon. Please generate a new key."));
	return m;
}

/* "git@HOST:" from external_url, as GitLab's ssh_path_prefix is for the
 * default SSH user and port. */
static const char *ssh_prefix(struct request *req, const char *url)
{
	const char *host = strstr(url, "://");
	host = host ? host + 3 : url;
	size_t len = strcspn(host, ":/");
	return arena_printf(req->arena, "git@%.*s:", (int)len, host);
}

/* The old path reached the project through redirect_routes: post_receive
 * will tell the user to update the remote, as GitLab's ContainerMoved. */
static int store_moved_message(struct access *ac, const struct repo_ref *ref, struct response *res)
{
	struct request *req = ac->req;
	const char *base = ac->app->conf->external_url;
	const char *suffix = ac->repo.type == REPO_WIKI ? ".wiki.git" : ".git";
	const char *url = strcmp(ac->protocol, "ssh") == 0
		? arena_printf(req->arena, "%s%s%s", ssh_prefix(req, base), ac->repo.full_path, suffix)
		: arena_printf(req->arena, "%s/%s%s", base, ac->repo.full_path, suffix);
	const char *message = arena_printf(req->arena,
					   "Project '%.*s' was moved to '%s'.\n\nPlease update your Git remote:\n\n"
					   "  git remote set-url origin %s\n",
					   (int)ref->path_len, ref->path, ac->repo.full_path, url ? url : "");
	char user_id[24];
	snprintf(user_id, sizeof user_id, "%lld", ac->actor->user_id);
	const char *params[] = { user_id, ac->repo.gl_repository, message };
	if (!message) {
		response_status(res, 500);
		return -1;
	}
	PGresult *r = api_query(ac->app, ac->app->sql->allowed_store_moved, params, res);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

/* An id, or null where there is none (a personal snippet's project). */
static json_object *id_or_null(long long id)
{
	return id > 0 ? json_object_new_int64(id) : NULL;
}

/* base.rb's payload, in its order (current GitLab: gl_project_id,
 * gl_root_namespace_id and need_audit, which gitlab-shell from v14.x
 * reads; glia records no audit events, so need_audit is false): the key
 * details are merged in last. */
static void write_success(struct access *ac, struct response *res)
{
	const struct actor *a = ac->actor;
	const char *address = repo_gitaly_address(ac->req, ac->app->conf->gitaly_storages, ac->repo.storage);
	if (!address) {
		log_req(LOG_LVL_ERROR, ac->req->request_id, "allowed: no gitaly_storages entry for storage \"%s\" of %s", ac->repo.storage,
			  ac->repo.gl_repository);
		response_status(res, 500);
		return;
	}
	json_object *o = json_object_new_object();
	if (!o) {
		response_status(res, 500);
		return;
	}
	json_object_object_add(o, "status", json_object_new_boolean(1));
	json_object_object_add(o, "gl_repository", json_object_new_string(ac->repo.gl_repository));
	json_object_object_add(o, "gl_project_path", json_object_new_string(ac->repo.gl_project_path));
	json_object_object_add(o, "gl_project_id", id_or_null(ac->repo.project_id));
	json_object_object_add(o, "gl_root_namespace_id", id_or_null(ac->repo.root_namespace_id));
	json_object_object_add(o, "gl_id", json_object_new_string(actor_gl_id(ac->req, a)));
	if (a->has_user)
		json_object_object_add(o, "gl_username", json_object_new_string(a->username));
	json_object_object_add(o, "git_config_options", config_options(ac));
	json_object_object_add(o, "gitaly", gitaly_payload(ac, address));
	json_object_object_add(o, "gl_console_messages", console_messages(a));
	json_object_object_add(o, "need_audit", json_object_new_boolean(0));
	if (a->has_key) {
		json_object_object_add(o, "gl_key_type", json_object_new_string(a->deploy_key ? "deploy_key" : "key"));
		json_object_object_add(o, "gl_key_id", json_object_new_int64(a->key_id));
	}
	response_json(res, 200, o);
}

/* check_ip is EE's IP restriction, which glia does not have: logged only. */
static void log_check_ip(struct request *req)
{
	const char *ip;
	size_t len;
	char buf[64];
	if (request_param_string(req, "check_ip", &ip, &len) == PARAM_OK && len < sizeof buf)
		log_req(LOG_LVL_DEBUG, req->request_id, "allowed: check_ip %s", log_escape(buf, sizeof buf, ip));
}

/* The one statement: the actor, the container with the caller's role, and
 * the protected refs for a push with changes. Returns 0, or -1 after
 * writing the failure. */
static int lookup(struct access *ac, const struct actor_ref *who, const struct repo_ref *ref, struct actor *actor,
		  struct response *res)
{
	struct request *req = ac->req;
	const struct api_sql *sql = ac->app->sql;
	const struct db_stmt *stmt = ref->type == REPO_SNIPPET ? sql->allowed_snippet
				     : ref->by_id		 ? sql->allowed_by_id
								 : sql->allowed_by_path;
	bool want_refs = ac->push && ref->type == REPO_PROJECT && strcmp(ac->changes, "_any") != 0;
	char id_text[24];
	const char *params[4] = { who->key_id, who->user_id, repo_ref_param(req, ref, id_text, sizeof id_text),
				  want_refs ? "t" : "f" };
	PGresult *r;

	if (!stmt) {
		/* Snippets in schema = gitlab: GitLab's Rails answers them. */
		response_error(res, 404, "404 Not Found");
		res->not_served = true;
		return -1;
	}
	if (ref->type == REPO_SNIPPET)
		params[3] = ref->by_id ? NULL : arena_strndup(req->arena, ref->path, ref->path_len);
	if ((ref->valid && !params[2]) || (ref->type == REPO_SNIPPET && !ref->by_id && !params[3]))
		goto oom;
	r = api_query(ac->app, stmt, params, res);
	if (!r)
		return -1;
	const int refs_col = ACTOR_COLUMN_COUNT + REPO_COLUMN_COUNT;
	if (PQntuples(r) == 1)
		actor_read_row(req, r, 0, actor);
	memset(&ac->repo, 0, sizeof ac->repo);
	ac->repo.type = ref->type;
	int rc = repo_read_row(req, r, ACTOR_COLUMN_COUNT, &ac->repo);
	if (rc == 0 && ac->repo.found && PQntuples(r) == 1 && !PQgetisnull(r, 0, refs_col))
		rc = (ac->n_refs = refcheck_parse(req, PQgetvalue(r, 0, refs_col), &ac->refs)) < 0 ? -1 : 0;
	PQclear(r);
	if (rc < 0)
		goto oom;
	return 0;
oom:
	response_status(res, 500);
	return -1;
}

void api_allowed(struct request *req, struct response *res, struct app *app)
{
	struct access ac = { .req = req, .app = app };
	struct actor actor = { 0 };
	struct actor_ref who;
	struct repo_ref ref;
	struct verdict v = { 0, NULL };

	if (read_params(req, &ac, res) < 0 || actor_ref_from_request(req, ACTOR_PARAMS, &who, res) < 0 ||
	    repo_ref_from_request(req, &ref, res) < 0 || actor_resolve_username(app, &who, res) < 0)
		return;
	log_check_ip(req);
	ac.actor = &actor;
	ac.download = strcmp(ac.action, "git-upload-pack") == 0 || strcmp(ac.action, "git-upload-archive") == 0;
	ac.push = strcmp(ac.action, "git-receive-pack") == 0;
	if (lookup(&ac, &who, &ref, &actor, res) < 0)
		return;
	ac.user = actor.has_user && !actor.deploy_key;
	set_subject(&ac);
	if (git_access_check(&ac, &v, res)) {
		/* schema = gitlab keeps it nowhere: GitLab's post_receive reads
		 * its own Redis, which glia does not write. */
		if (ac.repo.redirected && ac.user && ref.path && app->sql->allowed_store_moved &&
		    store_moved_message(&ac, &ref, res) < 0)
			return;
		write_success(&ac, res);
	}
	else if (v.status)
		write_refusal(res, &v);
}
