/* Configuration: one table of keys (name, type, field, whether SIGHUP
 * changes it, default, help), kept alphabetical; the loader, the -t check,
 * the reload and the documentation test all walk it. */
#include "config.h"
#include "conf.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum conf_type { T_STRING, T_INT, T_LONG, T_BOOL, T_MS, T_SIZE, T_MODE, T_LOGLEVEL, T_LOGFORMAT, T_PREPARE, T_SCHEMA };

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;
	bool reloadable;
	const char *dflt;
	long min, max;
	const char *help;
};

#define F(field) offsetof(struct glia_conf, field)

static const struct conf_key conf_keys[] = {
	{ "broadcast_message", T_STRING, F(broadcast_message), true, "", 0, 0,
	  "a message shown to everyone after each push (GitLab's broadcast message); empty: none" },
	{ "database", T_STRING, F(database), true, "dbname=glia application_name=glia", 0, 0,
	  "libpq connection string (PGHOST, PGUSER, ~/.pgpass... apply to what it leaves out)" },
	{ "database_replica", T_STRING, F(database_replica), true, "", 0, 0,
	  "libpq connection string of a standby that read-only queries go to (empty: none)" },
	{ "db_connect_timeout", T_MS, F(db_connect_timeout_ms), true, "5s", 1000, 600000,
	  "how long connecting to PostgreSQL may take" },
	{ "db_key_base_file", T_STRING, F(db_key_base_file), true, "", 0, 0,
	  "schema = gitlab: file with GitLab's db_key_base, under which lfs_authenticate signs GitLab's own LFS "
	  "tokens (empty: that route stays with GitLab)" },
	{ "db_prepare", T_PREPARE, F(db_prepare), true, "on", 0, 0,
	  "on: prepare statements once per connection; behind PgBouncer in transaction mode, pooler (its "
	  "connect_query prepares them) or off (each statement a call of its function)" },
	{ "db_query_timeout", T_MS, F(db_query_timeout_ms), true, "10s", 10, 300000,
	  "client-side deadline of one query: it is cancelled and the request gets 503" },
	{ "external_url", T_STRING, F(external_url), true, "http://localhost", 0, 0,
	  "GitLab's external URL: repository_http_path of LFS and the links post_receive prints" },
	{ "git_access_protocol", T_STRING, F(git_access_protocol), true, "", 0, 0,
	  "empty: SSH and HTTP; ssh or http: only that protocol (GitLab's enabled_git_access_protocol)" },
	{ "gitaly_storages", T_STRING, F(gitaly_storages), true, "default=unix:/var/opt/gitlab/gitaly/gitaly.socket", 0, 0,
	  "NAME=ADDRESS[,NAME=ADDRESS...]: the Gitaly address of each repository storage" },
	{ "gitaly_token_file", T_STRING, F(gitaly_token_file), true, "", 0, 0,
	  "file with the token Gitaly expects (empty: no token)" },
	{ "kas_secret_file", T_STRING, F(kas_secret_file), true, "", 0, 0,
	  "file with base64 of the 32-byte Kubernetes agent server secret (.gitlab_kas_secret)" },
	{ "lfs_secret_file", T_STRING, F(lfs_secret_file), true, "", 0, 0,
	  "key of the HS256 tokens lfs_authenticate hands out (empty: LFS over SSH is refused)" },
	{ "listen", T_STRING, F(listen), false, "", 0, 0,
	  "unix:PATH or tcp:HOST:PORT; empty: the socket on fd 0 (spawn-fcgi), systemd's, or one CGI request" },
	{ "listen_backlog", T_INT, F(listen_backlog), false, "0", 0, 65535,
	  "listen(2) backlog of a socket glia opens itself; 0: net.core.somaxconn, as deep as the kernel allows" },
	{ "listen_group", T_STRING, F(listen_group), false, "www-data", 0, 0,
	  "group of a unix socket glia opens: the web server's" },
	{ "listen_mode", T_MODE, F(listen_mode), false, "0660", 0, 0777,
	  "mode of a unix socket glia opens" },
	{ "log_format", T_LOGFORMAT, F(log_json), true, "plain", 0, 0,
	  "plain, or json: each request's log line as one JSON object" },
	{ "log_level", T_LOGLEVEL, F(log_level), true, "info", 0, 0,
	  "error, warning, info or debug" },
	{ "max_body_size", T_SIZE, F(max_body_size), true, "16777216", 0, 256L * 1024 * 1024,
	  "largest request body read, in bytes; a larger one gets 413 (16 MiB: a push of some 150 000 refs)" },
	{ "max_changes", T_SIZE, F(max_changes), true, "500000", 1, 10000000,
	  "most lines of one push's changes; more get 400 changes is invalid" },
	{ "max_queue_wait", T_MS, F(max_queue_wait_ms), true, "100ms", 0, 600000,
	  "a request that waited longer for a worker (X-Request-Start) gets 503 + Retry-After at once; 0: off" },
	{ "max_requests", T_LONG, F(max_requests), true, "10000", 0, LONG_MAX,
	  "a worker is replaced after this many requests (0: never)" },
	{ "migrations_dir", T_STRING, F(migrations_dir), true, PKGDATADIR "/migrations", 0, 0,
	  "where glia-admin migrate finds the SQL migrations" },
	{ "monitoring_whitelist", T_STRING, F(monitoring_whitelist), true, "127.0.0.0/8,::1/128", 0, 0,
	  "addresses (CIDR, comma-separated) that may read /-/liveness, /-/readiness and /-/metrics" },
	{ "receive_max_input_size", T_INT, F(receive_max_input_size), true, "0", 0, 1048576,
	  "MB a push may send (receive.maxInputSize handed to Gitaly); 0: no limit" },
	{ "replica_max_lag", T_MS, F(replica_max_lag_ms), true, "5s", 0, 3600000,
	  "a standby further behind than this is not read from" },
	{ "schema", T_SCHEMA, F(schema), true, "glia", 0, 0,
	  "glia: glia's own tables; gitlab: a GitLab instance's own database, read only, for check, "
	  "authorized_keys, discover, allowed and, with db_key_base_file, lfs_authenticate (needs db_prepare = on)" },
	{ "shell_secret_file", T_STRING, F(shell_secret_file), true, SYSCONFDIR "/glia/gitlab_shell_secret", 0, 0,
	  "the secret shared with gitlab-shell and Gitaly (.gitlab_shell_secret)" },
	{ "token_pepper_file", T_STRING, F(token_pepper_file), true, "", 0, 0,
	  "key of the token digests (HMAC-SHA256) and of the sealed TOTP secrets" },
	{ "user", T_STRING, F(user), false, "", 0, 0,
	  "user to run as once the socket is open, when started as root" },
	{ "workers", T_INT, F(workers), true, "4", 1, 256,
	  "number of worker processes" },
};

