/* glia-admin group: groups, nested under their parents. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"
#include "api/repo.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inserts the group, or with WRITE_MATCH finds it by id or full path and
 * updates what differs. The parent must be in place already. */
int group_write(PGconn *db, const struct group_rec *g, enum write_mode mode, long long *id, int *outcome,
		struct write_err *e)
{
	bool exists = false;

	*id = g->id;
	if (mode == WRITE_MATCH) {
		struct route self;
		char type[16] = "";
		int named = db_find_route(db, g->full_path, &self, &e->db);
		if (named < 0)
			return write_db_failed(e);
		if (named && self.is_project)
			return write_refused(e, "path", "\"%s\" is a project", g->full_path);
		if (named && self.is_user_ns)
			return write_refused(e, "path", "\"%s\" is a user's namespace", g->full_path);
		exists = named;
		if (g->id) {
			int found = admin_row_exists(db, "SELECT type FROM namespaces WHERE id = $1", g->id, type, sizeof type,
						     &e->db);
			if (found < 0)
				return write_db_failed(e);
			if (found && strcmp(type, "Group") != 0)
				return write_refused(e, "id", "%lld is a user's namespace", g->id);
			if (named && self.id != g->id)
				return write_refused(e, "path", "\"%s\" belongs to group %lld, not %lld", g->full_path, self.id,
						     g->id);
			exists = found;
		} else if (named) {
			*id = self.id;
		}
	}
	char pid[24], vis[12];
	fmt_id(pid, sizeof pid, g->parent_id);
	snprintf(vis, sizeof vis, "%d", g->visibility);
	const char *params[] = { NULL, g->path, g->name ? g->name : g->path, g->parent_id ? pid : NULL, vis };
	return admin_write_row(db, exists, id,
			       "UPDATE namespaces SET path = $2, name = $3, parent_id = $4, visibility_level = $5"
			       " WHERE id = $1 AND type = 'Group'"
			       "   AND (path, name, parent_id, visibility_level)"
			       "       IS DISTINCT FROM ($2, $3, $4::bigint, $5::integer)",
			       "INSERT INTO namespaces (id, type, path, name, parent_id, visibility_level)"
			       " VALUES (coalesce($1::bigint, nextval(pg_get_serial_sequence('namespaces', 'id'))),"
			       "         'Group', $2, $3, $4, $5) RETURNING id",
			       params, 5, outcome, NULL, e);
}

static int group_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' }, { "parent", required_argument, NULL, 'p' },
		{ "visibility", required_argument, NULL, 'v' }, { NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *parent = NULL;
	int visibility = 0, c;
	char *copy = NULL;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'p': parent = optarg; break;
		case 'v':
			if (parse_visibility_opt(optarg, &visibility) != 0)
				return ADMIN_USAGE;
			break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 1, 1, "PATH");
	const char *path = argv[optind];
	/* "a/b" is shorthand for "b --parent a". */
	const char *slash = strrchr(path, '/');
	if (slash) {
		if (parent)
			return usage_error("group add: give either PARENT/PATH or --parent, not both");
		copy = strdup(path);
		if (!copy)
			return admin_fail("out of memory");
		copy[slash - path] = '\0';
		parent = copy;
		path = copy + (slash - path) + 1;
	}
	int rc = ADMIN_USAGE;
	if (!repo_valid_segment(path, strlen(path)) || (!parent && reserved_top_level(path))) {
		usage_error("group add: \"%s\" is not a valid path (letters, digits, '_', '-', '.')", path);
		goto out;
	}
	if (!name)
		name = path;
	if (check_text("--name", name, 255, false) != 0)
		goto out;
	rc = ADMIN_FAIL;
	if (admin_connect(a) != 0)
		goto out;
	struct route pr = { 0 };
	if (parent && (admin_find_group(a, parent, &pr) != 0 || check_visibility_within(visibility, &pr) != 0))
		goto out;

	struct group_rec g = { .parent_id = parent ? pr.id : 0, .path = path, .name = name, .visibility = visibility };
	struct write_err e;
	long long id;
	int outcome;
	if (group_write(a->db, &g, WRITE_INSERT, &id, &outcome, &e) != 0) {
		admin_fail("cannot add group \"%s%s%s\": %s", parent ? pr.path : "", parent ? "/" : "", path, e.message);
		goto out;
	}
	printf("added group %s%s%s (id %lld, %s)\n", parent ? pr.path : "", parent ? "/" : "", path, id,
	       gitlab_visibility_name(visibility));
	rc = ADMIN_OK;
out:
	free(copy);
	return rc;
}

int cmd_group(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = { { "add", group_add }, { NULL, NULL } };
	return admin_dispatch(a, verbs, argc, argv);
}
