/* Secret files: read once at start-up (and on reload), checked for
 * ownership and mode, kept in memory only. */
#ifndef GLIA_SECRET_H
#define GLIA_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define SECRET_MAX 1024
#define KAS_SECRET_LEN 32

struct glia_conf;

struct secrets {
	unsigned char shell[SECRET_MAX];	/* file contents, one trailing newline removed */
	size_t shell_len;
	unsigned char shell_jwt_key[SECRET_MAX];	/* surrounding whitespace removed, as gitlab-shell signs */
	size_t shell_jwt_key_len;
	unsigned char kas[KAS_SECRET_LEN];
	bool has_kas;
	unsigned char pepper[SECRET_MAX];
	size_t pepper_len;
	unsigned char lfs[SECRET_MAX];		/* key of the LFS tokens; empty: LFS refused */
	size_t lfs_len;
	unsigned char db_key_base[SECRET_MAX];	/* GitLab's; empty: its LFS tokens are not minted */
	size_t db_key_base_len;
	char gitaly_token[SECRET_MAX];		/* NUL-terminated; "" when none */
};

/* Reads a secret file: a regular file, not a symlink, not readable or
 * writable by others. Returns the length, or -1 with a reason in err. */
long secret_read_file(const char *path, unsigned char *buf, size_t size, char *err, size_t errlen);

/* secret_read_file, then one trailing newline removed; an empty secret is
 * refused. Returns the length or -1. */
long secret_read_chomped(const char *path, unsigned char *buf, size_t size, char *err, size_t errlen);

/* Loads every secret the configuration names. The shell secret is
 * required; the others only when configured. */
int secrets_load(struct secrets *s, const struct glia_conf *conf, char *err, size_t errlen);

void secrets_clear(struct secrets *s);

#endif
