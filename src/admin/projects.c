/* glia-admin project: add, set, archive and unarchive, and GitLab's rules
 * for a project path and a branch name. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"
#include "api/repo.h"
#include "util.h"

#include <strings.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

bool valid_project_segment(const char *s)
{
	return repo_valid_segment(s, strlen(s)) && !ends_with_ci(s, ".wiki") && !ends_with_ci(s, ".design");
}

bool valid_branch_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || s[0] == '-' || s[0] == '/' || s[n - 1] == '/' || s[n - 1] == '.')
		return false;
	if (strstr(s, "..") || strstr(s, "//") || strstr(s, "@{") || ends_with_ci(s, ".lock"))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("~^:?[\\", *p))
			return false;
	return utf8_valid(s, n);
}

/* Inserts the project, or with WRITE_MATCH finds it by id or full path and
 * updates what differs. Its namespace must be in place already. */
int project_write(PGconn *db, const struct project_rec *p, enum write_mode mode, long long *id, int *outcome,
		  char *disk_path, size_t disk_path_len, struct write_err *e)
{
	bool exists = false;

	*id = p->id;
	if (mode == WRITE_MATCH) {
		struct route self;
		int named = db_find_route(db, p->full_path, &self, &e->db);
		if (named < 0)
			return write_db_failed(e);
		if (named && !self.is_project)
			return write_refused(e, "path", "\"%s\" is a group or a user's namespace", p->full_path);
		exists = named;
		if (p->id) {
			int found = admin_row_exists(db, "SELECT 1 FROM projects WHERE id = $1", p->id, NULL, 0, &e->db);
			if (found < 0)
				return write_db_failed(e);
			if (named && self.id != p->id)
				return write_refused(e, "path", "\"%s\" belongs to project %lld, not %lld", p->full_path,
						     self.id, p->id);
			exists = found;
		} else if (named) {
			*id = self.id;
		}
	}
	char nsid[24], vis[12];
	fmt_id(nsid, sizeof nsid, p->namespace_id);
	snprintf(vis, sizeof vis, "%d", p->visibility);
	const char *params[] = { NULL, nsid, p->path, p->name ? p->name : p->path, vis, p->archived ? "t" : "f",
				 p->storage ? p->storage : "default", p->branch, p->lfs ? "t" : "f" };
	PGresult *inserted = NULL;
	if (admin_write_row(db, exists, id,
			    "UPDATE projects SET namespace_id = $2, path = $3, name = $4, visibility_level = $5,"
			    "       archived = $6, repository_storage = $7, default_branch = $8, lfs_enabled = $9"
			    " WHERE id = $1 AND (namespace_id, path, name, visibility_level, archived,"
			    "                    repository_storage, default_branch, lfs_enabled)"
			    "       IS DISTINCT FROM ($2::bigint, $3, $4, $5::integer, $6::boolean, $7, $8, $9::boolean)",
			    "INSERT INTO projects (id, namespace_id, path, name, visibility_level, archived,"
			    "                      repository_storage, default_branch, lfs_enabled)"
			    " VALUES (coalesce($1::bigint, nextval(pg_get_serial_sequence('projects', 'id'))),"
			    "         $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, disk_path",
			    params, 9, outcome, disk_path ? &inserted : NULL, e) != 0)
		return -1;
	if (disk_path) {
		snprintf(disk_path, disk_path_len, "%s", inserted ? PQgetvalue(inserted, 0, 1) : "");
		PQclear(inserted);
	}
	return 0;
}

static int project_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' }, { "visibility", required_argument, NULL, 'v' },
		{ "default-branch", required_argument, NULL, 'b' }, { NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *branch = NULL;
	int visibility = 0, c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'b': branch = optarg; break;
		case 'v':
			if (parse_visibility_opt(optarg, &visibility) != 0)
				return ADMIN_USAGE;
			break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 1, 1, "FULLPATH");
	const char *full = argv[optind], *slash = strrchr(full, '/');
	if (!slash || slash == full)
		return usage_error("project add: expected NAMESPACE/PROJECT, not \"%s\"", full);
	const char *path = slash + 1;
	if (!valid_project_segment(path))
		return usage_error("project add: \"%s\" is not a valid project path", path);
	if (!name)
		name = path;
	if (check_text("--name", name, 255, false) != 0)
		return ADMIN_USAGE;
	if (branch && !valid_branch_name(branch))
		return usage_error("project add: \"%s\" is not a valid branch name", branch);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	char *ns_path = strndup(full, (size_t)(slash - full));
	if (!ns_path)
		return admin_fail("out of memory");
	struct route ns;
	struct db_err err;
	int found = db_find_route(a->db, ns_path, &ns, &err);
	int rc = ADMIN_FAIL;
	if (found < 0)
		admin_fail("looking up namespace \"%s\": %s", ns_path, err.message);
	else if (!found || ns.is_project)
		admin_fail("namespace \"%s\" not found (add the group or user first)", ns_path);
	else if (check_visibility_within(visibility, &ns) == 0)
		rc = ADMIN_OK;
	free(ns_path);
	if (rc != ADMIN_OK)
		return rc;

	/* GitLab's defaults for what the verb does not set: LFS on, not archived. */
	struct project_rec p = { .namespace_id = ns.id, .path = path, .name = name, .branch = branch,
				 .visibility = visibility, .lfs = true };
	struct write_err e;
	char disk_path[256];
	long long id;
	int outcome;
	if (project_write(a->db, &p, WRITE_INSERT, &id, &outcome, disk_path, sizeof disk_path, &e) != 0)
		return admin_fail("cannot add project \"%s/%s\": %s", ns.path, path, e.message);
	printf("added project %s/%s (id %lld, %s, %s.git)\n", ns.path, path, id, gitlab_visibility_name(visibility),
	       disk_path);
	return ADMIN_OK;
}

