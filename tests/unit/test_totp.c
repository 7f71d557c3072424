/* TOTP codes against RFC 4226's and RFC 6238's test vectors, the ±1 step
 * window and the step-once rule, base32, and sealed secrets. */
#include "config.h"
#include "tests.h"
#include "totp.h"

#include <stdint.h>
#include <string.h>

/* Both RFCs' SHA-1 key: the ASCII of "12345678901234567890". */
static const unsigned char rfc_key[] = "12345678901234567890";
#define RFC_KEY_LEN 20

/* RFC 4226 appendix D: HOTP of counters 0..9, 6 digits. */
static const char *const hotp_vectors[] = {
	"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489",
};

START_TEST(hotp_rfc4226)
{
	char out[HOTP_DIGITS_MAX + 1];
	ck_assert_int_eq(hotp(rfc_key, RFC_KEY_LEN, (uint64_t)_i, 6, out), 0);
	ck_assert_str_eq(out, hotp_vectors[_i]);
}
END_TEST

/* RFC 6238 appendix B, the SHA-1 rows: 8 digits, T0 = 0, X = 30. */
static const struct { long long time; int64_t step; const char *totp; } totp_vectors[] = {
	{ 59LL, 0x1, "94287082" },
	{ 1111111109LL, 0x23523EC, "07081804" },
	{ 1111111111LL, 0x23523ED, "14050471" },
	{ 1234567890LL, 0x273EF07, "89005924" },
	{ 2000000000LL, 0x3F940AA, "69279037" },
	{ 20000000000LL, 0x27BC86AA, "65353130" },
};

START_TEST(totp_rfc6238_sha1)
{
	char out[HOTP_DIGITS_MAX + 1];
	int64_t step = totp_step((time_t)totp_vectors[_i].time);
	ck_assert_int_eq(step, totp_vectors[_i].step);
	ck_assert_int_eq(hotp(rfc_key, RFC_KEY_LEN, (uint64_t)step, 8, out), 0);
	ck_assert_str_eq(out, totp_vectors[_i].totp);
	/* Six digits are the last six of eight (the same number mod 10^6). */
	ck_assert_int_eq(hotp(rfc_key, RFC_KEY_LEN, (uint64_t)step, TOTP_DIGITS, out), 0);
	ck_assert_str_eq(out, totp_vectors[_i].totp + 2);
}
END_TEST

START_TEST(hotp_digits_bounded)
{
	char out[HOTP_DIGITS_MAX + 2];
	ck_assert_int_eq(hotp(rfc_key, RFC_KEY_LEN, 0, 5, out), -1);
	ck_assert_int_eq(hotp(rfc_key, RFC_KEY_LEN, 0, 10, out), -1);
	ck_assert_int_eq(hotp(rfc_key, RFC_KEY_LEN, 0, 9, out), 0);
	ck_assert_uint_eq(strlen(out), 9);
}
END_TEST

START_TEST(verify_window_and_once)
{
	/* 1111111111 is step 0x23523ED, whose code is 050471; 081804 is the
	 * step before's (1111111109). */
	const int64_t s = 0x23523ED;
	int64_t m = 0;

	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "050471", s, -1, &m), 1);
	ck_assert_int_eq(m, s);
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "050471", s - 1, -1, &m), 1);	/* one step ahead */
	ck_assert_int_eq(m, s);
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "050471", s + 1, -1, &m), 1);	/* one step behind */
	ck_assert_int_eq(m, s);
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "050471", s + 2, -1, &m), 0);
	ck_assert_int_eq(m, -1);
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "050471", s - 2, -1, &m), 0);
	/* Taken once (after = its step), it is refused; so is an earlier
	 * step's code once a later one was taken. */
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "050471", s, s, &m), 0);
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "050471", s, s - 1, &m), 1);
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "081804", s, s, &m), 0);
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "081804", s, -1, &m), 1);
	ck_assert_int_eq(m, s - 1);
	/* A wrong code, and the right digits of another length's code. */
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "050470", s, -1, &m), 0);
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "140504", s, -1, &m), 0);
	/* Step 0 has no step before it. */
	ck_assert_int_eq(totp_verify(rfc_key, RFC_KEY_LEN, "755224", 0, -1, &m), 1);
	ck_assert_int_eq(m, 0);
}
END_TEST

static const struct { const char *s; size_t len; bool ok; } code_cases[] = {
	{ "123456", 6, true },   { "000000", 6, true },     { "12345", 5, false },  { "1234567", 7, false },
	{ "12345a", 6, false },  { " 12345", 6, false },    { "12345 ", 6, false }, { "123\0" "56", 6, false },
	{ "+12345", 6, false },  { "\xd9\xa1\xd9\xa2\xd9\xa3", 6, false }, { "", 0, false },
};

