/* The per-request arena: alignment, growth, limit and reset. */
#include "config.h"
#include "arena.h"
#include "tests.h"

#include <stdint.h>
#include <string.h>

START_TEST(allocations_are_aligned_and_distinct)
{
	struct arena a;
	arena_init(&a, 1 << 20);
	char *p = arena_alloc(&a, 3), *q = arena_alloc(&a, 5);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq((uintptr_t)q % 16, 0);
	ck_assert(q >= p + 3);
	ck_assert_str_eq(arena_printf(&a, "%s-%d", "user", 7), "user-7");
	ck_assert_str_eq(arena_strndup(&a, "abcdef", 3), "abc");
	arena_destroy(&a);
}
END_TEST

START_TEST(limit_refuses_and_reset_frees)
{
	struct arena a;
	arena_init(&a, 100000);
	ck_assert_ptr_nonnull(arena_alloc(&a, 50000));
	ck_assert_ptr_null(arena_alloc(&a, 60000));
	ck_assert_ptr_null(arena_alloc(&a, SIZE_MAX - 4));
	arena_reset(&a);
	ck_assert_uint_le(a.total, 16384);
	ck_assert_ptr_nonnull(arena_alloc(&a, 60000));
	arena_destroy(&a);
	ck_assert_uint_eq(a.total, 0);
}
END_TEST

/* arena_printf formats into the chunk's free end, or measures and formats
 * again when the text does not fit there. */
START_TEST(printf_fits_or_moves_on)
{
	struct arena a;
	char long_text[300];
	memset(long_text, 'x', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	arena_init(&a, 1 << 20);
	char *first = arena_printf(&a, "%d", 1);
	ck_assert_str_eq(first, "1");
	/* Leave 32 bytes in the first chunk. */
	ck_assert_ptr_nonnull(arena_alloc(&a, 16384 - 16 - 32));
	char *fits = arena_printf(&a, "%s", "thirty-one bytes of text here..");
	ck_assert_str_eq(fits, "thirty-one bytes of text here..");
	char *moved = arena_printf(&a, "<%s>", long_text);
	ck_assert_uint_eq(strlen(moved), 301);
	ck_assert_int_eq(moved[0], '<');
	ck_assert_int_eq(moved[300], '>');
	ck_assert_str_eq(fits, "thirty-one bytes of text here..");
	ck_assert_str_eq(first, "1");
	ck_assert_ptr_nonnull(arena_alloc(&a, 8));
	ck_assert_str_eq(arena_printf(&a, "%s-%d", "a", 2), "a-2");
	arena_destroy(&a);

	/* Over the limit: NULL, not a text cut short. */
	arena_init(&a, 16384);
	ck_assert_ptr_nonnull(arena_alloc(&a, 16384 - 64));
	ck_assert_ptr_null(arena_printf(&a, "%s", long_text));
	ck_assert_str_eq(arena_printf(&a, "%s", "short"), "short");
	arena_destroy(&a);
}
END_TEST

Suite *suite_arena(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("arena");
	tcase_add_test(tc, allocations_are_aligned_and_distinct);
	tcase_add_test(tc, limit_refuses_and_reset_frees);
	tcase_add_test(tc, printf_fits_or_moves_on);
	suite_add_tcase(s, tc);
	return s;
}