static int project_set(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "default-branch", required_argument, NULL, 'b' }, { "visibility", required_argument, NULL, 'v' },
		{ "lfs", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 },
	};
	const char *branch = NULL, *lfs = NULL;
	int visibility = -1, c;
	bool lfs_on = false;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': branch = optarg; break;
		case 'l': lfs = optarg; break;
		case 'v':
			if (parse_visibility_opt(optarg, &visibility) != 0)
				return ADMIN_USAGE;
			break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 1, 1, "PROJECT [--default-branch B] [--visibility V] [--lfs on|off]");
	const char *project = argv[optind];
	if (!branch && visibility < 0 && !lfs)
		return usage_error("project set: give at least one of --default-branch, --visibility and --lfs");
	if (branch && !valid_branch_name(branch))
		return usage_error("project set: \"%s\" is not a valid branch name", branch);
	if (lfs && parse_on_off("project set: --lfs", lfs, &lfs_on) != 0)
		return ADMIN_USAGE;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (admin_find_project(a, project, &r) != 0)
		return ADMIN_FAIL;

	char pid[24], vis[12];
	fmt_id(pid, sizeof pid, r.id);
	snprintf(vis, sizeof vis, "%d", visibility);
	struct db_err err;
	if (db_begin(a->db, &err) != 0)
		return admin_fail("cannot change project %s: %s", r.path, err.message);
	/* The namespace's visibility, held until the change is in. */
	const char *idp[] = { pid };
	PGresult *res = admin_query(a->db,
				"SELECT n.visibility_level, rn.path FROM projects p"
				"  JOIN namespaces n ON n.id = p.namespace_id"
				"  JOIN routes rn ON rn.namespace_id = n.id"
				" WHERE p.id = $1 FOR UPDATE OF p FOR SHARE OF n",
				1, idp, &err);
	if (!res) {
		db_rollback(a->db);
		return admin_fail("cannot change project %s: %s", r.path, err.message);
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(a->db);
		return admin_fail("project \"%s\" not found", project);
	}
	struct route ns = { .visibility = atoi(PQgetvalue(res, 0, 0)) };
	snprintf(ns.path, sizeof ns.path, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (visibility >= 0 && check_visibility_within(visibility, &ns) != 0) {
		db_rollback(a->db);
		return ADMIN_FAIL;
	}
	const char *params[] = { pid, branch, visibility >= 0 ? vis : NULL, lfs ? (lfs_on ? "t" : "f") : NULL };
	res = admin_query(a->db,
		      "UPDATE projects SET default_branch = coalesce($2, default_branch),"
		      "       visibility_level = coalesce($3::integer, visibility_level),"
		      "       lfs_enabled = coalesce($4::boolean, lfs_enabled)"
		      " WHERE id = $1 RETURNING default_branch, visibility_level, lfs_enabled",
		      4, params, &err);
	if (!res) {
		db_rollback(a->db);
		return admin_fail("cannot change project %s: %s", r.path, db_err_reason(&err));
	}
	if (db_commit(a->db, &err) != 0) {
		PQclear(res);
		return admin_fail("cannot change project %s: %s", r.path, err.message);
	}
	printf("project %s: default branch %s, %s, LFS %s\n", r.path,
	       PQgetisnull(res, 0, 0) ? "-" : PQgetvalue(res, 0, 0), gitlab_visibility_name(atoi(PQgetvalue(res, 0, 1))),
	       PQgetvalue(res, 0, 2)[0] == 't' ? "on" : "off");
	PQclear(res);
	return ADMIN_OK;
}

static int project_set_archived(struct admin *a, int argc, char **argv, bool archive)
{
	int c;

	if ((c = admin_operands(argc, argv, 1, 1, "PROJECT")) != 0)
		return c;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (admin_find_project(a, argv[optind], &r) != 0)
		return ADMIN_FAIL;

	char pid[24];
	fmt_id(pid, sizeof pid, r.id);
	struct db_err err;
	const char *params[] = { pid, archive ? "t" : "f" };
	PGresult *res = admin_query(a->db, "UPDATE projects SET archived = $2 WHERE id = $1 AND archived <> $2 RETURNING id",
				2, params, &err);
	if (!res)
		return admin_fail("%s project %s: %s", archive ? "archiving" : "unarchiving", r.path, err.message);
	bool changed = PQntuples(res) == 1;
	PQclear(res);
	if (changed)
		printf("%s project %s\n", archive ? "archived" : "unarchived", r.path);
	else
		printf("project %s %s\n", r.path, archive ? "was already archived" : "was not archived");
	return ADMIN_OK;
}

static int project_archive(struct admin *a, int argc, char **argv)
{
	return project_set_archived(a, argc, argv, true);
}

static int project_unarchive(struct admin *a, int argc, char **argv)
{
	return project_set_archived(a, argc, argv, false);
}

int cmd_project(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", project_add },		    { "set", project_set },
		{ "archive", project_archive },	    { "unarchive", project_unarchive },
		{ NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}
