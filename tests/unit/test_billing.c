/* The billing endpoints' parsers: dates in the forms CustomersDot sends,
 * Grape's booleans and integers, and Grape's joined error messages. */
#include "config.h"
#include "api/billing.h"
#include "tests.h"

#include <string.h>

static const struct { const char *in; const char *out; } date_cases[] = {
	{ "2021-06-13", "2021-06-13" }, { "13 Jun 2021", "2021-06-13" }, { "06 Jun 2021", "2021-06-06" },
	{ "6 jun 2021", "2021-06-06" }, { "5 June 2021", "2021-06-05" }, { "29 Feb 2024", "2024-02-29" },
	{ "01/01/2018", "2018-01-01" }, { "31/12/2020", "2020-12-31" }, { "2020-02-29", "2020-02-29" },
	{ "2000-02-29", "2000-02-29" }, { "9999-12-31", "9999-12-31" }, { "0001-01-01", "0001-01-01" },
	{ "2021-02-30", NULL }, { "2021-13-01", NULL }, { "2021-1-1", NULL }, { "20210101", NULL },
	{ "2021-02-28T25:00", NULL }, { "0000-01-01", NULL }, { "99999-01-01", NULL }, { "yesterday", NULL },
	{ "", NULL }, { "1900-02-29", NULL }, { "29 Feb 2021", NULL }, { "32 Jan 2021", NULL },
	{ "13 Ju 2021", NULL }, { "13 Junx 2021", NULL }, { "13  Jun 2021", NULL }, { "13 Jun 21", NULL },
	{ "13 Jun 2021 ", NULL }, { "113 Jun 2021", NULL }, { "0 Jun 2021", NULL }, { "31/02/2020", NULL },
	{ "1/1/2018", NULL }, { "2021-06-13 ", NULL }, { " 2021-06-13", NULL }, { "2021/06/13", NULL },
	{ "-1 Jun 2021", NULL }, { "13 Jun -021", NULL },
};

START_TEST(date_parsing)
{
	char out[11] = "";
	const char *in = date_cases[_i].in, *want = date_cases[_i].out;
	int rc = billing_parse_date(in, strlen(in), out);
	if (!want) {
		ck_assert_msg(rc == -1, "\"%s\" accepted as %s", in, out);
	} else {
		ck_assert_msg(rc == 0, "\"%s\" refused", in);
		ck_assert_str_eq(out, want);
	}
}
END_TEST

static const struct { enum bvalue_kind kind; const char *s; int rc; int value; } bool_cases[] = {
	{ BV_STRING, "true", BC_OK, 1 }, { BV_STRING, "false", BC_OK, 0 }, { BV_BOOL, "true", BC_OK, 1 },
	{ BV_STRING, "1", BC_OK, 1 }, { BV_STRING, "0", BC_OK, 0 }, { BV_INT, "1", BC_OK, 1 },
	{ BV_STRING, "yes", BC_OK, 1 }, { BV_STRING, "NO", BC_OK, 0 }, { BV_STRING, "t", BC_OK, 1 },
	{ BV_STRING, "off", BC_OK, 0 }, { BV_STRING, "", BC_NIL, 0 }, { BV_NULL, NULL, BC_NIL, 0 },
	{ BV_ABSENT, NULL, BC_ABSENT, 0 }, { BV_STRING, "maybe", BC_INVALID, 0 }, { BV_STRING, "tRue", BC_INVALID, 0 },
	{ BV_INT, "2", BC_INVALID, 0 }, { BV_OTHER, NULL, BC_INVALID, 0 },
};

START_TEST(bool_coercion)
{
	struct bvalue v = { bool_cases[_i].kind, bool_cases[_i].s, bool_cases[_i].s ? strlen(bool_cases[_i].s) : 0 };
	bool b = false;
	ck_assert_int_eq(bvalue_bool(&v, &b), bool_cases[_i].rc);
	if (bool_cases[_i].rc == BC_OK)
		ck_assert_int_eq(b, bool_cases[_i].value);
}
END_TEST

static const struct { enum bvalue_kind kind; const char *s; int rc; long long value; } int_cases[] = {
	{ BV_STRING, "10", BC_OK, 10 }, { BV_INT, "0", BC_OK, 0 }, { BV_STRING, "2147483647", BC_OK, 2147483647 },
	{ BV_STRING, "2147483648", BC_INVALID, 0 }, { BV_STRING, "-1", BC_INVALID, 0 }, { BV_STRING, "1e9", BC_INVALID, 0 },
	{ BV_STRING, "99999999999999999999", BC_INVALID, 0 }, { BV_STRING, "10.0", BC_INVALID, 0 },
	{ BV_STRING, " 1", BC_INVALID, 0 }, { BV_BOOL, "true", BC_INVALID, 0 }, { BV_STRING, "", BC_NIL, 0 },
	{ BV_NULL, NULL, BC_NIL, 0 },
};

START_TEST(int_coercion)
{
	struct bvalue v = { int_cases[_i].kind, int_cases[_i].s, int_cases[_i].s ? strlen(int_cases[_i].s) : 0 };
	long long n = -5;
	ck_assert_int_eq(bvalue_int(&v, &n), int_cases[_i].rc);
	if (int_cases[_i].rc == BC_OK)
		ck_assert_int_eq(n, int_cases[_i].value);
}
END_TEST

START_TEST(grape_errors_joined)
{
	struct grape_errors e = { .len = 0 };
	grape_error(&e, "packs[number_of_minutes]", "is missing");
	grape_error(&e, "packs[number_of_minutes]", "is missing");
	grape_error(&e, "packs[expires_at]", "is invalid");
	grape_error(&e, "packs[number_of_minutes]", "is missing");
	ck_assert_str_eq(e.text, "packs[number_of_minutes] is missing, packs[expires_at] is invalid");
}
END_TEST

Suite *suite_billing(void)
{
	Suite *s = suite_create("billing");
	TCase *tc = tcase_create("billing");
	tcase_add_loop_test(tc, date_parsing, 0, sizeof date_cases / sizeof date_cases[0]);
	tcase_add_loop_test(tc, bool_coercion, 0, sizeof bool_cases / sizeof bool_cases[0]);
	tcase_add_loop_test(tc, int_coercion, 0, sizeof int_cases / sizeof int_cases[0]);
	tcase_add_test(tc, grape_errors_joined);
	suite_add_tcase(s, tc);
	return s;
}
