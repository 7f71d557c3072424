/* glia-admin protected-branch and protected-tag: which roles may push,
 * merge or create, per name or pattern. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int protected_level_opt(const char *what, const char *opt, const char *s, int *out)
{
	*out = gitlab_protected_parse(s);
	if (*out < 0)
		return usage_error("%s: %s must be 0, 30, 40, 60 or no-one, developer, maintainer, admin; not \"%s\"",
				   what, opt, s);
	return 0;
}

/* The rows of an access level table, in words: the role, or (GitLab EE)
 * "user:NAME" and "group:PATH"; for the lists. */
#define LEVELS_SQL(table, fk, owner)                                                                  \
	"(SELECT string_agg(CASE WHEN l.user_id IS NOT NULL THEN 'user:' || lu.username"              \
	"                        WHEN l.group_id IS NOT NULL THEN 'group:' || lr.path"               \
	"                        WHEN l.access_level = 0 THEN 'no-one'"                              \
	"                        WHEN l.access_level = 30 THEN 'developer'"                          \
	"                        WHEN l.access_level = 40 THEN 'maintainer'"                         \
	"                        WHEN l.access_level = 60 THEN 'admin'"                              \
	"                        ELSE l.access_level::text END, ','"                                 \
	"                   ORDER BY l.user_id NULLS FIRST, l.group_id NULLS FIRST, l.id)"            \
	"   FROM " table " l LEFT JOIN users lu ON lu.id = l.user_id"                                 \
	"   LEFT JOIN routes lr ON lr.namespace_id = l.group_id WHERE l." fk " = " owner ".id)"

/* The branch rule and its role rows for push and merge, each written only
 * where it differs; per-user and per-group rows (EE) are left alone. The
 * outcome is the rule's, or updated when only a role row changed. */
int branch_write(PGconn *db, const struct branch_rec *b, long long *id, int *outcome, struct db_err *err)
{
	char pid[24], bid[24], push[12], merge[12];
	int push_outcome, merge_outcome;

	fmt_id(pid, sizeof pid, b->project_id);
	const char *params[] = { pid, b->name, b->force_push ? "t" : "f" };
	if (admin_upsert(db,
			 "INSERT INTO protected_branches (project_id, name, allow_force_push) VALUES ($1, $2, $3)"
			 " ON CONFLICT (project_id, name) DO UPDATE SET allow_force_push = EXCLUDED.allow_force_push"
			 " WHERE protected_branches.allow_force_push <> EXCLUDED.allow_force_push"
			 " RETURNING (xmax = 0)",
			 params, 3, outcome, err) != 0)
		return -1;
	PGresult *res = admin_query(db, "SELECT id FROM protected_branches WHERE project_id = $1 AND name = $2", 2,
				    params, err);
	if (!res)
		return -1;
	snprintf(bid, sizeof bid, "%s", PQgetvalue(res, 0, 0));
	*id = strtoll(bid, NULL, 10);
	PQclear(res);
	snprintf(push, sizeof push, "%d", b->push);
	snprintf(merge, sizeof merge, "%d", b->merge);
	const char *pp[] = { bid, push }, *mp[] = { bid, merge };
	if (admin_upsert(db,
			 "INSERT INTO protected_branch_push_access_levels (protected_branch_id, access_level)"
			 " VALUES ($1, $2) ON CONFLICT (protected_branch_id) WHERE user_id IS NULL AND group_id IS NULL"
			 " DO UPDATE SET access_level = EXCLUDED.access_level"
			 " WHERE protected_branch_push_access_levels.access_level <> EXCLUDED.access_level"
			 " RETURNING (xmax = 0)",
			 pp, 2, &push_outcome, err) != 0 ||
	    admin_upsert(db,
			 "INSERT INTO protected_branch_merge_access_levels (protected_branch_id, access_level)"
			 " VALUES ($1, $2) ON CONFLICT (protected_branch_id) WHERE user_id IS NULL AND group_id IS NULL"
			 " DO UPDATE SET access_level = EXCLUDED.access_level"
			 " WHERE protected_branch_merge_access_levels.access_level <> EXCLUDED.access_level"
			 " RETURNING (xmax = 0)",
			 mp, 2, &merge_outcome, err) != 0)
		return -1;
	if (*outcome == WRITE_UNCHANGED && (push_outcome != WRITE_UNCHANGED || merge_outcome != WRITE_UNCHANGED))
		*outcome = WRITE_UPDATED;
	return 0;
}

