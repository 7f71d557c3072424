/* schema = gitlab: the arrays of columns the connection check sends, and
 * the message that names what a database lacks. */
#include "config.h"
#include "api/gitlab_schema.h"
#include "tests.h"

#include <stdio.h>
#include <string.h>

static const struct gitlab_column *column(const char *table, const char *name)
{
	for (size_t i = 0; i < n_gitlab_columns; i++)
		if (!strcmp(gitlab_columns[i].table, table) && !strcmp(gitlab_columns[i].column, name))
			return &gitlab_columns[i];
	ck_abort_msg("no column %s.%s in gitlab_columns", table, name);
	return NULL;
}

START_TEST(arrays)
{
	char buf[4096];
	size_t n = gitlab_schema_array(0, buf, sizeof buf);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert(strncmp(buf, "{\"keys\",", 8) == 0);
	ck_assert(buf[n - 1] == '}');
	/* One element per column in each array, types NULL where any will do. */
	for (int f = 0; f < 3; f++) {
		gitlab_schema_array(f, buf, sizeof buf);
		size_t commas = 0;
		for (const char *p = buf; *p; p++)
			commas += *p == ',';
		ck_assert_uint_eq(commas + 1, n_gitlab_columns);
	}
	gitlab_schema_array(2, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "{NULL,"));
	ck_assert_ptr_nonnull(strstr(buf, ",\"bytea\","));
	ck_assert_ptr_nonnull(strstr(buf, ",\"timestamp without time zone\","));
	/* Too small a buffer: cut, never overrun, and the needed length told. */
	char small[8];
	memset(small, 'x', sizeof small);
	size_t need = gitlab_schema_array(1, small, sizeof small);
	ck_assert_uint_gt(need, sizeof small);
	ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

START_TEST(the_columns_glia_reads)
{
	/* What the statements rely on, with the types their SQL assumes. */
	ck_assert_str_eq(column("keys", "fingerprint_sha256")->type, "bytea");
	ck_assert_str_eq(column("keys", "created_at")->type, "timestamp without time zone");
	ck_assert_str_eq(column("keys", "expires_at")->type, "timestamp with time zone");
	ck_assert_ptr_null(column("keys", "usage_type")->type);
	column("users", "user_type");
	column("users", "state");
	/* /allowed's: the level, the link, the rules, the repository. */
	column("project_authorizations", "access_level");
	column("deploy_keys_projects", "can_push");
	column("redirect_routes", "path");
	column("project_features", "repository_access_level");
	column("projects", "repository_read_only");
	column("project_repositories", "disk_path");
	column("protected_branch_push_access_levels", "deploy_key_id");
	column("protected_tag_create_access_levels", "access_level");
	ck_assert_str_eq(column("namespaces", "traversal_ids")->type, "bigint[]");
	for (size_t i = 0; i < n_gitlab_columns; i++)
		for (size_t j = i + 1; j < n_gitlab_columns; j++)
			ck_assert(strcmp(gitlab_columns[i].table, gitlab_columns[j].table) ||
				  strcmp(gitlab_columns[i].column, gitlab_columns[j].column));
}
END_TEST

START_TEST(describe_names_each_problem_once)
{
	const struct gitlab_column_problem problems[] = {
		{ column("keys", "usage_type"), false, NULL },
		{ column("keys", "fingerprint_sha256"), false, "character varying" },
		{ column("users", "id"), true, NULL },
		{ column("users", "username"), true, NULL },
	};
	char buf[512];
	size_t n = gitlab_schema_describe(problems, 4, buf, sizeof buf);
	ck_assert_str_eq(buf, "keys.usage_type (no such column), keys.fingerprint_sha256 (character varying, "
			      "glia reads bytea), users (no such table)");
	ck_assert_uint_eq(n, strlen(buf));

	char small[16];
	n = gitlab_schema_describe(problems, 4, small, sizeof small);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_str_eq(small, "keys.usage_type");

	n = gitlab_schema_describe(problems, 0, buf, sizeof buf);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

Suite *suite_gitlab_schema(void)
{
	Suite *s = suite_create("gitlab_schema");
	TCase *tc = tcase_create("gitlab_schema");
	tcase_add_test(tc, arrays);
	tcase_add_test(tc, the_columns_glia_reads);
	tcase_add_test(tc, describe_names_each_problem_once);
	suite_add_tcase(s, tc);
	return s;
}
