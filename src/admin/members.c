/* glia-admin member: a user's role in a group or a project. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets the role, writing only when it differs. */
int member_write(PGconn *db, long long user_id, long long source_id, bool group, int level, int *outcome,
		 struct db_err *err)
{
	char uid[24], sid[24], lvl[12];
	fmt_id(uid, sizeof uid, user_id);
	fmt_id(sid, sizeof sid, source_id);
	snprintf(lvl, sizeof lvl, "%d", level);
	const char *params[] = { uid, sid, lvl };
	return admin_upsert(db,
			    group ? "INSERT INTO members (user_id, namespace_id, access_level) VALUES ($1, $2, $3)"
				    " ON CONFLICT (user_id, namespace_id) WHERE namespace_id IS NOT NULL"
				    " DO UPDATE SET access_level = EXCLUDED.access_level"
				    " WHERE members.access_level <> EXCLUDED.access_level RETURNING (xmax = 0)"
				  : "INSERT INTO members (user_id, project_id, access_level) VALUES ($1, $2, $3)"
				    " ON CONFLICT (user_id, project_id) WHERE project_id IS NOT NULL"
				    " DO UPDATE SET access_level = EXCLUDED.access_level"
				    " WHERE members.access_level <> EXCLUDED.access_level RETURNING (xmax = 0)",
			    params, 3, outcome, err);
}

static int member_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "project", required_argument, NULL, 'p' }, { "group", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *project = NULL, *group = NULL;
	int c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': project = optarg; break;
		case 'g': group = optarg; break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "USERNAME (--project FULLPATH | --group FULLPATH) ACCESS_LEVEL");
	if (!project == !group)
		return usage_error("member add: give exactly one of --project and --group");
	const char *username = argv[optind];
	int level = gitlab_access_parse(argv[optind + 1]);
	if (level < 0)
		return usage_error("member add: access level must be 10, 20, 30, 40, 50 or guest, reporter, "
				   "developer, maintainer, owner; not \"%s\"", argv[optind + 1]);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	long long user_id;
	struct route r;
	struct db_err err;
	if (admin_find_user(a, username, &user_id) != 0)
		return ADMIN_FAIL;
	if (group) {
		if (admin_find_group(a, group, &r) != 0)
			return ADMIN_FAIL;
	} else {
		int found = db_find_route(a->db, project, &r, &err);
		if (found < 0)
			return admin_fail("looking up project \"%s\": %s", project, err.message);
		if (!found || !r.is_project)
			return admin_fail("project \"%s\" not found", project);
	}

	int outcome;
	if (member_write(a->db, user_id, r.id, group != NULL, level, &outcome, &err) != 0)
		return admin_fail("cannot add %s to \"%s\": %s", username, r.path, db_err_reason(&err));
	printf("%s is now %s (%d) of %s %s\n", username, gitlab_access_name(level), level,
	       group ? "group" : "project", r.path);
	return ADMIN_OK;
}

int cmd_member(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = { { "add", member_add }, { NULL, NULL } };
	return admin_dispatch(a, verbs, argc, argv);
}