#define NKEYS (sizeof conf_keys / sizeof conf_keys[0])

static const struct conf_key *conf_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

__attribute__((format(printf, 3, 4)))
static int seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* "250ms", "10s", "2m" or a bare number of seconds. */
static int parse_ms(const char *v, long *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)*v))
		return -1;
	long n = strtol(v, &end, 10);
	if (errno)
		return -1;
	long mult;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else
		return -1;
	if (n > LONG_MAX / mult)
		return -1;
	*out = n * mult;
	return 0;
}

static int conf_assign(struct glia_conf *conf, const struct conf_key *k, const char *v,
		       char *err, size_t errlen)
{
	char *base = (char *)conf + k->offset;
	long n;

	switch (k->type) {
	case T_STRING: {
		char *copy = strdup(v);
		if (!copy)
			return seterr(err, errlen, "out of memory");
		free(*(char **)base);
		*(char **)base = copy;
		return 0;
	}
	case T_BOOL:
		if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
			*(bool *)base = true;
		else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
			*(bool *)base = false;
		else
			return seterr(err, errlen, "%s: expected on or off, not \"%s\"", k->name, v);
		return 0;
	case T_PREPARE:
		if (!strcmp(v, "pooler")) {
			*(int *)base = DB_PREPARE_POOLER;
			return 0;
		}
		if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
			*(int *)base = DB_PREPARE_ON;
		else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
			*(int *)base = DB_PREPARE_OFF;
		else
			return seterr(err, errlen, "%s: expected on, off or pooler, not \"%s\"", k->name, v);
		return 0;
	case T_SCHEMA:
		if (strcmp(v, "glia") && strcmp(v, "gitlab"))
			return seterr(err, errlen, "%s: expected glia or gitlab, not \"%s\"", k->name, v);
		*(int *)base = strcmp(v, "gitlab") == 0 ? SCHEMA_GITLAB : SCHEMA_GLIA;
		return 0;
	case T_LOGFORMAT:
		if (strcmp(v, "plain") && strcmp(v, "json"))
			return seterr(err, errlen, "%s: expected plain or json", k->name);
		*(bool *)base = strcmp(v, "json") == 0;
		return 0;
	case T_LOGLEVEL:
		n = log_level_parse(v);
		if (n < 0)
			return seterr(err, errlen, "%s: expected error, warning, info or debug", k->name);
		*(int *)base = (int)n;
		return 0;
	case T_MODE: {
		char *end;
		errno = 0;
		n = strtol(v, &end, 8);
		if (errno || *end || !*v || n < k->min || n > k->max)
			return seterr(err, errlen, "%s: expected an octal mode such as 0660", k->name);
		*(int *)base = (int)n;
		return 0;
	}
	case T_MS:
		if (parse_ms(v, &n) < 0 || n < k->min || n > k->max)
			return seterr(err, errlen, "%s: expected a duration from %ldms to %lds (e.g. 10s, 500ms)",
				      k->name, k->min, k->max / 1000);
		*(int *)base = (int)n;
		return 0;
	case T_INT:
	case T_LONG:
	case T_SIZE: {
		long long ll;
		if (parse_int64(v, strlen(v), &ll) < 0 || ll < k->min || ll > k->max)
			return seterr(err, errlen, "%s: expected an integer from %ld to %ld", k->name, k->min, k->max);
		if (k->type == T_SIZE)
			*(size_t *)base = (size_t)ll;
		else if (k->type == T_LONG)
			*(long *)base = (long)ll;
		else
			*(int *)base = (int)ll;
		return 0;
	}
	}
	return -1;
}

