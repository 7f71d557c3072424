/* glia-admin: what its command files share — the run context, database
 * helpers, and the rules for names, levels and tokens (GitLab's model rules
 * that both `import` and the everyday commands enforce). */
#ifndef GLIA_ADMIN_H
#define GLIA_ADMIN_H

#include "conf.h"
#include "token.h"
#include "sshkey.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define ADMIN_NAME "glia-admin"

/* Exit statuses: success, failure (nothing or everything done), bad usage. */
enum { ADMIN_OK = 0, ADMIN_FAIL = 1, ADMIN_USAGE = 2 };

/* One run: the configuration is read and the database connected only when
 * a command needs them, so that --help works anywhere. */
struct admin {
	const char *config_file;
	bool conf_loaded;
	struct glia_conf conf;
	PGconn *db;
};

/* Why a statement failed, for messages that name what was wrong. */
struct db_err {
	char sqlstate[6];
	char constraint[64];
	char message[512];
};

/* cli.c: messages and options */
int admin_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* returns ADMIN_FAIL */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* returns ADMIN_USAGE */
/* For getopt_long's '?' and ':' returns (with opterr = 0 and a ':' first in
 * the short options): the one-line usage error. */
int option_error(int c, char **argv);
void print_help(void);
/* Resets getopt for a command's own argv, where argv[0] is the command word. */
void options_reset(void);

/* pg.c: configuration and database */
int admin_load_config(struct admin *a);
int admin_connect(struct admin *a);
/* Runs one parameterized statement; returns the result when the statement
 * succeeded, else NULL with err filled in. The caller clears the result. */
PGresult *admin_query(PGconn *db, const char *sql, int nparams, const char *const *params, struct db_err *err);
/* db_exec for statements whose result is not needed: 0 or -1. */
int admin_command(PGconn *db, const char *sql, int nparams, const char *const *params, struct db_err *err);
/* A readable reason for a failed statement: friendly words for the unique
 * indexes users meet (a taken username or path, a known key), else the
 * server's message. */
const char *db_err_reason(const struct db_err *err);
int db_begin(PGconn *db, struct db_err *err);
void db_rollback(PGconn *db);
int db_commit(PGconn *db, struct db_err *err);

/* What a full path ("gnuwget/wget2") names, case-insensitively. */
struct route {
	long long id;		/* namespaces.id or projects.id */
	bool is_project;
	bool is_user_ns;	/* a user's personal namespace */
	int visibility;		/* visibility_level of that namespace or project */
	char path[1024];	/* the stored spelling */
};
/* 1 found, 0 not found, -1 failed (err). */
int db_find_route(PGconn *db, const char *full_path, struct route *r, struct db_err *err);
int db_find_user(PGconn *db, const char *username, long long *id, struct db_err *err);

/* functions.c: creates the statement functions the database lacks. */
int statement_functions_ensure(PGconn *db);

/* Prints rows as aligned columns under the given headings (one per column
 * of res), one row per line; NULL shows as "-". */
void print_table(PGresult *res, const char *const *headings);

/* For a verb without options: exactly min..max operands after argv[0].
 * 0, or the status of the usage error it printed. */
int admin_operands(int argc, char **argv, int min, int max, const char *what);

/* Runs a query and prints its rows with print_table. ADMIN_OK, or
 * ADMIN_FAIL after "WHAT: reason". */
int print_query(PGconn *db, const char *what, const char *const *headings, const char *sql, int nparams,
		const char *const *params);

/* cli.c: operands. Each returns 0, or the status after its usage error. */
/* YYYY-MM-DD, a real calendar day. */
bool valid_date(const char *s);
/* A date, or an RFC 3339 timestamp such as 2021-05-01T12:00:00Z. */
bool valid_timestamp(const char *s);
/* UTF-8 text of 1 (0 with allow_empty) to max bytes, no control characters. */
int check_text(const char *what, const char *s, size_t max, bool allow_empty);
/* A date as YYYY-MM-DD after today (UTC). */
int check_future_date(const char *what, const char *s);
/* "on" or "off" for what (a command and perhaps an option). */
int parse_on_off(const char *what, const char *s, bool *on);
/* private, internal or public, for --visibility. */
int parse_visibility_opt(const char *s, int *out);

