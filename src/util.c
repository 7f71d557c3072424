/* Small strict parsers and encoders shared by the service and glia-admin. */
#include "config.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int parse_int64(const char *s, size_t len, long long *out)
{
	size_t i = 0;
	bool neg = false;
	unsigned long long v = 0, limit;

	if (len == 0)
		return -1;
	if (s[0] == '-') {
		neg = true;
		i = 1;
		if (len == 1)
			return -1;
	}
	limit = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? (v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)v) : (long long)v;
	return 0;
}

int parse_id(const char *s, size_t len, long long *out)
{
	if (len == 0 || s[0] < '1' || s[0] > '9')
		return -1;
	return parse_int64(s, len, out);
}

bool utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned cp;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

long base64_decode(const char *in, size_t len, unsigned char *out)
{
	size_t pad = 0;
	if (len % 4 != 0)
		return -1;
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			     c == '+' || c == '/';
		if (c == '=') {
			if (i < len - 2)
				return -1;
			pad++;
		} else if (!alpha || pad) {
			return -1;
		}
	}
	if (len > INT32_MAX)
		return -1;
	int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0)
		return -1;
	return n - (long)pad;
}

/* One digest context per process, fetched and allocated once: SHA256()
 * looks the algorithm up by name and allocates a context on every call,
 * which cost more than the hash of a short input. */
int sha256(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
	static EVP_MD *md;
	static EVP_MD_CTX *ctx;
	unsigned int n = 0;

	if (!md && !(md = EVP_MD_fetch(NULL, "SHA256", NULL)))
		return -1;
	if (!ctx && !(ctx = EVP_MD_CTX_new()))
		return -1;
	if (!EVP_DigestInit_ex2(ctx, md, NULL) || !EVP_DigestUpdate(ctx, data, len) ||
	    !EVP_DigestFinal_ex(ctx, out, &n) || n != SHA256_LEN)
		return -1;
	return 0;
}

void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

size_t base64_encode(const unsigned char *in, size_t len, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool str_blank(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\r\n\v\f", *s))
			return false;
	return true;
}

size_t chomp_len(const void *s, size_t len)
{
	const unsigned char *c = s;
	if (len >= 2 && c[len - 2] == '\r' && c[len - 1] == '\n')
		return len - 2;
	if (len >= 1 && (c[len - 1] == '\n' || c[len - 1] == '\r'))
		return len - 1;
	return len;
}

/* Every log line carries one: the seconds are formatted once per second
 * (gmtime_r and snprintf cost more than the rest of the line), the
 * milliseconds each time. */
void utc_timestamp(char *buf, size_t size)
{
	static time_t cached_sec = -1;
	static char cached[64];	/* "2026-11-25T20:52:12." */
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		cached_sec = ts.tv_sec;
	}
	int ms = (int)(ts.tv_nsec / 1000000);
	char text[sizeof cached + 8];
	size_t n = strlen(cached);
	memcpy(text, cached, n);
	text[n++] = (char)('0' + ms / 100);
	text[n++] = (char)('0' + ms / 10 % 10);
	text[n++] = (char)('0' + ms % 10);
	text[n++] = 'Z';
	text[n] = '\0';
	if (size == 0)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
}

bool calendar_day_valid(long long year, long long month, long long day)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
		return false;
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return day <= days[month - 1] + (month == 2 && leap);
}

bool iso_date_valid(const char *s, size_t len)
{
	long long y = 0, m = 0, d = 0;
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (size_t i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return false;
		long long *part = i < 4 ? &y : i < 7 ? &m : &d;
		*part = *part * 10 + (s[i] - '0');
	}
	return calendar_day_valid(y, m, d);
}
