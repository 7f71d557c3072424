/* Configuration: the key table, the file parser and the loaded values. */
#ifndef GLIA_CONF_H
#define GLIA_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define GLIA_DEFAULT_CONFIG SYSCONFDIR "/glia/glia.conf"

/* How statements reach PostgreSQL (db_prepare). */
enum db_prepare_mode {
	DB_PREPARE_OFF,		/* each a call of its function (any pooler in transaction mode) */
	DB_PREPARE_ON,		/* prepared by glia on each connection (direct, session pooling) */
	DB_PREPARE_POOLER,	/* prepared on each server connection by the pooler's connect query */
};

/* Whose tables `database` holds (schema). */
enum glia_schema {
	SCHEMA_GLIA,		/* glia's own, made by glia-admin migrate */
	SCHEMA_GITLAB,		/* a GitLab instance's, read only: a few read endpoints */
};

struct glia_conf {
	char *broadcast_message;	/* shown after every push; "" none */
	char *database;			/* libpq conninfo */
	char *database_replica;		/* a standby for read-only statements; "" none */
	char *external_url;		/* GitLab's URL, for repository_http_path and links */
	char *git_access_protocol;	/* "", "ssh" or "http": GitLab's enabled_git_access_protocol */
	char *gitaly_storages;		/* "name=address,...": Gitaly of each repository storage */
	char *gitaly_token_file;	/* token glia hands to gitlab-shell for Gitaly */
	int db_connect_timeout_ms;	/* connect_timeout for libpq */
	char *db_key_base_file;		/* schema = gitlab: GitLab's db_key_base, key of its LFS tokens */
	int db_prepare;			/* enum db_prepare_mode */
	int db_query_timeout_ms;	/* client-side deadline of one query */
	char *kas_secret_file;		/* base64 of 32 bytes (Kubernetes agent server JWT) */
	char *lfs_secret_file;		/* key of the HS256 LFS tokens */
	char *listen;			/* unix:PATH, tcp:HOST:PORT, or empty: inherit / CGI */
	int listen_backlog;
	char *listen_group;		/* group of a unix socket (the web server's) */
	int listen_mode;		/* mode of a unix socket */
	int log_level;
	bool log_json;			/* log_format = json: one JSON object per request line */
	size_t max_body_size;		/* bytes of request body read at most */
	size_t max_changes;		/* lines of one push's changes at most */
	int max_queue_wait_ms;		/* older requests are shed with a 503; 0: never */
	long max_requests;		/* a worker exits after this many requests; 0: never */
	int receive_max_input_size;	/* MB; 0: no receive.maxInputSize */
	int replica_max_lag_ms;		/* a standby further behind is not read from */
	int schema;			/* enum glia_schema */
	char *migrations_dir;
	char *monitoring_whitelist;	/* CIDRs allowed to reach /-/liveness, /-/readiness, /-/metrics */
	char *shell_secret_file;	/* .gitlab_shell_secret */
	char *token_pepper_file;	/* key of the HMAC that token digests use */
	char *user;			/* drop to this user after opening the socket */
	int workers;
};

/* Fills conf with the defaults. */
void conf_defaults(struct glia_conf *conf);

/* Reads FILE over the values in conf. On failure returns -1 and writes a
 * message naming file and line into err. */
int conf_load(struct glia_conf *conf, const char *file, char *err, size_t errlen);

/* On SIGHUP: gives fresh the old values of the keys a reload does not
 * change (the socket and the identity, opened once). Returns 1 when fresh
 * had other values for them, 0 when not, -1 out of memory. */
int conf_keep_restart_only(struct glia_conf *fresh, const struct glia_conf *old);

void conf_free(struct glia_conf *conf);

/* The key table, for documentation checks. */
size_t conf_key_count(void);
const char *conf_key_name(size_t i);

#endif