/* After a verb's options: the count of operands must be in [min, max]. */
#define OPTIONS_END(argc, argv, min, max, what)                                                  \
	do {                                                                                      \
		if ((argc) - optind < (min) || (argc) - optind > (max))                           \
			return usage_error("%s: expected %s", (argv)[0], (what));                  \
	} while (0)

/* pg.c: what a verb looks up, as 0 or ADMIN_FAIL after a message naming
 * what was not found or was of the wrong kind. */
int admin_find_user(struct admin *a, const char *username, long long *id);
/* A group: not a project, not a user's namespace. */
int admin_find_group(struct admin *a, const char *full_path, struct route *r);
int admin_find_project(struct admin *a, const char *full_path, struct route *r);
/* GitLab refuses a group or project more visible than its namespace:
 * 0, or ADMIN_FAIL after saying so. */
int check_visibility_within(int visibility, const struct route *ns);
/* An id as a statement parameter. */
void fmt_id(char *buf, size_t n, long long v);

/* GitLab's rules for what glia-admin writes, each in its entity's file. Its
 * levels, states and scopes are gitlab.h's; a path segment's rule is
 * repo_valid_segment (api/repo.h), which the service uses too. */
/* users.c: a top-level path that would shadow one of GitLab's own routes. */
bool reserved_top_level(const char *s);
bool valid_email(const char *s);
/* projects.c: a project path segment: also not ending in .wiki or .design. */
bool valid_project_segment(const char *s);
/* projects.c: a git branch name or pattern as protected_branches and
 * default_branch hold: printable, no spaces, no "..", not starting with '-'
 * or '/'. */
bool valid_branch_name(const char *s);
/* agents.c: a Kubernetes agent name: a DNS label. */
bool valid_agent_name(const char *s);

/* keys.c: parses an OpenSSH public key line and checks its type is one
 * GitLab accepts; md5 receives the legacy "xx:xx:..." fingerprint. */
#define SSHKEY_MD5_LEN 47
int admin_key_parse(const char *line, struct sshkey *key, char md5[SSHKEY_MD5_LEN + 1], char *err, size_t errlen);

/* tokens.c: reads the pepper: the file's bytes without one trailing newline
 * ("\n", "\r\n" or "\r", as Ruby's chomp). An unset file name or an empty
 * key is an error. *out is malloc'ed; the caller cleanses and frees it. */
int pepper_load(const char *file, unsigned char **out, size_t *len, char *err, size_t errlen);
void pepper_free(unsigned char *pepper, size_t len);

/* The commands */
int cmd_migrate(struct admin *a, int argc, char **argv);
int cmd_import(struct admin *a, int argc, char **argv);
int cmd_user(struct admin *a, int argc, char **argv);
int cmd_key(struct admin *a, int argc, char **argv);
int cmd_group(struct admin *a, int argc, char **argv);
int cmd_project(struct admin *a, int argc, char **argv);
int cmd_member(struct admin *a, int argc, char **argv);
int cmd_token(struct admin *a, int argc, char **argv);

/* A command's verbs ("user add", "user list"): argv[0] is the noun and
 * argv[1] the verb, which runs with argv + 1 and fresh getopt state. */
struct admin_verb {
	const char *name;
	int (*run)(struct admin *a, int argc, char **argv);
};
int admin_dispatch(struct admin *a, const struct admin_verb *verbs, int argc, char **argv);
int cmd_agent(struct admin *a, int argc, char **argv);
int cmd_stats(struct admin *a, int argc, char **argv);
int cmd_deploy_key(struct admin *a, int argc, char **argv);
int cmd_protected_branch(struct admin *a, int argc, char **argv);
int cmd_protected_tag(struct admin *a, int argc, char **argv);

#endif
