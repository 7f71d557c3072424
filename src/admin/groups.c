/* glia-admin group: groups, nested under their parents. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"
#include "api/repo.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	char pid[24], vis[12];
	fmt_id(pid, sizeof pid, pr.id);
	snprintf(vis, sizeof vis, "%d", visibility);
	struct db_err err;
	const char *params[] = { path, name, parent ? pid : NULL, vis };
	PGresult *res = admin_query(a->db,
				"INSERT INTO namespaces (type, path, name, parent_id, visibility_level)"
				" VALUES ('Group', $1, $2, $3, $4) RETURNING id",
				4, params, &err);
	if (!res) {
		admin_fail("cannot add group \"%s%s%s\": %s", parent ? pr.path : "", parent ? "/" : "", path,
		     db_err_reason(&err));
		goto out;
	}
	printf("added group %s%s%s (id %s, %s)\n", parent ? pr.path : "", parent ? "/" : "", path,
	       PQgetvalue(res, 0, 0), gitlab_visibility_name(visibility));
	PQclear(res);
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
