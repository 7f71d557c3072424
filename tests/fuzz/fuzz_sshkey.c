/* sshkey_parse_line and sshkey_fingerprint_body (src/sshkey.c). Invariants:
 * a parsed key's type is 1..63 bytes without blanks and is the blob's own
 * type string; its body points into the line, and its fingerprint is 43
 * characters of base64 equal to an independent SHA-256 of the decoded
 * blob; a refusal leaves a NUL-terminated reason. */
#include "config.h"
#include "sshkey.h"
#include "util.h"
#include "fuzz.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

/* Reference fingerprint: OpenSSL's decoder on a body already known to be
 * valid base64 (EVP_DecodeBlock keeps the padding bytes as zeros). */
static void ref_fingerprint(const char *body, size_t len, char *out)
{
	unsigned char *blob = malloc(len / 4 * 3 + 3), digest[SHA256_DIGEST_LENGTH];
	char b64[48];
	int n = EVP_DecodeBlock(blob, (const unsigned char *)body, (int)len);
	CHECK(n >= 0);
	if (len >= 1 && body[len - 1] == '=')
		n--;
	if (len >= 2 && body[len - 2] == '=')
		n--;
	SHA256(blob, (size_t)n, digest);
	EVP_EncodeBlock((unsigned char *)b64, digest, sizeof digest);
	memcpy(out, b64, SSHKEY_FINGERPRINT_LEN);
	out[SSHKEY_FINGERPRINT_LEN] = '\0';
	free(blob);
}

static int b64char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_cstr(data, size);
	struct sshkey key;
	char err[128];
	char fp[SSHKEY_FINGERPRINT_LEN + 1], ref[SSHKEY_FINGERPRINT_LEN + 1];

	memset(err, 'x', sizeof err);
	if (sshkey_parse_line(line, &key, err, sizeof err) == 0) {
		size_t tl = strlen(key.type), ll = strlen(line);
		CHECK(tl >= 1 && tl < sizeof key.type && !strpbrk(key.type, " \t\r\n"));
		CHECK(key.body >= line && key.body + key.body_len <= line + ll && key.body_len > 0);
		CHECK(key.comment >= key.body + key.body_len && key.comment <= line + ll);
		CHECK(!strpbrk(key.comment, "\r\n"));
		CHECK(strlen(key.fingerprint) == SSHKEY_FINGERPRINT_LEN);
		for (size_t i = 0; i < SSHKEY_FINGERPRINT_LEN; i++)
			CHECK(b64char(key.fingerprint[i]));
		/* The blob names the same type. */
		unsigned char *blob = malloc(key.body_len / 4 * 3 + 3);
		long n = base64_decode(key.body, key.body_len, blob);
		CHECK(n >= 4 + (long)tl);
		CHECK(((size_t)blob[0] << 24 | (size_t)blob[1] << 16 | (size_t)blob[2] << 8 | blob[3]) == tl);
		CHECK(memcmp(blob + 4, key.type, tl) == 0);
		free(blob);
		ref_fingerprint(key.body, key.body_len, ref);
		CHECK(strcmp(ref, key.fingerprint) == 0);
	} else {
		CHECK(memchr(err, '\0', sizeof err) != NULL);
	}

	/* The raw input as a key body. */
	if (sshkey_fingerprint_body((const char *)data, size, fp) == 0) {
		CHECK(strlen(fp) == SSHKEY_FINGERPRINT_LEN);
		for (size_t i = 0; i < size; i++)
			CHECK(b64char((char)data[i]) || data[i] == '=');
		ref_fingerprint((const char *)data, size, ref);
		CHECK(strcmp(ref, fp) == 0);
	}
	free(line);
	return 0;
}
