/* Secret files: read once, checked, kept in memory only. */
#include "config.h"
#include "conf.h"
#include "secret.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

long secret_read_file(const char *path, unsigned char *buf, size_t size, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
		snprintf(err, errlen, "%s: readable or writable by others (mode %04o): chmod 0600 or 0640 it",
			 path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	if ((size_t)st.st_size >= size) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, size - 1);
		close(fd);
		return -1;
	}
	size_t got = 0;
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (long)got;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

long secret_read_chomped(const char *path, unsigned char *buf, size_t size, char *err, size_t errlen)
{
	long n = secret_read_file(path, buf, size, err, errlen);
	if (n < 0)
		return -1;
	n = (long)chomp_len(buf, (size_t)n);
	if (n == 0) {
		snprintf(err, errlen, "%s: empty secret", path);
		return -1;
	}
	return n;
}

/* GitLab's db_key_base as the file holds it, one trailing newline gone:
 * 0, or -1 with a reason in err when it cannot be the bare value. Every
 * byte counts in the key of the LFS tokens, so a value saved with its
 * JSON quotes (jq without -r), a carriage return or surrounding blanks
 * would make each token one GitLab refuses, without a word: refused here
 * instead. GitLab's is hex (SecureRandom.hex), and YAML strips blanks. */
static int db_key_base_check(const char *path, const unsigned char *v, size_t len, char *err, size_t errlen)
{
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		snprintf(err, errlen, "%s: db_key_base is in double quotes (jq without -r?): save the bare value "
			 "(jq -r .gitlab_rails.db_key_base)", path);
		return -1;
	}
	if (memchr(v, '\r', len) || memchr(v, '\n', len)) {
		snprintf(err, errlen, "%s: db_key_base holds a carriage return or more than one line: save the "
			 "bare value, one line ending at most", path);
		return -1;
	}
	if (is_space(v[0]) || is_space(v[len - 1])) {
		snprintf(err, errlen, "%s: db_key_base has leading or trailing whitespace: save the bare value", path);
		return -1;
	}
	return 0;
}

int secrets_load(struct secrets *s, const struct glia_conf *conf, char *err, size_t errlen)
{
	unsigned char buf[SECRET_MAX];
	long n;

	memset(s, 0, sizeof *s);
	if (!conf->shell_secret_file || !*conf->shell_secret_file) {
		snprintf(err, errlen, "shell_secret_file is not set");
		return -1;
	}
	n = secret_read_file(conf->shell_secret_file, s->shell, sizeof s->shell, err, errlen);
	if (n < 0)
		return -1;
	s->shell_len = chomp_len(s->shell, (size_t)n);
	size_t start = 0, end = (size_t)n;
	while (start < end && is_space(s->shell[start]))
		start++;
	while (end > start && is_space(s->shell[end - 1]))
		end--;
	if (end == start) {
		snprintf(err, errlen, "%s: empty secret", conf->shell_secret_file);
		secrets_clear(s);
		return -1;
	}
	memcpy(s->shell_jwt_key, s->shell + start, end - start);
	s->shell_jwt_key_len = end - start;

	if (conf->kas_secret_file && *conf->kas_secret_file) {
		/* GitLab: Base64.strict_decode64(File.read.chomp), exactly 32 bytes. */
		unsigned char raw[SECRET_MAX / 4 * 3 + 3];
		n = secret_read_file(conf->kas_secret_file, buf, sizeof buf, err, errlen);
		if (n < 0) {
			secrets_clear(s);
			return -1;
		}
		long m = base64_decode((const char *)buf, chomp_len(buf, (size_t)n), raw);
		OPENSSL_cleanse(buf, sizeof buf);
		if (m != KAS_SECRET_LEN) {
			OPENSSL_cleanse(raw, sizeof raw);
			snprintf(err, errlen, "%s: must hold the base64 encoding of exactly 32 bytes",
				 conf->kas_secret_file);
			secrets_clear(s);
			return -1;
		}
		memcpy(s->kas, raw, KAS_SECRET_LEN);
		OPENSSL_cleanse(raw, sizeof raw);
		s->has_kas = true;
	}

	if (conf->token_pepper_file && *conf->token_pepper_file) {
		n = secret_read_chomped(conf->token_pepper_file, s->pepper, sizeof s->pepper, err, errlen);
		if (n < 0) {
			secrets_clear(s);
			return -1;
		}
		s->pepper_len = (size_t)n;
	}

	if (conf->lfs_secret_file && *conf->lfs_secret_file) {
		n = secret_read_chomped(conf->lfs_secret_file, s->lfs, sizeof s->lfs, err, errlen);
		if (n < 0) {
			secrets_clear(s);
			return -1;
		}
		s->lfs_len = (size_t)n;
	}

	/* Read with schema = gitlab only: glia's own tables have no use for
	 * it (main.c warns that it is ignored). */
	if (conf->schema == SCHEMA_GITLAB && conf->db_key_base_file && *conf->db_key_base_file) {
		/* As the operator saved it from gitlab-secrets.json or
		 * secrets.yml: the value, one trailing newline at most. */
		n = secret_read_chomped(conf->db_key_base_file, s->db_key_base, sizeof s->db_key_base, err, errlen);
		if (n < 0 || db_key_base_check(conf->db_key_base_file, s->db_key_base, (size_t)n, err, errlen) < 0) {
			secrets_clear(s);
			return -1;
		}
		s->db_key_base_len = (size_t)n;
	}

	if (conf->gitaly_token_file && *conf->gitaly_token_file) {
		n = secret_read_chomped(conf->gitaly_token_file, (unsigned char *)s->gitaly_token,
					sizeof s->gitaly_token - 1, err, errlen);
		if (n < 0) {
			secrets_clear(s);
			return -1;
		}
		s->gitaly_token[n] = '\0';
		if (strlen(s->gitaly_token) != (size_t)n) {
			snprintf(err, errlen, "%s: holds a NUL byte", conf->gitaly_token_file);
			secrets_clear(s);
			return -1;
		}
	}
	return 0;
}

void secrets_clear(struct secrets *s)
{
	OPENSSL_cleanse(s, sizeof *s);
}
