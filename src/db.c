/* A worker's PostgreSQL connection. Every query goes out with
 * PQsendQuery{Prepared,Params} and is waited for with poll() against a
 * deadline: a hung server or a held lock costs one request (503), never the
 * worker. A connection that fails or overruns is dropped and made again on a
 * later request, no sooner than an exponential backoff allows, so a database
 * that is away gets fast 503s rather than a reconnect storm. */
#include "config.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "stmtfn.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

struct db {
	const struct glia_conf *conf;
	const char *conninfo;	/* conf->database, or conf->database_replica */
	struct db *replica;	/* read-only statements go there while it is usable */
	bool is_replica;
	int64_t lag_checked_ms;	/* a replica's last replication lag check */
	bool lagging;		/* ... found it further behind than replica_max_lag */
	const struct db_stmt *const *const *statements;
	/* db_prepare = off or pooler: each statement's function, and whether
	 * the database has it (looked up on connecting). */
	struct db_function *functions;
	size_t n_functions;
	PGconn *conn;
	int64_t next_attempt_ms;
	int backoff_ms;
	bool timed_out;		/* the last statement overran its deadline */
	int64_t spent_us;	/* time in statements since db_take_time() */
	unsigned long failures;
	db_connect_check connect_check;	/* run on each new connection; NULL: none */
	void *connect_check_arg;
	int64_t setup_deadline;	/* of the connection being made */
};

/* How far the standby's replay is behind, in ms: 0 when it has replayed all
 * it received (an idle primary sends nothing, so the last replay time alone
 * would read as lag), or when it is not a standby at all; a day when WAL
 * waits but nothing was replayed since the standby started, so that the
 * time of behind is unknown. */
static const struct db_stmt replica_lag = {
	"replica_lag",
	"SELECT (CASE WHEN NOT pg_is_in_recovery() THEN 0"
	" WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
	" ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 86400) END * 1000)::bigint",
	0, true,
};

struct db_function {
	const struct db_stmt *stmt;
	bool present;
	/* db_prepare = pooler: not before this time is the statement
	 * executed by name, after a server connection lacked it. */
	int64_t named_after_ms;
	char name[STMTFN_NAME_MAX];	/* of the function, and of the statement the pooler prepares */
	char call[STMTFN_CALL_MAX];
};

/* How long a worker calls a statement's function after a server
 * connection of the pooler lacked the prepared statement. */
#define UNPREPARED_PAUSE_MS 60000

/* Which statement functions this database has: one catalog read per
 * connection (the schema is absent before glia-admin migrate made it). */
static const struct db_stmt functions_present = {
	"functions_present",
	"SELECT p.proname FROM pg_proc p WHERE p.pronamespace = to_regnamespace('" STMTFN_SCHEMA "')",
	0, true,
};

static int functions_init(struct db *db)
{
	size_t n = 0;
	for (size_t l = 0; db->statements && db->statements[l]; l++)
		for (size_t i = 0; db->statements[l][i]; i++)
			n++;
	if (n == 0)
		return 0;
	db->functions = calloc(n, sizeof *db->functions);
	if (!db->functions)
		return -1;
	for (size_t l = 0; db->statements[l]; l++)
		for (size_t i = 0; db->statements[l][i]; i++) {
			struct db_function *f = &db->functions[db->n_functions];
			f->stmt = db->statements[l][i];
			if (stmtfn_name(f->stmt, f->name) && stmtfn_call(f->stmt, f->call))
				db->n_functions++;
		}
	return 0;
}

static struct db *db_alloc(const struct glia_conf *conf, const char *conninfo,
			   const struct db_stmt *const *const *statements)
{
	struct db *db = calloc(1, sizeof *db);
	if (!db)
		return NULL;
	db->conf = conf;
	db->conninfo = conninfo;
	db->statements = statements;
	if (conf->db_prepare != DB_PREPARE_ON && functions_init(db) < 0) {
		free(db);
		return NULL;
	}
	return db;
}

