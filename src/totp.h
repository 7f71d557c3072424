/* Time-based one-time passwords: RFC 6238 over RFC 4226's HOTP with
 * HMAC-SHA1, 30-second steps and 6 digits (what authenticator apps and
 * GitLab's devise-two-factor use), and the sealed form in which a user's
 * TOTP secret is stored. Shared by the service (checking codes) and
 * glia-admin (making secrets). */
#ifndef GLIA_TOTP_H
#define GLIA_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_SECRET_BYTES 20	/* 160 bits, RFC 4226's recommended length */
#define TOTP_BASE32_LEN 32	/* TOTP_SECRET_BYTES in base32, no padding */
#define TOTP_STEP_SECONDS 30
#define TOTP_DIGITS 6
#define TOTP_DRIFT_STEPS 1	/* devise-two-factor's otp_allowed_drift: 30 s each way */
#define HOTP_DIGITS_MAX 9

/* "v1:" and base64 of nonce (12) + ciphertext (20) + tag (16). */
#define TOTP_SEALED_LEN 67

/* The HOTP value of counter under key, as digits decimal digits (6..9)
 * and a NUL. Returns 0, or -1 when OpenSSL fails or digits is out of range. */
int hotp(const unsigned char *key, size_t key_len, uint64_t counter, int digits, char *out);

/* The RFC 6238 time step of t (Unix seconds, T0 = 0). */
int64_t totp_step(time_t t);

/* Whether s[0..len) is a code glia can take: exactly TOTP_DIGITS ASCII
 * digits, nothing around them. */
bool totp_code_well_formed(const char *s, size_t len);

/* Checks code (well formed) against the steps now_step - TOTP_DRIFT_STEPS
 * .. now_step + TOTP_DRIFT_STEPS, each compared in constant time, every
 * step computed whatever matched. Steps at or below after (the last one
 * consumed; -1 for none) do not count. Returns 1 with *matched the earliest
 * step that matched, 0 when none did, -1 when OpenSSL failed. */
int totp_verify(const unsigned char *secret, size_t secret_len, const char *code, int64_t now_step, int64_t after,
		int64_t *matched);

/* RFC 4648 base32 of in, upper case, without '=' padding (what otpauth://
 * URIs carry), into out (8 * ceil(len / 5) + 1 bytes); returns the length. */
size_t base32_encode(const unsigned char *in, size_t len, char *out);

/* Seals a user's secret for the database: AES-256-GCM under a key derived
 * (HKDF-SHA256) from the token pepper, with a fresh random nonce, bound to
 * the user's id so that a sealed secret cannot be moved to another user.
 * out receives TOTP_SEALED_LEN characters and a NUL. Returns 0 or -1. */
int totp_seal(const unsigned char *pepper, size_t pepper_len, long long user_id,
	      const unsigned char secret[TOTP_SECRET_BYTES], char out[TOTP_SEALED_LEN + 1]);

/* The reverse: -1 when sealed is malformed, was sealed for another user or
 * under another pepper, or was altered. */
int totp_unseal(const unsigned char *pepper, size_t pepper_len, long long user_id, const char *sealed,
		unsigned char secret[TOTP_SECRET_BYTES]);

#endif
