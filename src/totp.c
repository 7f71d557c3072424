/* RFC 6238 TOTP codes and sealed TOTP secrets. */
#include "config.h"
#include "totp.h"
#include "util.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <string.h>

#define SEAL_PREFIX "v1:"
#define SEAL_PREFIX_LEN 3
#define SEAL_NONCE 12
#define SEAL_TAG 16
#define SEAL_BLOB (SEAL_NONCE + TOTP_SECRET_BYTES + SEAL_TAG)	/* 48 bytes, 64 in base64 */
#define SEAL_KEY 32

int hotp(const unsigned char *key, size_t key_len, uint64_t counter, int digits, char *out)
{
	unsigned char msg[8], md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (digits < 6 || digits > HOTP_DIGITS_MAX || key_len > INT32_MAX)
		return -1;
	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (unsigned char)(counter & 0xff);
	if (!HMAC(EVP_sha1(), key, (int)key_len, msg, sizeof msg, md, &md_len) || md_len != 20)
		return -1;
	/* RFC 4226 5.3: dynamic truncation. */
	unsigned off = md[19] & 0x0f;
	uint32_t bin = (uint32_t)(md[off] & 0x7f) << 24 | (uint32_t)md[off + 1] << 16 | (uint32_t)md[off + 2] << 8 |
		       (uint32_t)md[off + 3];
	/* The low digits of bin, zero-padded. */
	for (int i = digits - 1; i >= 0; i--, bin /= 10)
		out[i] = (char)('0' + bin % 10);
	out[digits] = '\0';
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}

int64_t totp_step(time_t t)
{
	return t < 0 ? -1 : (int64_t)(t / TOTP_STEP_SECONDS);
}

bool totp_code_well_formed(const char *s, size_t len)
{
	if (!s || len != TOTP_DIGITS)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int totp_verify(const unsigned char *secret, size_t secret_len, const char *code, int64_t now_step, int64_t after,
		int64_t *matched)
{
	char expect[TOTP_DIGITS + 1];
	int found = 0, rc = 0;

	*matched = -1;
	for (int64_t step = now_step - TOTP_DRIFT_STEPS; step <= now_step + TOTP_DRIFT_STEPS; step++) {
		if (step < 0)
			continue;
		if (hotp(secret, secret_len, (uint64_t)step, TOTP_DIGITS, expect) < 0) {
			rc = -1;
			break;
		}
		/* No early exit: every step costs the same whether or not an
		 * earlier one matched, and the comparison is constant-time. */
		bool same = CRYPTO_memcmp(expect, code, TOTP_DIGITS) == 0;
		if (same && step > after && !found) {
			found = 1;
			*matched = step;
		}
	}
	OPENSSL_cleanse(expect, sizeof expect);
	return rc < 0 ? -1 : found;
}

size_t base32_encode(const unsigned char *in, size_t len, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t n = 0;
	unsigned buf = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[n++] = alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[n++] = alphabet[(buf << (5 - bits)) & 31];
	out[n] = '\0';
	return n;
}

/* The sealing key: HKDF-SHA256 of the pepper, for this use only, so that it
 * is never the key that makes token digests. */
static int seal_key(const unsigned char *pepper, size_t pepper_len, unsigned char key[SEAL_KEY])
{
	if (!pepper || pepper_len == 0)
		return -1;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	char digest[] = "SHA256";
	unsigned char info[] = "glia TOTP secret sealing v1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)pepper, pepper_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof info - 1),
		OSSL_PARAM_construct_end(),
	};
	int ok = ctx && EVP_KDF_derive(ctx, key, SEAL_KEY, params) == 1;
	EVP_KDF_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* What binds a sealed secret to its user (GCM's additional data). */
static int seal_aad(long long user_id, char *aad, size_t size)
{
	int n = snprintf(aad, size, "glia-totp:user-%lld", user_id);
	return n > 0 && (size_t)n < size ? n : -1;
}

int totp_seal(const unsigned char *pepper, size_t pepper_len, long long user_id,
	      const unsigned char secret[TOTP_SECRET_BYTES], char out[TOTP_SEALED_LEN + 1])
{
	unsigned char key[SEAL_KEY], blob[SEAL_BLOB];
	char aad[64];
	int aad_len, n = 0, rc = -1;
	EVP_CIPHER_CTX *c = NULL;

	if ((aad_len = seal_aad(user_id, aad, sizeof aad)) < 0 || seal_key(pepper, pepper_len, key) < 0)
		return -1;
	if (RAND_bytes(blob, SEAL_NONCE) != 1 || !(c = EVP_CIPHER_CTX_new()) ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, blob) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)aad, aad_len) != 1 ||
	    EVP_EncryptUpdate(c, blob + SEAL_NONCE, &n, secret, TOTP_SECRET_BYTES) != 1 || n != TOTP_SECRET_BYTES ||
	    EVP_EncryptFinal_ex(c, blob + SEAL_NONCE + n, &n) != 1 || n != 0 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, blob + SEAL_NONCE + TOTP_SECRET_BYTES) != 1)
		goto out;
	memcpy(out, SEAL_PREFIX, SEAL_PREFIX_LEN);
	if (base64_encode(blob, sizeof blob, out + SEAL_PREFIX_LEN) != TOTP_SEALED_LEN - SEAL_PREFIX_LEN)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int totp_unseal(const unsigned char *pepper, size_t pepper_len, long long user_id, const char *sealed,
		unsigned char secret[TOTP_SECRET_BYTES])
{
	unsigned char key[SEAL_KEY], blob[3 * ((TOTP_SEALED_LEN - SEAL_PREFIX_LEN) / 4) + 3];
	unsigned char plain[TOTP_SECRET_BYTES];
	char aad[64];
	int aad_len, n = 0, rc = -1;
	EVP_CIPHER_CTX *c = NULL;

	if (!sealed || strlen(sealed) != TOTP_SEALED_LEN || memcmp(sealed, SEAL_PREFIX, SEAL_PREFIX_LEN) != 0 ||
	    base64_decode(sealed + SEAL_PREFIX_LEN, TOTP_SEALED_LEN - SEAL_PREFIX_LEN, blob) != SEAL_BLOB)
		return -1;
	if ((aad_len = seal_aad(user_id, aad, sizeof aad)) < 0 || seal_key(pepper, pepper_len, key) < 0)
		return -1;
	if (!(c = EVP_CIPHER_CTX_new()) || EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, blob) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)aad, aad_len) != 1 ||
	    EVP_DecryptUpdate(c, plain, &n, blob + SEAL_NONCE, TOTP_SECRET_BYTES) != 1 || n != TOTP_SECRET_BYTES ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG, blob + SEAL_NONCE + TOTP_SECRET_BYTES) != 1 ||
	    EVP_DecryptFinal_ex(c, plain + n, &n) != 1)	/* the tag did not verify */
		goto out;
	memcpy(secret, plain, TOTP_SECRET_BYTES);
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(plain, sizeof plain);
	return rc;
}