struct db *db_new(const struct glia_conf *conf, const struct db_stmt *const *const *statements)
{
	struct db *db = db_alloc(conf, conf->database, statements);
	if (!db)
		return NULL;
	if (conf->database_replica && *conf->database_replica) {
		db->replica = db_alloc(conf, conf->database_replica, statements);
		if (!db->replica) {
			db_free(db);
			return NULL;
		}
		db->replica->is_replica = true;
	}
	return db;
}

void db_set_connect_check(struct db *db, db_connect_check check, void *arg)
{
	db->connect_check = check;
	db->connect_check_arg = arg;
	if (db->replica)
		db_set_connect_check(db->replica, check, arg);
}

/* A connection dropped while a statement runs (a deadline overrun, a
 * PREPARE stuck behind a lock) has that statement cancelled first: the
 * server would not notice the closed socket while it waits on a lock, and
 * the backend would keep its slot and its place in the lock queue. */
static void db_drop(struct db *db)
{
	if (!db->conn)
		return;
	if (PQtransactionStatus(db->conn) == PQTRANS_ACTIVE) {
		char errbuf[256];
		PGcancel *cancel = PQgetCancel(db->conn);
		if (cancel) {
			PQcancel(cancel, errbuf, sizeof errbuf);
			PQfreeCancel(cancel);
		}
	}
	PQfinish(db->conn);
	db->conn = NULL;
}

void db_free(struct db *db)
{
	if (!db)
		return;
	db_free(db->replica);
	db_drop(db);
	free(db->functions);
	free(db);
}

static void db_failed(struct db *db, const char *what)
{
	db->failures++;
	db->backoff_ms = db->backoff_ms ? db->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (db->backoff_ms > BACKOFF_MAX_MS)
		db->backoff_ms = BACKOFF_MAX_MS;
	db->next_attempt_ms = now_ms() + db->backoff_ms;
	/* The first line of libpq's message, without its newline. */
	const char *msg = db->conn ? PQerrorMessage(db->conn) : "out of memory";
	int len = (int)strcspn(msg, "\n");
	if (len > 0)
		log_warn("%s %s: %.*s (retry in %d ms)", db->is_replica ? "replica" : "database", what, len, msg,
			 db->backoff_ms);
	else
		log_warn("%s %s (retry in %d ms)", db->is_replica ? "replica" : "database", what, db->backoff_ms);
	db_drop(db);
}

/* Waits until the socket is ready for events or the deadline passes. */
static int wait_socket(PGconn *conn, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd pfd = { .fd = PQsocket(conn), .events = events };
		int rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		return rc;
	}
}

/* Reads every result of what was sent until the connection is idle,
 * keeping the last in *last (the caller's to PQclear, whatever this
 * returns): 1, 0 when the deadline came first, -1 when the connection
 * failed. */
static int collect_results(PGconn *conn, int64_t deadline, PGresult **last)
{
	*last = NULL;
	for (;;) {
		if (!PQconsumeInput(conn))
			return -1;
		if (PQisBusy(conn)) {
			int rc = wait_socket(conn, POLLIN, deadline);
			if (rc <= 0)
				return rc;
			continue;
		}
		PGresult *r = PQgetResult(conn);
		if (!r)
			return 1;
		PQclear(*last);
		*last = r;
	}
}

int db_setup_query(struct db *db, const char *sql, int n_params, const char *const *params, PGresult **out)
{
	*out = NULL;
	if (!db->conn || !PQsendQueryParams(db->conn, sql, n_params, NULL, params, NULL, NULL, 0))
		return DB_UNAVAILABLE;
	PGresult *res;
	if (collect_results(db->conn, db->setup_deadline, &res) <= 0 || !res ||
	    (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)) {
		if (res && PQresultStatus(res) == PGRES_FATAL_ERROR)
			log_error("connection setup: %s", PQresultErrorMessage(res));
		PQclear(res);
		return DB_UNAVAILABLE;
	}
	*out = res;
	return DB_OK;
}

