/* The hooks' `changes` lines. */
#include "config.h"
#include "api/changes.h"
#include "arena.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Z "0000000000000000000000000000000000000000"
#define A "d14d6c0abdd253381df51a723d58691b2ee1ab08"
#define B "570e7b2abdd848b95f2f578043fc23bd6f6fd24d"

static const struct { const char *text; long n; } cases[] = {
	{ "", 0 },
	{ "\n\n", 0 },
	{ A " " B " refs/heads/master", 1 },
	{ A " " B " refs/heads/master\n", 1 },
	{ Z " " B " refs/heads/new\r\n\n" A " " Z " refs/tags/v1\n", 2 },
	{ "_any", -1 },
	{ A " " B, -1 },
	{ A "  " B " refs/heads/x", -1 },
	{ "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz " B " refs/heads/x", -1 },
	{ "D14D6C0ABDD253381DF51A723D58691B2EE1AB08 " B " refs/heads/x", -1 },
	{ A "0 " B " refs/heads/x", -1 },
	{ A " " B " refs/heads/a b", -1 },
	{ A " " B " refs/heads/a\tb", -1 },
};

START_TEST(parsing)
{
	struct arena a;
	struct change *c;
	arena_init(&a, 1 << 24);
	long n = changes_parse(&a, cases[_i].text, strlen(cases[_i].text), 100, &c);
	ck_assert_int_eq(n, cases[_i].n);
	arena_destroy(&a);
}
END_TEST

START_TEST(fields)
{
	struct arena a;
	struct change *c;
	const char *text = Z " " B " refs/heads/feature/x\n" A " " Z " refs/tags/v1";
	arena_init(&a, 1 << 20);
	ck_assert_int_eq(changes_parse(&a, text, strlen(text), 2, &c), 2);
	ck_assert_str_eq(c[0].oldrev, Z);
	ck_assert(change_blank(c[0].oldrev));
	ck_assert(!change_blank(c[0].newrev));
	ck_assert_str_eq(change_branch(&c[0]), "feature/x");
	ck_assert_ptr_null(change_branch(&c[1]));
	ck_assert(change_blank(c[1].newrev));
	arena_destroy(&a);
}
END_TEST

/* max_changes: a push of 100 000 refs (git push --mirror), and one line
 * more than the limit. The text is not changed: the fields are a copy. */
START_TEST(line_limit)
{
	enum { MAX = 100000 };
	struct arena a;
	struct change *c;
	size_t line = strlen(A " " B " refs/heads/x\n");
	char *text = malloc(line * (MAX + 1) + 1);
	for (int i = 0; i <= MAX; i++)
		memcpy(text + (size_t)i * line, A " " B " refs/heads/x\n", line);
	text[line * (MAX + 1)] = '\0';
	arena_init(&a, 1 << 26);
	ck_assert_int_eq(changes_parse(&a, text, line * MAX, MAX, &c), MAX);
	ck_assert_str_eq(c[MAX - 1].ref, "refs/heads/x");
	ck_assert_str_eq(c[MAX - 1].newrev, B);
	ck_assert_int_eq(changes_parse(&a, text, line * (MAX + 1), MAX, &c), -1);
	ck_assert(memcmp(text, A " " B " refs/heads/x\n", line) == 0);
	arena_destroy(&a);
	free(text);
}
END_TEST

Suite *suite_changes(void)
{
	Suite *s = suite_create("changes");
	TCase *tc = tcase_create("changes");
	tcase_add_loop_test(tc, parsing, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, fields);
	tcase_add_test(tc, line_limit);
	suite_add_tcase(s, tc);
	return s;
}