START_TEST(code_shape)
{
	ck_assert_int_eq(totp_code_well_formed(code_cases[_i].s, code_cases[_i].len), code_cases[_i].ok);
}
END_TEST

/* RFC 4648 section 10, without the padding otpauth URIs leave out. */
static const struct { const char *in, *out; } base32_cases[] = {
	{ "", "" },          { "f", "MY" },          { "fo", "MZXQ" },         { "foo", "MZXW6" },
	{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	{ "12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" },
};

START_TEST(base32_rfc4648)
{
	char out[64];
	size_t n = base32_encode((const unsigned char *)base32_cases[_i].in, strlen(base32_cases[_i].in), out);
	ck_assert_str_eq(out, base32_cases[_i].out);
	ck_assert_uint_eq(n, strlen(base32_cases[_i].out));
}
END_TEST

START_TEST(sealed_secrets)
{
	static const unsigned char pepper[] = "pepper-of-the-unit-tests", other[] = "another-pepper";
	unsigned char secret[TOTP_SECRET_BYTES], back[TOTP_SECRET_BYTES];
	char sealed[TOTP_SEALED_LEN + 1], again[TOTP_SEALED_LEN + 1];

	memcpy(secret, rfc_key, sizeof secret);
	ck_assert_int_eq(totp_seal(pepper, sizeof pepper - 1, 42, secret, sealed), 0);
	ck_assert_uint_eq(strlen(sealed), TOTP_SEALED_LEN);
	ck_assert(strncmp(sealed, "v1:", 3) == 0);
	ck_assert(strstr(sealed, "GEZDGNBV") == NULL);
	ck_assert_int_eq(totp_unseal(pepper, sizeof pepper - 1, 42, sealed, back), 0);
	ck_assert(memcmp(back, secret, sizeof back) == 0);

	/* A fresh nonce each time. */
	ck_assert_int_eq(totp_seal(pepper, sizeof pepper - 1, 42, secret, again), 0);
	ck_assert_str_ne(again, sealed);
	ck_assert_int_eq(totp_unseal(pepper, sizeof pepper - 1, 42, again, back), 0);

	/* Another user, another pepper, no pepper, an altered byte, a wrong
	 * shape: refused. */
	ck_assert_int_eq(totp_unseal(pepper, sizeof pepper - 1, 43, sealed, back), -1);
	ck_assert_int_eq(totp_unseal(other, sizeof other - 1, 42, sealed, back), -1);
	ck_assert_int_eq(totp_unseal(pepper, 0, 42, sealed, back), -1);
	ck_assert_int_eq(totp_seal(pepper, 0, 42, secret, again), -1);
	for (size_t i = 3; i < TOTP_SEALED_LEN; i += 7) {
		memcpy(again, sealed, sizeof again);
		again[i] = again[i] == 'A' ? 'B' : 'A';
		ck_assert_msg(totp_unseal(pepper, sizeof pepper - 1, 42, again, back) == -1, "altered at %zu", i);
	}
	ck_assert_int_eq(totp_unseal(pepper, sizeof pepper - 1, 42, "v1:", back), -1);
	ck_assert_int_eq(totp_unseal(pepper, sizeof pepper - 1, 42, NULL, back), -1);
	memcpy(again, sealed, sizeof again);
	again[0] = 'v', again[1] = '2';
	ck_assert_int_eq(totp_unseal(pepper, sizeof pepper - 1, 42, again, back), -1);
}
END_TEST

Suite *suite_totp(void)
{
	Suite *s = suite_create("totp");
	TCase *tc = tcase_create("totp");
	tcase_add_loop_test(tc, hotp_rfc4226, 0, sizeof hotp_vectors / sizeof hotp_vectors[0]);
	tcase_add_loop_test(tc, totp_rfc6238_sha1, 0, sizeof totp_vectors / sizeof totp_vectors[0]);
	tcase_add_test(tc, hotp_digits_bounded);
	tcase_add_test(tc, verify_window_and_once);
	tcase_add_loop_test(tc, code_shape, 0, sizeof code_cases / sizeof code_cases[0]);
	tcase_add_loop_test(tc, base32_rfc4648, 0, sizeof base32_cases / sizeof base32_cases[0]);
	tcase_add_test(tc, sealed_secrets);
	suite_add_tcase(s, tc);
	return s;
}
