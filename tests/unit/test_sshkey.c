/* OpenSSH key lines and GitLab's SHA-256 fingerprint (checked against
 * ssh-keygen -lf). */
#include "config.h"
#include "sshkey.h"
#include "tests.h"

#include <string.h>

#define ED25519_BODY "AAAAC3NzaC1lZDI1NTE5AAAAIL0CMKARic0xxoSAqnPSClwHz2kQwiU3EpKYLESg9KUE"
#define ED25519_FP "PpQO9nAI0w/wz9cc/vXnzMppBlWTDeEb/owcK3NZQNI"
#define RSA_BODY "AAAAB3NzaC1yc2EAAAADAQABAAABAQCkrRthN4ESHW06bm9GG6lyhvQnGQqZkXEWdis0q+ucstlLe81IjEzg6BdBT+eR36Fy/wdzaOddl95vHYo9cr9khguPEvkv9IGkhMEj/wXRN5/8LifYDGEQK7xow3iiXMpJ4imeOfWn+XntYM6Br3deVwv9TT5qk6T9T9Z8aWp5QMNrRCm0Mjjnwl7/TGmYteTXYftyGhGM+pUN8GNb99heGQVONiBEzoWE6AuX2/zbhoXvp4sba8iy0gPbd33uFpANg4oqoGaC+XhtoxGlTFkklUJxalq15NQ5+fiaa4XjYk6WW/E8wmVKfnKIdYw5An6vaF9cBBCAvm21SCpvawo5"
#define RSA_FP "x5kBSodvrjxabmK1TQe+XIMK9byvwLujyfX8Ge4sbfY"

START_TEST(fingerprints_match_ssh_keygen)
{
	char fp[SSHKEY_FINGERPRINT_LEN + 1];
	ck_assert_int_eq(sshkey_fingerprint_body(ED25519_BODY, strlen(ED25519_BODY), fp), 0);
	ck_assert_str_eq(fp, ED25519_FP);
	ck_assert_int_eq(sshkey_fingerprint_body(RSA_BODY, strlen(RSA_BODY), fp), 0);
	ck_assert_str_eq(fp, RSA_FP);
}
END_TEST

START_TEST(bad_bodies)
{
	char fp[SSHKEY_FINGERPRINT_LEN + 1];
	static const char *const bad[] = { "", "whatever!", "AAAA", "AAAAC3NzaC1lZDI1NTE5AAAAIL0CMKARic0xxoSAqnPSClwHz2kQwiU3EpKYLESg9KU",
					   ED25519_BODY "\n", ED25519_BODY " " };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(sshkey_fingerprint_body(bad[i], strlen(bad[i]), fp) < 0, "case %zu", i);
}
END_TEST

START_TEST(key_lines)
{
	struct sshkey key;
	char err[128];
	ck_assert_int_eq(sshkey_parse_line("ssh-ed25519 " ED25519_BODY " admin@example.com", &key, err, sizeof err), 0);
	ck_assert_str_eq(key.type, "ssh-ed25519");
	ck_assert_str_eq(key.fingerprint, ED25519_FP);
	ck_assert_str_eq(key.comment, "admin@example.com");
	ck_assert_uint_eq(key.body_len, strlen(ED25519_BODY));
	ck_assert_int_eq(sshkey_parse_line("ssh-rsa " RSA_BODY, &key, err, sizeof err), 0);
	ck_assert_str_eq(key.comment, "");
	ck_assert_str_eq(key.fingerprint, RSA_FP);
	/* the blob's own type must agree with the first field */
	ck_assert_int_eq(sshkey_parse_line("ssh-rsa " ED25519_BODY, &key, err, sizeof err), -1);
	ck_assert_int_eq(sshkey_parse_line("ssh-ed25519", &key, err, sizeof err), -1);
	ck_assert_int_eq(sshkey_parse_line("ssh-ed25519 " ED25519_BODY " a\nb", &key, err, sizeof err), -1);
	ck_assert_int_eq(sshkey_parse_line("ssh-ed25519 not-base64!", &key, err, sizeof err), -1);
}
END_TEST

Suite *suite_sshkey(void)
{
	Suite *s = suite_create("sshkey");
	TCase *tc = tcase_create("sshkey");
	tcase_add_test(tc, fingerprints_match_ssh_keygen);
	tcase_add_test(tc, bad_bodies);
	tcase_add_test(tc, key_lines);
	suite_add_tcase(s, tc);
	return s;
}
