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
	int rc = grape_parse_date(in, strlen(in), out);
	if (!want) {
		ck_assert_msg(rc == -1, "\"%s\" accepted as %s", in, out);
	} else {
		ck_assert_msg(rc == 0, "\"%s\" refused", in);
		ck_assert_str_eq(out, want);
	}
}
END_TEST

static const struct { enum grape_kind kind; const char *s; int rc; int value; } bool_cases[] = {
	{ GV_STRING, "true", GC_OK, 1 }, { GV_STRING, "false", GC_OK, 0 }, { GV_BOOL, "true", GC_OK, 1 },
	{ GV_STRING, "1", GC_OK, 1 }, { GV_STRING, "0", GC_OK, 0 }, { GV_INT, "1", GC_OK, 1 },
	{ GV_STRING, "yes", GC_OK, 1 }, { GV_STRING, "NO", GC_OK, 0 }, { GV_STRING, "t", GC_OK, 1 },
	{ GV_STRING, "off", GC_OK, 0 }, { GV_STRING, "", GC_NIL, 0 }, { GV_NULL, NULL, GC_NIL, 0 },
	{ GV_ABSENT, NULL, GC_ABSENT, 0 }, { GV_STRING, "maybe", GC_INVALID, 0 }, { GV_STRING, "tRue", GC_INVALID, 0 },
	{ GV_INT, "2", GC_INVALID, 0 }, { GV_OTHER, NULL, GC_INVALID, 0 },
};

START_TEST(bool_coercion)
{
	struct grape_value v = { bool_cases[_i].kind, bool_cases[_i].s, bool_cases[_i].s ? strlen(bool_cases[_i].s) : 0 };
	bool b = false;
	ck_assert_int_eq(grape_bool(&v, &b), bool_cases[_i].rc);
	if (bool_cases[_i].rc == GC_OK)
		ck_assert_int_eq(b, bool_cases[_i].value);
}
END_TEST

static const struct { enum grape_kind kind; const char *s; int rc; long long value; } int_cases[] = {
	{ GV_STRING, "10", GC_OK, 10 }, { GV_INT, "0", GC_OK, 0 }, { GV_STRING, "2147483647", GC_OK, 2147483647 },
	{ GV_STRING, "2147483648", GC_INVALID, 0 }, { GV_STRING, "-1", GC_INVALID, 0 }, { GV_STRING, "1e9", GC_INVALID, 0 },
	{ GV_STRING, "99999999999999999999", GC_INVALID, 0 }, { GV_STRING, "10.0", GC_INVALID, 0 },
	{ GV_STRING, " 1", GC_INVALID, 0 }, { GV_BOOL, "true", GC_INVALID, 0 }, { GV_STRING, "", GC_NIL, 0 },
	{ GV_NULL, NULL, GC_NIL, 0 },
};

START_TEST(int_coercion)
{
	struct grape_value v = { int_cases[_i].kind, int_cases[_i].s, int_cases[_i].s ? strlen(int_cases[_i].s) : 0 };
	long long n = -5;
	ck_assert_int_eq(grape_int(&v, &n), int_cases[_i].rc);
	if (int_cases[_i].rc == GC_OK)
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
