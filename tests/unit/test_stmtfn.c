/* Statement functions' names and calls: every statement has one, the names
 * are distinct, a changed text gets a new name, and calls number each
 * parameter once. */
#include "config.h"
#include "tests.h"
#include "api/statements.h"
#include "stmtfn.h"

#include <stdio.h>
#include <string.h>

START_TEST(every_statement_has_a_distinct_function)
{
	char names[128][STMTFN_NAME_MAX];
	size_t n = 0;
	for (size_t l = 0; api_statements[l]; l++)
		for (size_t i = 0; api_statements[l][i]; i++) {
			const struct db_stmt *s = api_statements[l][i];
			ck_assert_msg(n < 128, "more statements than the test holds");
			ck_assert_msg(stmtfn_name(s, names[n]), "%s has no function name", s->name);
			size_t len = strlen(names[n]);
			ck_assert_uint_lt(len, STMTFN_NAME_MAX);
			ck_assert_uint_eq(len, strlen(s->name) + 1 + STMTFN_HASH_LEN);
			ck_assert_int_eq(strncmp(names[n], s->name, strlen(s->name)), 0);
			ck_assert_uint_eq(strspn(names[n] + strlen(s->name) + 1, "0123456789abcdef"), STMTFN_HASH_LEN);
			for (size_t j = 0; j < n; j++)
				ck_assert_str_ne(names[j], names[n]);
			n++;
		}
	ck_assert_uint_gt(n, 20);
}
END_TEST

START_TEST(text_decides_the_name)
{
	const struct db_stmt a = { "probe", "SELECT $1::bigint", 1, true };
	const struct db_stmt b = { "probe", "SELECT $1::bigint + 1", 1, true };
	const struct db_stmt a2 = { "probe", "SELECT $1::bigint", 1, false };
	char na[STMTFN_NAME_MAX], nb[STMTFN_NAME_MAX], na2[STMTFN_NAME_MAX];
	ck_assert(stmtfn_name(&a, na) && stmtfn_name(&b, nb) && stmtfn_name(&a2, na2));
	ck_assert_str_ne(na, nb);
	ck_assert_str_eq(na, na2);
	/* FNV-1a 64 of "SELECT $1::bigint", computed independently. */
	ck_assert_str_eq(na, "probe_24c1bf19c849afab");
}
END_TEST

START_TEST(long_names_have_none)
{
	char name[STMTFN_STMT_NAME_MAX + 2];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	const struct db_stmt s = { name, "SELECT 1", 0, true };
	char out[STMTFN_NAME_MAX], call[STMTFN_CALL_MAX];
	ck_assert(!stmtfn_name(&s, out));
	ck_assert(!stmtfn_call(&s, call));
	name[sizeof name - 2] = '\0';	/* exactly the longest allowed */
	ck_assert(stmtfn_name(&s, out));
	ck_assert_uint_eq(strlen(out), STMTFN_NAME_MAX - 1);
}
END_TEST

START_TEST(calls_number_parameters)
{
	const struct db_stmt none = { "zero", "SELECT 1", 0, true };
	const struct db_stmt three = { "three", "SELECT $1, $2, $3", 3, true };
	const struct db_stmt many = { "many", "SELECT 1", 16, true };
	const struct db_stmt too_many = { "many", "SELECT 1", 17, true };
	char call[STMTFN_CALL_MAX], name[STMTFN_NAME_MAX], want[STMTFN_CALL_MAX + 64];

	ck_assert(stmtfn_call(&none, call) && stmtfn_name(&none, name));
	snprintf(want, sizeof want, "SELECT * FROM glia_statements.\"%s\"()", name);
	ck_assert_str_eq(call, want);
	ck_assert(stmtfn_call(&three, call) && stmtfn_name(&three, name));
	snprintf(want, sizeof want, "SELECT * FROM glia_statements.\"%s\"($1, $2, $3)", name);
	ck_assert_str_eq(call, want);
	ck_assert(stmtfn_call(&many, call));
	ck_assert_ptr_nonnull(strstr(call, "$15, $16)"));
	ck_assert(!stmtfn_call(&too_many, call));
}
END_TEST

Suite *suite_stmtfn(void)
{
	Suite *s = suite_create("stmtfn");
	TCase *tc = tcase_create("stmtfn");
	tcase_add_test(tc, every_statement_has_a_distinct_function);
	tcase_add_test(tc, text_decides_the_name);
	tcase_add_test(tc, long_names_have_none);
	tcase_add_test(tc, calls_number_parameters);
	suite_add_tcase(s, tc);
	return s;
}
