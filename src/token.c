/* Tokens at rest: keyed digests. */
#include "config.h"
#include "token.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

int token_digest(const unsigned char *pepper, size_t pepper_len, const char *token, size_t len,
		 char out[TOKEN_DIGEST_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	/* An empty key would make the digest a plain, unkeyed hash. */
	if (pepper_len == 0 || pepper_len > INT_MAX)
		return -1;
	if (!HMAC(EVP_sha256(), pepper, (int)pepper_len, (const unsigned char *)token, len, md, &mdlen) ||
	    mdlen != 32)
		return -1;
	for (unsigned i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[TOKEN_DIGEST_HEX] = '\0';
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
