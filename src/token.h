/* Tokens at rest: stored only as keyed digests (HMAC-SHA256 under the
 * pepper), looked up by equality through a unique index. */
#ifndef GLIA_TOKEN_H
#define GLIA_TOKEN_H

#include <stddef.h>

#define TOKEN_DIGEST_HEX 64

/* HMAC-SHA256 of the token keyed with the pepper, as 64 lowercase hex
 * characters and a NUL. -1 when the pepper is empty or longer than
 * SECRET_MAX, or OpenSSL fails. */
int token_digest(const unsigned char *pepper, size_t pepper_len, const char *token, size_t len,
		 char out[TOKEN_DIGEST_HEX + 1]);

/* n random characters of [A-Za-z0-9_-] (Devise.friendly_token's alphabet)
 * and a NUL into out (n + 1 bytes). Returns 0, or -1 when the CSPRNG fails. */
int token_random(char *out, size_t n);

#endif