/* The branch rule and its role rows for push and merge, in one transaction.
 * Given again for a protected name, the rule is set anew: GitLab's defaults
 * for what the command leaves out, as import does. */
static int protected_branch_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "push", required_argument, NULL, 'p' }, { "merge", required_argument, NULL, 'm' },
		{ "allow-force-push", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 },
	};
	int push = PROTECTED_DEFAULT_LEVEL, merge = PROTECTED_DEFAULT_LEVEL, c;
	bool force_push = false;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (protected_level_opt("protected-branch add", "--push", optarg, &push) != 0)
				return ADMIN_USAGE;
			break;
		case 'm':
			if (protected_level_opt("protected-branch add", "--merge", optarg, &merge) != 0)
				return ADMIN_USAGE;
			break;
		case 'f': force_push = true; break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "PROJECT NAME");
	const char *name = argv[optind + 1];
	if (!valid_branch_name(name))
		return usage_error("protected-branch add: \"%s\" is not a valid branch name or pattern", name);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (admin_find_project(a, argv[optind], &r) != 0)
		return ADMIN_FAIL;

	struct db_err err;
	if (db_begin(a->db, &err) != 0)
		return admin_fail("cannot protect branch %s of %s: %s", name, r.path, err.message);
	struct branch_rec b = { .project_id = r.id, .name = name, .push = push, .merge = merge, .force_push = force_push };
	long long id;
	int outcome;
	if (branch_write(a->db, &b, &id, &outcome, &err) != 0)
		goto failed;
	if (db_commit(a->db, &err) != 0)
		return admin_fail("cannot protect branch %s of %s: %s", name, r.path, err.message);
	printf("%s branch %s of %s (id %lld): push %s, merge %s%s\n",
	       outcome == WRITE_CREATED ? "protected" : "updated protected", name, r.path, id, gitlab_protected_name(push),
	       gitlab_protected_name(merge), force_push ? ", force push allowed" : "");
	return ADMIN_OK;
failed:
	db_rollback(a->db);
	return admin_fail("cannot protect branch %s of %s: %s", name, r.path, db_err_reason(&err));
}

static int protected_tag_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = { { "create", required_argument, NULL, 'c' }, { NULL, 0, NULL, 0 } };
	int create = PROTECTED_DEFAULT_LEVEL, c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (protected_level_opt("protected-tag add", "--create", optarg, &create) != 0)
				return ADMIN_USAGE;
			break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "PROJECT NAME");
	const char *name = argv[optind + 1];
	if (!valid_branch_name(name))
		return usage_error("protected-tag add: \"%s\" is not a valid tag name or pattern", name);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (admin_find_project(a, argv[optind], &r) != 0)
		return ADMIN_FAIL;

	char pid[24], creates[12], tid[24];
	fmt_id(pid, sizeof pid, r.id);
	snprintf(creates, sizeof creates, "%d", create);
	struct db_err err;
	if (db_begin(a->db, &err) != 0)
		return admin_fail("cannot protect tag %s of %s: %s", name, r.path, err.message);
	const char *params[] = { pid, name };
	/* DO UPDATE, not DO NOTHING, so that the row comes back either way. */
	PGresult *res = admin_query(a->db,
				"INSERT INTO protected_tags (project_id, name) VALUES ($1, $2)"
				" ON CONFLICT (project_id, name) DO UPDATE SET name = EXCLUDED.name"
				" RETURNING id, (xmax = 0)",
				2, params, &err);
	if (!res)
		goto failed;
	snprintf(tid, sizeof tid, "%s", PQgetvalue(res, 0, 0));
	bool created = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	const char *cp[] = { tid, creates };
	if (admin_command(a->db,
		   "INSERT INTO protected_tag_create_access_levels (protected_tag_id, access_level)"
		   " VALUES ($1, $2) ON CONFLICT (protected_tag_id) WHERE user_id IS NULL AND group_id IS NULL"
		   " DO UPDATE SET access_level = EXCLUDED.access_level",
		   2, cp, &err) != 0)
		goto failed;
	if (db_commit(a->db, &err) != 0)
		return admin_fail("cannot protect tag %s of %s: %s", name, r.path, err.message);
	printf("%s tag %s of %s (id %s): create %s\n", created ? "protected" : "updated protected", name, r.path, tid,
	       gitlab_protected_name(create));
	return ADMIN_OK;
