/* OpenSSH public keys: parsing a key line and GitLab's SHA-256 fingerprint. */
#ifndef GLIA_SSHKEY_H
#define GLIA_SSHKEY_H

#include <stddef.h>

/* "SHA256:" is not part of it: 43 characters of unpadded standard base64. */
#define SSHKEY_FINGERPRINT_LEN 43

/* Fingerprint of a key body (the base64 middle field of a key line), as
 * GitLab's fingerprint_sha256: base64 of SHA-256 of the decoded blob, '='
 * padding removed. out holds SSHKEY_FINGERPRINT_LEN + 1 bytes. Returns -1 if
 * body is not valid base64 of a plausible key blob. */
int sshkey_fingerprint_body(const char *body, size_t len, char *out);

struct sshkey {
	char type[64];		/* "ssh-ed25519" */
	const char *body;	/* points into the parsed line */
	size_t body_len;
	const char *comment;	/* points into the parsed line, "" when none */
	char fingerprint[SSHKEY_FINGERPRINT_LEN + 1];
};

/* Parses "TYPE BASE64 [COMMENT]" (no options prefix). The blob's own type
 * string must match TYPE. Returns 0, or -1 with a reason in err. */
int sshkey_parse_line(const char *line, struct sshkey *key, char *err, size_t errlen);

#endif
