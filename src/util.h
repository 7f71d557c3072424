/* Small strict parsers and encoders shared by the service and glia-admin. */
#ifndef GLIA_UTIL_H
#define GLIA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal integer, optional leading '-', every byte consumed, no spaces,
 * no '+', no overflow. Returns 0 or -1. */
int parse_int64(const char *s, size_t len, long long *out);

/* Positive id: [1-9][0-9]* within int64. Returns 0 or -1. */
int parse_id(const char *s, size_t len, long long *out);

/* Whether s[0..len) is valid UTF-8 (no overlongs, no surrogates) without NUL. */
bool utf8_valid(const char *s, size_t len);

/* Standard base64 (RFC 4648, with '=' padding) decode. Returns the decoded
 * length or -1. Strict: whitespace and stray characters are refused. out must
 * hold 3 * (len / 4) + 3 bytes. */
long base64_decode(const char *in, size_t len, unsigned char *out);

/* Lower-case hex of in into out (2 * len + 1 bytes, NUL included). */
void hex_encode(const unsigned char *in, size_t len, char *out);

#define SHA256_LEN 32
/* SHA-256 of data into out; -1 if OpenSSL fails. */
int sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);

/* Base64 encode into out (4 * ceil(len / 3) + 1 bytes); returns the length. */
size_t base64_encode(const unsigned char *in, size_t len, char *out);

/* Whether s is empty or only ASCII white space (Rails' blank? on a string). */
bool str_blank(const char *s);

/* Ruby's chomp: the length of s without one trailing "\r\n", "\n" or "\r". */
size_t chomp_len(const void *s, size_t len);

/* "2026-11-25T20:52:12.123Z": the time now, UTC, to the millisecond. */
void utc_timestamp(char *buf, size_t size);

/* Whether year (1..9999), month and day name a real day of the Gregorian
 * calendar. */
bool calendar_day_valid(long long year, long long month, long long day);

/* Whether s[0..len) is YYYY-MM-DD, ten ASCII characters, of a real day. */
bool iso_date_valid(const char *s, size_t len);

/* Current time in milliseconds and in microseconds on the monotonic clock. */
int64_t now_ms(void);
int64_t now_us(void);

/* Current time in microseconds since the epoch (the wall clock). */
int64_t wall_us(void);

#endif
