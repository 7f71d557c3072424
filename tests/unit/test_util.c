/* Strict integers, UTF-8 and base64. */
#include "config.h"
#include "tests.h"
#include "token.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static const struct { const char *in; int rc; long long value; } int_cases[] = {
	{ "0", 0, 0 }, { "12", 0, 12 }, { "-7", 0, -7 },
	{ "9223372036854775807", 0, INT64_MAX }, { "-9223372036854775808", 0, INT64_MIN },
	{ "9223372036854775808", -1, 0 }, { "99999999999999999999", -1, 0 },
	{ "", -1, 0 }, { "-", -1, 0 }, { "12abc", -1, 0 }, { " 12", -1, 0 }, { "12 ", -1, 0 },
	{ "+12", -1, 0 }, { "1.0", -1, 0 }, { "0x10", -1, 0 }, { "1e3", -1, 0 },
};

START_TEST(int64_parsing)
{
	long long v = 0;
	int rc = parse_int64(int_cases[_i].in, strlen(int_cases[_i].in), &v);
	ck_assert_msg(rc == int_cases[_i].rc, "parse_int64(\"%s\") = %d", int_cases[_i].in, rc);
	if (rc == 0)
		ck_assert_int_eq(v, int_cases[_i].value);
}
END_TEST

static const struct { const char *in; int rc; } id_cases[] = {
	{ "1", 0 }, { "11", 0 }, { "9223372036854775807", 0 }, { "0", -1 }, { "-1", -1 },
	{ "01", -1 }, { "abc", -1 }, { "", -1 }, { "9223372036854775808", -1 },
};

START_TEST(id_parsing)
{
	long long v;
	ck_assert_int_eq(parse_id(id_cases[_i].in, strlen(id_cases[_i].in), &v), id_cases[_i].rc);
}
END_TEST

static const struct { const char *in; size_t len; bool valid; } utf8_cases[] = {
	{ "plain", 5, true }, { "caf\xc3\xa9", 5, true }, { "\xf0\x9f\x98\x80", 4, true },
	{ "\xff\xfe", 2, false }, { "\xc0\xaf", 2, false }, { "\xed\xa0\x80", 3, false },
	{ "\xe2\x82", 2, false }, { "a\0b", 3, false }, { "\xf4\x90\x80\x80", 4, false },
	{ "\xe0\x80\xaf", 3, false },
};

START_TEST(utf8_validation)
{
	ck_assert_int_eq(utf8_valid(utf8_cases[_i].in, utf8_cases[_i].len), utf8_cases[_i].valid);
}
END_TEST

START_TEST(base64_strict)
{
	unsigned char out[64];
	ck_assert_int_eq(base64_decode("c2VjcmV0", 8, out), 6);
	ck_assert(memcmp(out, "secret", 6) == 0);
	ck_assert_int_eq(base64_decode("c2VjcmV0Cg==", 12, out), 7);
	ck_assert(memcmp(out, "secret\n", 7) == 0);
	ck_assert_int_eq(base64_decode("c2VjcmV0Cg=", 11, out), -1);	/* length */
	ck_assert_int_eq(base64_decode("!!!!", 4, out), -1);
	ck_assert_int_eq(base64_decode("c2Vj cmV0", 9, out), -1);
	ck_assert_int_eq(base64_decode("c2=j", 4, out), -1);	/* padding inside */
	ck_assert_int_eq(base64_decode("====", 4, out), -1);
	ck_assert_int_eq(base64_decode("", 0, out), 0);
	char enc[16];
	ck_assert_int_eq(base64_encode((const unsigned char *)"secret", 6, enc), 8);
	ck_assert_str_eq(enc, "c2VjcmV0");
}
END_TEST

START_TEST(hex_encoding)
{
	const unsigned char in[] = { 0x00, 0x0f, 0xa5, 0xff, 0x10 };
	char out[2 * sizeof in + 1];
	memset(out, 'x', sizeof out);
	hex_encode(in, sizeof in, out);
	ck_assert_str_eq(out, "000fa5ff10");
	hex_encode(in, 0, out);
	ck_assert_str_eq(out, "");
}
END_TEST