static int db_prepare_one(struct db *db, const struct db_stmt *s, int64_t deadline)
{
	PGresult *res;
	if (!PQsendPrepare(db->conn, s->name, s->sql, s->n_params, NULL))
		return -1;
	if (collect_results(db->conn, deadline, &res) <= 0) {
		PQclear(res);
		return -1;
	}
	bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_error("preparing %s: %s", s->name, res ? PQresultErrorMessage(res) : "no result");
	/* 42P05 on a connection just made: the session was not ours alone,
	 * which is a pooler in transaction mode (PgBouncer). */
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "42P05") == 0)
		log_error("a statement glia prepares already exists in this session: behind a pooler in "
			  "transaction mode (PgBouncer), set db_prepare = off");
	PQclear(res);
	return ok ? 0 : -1;
}

static int db_prepare_all(struct db *db, int64_t deadline)
{
	/* A standby prepares what may be read from it, and its lag check. */
	if (db->is_replica && db_prepare_one(db, &replica_lag, deadline) < 0)
		return -1;
	for (size_t l = 0; db->statements && db->statements[l]; l++)
		for (size_t i = 0; db->statements[l][i]; i++)
			if ((!db->is_replica || db->statements[l][i]->read_only) &&
			    db_prepare_one(db, db->statements[l][i], deadline) < 0)
				return -1;
	return 0;
}

/* Marks the statements whose function this database has. A database
 * without them still works, each statement then planned on every request:
 * said once per worker, since the remedy (glia-admin migrate) is the
 * operator's. */
static int functions_find(struct db *db, int64_t deadline)
{
	if (db->n_functions == 0)
		return 0;
	PGresult *res;
	if (!PQsendQueryParams(db->conn, functions_present.sql, 0, NULL, NULL, NULL, NULL, 0))
		return -1;
	if (collect_results(db->conn, deadline, &res) <= 0 || !res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return -1;
	}
	size_t missing = 0;
	for (size_t f = 0; f < db->n_functions; f++) {
		db->functions[f].present = false;
		for (int r = 0; r < PQntuples(res) && !db->functions[f].present; r++)
			db->functions[f].present = strcmp(PQgetvalue(res, r, 0), db->functions[f].name) == 0;
		missing += !db->functions[f].present;
	}
	PQclear(res);
	static bool told;
	if (missing && !told) {
		told = true;
		log_warn("the database lacks %zu of glia's %zu statement functions (schema " STMTFN_SCHEMA
			 "): run glia-admin migrate; until then those statements are planned on every request",
			 missing, db->n_functions);
	}
	return 0;
}

static int db_connect(struct db *db)
{
	char timeout[16];
	int64_t deadline = now_ms() + db->conf->db_connect_timeout_ms;
	snprintf(timeout, sizeof timeout, "%d", (db->conf->db_connect_timeout_ms + 999) / 1000);
	/* The configured string is expanded as a conninfo (or URI); the
	 * keywords after it fill in only what it leaves out. */
	const char *const keys[] = { "dbname", "connect_timeout", "fallback_application_name", NULL };
	const char *const vals[] = { db->conninfo, timeout, "glia", NULL };

	db->conn = PQconnectStartParams(keys, vals, 1);
	if (!db->conn || PQstatus(db->conn) == CONNECTION_BAD) {
		db_failed(db, "connection");
		return DB_UNAVAILABLE;
	}
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			db_failed(db, "connection");
			return DB_UNAVAILABLE;
		}
		if (wait_socket(db->conn, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline) <= 0) {
			db_failed(db, "connection timed out");
			return DB_UNAVAILABLE;
		}
		st = PQconnectPoll(db->conn);
	}
	db->setup_deadline = deadline;
	if (PQsetnonblocking(db->conn, 0) != 0 ||
	    (db->connect_check && db->connect_check(db, db->connect_check_arg) < 0) ||
	    (db->conf->db_prepare == DB_PREPARE_ON ? db_prepare_all(db, deadline) : functions_find(db, deadline)) < 0) {
		db_failed(db, "setup");
		return DB_UNAVAILABLE;
	}
	metrics_db_connect();
	if (db->failures)
		log_info("%s connection restored", db->is_replica ? "replica" : "database");
	db->backoff_ms = 0;
	return DB_OK;
}

