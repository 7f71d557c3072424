/* Tokens at rest: keyed digests. */
#include "config.h"
#include "token.h"
#include "secret.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

/* The process's HMAC-SHA256 context, keyed again for every digest (a
 * reload may bring another pepper; and OpenSSL before 3.0.3 ignores a
 * re-initialisation without a key). HMAC() would fetch HMAC and SHA-256 by
 * name and allocate a context each time: most of a digest's cost. */
static EVP_MAC_CTX *hmac_keyed(const unsigned char *pepper, size_t pepper_len)
{
	static EVP_MAC_CTX *ctx;
	if (!ctx) {
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		EVP_MAC_CTX *fresh = mac ? EVP_MAC_CTX_new(mac) : NULL;
		EVP_MAC_free(mac);	/* the context holds its own reference */
		char digest[] = "SHA256";
		OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
					OSSL_PARAM_construct_end() };
		if (!fresh || !EVP_MAC_CTX_set_params(fresh, params)) {
			EVP_MAC_CTX_free(fresh);
			return NULL;
		}
		ctx = fresh;
	}
	return EVP_MAC_init(ctx, pepper, pepper_len, NULL) ? ctx : NULL;
}

int token_digest(const unsigned char *pepper, size_t pepper_len, const char *token, size_t len,
		 char out[TOKEN_DIGEST_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;

	/* An empty key would make the digest a plain, unkeyed hash. */
	if (pepper_len == 0 || pepper_len > SECRET_MAX)
		return -1;
	EVP_MAC_CTX *ctx = hmac_keyed(pepper, pepper_len);
	if (!ctx || !EVP_MAC_update(ctx, (const unsigned char *)token, len) ||
	    !EVP_MAC_final(ctx, md, &mdlen, sizeof md) || mdlen != 32)
		return -1;
	hex_encode(md, mdlen, out);
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}

int token_random(char *out, size_t n)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
	unsigned char rnd[64];

	for (size_t done = 0; done < n;) {
		size_t chunk = n - done < sizeof rnd ? n - done : sizeof rnd;
		if (RAND_bytes(rnd, (int)chunk) != 1)
			return -1;
		/* 64 symbols: the low six bits of a byte pick one without bias. */
		for (size_t i = 0; i < chunk; i++)
			out[done + i] = alphabet[rnd[i] & 63];
		done += chunk;
	}
	out[n] = '\0';
	OPENSSL_cleanse(rnd, sizeof rnd);
	return 0;
}
