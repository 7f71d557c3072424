/* Tokens at rest: keyed digests. */
#include "config.h"
#include "token.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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
