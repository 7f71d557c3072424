/* A worker's PostgreSQL connection: connected lazily, statements prepared
 * once per connection, a client-side deadline on every query, reconnection
 * with backoff. */
#ifndef GLIA_DB_H
#define GLIA_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct glia_conf;

struct db_stmt {
	const char *name;	/* prepared statement name */
	const char *sql;
	int n_params;
	bool read_only;		/* may be retried once on a fresh connection */
};

enum db_status {
	DB_OK = 0,
	DB_UNAVAILABLE = -1,	/* connection lost, refused or over its deadline: 503 */
	DB_BAD_INPUT = -2,	/* SQLSTATE class 22 (data exception): 400 */
	DB_ERROR = -3,		/* anything else: 500 */
};

struct db;

/* statements: NULL-terminated lists of the statements db_exec will be
 * given: prepared on connecting, or with db_prepare off, sent as calls of
 * their functions where the database has them (stmtfn.h). */
struct db *db_new(const struct glia_conf *conf, const struct db_stmt *const *const *statements);
void db_free(struct db *db);

/* A check run on every new connection before its statements are prepared
 * (schema = gitlab: a read-only session, and the tables glia reads). It
 * returns 0, or -1 when the connection must not serve: it is dropped, and
 * made again once the backoff allows. It also applies to the replica. */
typedef int (*db_connect_check)(struct db *db, void *arg);
void db_set_connect_check(struct db *db, db_connect_check check, void *arg);

/* For a connect check: runs sql with text parameters on the connection
 * being made, within its connect deadline. DB_OK with *out (PQclear it),
 * or DB_UNAVAILABLE with *out NULL. */
int db_setup_query(struct db *db, const char *sql, int n_params, const char *const *params, PGresult **out);

/* Runs a statement with text parameters under the query deadline. On DB_OK,
 * *out holds the result (PQclear it); otherwise *out is NULL. */
int db_exec(struct db *db, const struct db_stmt *stmt, const char *const *params, PGresult **out);

/* Whether the connection is up and answers a trivial query in time. */
bool db_ping(struct db *db, const struct db_stmt *stmt);

/* Microseconds spent in statements since the last call (per-request logs). */
int64_t db_take_time(struct db *db);

#endif