/* Connects if needed (not sooner than the backoff allows). DB_OK or DB_UNAVAILABLE. */
static int db_ensure(struct db *db)
{
	if (db->conn && (PQstatus(db->conn) != CONNECTION_OK || PQsocket(db->conn) < 0 ||
			 PQtransactionStatus(db->conn) != PQTRANS_IDLE))
		db_drop(db);
	if (db->conn)
		return DB_OK;
	if (now_ms() < db->next_attempt_ms)
		return DB_UNAVAILABLE;
	return db_connect(db);
}

static int classify(PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (!state)
		return DB_UNAVAILABLE;
	if (strncmp(state, "22", 2) == 0)
		return DB_BAD_INPUT;
	/* connection exceptions, shutdown, too many connections, cancel, lock timeout */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0 || strcmp(state, "53300") == 0 ||
	    strcmp(state, "55P03") == 0)
		return DB_UNAVAILABLE;
	return DB_ERROR;
}

/* Sends the statement and collects its result within the deadline. */
static int db_run(struct db *db, const struct db_stmt *stmt, const char *const *params, PGresult **out)
{
	int64_t deadline = now_ms() + db->conf->db_query_timeout_ms;
	PGresult *last;
	struct db_function *f = NULL;
	for (size_t i = 0; i < db->n_functions && !f; i++)
		if (db->functions[i].stmt == stmt && db->functions[i].present)
			f = &db->functions[i];
	/* on: glia's own prepared statement; pooler: the one the pooler's
	 * connect query prepared, named as the function; else the function
	 * (or, without one, the text, planned every time). */
	bool named = f && db->conf->db_prepare == DB_PREPARE_POOLER && now_ms() >= f->named_after_ms;
	int sent = db->conf->db_prepare == DB_PREPARE_ON
		? PQsendQueryPrepared(db->conn, stmt->name, stmt->n_params, params, NULL, NULL, 0)
		: named ? PQsendQueryPrepared(db->conn, f->name, stmt->n_params, params, NULL, NULL, 0)
		: PQsendQueryParams(db->conn, f ? f->call : stmt->sql, stmt->n_params, NULL, params, NULL, NULL, 0);
	if (!sent)
		return DB_UNAVAILABLE;
	int got = collect_results(db->conn, deadline, &last);
	if (got == 0) {
		/* Over the deadline: the query is cancelled and the connection
		 * dropped (db_drop) rather than waited for. */
		db->timed_out = true;
		metrics_db_cancel();
		log_warn("query %s overran its %d ms deadline: cancelled", stmt->name, db->conf->db_query_timeout_ms);
		PQclear(last);
		db_failed(db, "query timeout");
		return DB_UNAVAILABLE;
	}
	if (got < 0 || !last)
		goto lost;
	ExecStatusType st = PQresultStatus(last);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*out = last;
		return DB_OK;
	}
	const char *state = PQresultErrorField(last, PG_DIAG_SQLSTATE);
	if (named && state && strcmp(state, "26000") == 0) {
		/* A server connection the pooler opened before glia-admin
		 * migrate added the statement, or a pooler without the
		 * connect query: the function, for a while. */
		static bool told;
		if (!told) {
			told = true;
			log_warn("prepared statement %s is missing on a server connection of the pooler: is "
				 "PgBouncer's connect_query set (contrib/pgbouncer/pgbouncer.ini), and was it "
				 "reconnected after glia-admin migrate? Calling the statement's function meanwhile",
				 f->name);
		}
		f->named_after_ms = now_ms() + UNPREPARED_PAUSE_MS;
		PQclear(last);
		return db_run(db, stmt, params, out);
	}
	if (f && !named && state && (strcmp(state, "42883") == 0 || strcmp(state, "3F000") == 0)) {
		/* The function went away since the connection looked (a
		 * downgrade, a manual DROP): its text will do, every time. */
		log_warn("statement function %s is gone: sending its text", f->name);
		f->present = false;
		PQclear(last);
		return db_run(db, stmt, params, out);
	}
	metrics_db_error();
	int status = classify(last);
	log_warn("query %s failed: SQLSTATE %s", stmt->name, state ? state : "none");
	PQclear(last);
	if (status == DB_UNAVAILABLE)
		db_failed(db, "error");
	return status;
