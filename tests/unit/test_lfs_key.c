/* The key of GitLab's LFS tokens (src/lfs_key.c), against the strings
 * lib/gitlab/lfs_token.rb builds: Gitlab::Utils.ensure_utf8_size's own
 * spec cases for the 32-byte half, and Ruby's first/last by characters. */
#include "config.h"
#include "lfs_key.h"
#include "tests.h"

#include <string.h>

#define DB "0123456789abcdef0123456789abcdef0123456789abcdef"	/* hex, as GitLab writes it */
#define U(s) (const unsigned char *)(s), strlen(s)

static void key_is(const unsigned char *key, size_t len, const char *want)
{
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_mem_eq(key, want, len);
}

START_TEST(user_key)
{
	unsigned char out[LFS_KEY_MAX];
	/* id, the hash's last 16, db_key_base's first 16. */
	size_t n = lfs_key_user(1003, "9pYh1cQe7mZ0xWz.", U(DB), out, sizeof out);
	key_is(out, n, "10039pYh1cQe7mZ0xWz.0123456789abcdef");
	/* A user without a password (""): id and db_key_base only. */
	n = lfs_key_user(7, "", U(DB), out, sizeof out);
	key_is(out, n, "70123456789abcdef");
	/* Shorter db_key_base: all of it, nothing padded. */
	n = lfs_key_user(7, "x", U("short"), out, sizeof out);
	key_is(out, n, "7xshort");
	/* first(16) counts characters: 16 of "é" are 32 bytes. */
	n = lfs_key_user(1, "", U("éééééééééééééééééé"), out, sizeof out);
	key_is(out, n, "1éééééééééééééééé");
	ck_assert_uint_eq(lfs_key_user(1, "x", (const unsigned char *)"", 0, out, sizeof out), 0);
	ck_assert_uint_eq(lfs_key_user(1, "0123456789abcdef", U(DB), out, 20), 0);
}
END_TEST

START_TEST(deploy_key_key)
{
	unsigned char out[LFS_KEY_MAX];
	/* The fingerprint's first 16, db_key_base cut to 32 bytes. */
	size_t n = lfs_key_deploy_key("Wsaqj9Hyv5hVZ2PA", U(DB), out, sizeof out);
	key_is(out, n, "Wsaqj9Hyv5hVZ2PA0123456789abcdef0123456789abcdef");
	/* ensure_utf8_size's spec: 'a' * 10 -> 'a' * 10 + '0' * 22. */
	n = lfs_key_deploy_key("F", U("aaaaaaaaaa"), out, sizeof out);
	key_is(out, n, "Faaaaaaaaaa0000000000000000000000");
	/* '❤' * 6 (18 bytes) -> itself + '0' * 14. */
	n = lfs_key_deploy_key("", U("❤❤❤❤❤❤"), out, sizeof out);
	key_is(out, n, "❤❤❤❤❤❤00000000000000");
	/* '❤' * 11 (33 bytes): ten whole ones (30 bytes), then '00'. */
	n = lfs_key_deploy_key("", U("❤❤❤❤❤❤❤❤❤❤❤"), out, sizeof out);
	key_is(out, n, "❤❤❤❤❤❤❤❤❤❤00");
	ck_assert_uint_eq(lfs_key_deploy_key("F", (const unsigned char *)"", 0, out, sizeof out), 0);
	ck_assert_uint_eq(lfs_key_deploy_key("Wsaqj9Hyv5hVZ2PA", U(DB), out, 47), 0);
}
END_TEST

START_TEST(utf8_prefixes)
{
	ck_assert_uint_eq(lfs_utf8_prefix_chars(U("abc"), 2), 2);
	ck_assert_uint_eq(lfs_utf8_prefix_chars(U("abc"), 5), 3);
	ck_assert_uint_eq(lfs_utf8_prefix_chars(U("é❤a"), 2), 5);
	/* A lone continuation byte, and a lead byte without its rest, count
	 * as one character each. */
	ck_assert_uint_eq(lfs_utf8_prefix_chars((const unsigned char *)"\x80\xe2\x9d" "a", 4, 2), 2);
	ck_assert_uint_eq(lfs_utf8_prefix_bytes(U("a❤"), 3), 1);
	ck_assert_uint_eq(lfs_utf8_prefix_bytes(U("a❤"), 4), 4);
	ck_assert_uint_eq(lfs_utf8_prefix_bytes(U("abc"), 32), 3);
}
END_TEST

Suite *suite_lfs_key(void)
{
	Suite *s = suite_create("lfs_key");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, user_key);
	tcase_add_test(tc, deploy_key_key);
	tcase_add_test(tc, utf8_prefixes);
	suite_add_tcase(s, tc);
	return s;
}