void conf_defaults(struct glia_conf *conf)
{
	char err[256];
	memset(conf, 0, sizeof *conf);
	for (size_t i = 0; i < NKEYS; i++)
		if (conf_assign(conf, &conf_keys[i], conf_keys[i].dflt, err, sizeof err) < 0)
			die("configuration default: %s", err);
}

/* Parses one "key = value" assignment. */
static int conf_set(struct glia_conf *conf, const char *key, const char *value, char *err, size_t errlen)
{
	const struct conf_key *k = conf_find(key);
	if (!k)
		return seterr(err, errlen, "unknown key \"%s\"", key);
	if (conf_assign(conf, k, value, err, errlen) < 0)
		return -1;
	/* Paths are joined to external_url with a '/' of their own, as
	 * GitLab's URL helpers do: "http://host/" is "http://host". */
	if (k->offset == F(external_url)) {
		size_t n = strlen(conf->external_url);
		while (n > 0 && conf->external_url[n - 1] == '/')
			conf->external_url[--n] = '\0';
	}
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* What no single key can say: keys that do not go together. */
static int conf_check(const struct glia_conf *conf, const char *file, char *err, size_t errlen)
{
	/* GitLab's database gets nothing of glia's: no statement functions
	 * (db_prepare = off looks them up, pooler runs them), only statements
	 * glia prepares in its own session. */
	if (conf->schema == SCHEMA_GITLAB && conf->db_prepare != DB_PREPARE_ON)
		return seterr(err, errlen, "%s: schema = gitlab needs db_prepare = on (a direct connection, or a "
			      "pooler in session mode): glia keeps nothing in GitLab's database", file);
	return 0;
}

int conf_load(struct glia_conf *conf, const char *file, char *err, size_t errlen)
{
	FILE *f = fopen(file, "re");
	char line[4096];
	int lineno = 0;

	if (!f)
		return seterr(err, errlen, "%s: %s", file, strerror(errno));
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fclose(f);
			return seterr(err, errlen, "%s:%d: line too long", file, lineno);
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			fclose(f);
			return seterr(err, errlen, "%s:%d: expected key = value", file, lineno);
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		size_t vl = strlen(value);
		/* A value may be quoted to keep spaces at its ends or a '#'. */
		if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
			value[vl - 1] = '\0';
			value++;
		} else {
			char *hash = strstr(value, " #");
			if (hash)
				*hash = '\0', value = trim(value);
		}
		char msg[256];
		if (conf_set(conf, key, value, msg, sizeof msg) < 0) {
			fclose(f);
			return seterr(err, errlen, "%s:%d: %s", file, lineno, msg);
		}
	}
	fclose(f);
	return conf_check(conf, file, err, errlen);
}

int conf_keep_restart_only(struct glia_conf *fresh, const struct glia_conf *old)
{
	int changed = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		if (k->reloadable)
			continue;
		void *to = (char *)fresh + k->offset;
		const void *from = (const char *)old + k->offset;
		if (k->type == T_STRING) {
			char *copy = strdup(*(char *const *)from);
			if (!copy)
				return -1;
			changed |= strcmp(*(char **)to, copy) != 0;
			free(*(char **)to);
			*(char **)to = copy;
		} else {
			/* The restart-only keys that are not strings are ints. */
			changed |= *(int *)to != *(const int *)from;
			*(int *)to = *(const int *)from;
		}
	}
	return changed;
}

void conf_free(struct glia_conf *conf)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (conf_keys[i].type == T_STRING) {
			free(*(char **)((char *)conf + conf_keys[i].offset));
			*(char **)((char *)conf + conf_keys[i].offset) = NULL;
		}
}

size_t conf_key_count(void) { return NKEYS; }
const char *conf_key_name(size_t i) { return i < NKEYS ? conf_keys[i].name : NULL; }
