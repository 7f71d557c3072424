/* The key of GitLab's LFS tokens (lfs_key.h), as lib/gitlab/lfs_token.rb
 * builds it from Settings' db_key_base. */
#include "config.h"
#include "lfs_key.h"

#include <stdio.h>
#include <string.h>

/* Ruby's String#first(16) and #last(16) count characters, not bytes, and
 * db_key_base is whatever the operator's secrets hold (GitLab writes hex,
 * but an old or hand-made one may be anything). */
#define LFS_KEY_CHARS 16
/* ensure_utf8_size(db_key_base, bytes: 32): AES-256's key length. */
#define LFS_KEY_DB_BYTES 32

/* Bytes of the UTF-8 character that starts with c: 1 for ASCII and for a
 * byte that cannot start one, as Ruby steps over an invalid byte alone. */
static size_t utf8_char_len(unsigned char c)
{
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	return 1;
}

/* The bytes of the character at s[i]: utf8_char_len's when its
 * continuation bytes follow, else 1. */
static size_t utf8_char_at(const unsigned char *s, size_t len, size_t i)
{
	size_t n = utf8_char_len(s[i]);
	if (i + n > len)
		return 1;
	for (size_t k = 1; k < n; k++)
		if ((s[i + k] & 0xc0) != 0x80)
			return 1;
	return n;
}

size_t lfs_utf8_prefix_chars(const unsigned char *s, size_t len, size_t n)
{
	size_t i = 0;
	for (size_t c = 0; c < n && i < len; c++)
		i += utf8_char_at(s, len, i);
	return i;
}

size_t lfs_utf8_prefix_bytes(const unsigned char *s, size_t len, size_t max)
{
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_char_at(s, len, i);
		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

size_t lfs_key_user(long long user_id, const char *password_tail, const unsigned char *db_key_base,
		    size_t db_key_base_len, unsigned char *out, size_t cap)
{
	if (db_key_base_len == 0 || !password_tail)
		return 0;
	int id_len = snprintf((char *)out, cap, "%lld", user_id);
	size_t tail = strlen(password_tail);
	size_t head = lfs_utf8_prefix_chars(db_key_base, db_key_base_len, LFS_KEY_CHARS);
	if (id_len < 0 || (size_t)id_len + tail + head > cap)
		return 0;
	size_t n = (size_t)id_len;
	memcpy(out + n, password_tail, tail);
	n += tail;
	memcpy(out + n, db_key_base, head);
	return n + head;
}

size_t lfs_key_deploy_key(const char *fingerprint16, const unsigned char *db_key_base, size_t db_key_base_len,
			  unsigned char *out, size_t cap)
{
	/* ensure_utf8_size raises on an empty string: GitLab signs nothing. */
	if (db_key_base_len == 0 || !fingerprint16)
		return 0;
	size_t fp = strlen(fingerprint16);
	if (fp + LFS_KEY_DB_BYTES > cap)
		return 0;
	memcpy(out, fingerprint16, fp);
	size_t kept = lfs_utf8_prefix_bytes(db_key_base, db_key_base_len, LFS_KEY_DB_BYTES);
	memcpy(out + fp, db_key_base, kept);
	memset(out + fp + kept, '0', LFS_KEY_DB_BYTES - kept);
	return fp + LFS_KEY_DB_BYTES;
}
