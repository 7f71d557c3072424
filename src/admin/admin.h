/* glia-admin: what its files share. cli.c holds the command line, pg.c the
 * database helpers, and each entity's file (users.c, keys.c, groups.c,
 * projects.c, members.c, tokens.c, protected.c, agents.c, snippets.c) its
 * verbs, its GitLab rules and the one *_write that both its verb and import
 * call; import*.c load a data set, migrate.c the schema (and functions.c
 * glia's statements in it), stats.c the counters. */
#ifndef GLIA_ADMIN_H
#define GLIA_ADMIN_H

#include "conf.h"
#include "gitlab.h"
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
/* admin_query for statements whose result is not needed: 0 or -1. */
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

/* functions.c: adds to schema glia_statements what the database lacks. */
int statement_functions_ensure(PGconn *db);

/* cli.c: tables. Prints rows as aligned columns under the given headings
 * (one per column of res), one row per line; NULL shows as "-". */
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
/* GitLab refuses a group, project or snippet more visible than what holds
 * it: false with why ("public is not allowed inside ..."). */
bool visibility_fits(int visibility, const struct route *outer, char *why, size_t n);
/* The same for a verb: 0, or ADMIN_FAIL after "visibility <why>". */
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

/* ---- Writes ------------------------------------------------------------
 * Each entity's file owns its INSERT and UPDATE and GitLab's defaults for
 * what a record leaves out; its verb (from argv) and import (from the checked
 * JSON record) both call its *_write, with names already looked up as ids. */

/* What a write did, for import's counts. */
enum { WRITE_CREATED, WRITE_UPDATED, WRITE_UNCHANGED };

/* How a write meets a row that is there already. */
enum write_mode {
	WRITE_INSERT,	/* a verb's add: a taken name fails as its unique index says */
	WRITE_MATCH,	/* import: the row found by id or natural key is updated where it differs */
};

/* Why a write failed, in words: a conflict with the rows there (field names
 * the record's field it concerns) or the database's reason (field NULL; db
 * holds the error). Never contains a token. */
struct write_err {
	const char *field;
	char message[768];
	struct db_err db;
};

/* pg.c: -1 after filling e from e->db. */
int write_db_failed(struct write_err *e);
/* pg.c: -1 after filling e with a conflict. */
int write_refused(struct write_err *e, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* pg.c: 1 when sql (taking the id as $1) returns a row, 0 not, -1 failed;
 * type receives its first column when given. */
int admin_row_exists(PGconn *db, const char *sql, long long id, char *type, size_t typelen, struct db_err *err);
/* pg.c: updates the row when it exists and differs (update_sql's WHERE says
 * so), else inserts it; both statements take the same parameters, $1 being
 * the id (NULL on insert: the sequence picks), and the insert returns the
 * id first. With inserted, a new row's result is handed over, not cleared. */
int admin_write_row(PGconn *db, bool exists, long long *id, const char *update_sql, const char *insert_sql,
		    const char **params, int nparams, int *outcome, PGresult **inserted, struct write_err *e);
/* pg.c: for INSERT ... ON CONFLICT ... DO UPDATE ... WHERE <differs>
 * RETURNING (xmax = 0): no row is unchanged, true created, false updated. */
int admin_upsert(PGconn *db, const char *sql, const char *const *params, int nparams, int *outcome, struct db_err *err);

/* users.c. Defaults: name the username, state active. */
struct user_rec {
	long long id;		/* 0: the sequence picks (INSERT), or match by username */
	const char *username, *name, *email, *state;
	bool admin, two_factor;
};
int user_write(PGconn *db, const struct user_rec *u, enum write_mode mode, long long *id, int *outcome,
	       struct write_err *e);

/* groups.c. Defaults: name the path. */
struct group_rec {
	long long id, parent_id;	/* parent_id 0: top level */
	const char *path, *name;
	const char *full_path;		/* for WRITE_MATCH */
	int visibility;
};
int group_write(PGconn *db, const struct group_rec *g, enum write_mode mode, long long *id, int *outcome,
		struct write_err *e);

/* projects.c. Defaults: name the path, storage "default"; GitLab's lfs
 * default (on) is the caller's to set. disk_path, when given, receives a new
 * project's. */
struct project_rec {
	long long id, namespace_id;
	const char *path, *name, *storage, *branch;
	const char *full_path;		/* for WRITE_MATCH */
	int visibility;
	bool archived, lfs;
};
int project_write(PGconn *db, const struct project_rec *p, enum write_mode mode, long long *id, int *outcome,
		  char *disk_path, size_t disk_path_len, struct write_err *e);

/* members.c: a user's role in a group (group) or a project, set. */
int member_write(PGconn *db, long long user_id, long long source_id, bool group, int level, int *outcome,
		 struct db_err *err);

/* keys.c: a user's key or (deploy) a deploy key. Default title: the key's
 * comment, else its fingerprint. */
struct key_rec {
	long long id, user_id;		/* user_id 0: none (a deploy key's) */
	const char *title, *line, *expires;
	const struct sshkey *key;
	const char *md5;		/* "" when unknown */
};
int key_write(PGconn *db, const struct key_rec *k, bool deploy, enum write_mode mode, long long *id, int *outcome,
	      struct write_err *e);
/* The title GitLab gives a key without one; fallback holds the fingerprint's. */
const char *key_title_default(const struct sshkey *key, char fallback[64]);
/* An OpenSSH key line without surrounding blanks, as GitLab stores it: the
 * start, with *len its length. */
const char *key_line_trim(const char *line, size_t *len);
/* A deploy key enabled on a project, read-write with can_push. */
int deploy_link_write(PGconn *db, long long key_id, long long project_id, bool can_push, int *outcome,
		      struct db_err *err);

/* tokens.c: a personal access token by its digest; scopes is an array
 * literal ("{api,read_user}"). */
struct pat_rec {
	long long user_id;
	const char *name, *digest, *scopes, *expires;
	bool revoked;
};
int pat_write(PGconn *db, const struct pat_rec *t, enum write_mode mode, int *outcome, struct db_err *err);

/* protected.c: a protected branch and its push and merge role rows. */
/* GitLab protects with "Maintainers" unless told otherwise. */
#define PROTECTED_DEFAULT_LEVEL GITLAB_MAINTAINER
struct branch_rec {
	long long project_id;
	const char *name;
	int push, merge;
	bool force_push;
};
int branch_write(PGconn *db, const struct branch_rec *b, long long *id, int *outcome, struct db_err *err);

/* agents.c: an agent of a project, and an agent token by its digest. */
struct agent_rec {
	long long id, project_id;
	const char *name, *project_path;
};
int agent_write(PGconn *db, const struct agent_rec *g, enum write_mode mode, long long *id, int *outcome,
		struct write_err *e);
int agent_token_write(PGconn *db, long long agent_id, const char *digest, const char *name, enum write_mode mode,
		      int *outcome, struct db_err *err);

/* snippets.c (import only): matched by id, which a snippet must have. */
struct snippet_rec {
	long long id, author_id, project_id;	/* project_id 0: a personal snippet */
	const char *title;
	int visibility;
};
int snippet_write(PGconn *db, const struct snippet_rec *s, int *outcome, struct write_err *e);

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
