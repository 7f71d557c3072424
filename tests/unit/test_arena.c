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

Suite *suite_arena(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("arena");
	tcase_add_test(tc, allocations_are_aligned_and_distinct);
	tcase_add_test(tc, limit_refuses_and_reset_frees);
	suite_add_tcase(s, tc);
	return s;
}
