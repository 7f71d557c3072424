/* OpenSSH public keys: parsing a key line and GitLab's SHA-256 fingerprint. */
#include "config.h"
#include "bounds.h"
#include "sshkey.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sshkey_fingerprint_body(const char *body, size_t len, char *out)
{
	unsigned char blob[MAX_SSHKEY_BODY / 4 * 3 + 3];
	unsigned char digest[SHA256_LEN];
	char b64[48];

	if (len == 0 || len > MAX_SSHKEY_BODY)
		return -1;
	long n = base64_decode(body, len, blob);
	if (n < 4)
		return -1;
	if (sha256(blob, (size_t)n, digest) < 0)
		return -1;
	size_t m = base64_encode(digest, sizeof digest, b64);
	while (m > 0 && b64[m - 1] == '=')
		m--;
	memcpy(out, b64, m);
	out[m] = '\0';
	return m == SSHKEY_FINGERPRINT_LEN ? 0 : -1;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int sshkey_parse_line(const char *line, struct sshkey *key, char *err, size_t errlen)
{
	const char *p = line, *type, *body;
	size_t type_len, body_len;
	unsigned char *blob;

	memset(key, 0, sizeof *key);
	while (*p == ' ' || *p == '\t')
		p++;
	type = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	type_len = (size_t)(p - type);
	while (*p == ' ' || *p == '\t')
		p++;
	body = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
		p++;
	body_len = (size_t)(p - body);
	while (*p == ' ' || *p == '\t')
		p++;
	/* The whole line: a CR or LF in the type field would otherwise pass. */
	if (strpbrk(line, "\n\r")) {
		snprintf(err, errlen, "a key is one line");
		return -1;
	}
	if (type_len == 0 || type_len >= sizeof key->type || body_len == 0) {
		snprintf(err, errlen, "expected \"TYPE BASE64 [COMMENT]\"");
		return -1;
	}
	if (body_len > MAX_SSHKEY_BODY) {
		snprintf(err, errlen, "key is too long");
		return -1;
	}
	blob = malloc(body_len / 4 * 3 + 3);
	if (!blob) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	long n = base64_decode(body, body_len, blob);
	/* The blob starts with its own type as an SSH string; it must agree with
	 * the first field, as OpenSSH's own parser insists. */
	int ok = n >= 4 && be32(blob) == type_len && (size_t)n >= 4 + type_len &&
		 memcmp(blob + 4, type, type_len) == 0;
	free(blob);
	if (!ok) {
		snprintf(err, errlen, "key body is not a valid %.*s key", (int)type_len, type);
		return -1;
	}
	memcpy(key->type, type, type_len);
	key->body = body;
	key->body_len = body_len;
	key->comment = p;
	if (sshkey_fingerprint_body(body, body_len, key->fingerprint) < 0) {
		snprintf(err, errlen, "key body is not valid base64");
		return -1;
	}
	return 0;
}