lost:
	PQclear(last);
	db_failed(db, "connection lost");
	return DB_UNAVAILABLE;
}

static int exec_on(struct db *db, const struct db_stmt *stmt, const char *const *params, PGresult **out)
{
	*out = NULL;
	bool was_connected = db->conn != NULL;
	int rc = db_ensure(db);
	if (rc != DB_OK)
		return rc;
	db->timed_out = false;
	int64_t started = now_us();
	rc = db_run(db, stmt, params, out);
	/* A connection that died while idle (a database restart) is noticed
	 * only now; a read-only statement is safe to send once more. One that
	 * overran its deadline is not: the request's time is spent. */
	if (rc == DB_UNAVAILABLE && was_connected && stmt->read_only && !db->conn && !db->timed_out) {
		db->next_attempt_ms = 0;
		if (db_ensure(db) == DB_OK)
			rc = db_run(db, stmt, params, out);
	}
	int64_t spent = now_us() - started;
	db->spent_us += spent;
	metrics_db_query(spent);
	return rc;
}

#define LAG_CHECK_MS 1000

/* Whether reads may go to the replica now: it is connected (or may try to
 * connect: its backoff keeps a dead standby cheap) and, checked at most once
 * a second, not further behind than replica_max_lag. */
static bool replica_usable(struct db *replica)
{
	if (db_ensure(replica) != DB_OK)
		return false;
	int64_t now = now_ms();
	if (now - replica->lag_checked_ms >= LAG_CHECK_MS) {
		PGresult *r;
		replica->lag_checked_ms = now;
		bool was_lagging = replica->lagging;
		replica->lagging = true;
		if (db_run(replica, &replica_lag, NULL, &r) == DB_OK) {
			long long lag = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
			replica->lagging = lag > replica->conf->replica_max_lag_ms;
			PQclear(r);
			if (replica->lagging && !was_lagging)
				log_warn("replica is %lld ms behind (over replica_max_lag): reading from the primary", lag);
		}
	}
	return replica->conn && !replica->lagging;
}

/* Read-only statements go to the replica when one is configured and usable,
 * and fall back to the primary without the client noticing when it is
 * away. A read that finds nothing there is asked again of the primary, so
 * that what was just written (a key added a moment ago) is always found:
 * the price is a second query on misses only. */
int db_exec(struct db *db, const struct db_stmt *stmt, const char *const *params, PGresult **out)
{
	if (stmt->read_only && db->replica && replica_usable(db->replica)) {
		int rc = exec_on(db->replica, stmt, params, out);
		if (rc == DB_OK && PQntuples(*out) > 0)
			return DB_OK;
		if (rc == DB_OK)
			PQclear(*out);
		else if (rc != DB_UNAVAILABLE)
			return rc;	/* bad input fails on the primary too */
	}
	return exec_on(db, stmt, params, out);
}

bool db_ping(struct db *db, const struct db_stmt *stmt)
{
	PGresult *res;
	if (db_exec(db, stmt, NULL, &res) != DB_OK)
		return false;
	PQclear(res);
	return true;
}

int64_t db_take_time(struct db *db)
{
	int64_t spent = db->spent_us;
	db->spent_us = 0;
	if (db->replica) {
		spent += db->replica->spent_us;
		db->replica->spent_us = 0;
	}
	return spent;
}