failed:
	db_rollback(a->db);
	return admin_fail("cannot protect tag %s of %s: %s", name, r.path, db_err_reason(&err));
}

static int protected_list(struct admin *a, int argc, char **argv, bool tags)
{
	static const char *const branch_headings[] = { "ID", "NAME", "PUSH", "MERGE", "FORCE_PUSH", "CREATED" };
	static const char *const tag_headings[] = { "ID", "NAME", "CREATE", "CREATED" };
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
	const char *params[] = { pid };
	PGresult *res = admin_query(a->db,
				tags ? "SELECT t.id, t.name,"
				       LEVELS_SQL("protected_tag_create_access_levels", "protected_tag_id", "t") ","
				       "       to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
				       "  FROM protected_tags t WHERE t.project_id = $1 ORDER BY t.name, t.id"
				     : "SELECT b.id, b.name,"
				       LEVELS_SQL("protected_branch_push_access_levels", "protected_branch_id", "b") ","
				       LEVELS_SQL("protected_branch_merge_access_levels", "protected_branch_id", "b") ","
				       "       CASE WHEN b.allow_force_push THEN 'yes' ELSE 'no' END,"
				       "       to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
				       "  FROM protected_branches b WHERE b.project_id = $1 ORDER BY b.name, b.id",
				1, params, &err);
	if (!res)
		return admin_fail("listing protected %s of %s: %s", tags ? "tags" : "branches", r.path, err.message);
	print_table(res, tags ? tag_headings : branch_headings);
	PQclear(res);
	return ADMIN_OK;
}

static int protected_rm(struct admin *a, int argc, char **argv, bool tags)
{
	int c;

	if ((c = admin_operands(argc, argv, 2, 2, "PROJECT NAME")) != 0)
		return c;
	const char *name = argv[optind + 1];
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (admin_find_project(a, argv[optind], &r) != 0)
		return ADMIN_FAIL;

	/* Its access levels go with it (ON DELETE CASCADE). */
	char pid[24];
	fmt_id(pid, sizeof pid, r.id);
	struct db_err err;
	const char *params[] = { pid, name };
	PGresult *res = admin_query(a->db,
				tags ? "DELETE FROM protected_tags WHERE project_id = $1 AND name = $2 RETURNING id"
				     : "DELETE FROM protected_branches WHERE project_id = $1 AND name = $2 RETURNING id",
				2, params, &err);
	const char *what = tags ? "tag" : "branch";
	if (!res)
		return admin_fail("unprotecting %s %s of %s: %s", what, name, r.path, err.message);
	int n = PQntuples(res);
	PQclear(res);
	if (n == 0)
		return admin_fail("%s \"%s\" of %s is not protected", what, name, r.path);
	printf("unprotected %s %s of %s\n", what, name, r.path);
	return ADMIN_OK;
}

static int protected_branch_list(struct admin *a, int argc, char **argv)
{
	return protected_list(a, argc, argv, false);
}

static int protected_branch_rm(struct admin *a, int argc, char **argv)
{
	return protected_rm(a, argc, argv, false);
}

static int protected_tag_list(struct admin *a, int argc, char **argv)
{
	return protected_list(a, argc, argv, true);
}

static int protected_tag_rm(struct admin *a, int argc, char **argv)
{
	return protected_rm(a, argc, argv, true);
}

int cmd_protected_branch(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", protected_branch_add }, { "list", protected_branch_list }, { "rm", protected_branch_rm },
		{ NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}

int cmd_protected_tag(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", protected_tag_add }, { "list", protected_tag_list }, { "rm", protected_tag_rm }, { NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}
