/* The key GitLab signs an LFS token with (Gitlab::LfsToken::HMACToken's
 * secret, lib/gitlab/lfs_token.rb): with schema = gitlab glia mints its
 * tokens under it, so that GitLab's own check of the token (Gitlab::Auth's
 * lfs_token_check, when the Git LFS client comes back over HTTP) accepts
 * them. Built from GitLab's db_key_base and the actor's own rows: a user's
 * id and password hash, a deploy key's fingerprint. Pure; unit-tested. */
#ifndef GLIA_LFS_KEY_H
#define GLIA_LFS_KEY_H

#include <stddef.h>

/* Longest key either function builds: a deploy key's 16 characters (64
 * bytes at most in UTF-8) and 32 bytes; a user's 20 digits, 16 characters
 * and 16 more. */
#define LFS_KEY_MAX 160

/* A user's key: the decimal id, the last 16 characters of
 * users.encrypted_password (password_tail, taken by the caller) and the
 * first 16 characters of db_key_base. Changing the password, or
 * db_key_base, ends every token. Returns the length written to out, or 0
 * when it does not fit or db_key_base is empty. */
size_t lfs_key_user(long long user_id, const char *password_tail, const unsigned char *db_key_base,
		    size_t db_key_base_len, unsigned char *out, size_t cap);

/* A deploy key's (and a plain key's, which GitLab never signs for: the
 * key's user stands in): the first 16 characters of the base64 SHA-256
 * fingerprint (fingerprint16, taken by the caller), then db_key_base made
 * exactly 32 bytes as Gitlab::Utils.ensure_utf8_size does (cut at the last
 * whole UTF-8 character that fits, padded with '0'). Returns the length
 * or 0, as lfs_key_user. */
size_t lfs_key_deploy_key(const char *fingerprint16, const unsigned char *db_key_base, size_t db_key_base_len,
			  unsigned char *out, size_t cap);

/* The bytes of the first n characters of s (UTF-8; a byte that starts no
 * character counts as one), at most len. */
size_t lfs_utf8_prefix_chars(const unsigned char *s, size_t len, size_t n);

/* The bytes of the longest prefix of s of whole characters within max
 * bytes. */
size_t lfs_utf8_prefix_bytes(const unsigned char *s, size_t len, size_t max);

#endif