/* Matches `printf %s glpat-example | openssl dgst -sha256 -hmac pepper`. */
START_TEST(token_digests)
{
	char out[TOKEN_DIGEST_HEX + 1];
	ck_assert_int_eq(token_digest((const unsigned char *)"pepper", 6, "glpat-example", 13, out), 0);
	ck_assert_str_eq(out, "f5e06a122ab69dbb1bd6db337651fcb428acc3e61dcf0f69e51b731c0ddf8f5a");
	ck_assert_int_eq(token_digest((const unsigned char *)"", 0, "glpat-example", 13, out), -1);
	/* The keyed context follows a new pepper (a reload), one that only
	 * extends the last, and the first again; an empty token is hashed too. */
	ck_assert_int_eq(token_digest((const unsigned char *)"other", 5, "glpat-example", 13, out), 0);
	ck_assert_str_eq(out, "bddc69088e6e312c3f49aa88573d8f95caaa8742f5e11e4254f71482364869c4");
	ck_assert_int_eq(token_digest((const unsigned char *)"pepperX", 7, "glpat-example", 13, out), 0);
	ck_assert_str_eq(out, "61be0f941d386dac983dd8c230dd0905da51b2b533f3d6a1f981c0e5156692b9");
	ck_assert_int_eq(token_digest((const unsigned char *)"pepper", 6, "glpat-example", 13, out), 0);
	ck_assert_str_eq(out, "f5e06a122ab69dbb1bd6db337651fcb428acc3e61dcf0f69e51b731c0ddf8f5a");
	ck_assert_int_eq(token_digest((const unsigned char *)"pepper", 6, "", 0, out), 0);
	ck_assert_str_eq(out, "83be6d3a18e430703da8ce9e3f44ed8b20f835c7535e1343b191332cbaef9192");
	unsigned char long_pepper[1025] = { 0 };
	ck_assert_int_eq(token_digest(long_pepper, sizeof long_pepper, "glpat-example", 13, out), -1);
}
END_TEST

START_TEST(random_tokens)
{
	char a[51], b[51];
	ck_assert_int_eq(token_random(a, 50), 0);
	ck_assert_int_eq(token_random(b, 50), 0);
	ck_assert_uint_eq(strlen(a), 50);
	ck_assert_uint_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"), 50);
	ck_assert_str_ne(a, b);
	char big[201];
	ck_assert_int_eq(token_random(big, 200), 0);
	ck_assert_uint_eq(strlen(big), 200);
}
END_TEST

/* The log's timestamp: ISO 8601 UTC to the millisecond, the same second
 * as gmtime, also the second time (from the cached seconds), cut to the
 * buffer. */
START_TEST(utc_timestamps)
{
	for (int round = 0; round < 2; round++) {
		char when[48], want[32];
		/* clock_gettime, as utc_timestamp: time() reads a coarser clock
		 * that can still show the last second. */
		struct timespec t0, t1;
		clock_gettime(CLOCK_REALTIME, &t0);
		utc_timestamp(when, sizeof when);
		clock_gettime(CLOCK_REALTIME, &t1);
		time_t before = t0.tv_sec, after = t1.tv_sec;
		ck_assert_uint_eq(strlen(when), 24);
		ck_assert_int_eq(when[23], 'Z');
		ck_assert_int_eq(when[19], '.');
		ck_assert_uint_eq(strspn(when + 20, "0123456789"), 3);
		struct tm tm;
		bool matched = false;
		for (time_t t = before; t <= after; t++) {
			gmtime_r(&t, &tm);
			strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S.", &tm);
			matched = matched || strncmp(when, want, 20) == 0;
		}
		ck_assert_msg(matched, "%s", when);
	}
	char small[8];
	utc_timestamp(small, sizeof small);
	ck_assert_uint_eq(strlen(small), 7);
	ck_assert_int_eq(small[4], '-');
}
END_TEST

/* The one calendar check: account.c's expires_at, billing's dates and
 * glia-admin's all read it. */
static const struct { const char *s; bool ok; } iso_dates[] = {
	{ "2024-02-29", true },	 { "2023-02-29", false }, { "1900-02-29", false }, { "2000-02-29", true },
	{ "0000-01-01", false }, { "2021-13-01", false }, { "2021-04-31", false }, { "2021-04-30", true },
	{ "2021-4-01", false },	 { "+021-04-01", false }, { "2021-04-0a", false }, { "9999-12-31", true },
	{ "2021/04/01", false }, { "2021-04-011", false },
};

START_TEST(iso_dates_are_real_days)
{
	const char *s = iso_dates[_i].s;
	ck_assert_msg(iso_date_valid(s, strlen(s)) == iso_dates[_i].ok, "%s", s);
}
END_TEST

Suite *suite_util(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");
	tcase_add_loop_test(tc, int64_parsing, 0, sizeof int_cases / sizeof int_cases[0]);
	tcase_add_loop_test(tc, id_parsing, 0, sizeof id_cases / sizeof id_cases[0]);
	tcase_add_loop_test(tc, utf8_validation, 0, sizeof utf8_cases / sizeof utf8_cases[0]);
	tcase_add_test(tc, base64_strict);
	tcase_add_test(tc, hex_encoding);
	tcase_add_test(tc, token_digests);
	tcase_add_test(tc, random_tokens);
	tcase_add_test(tc, utc_timestamps);
	tcase_add_loop_test(tc, iso_dates_are_real_days, 0, sizeof iso_dates / sizeof iso_dates[0]);
	suite_add_tcase(s, tc);
	return s;
}
