/* Percent-decoding and form splitting. */
#include "config.h"
#include "arena.h"
#include "form.h"
#include "tests.h"

#include <stdio.h>
#include <string.h>

static const struct { const char *in; const char *out; } decode_cases[] = {
	{ "plain", "plain" }, { "a%20b", "a b" }, { "a+b", "a b" }, { "%2B", "+" },
	{ "%e2%82%ac", "\xe2\x82\xac" }, { "%E2%82%AC", "\xe2\x82\xac" }, { "", "" },
	{ "gnuwget%2Fwget2", "gnuwget/wget2" },
	{ "%zz", NULL }, { "%4", NULL }, { "%", NULL }, { "a%", NULL }, { "%00", NULL },
	{ "a%00b", NULL }, { "%ff%fe", NULL }, { "%c0%af", NULL }, { "%ed%a0%80", NULL },
};

START_TEST(decoding)
{
	struct arena a;
	size_t len;
	arena_init(&a, 1 << 20);
	const char *in = decode_cases[_i].in;
	char *out = form_decode(&a, in, strlen(in), &len);
	if (decode_cases[_i].out) {
		ck_assert_msg(out != NULL, "\"%s\" refused", in);
		ck_assert_str_eq(out, decode_cases[_i].out);
		ck_assert_uint_eq(len, strlen(decode_cases[_i].out));
		ck_assert_uint_le(len, strlen(in));
	} else {
		ck_assert_msg(out == NULL, "\"%s\" accepted", in);
	}
	arena_destroy(&a);
}
END_TEST

struct collected {
	char text[512];
	int calls;
};

static int collect(void *ctx, const char *name, size_t nl, const char *value, size_t vl)
{
	struct collected *c = ctx;
	size_t used = strlen(c->text);
	if (value)
		snprintf(c->text + used, sizeof c->text - used, "[%.*s=%.*s]", (int)nl, name, (int)vl, value);
	else
		snprintf(c->text + used, sizeof c->text - used, "[%.*s nil]", (int)nl, name);
	c->calls++;
	return FORM_OK;
}

static const struct { const char *in; int rc; const char *pairs; } parse_cases[] = {
	{ "a=1&b=2", FORM_OK, "[a=1][b=2]" },
	{ "a=1&&b=2&", FORM_OK, "[a=1][b=2]" },
	{ "flag&x=", FORM_OK, "[flag nil][x=]" },
	{ "gl_repository&env=%7B%7D", FORM_OK, "[gl_repository nil][env={}]" },
	{ "scopes%5B%5D=api&scopes[]=read_user", FORM_OK, "[scopes[]=api][scopes[]=read_user]" },
	{ "name=my+token&v=a%3Db", FORM_OK, "[name=my token][v=a=b]" },
	{ "a=%zz", FORM_BAD, "" },
	{ "a%00=1", FORM_BAD, "" },
	{ "", FORM_OK, "" },
};

START_TEST(splitting)
{
	struct arena a;
	struct collected c = { "", 0 };
	arena_init(&a, 1 << 20);
	const char *in = parse_cases[_i].in;
	ck_assert_int_eq(form_parse(&a, in, strlen(in), collect, &c), parse_cases[_i].rc);
	if (parse_cases[_i].rc == FORM_OK)
		ck_assert_str_eq(c.text, parse_cases[_i].pairs);
	arena_destroy(&a);
}
END_TEST

Suite *suite_form(void)
{
	Suite *s = suite_create("form");
	TCase *tc = tcase_create("form");
	tcase_add_loop_test(tc, decoding, 0, sizeof decode_cases / sizeof decode_cases[0]);
	tcase_add_loop_test(tc, splitting, 0, sizeof parse_cases / sizeof parse_cases[0]);
	suite_add_tcase(s, tc);
	return s;
}
