/* glia-admin migrate: applies migrations_dir/NNNN_name.sql in lexical order,
 * each file in its own transaction together with its row in
 * glia_schema_migrations, under an advisory lock so that two runs cannot
 * interleave. An applied file that changed, or an applied version whose file
 * is gone, stops everything: the database no longer matches the source. */
#include "config.h"
#include "admin/admin.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* pg_advisory_lock key: "glia" in ASCII. The only other advisory lock glia
 * takes is a transaction's, on one agent's configuration (the pair
 * 1735158115 and the agent: db/migrations/0007). */
#define MIGRATE_LOCK_KEY "1735158113"
#define MIGRATION_MAX_SIZE (16L * 1024 * 1024)

struct migration {
	char file[256];		/* 0001_initial.sql */
	char version[32];	/* 0001 */
	char name[224];		/* initial */
	char checksum[65];	/* hex SHA-256 of the file */
	char *sql;
	int applied;		/* index into the applied rows, or -1 */
};

struct applied {
	char version[32];
	char name[224];
	char checksum[65];
	char applied_at[40];
	bool has_file;
};

struct plan {
	struct migration *files;
	size_t nfiles;
	struct applied *rows;
	size_t nrows;
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].sql);
	free(p->files);
	free(p->rows);
}

/* NNNN_name.sql: digits, '_', then letters, digits, '_' or '-'. */
static bool migration_name_split(const char *file, struct migration *m)
{
	size_t len = strlen(file), digits = strspn(file, "0123456789");

	if (len < 5 || strcmp(file + len - 4, ".sql") != 0)
		return false;
	if (digits == 0 || digits >= sizeof m->version || file[digits] != '_')
		return false;
	const char *name = file + digits + 1;
	size_t name_len = len - 4 - digits - 1;
	if (name_len == 0 || name_len >= sizeof m->name)
		return false;
	for (size_t i = 0; i < name_len; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || ch == '-'))
			return false;
	}
	memcpy(m->version, file, digits);
	m->version[digits] = '\0';
	memcpy(m->name, name, name_len);
	m->name[name_len] = '\0';
	return true;
}

static int sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -1;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The first word of each top-level statement, skipping strings, quoted
 * identifiers, comments and dollar-quoted bodies (where plpgsql's own BEGIN
 * and END live). Returns the line of the first statement that would end or
 * start a transaction, or 0: such a statement would commit part of the file
 * outside its bookkeeping row, so it is refused before anything runs. */
static int transaction_control_line(const char *sql)
{
	static const char *const words[] = { "BEGIN", "COMMIT", "ROLLBACK", "END", "ABORT", "START",
					     "SAVEPOINT", "RELEASE", "PREPARE", NULL };
	const char *p = sql;
	int line = 1;
	bool statement_start = true;

	while (*p) {
		if (*p == '\n') {
			line++;
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			/* Nested comments, as PostgreSQL allows. */
			int depth = 0;
			do {
				if (p[0] == '/' && p[1] == '*')
					depth++, p += 2;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p += 2;
				else
					line += *p++ == '\n';
			} while (*p && depth > 0);
		} else if (*p == '\'' || *p == '"') {
			char q = *p++;
			/* A doubled quote is an escaped one; E'' backslashes too. */
			bool backslash = q == '\'' && p >= sql + 2 && (p[-2] == 'E' || p[-2] == 'e');
			while (*p && !(*p == q && p[1] != q)) {
				if (*p == q || (backslash && *p == '\\' && p[1]))
					p++;
				line += *p++ == '\n';
			}
			if (*p)
				p++;
			statement_start = false;
		} else if (*p == '$' && (p[1] == '$' || ((p[1] >= 'A' && p[1] <= 'Z') || (p[1] >= 'a' && p[1] <= 'z') || p[1] == '_'))) {
			size_t tag = 1 + strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
			if (p[tag] != '$') {
				p++;
				continue;
			}
			tag++;
			const char *body = p + tag, *end = body;
			while ((end = strchr(end, '$')) && strncmp(end, p, tag) != 0)
				end++;
			for (const char *c = p; c < (end ? end : body + strlen(body)); c++)
				line += *c == '\n';
			p = end ? end + tag : body + strlen(body);
			statement_start = false;
		} else if (*p == ';') {
			statement_start = true;
			p++;
		} else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '(') {
			p++;
		} else {
			size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_");
			if (statement_start)
				for (size_t i = 0; words[i]; i++)
					if (n == strlen(words[i]) && strncasecmp(p, words[i], n) == 0)
						return line;
			statement_start = false;
			p += n ? n : 1;
		}
	}
	return 0;
}

static int read_migration(const char *dir, struct migration *m)
{
	char path[4096];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, m->file);
	f = fopen(path, "rbe");
	if (!f)
		return admin_fail("%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MIGRATION_MAX_SIZE) {
		fclose(f);
		return admin_fail("%s: not a regular file of at most %ld bytes", path, MIGRATION_MAX_SIZE);
	}
	m->sql = malloc((size_t)st.st_size + 1);
	if (!m->sql) {
		fclose(f);
		return admin_fail("out of memory");
	}
	size_t len = fread(m->sql, 1, (size_t)st.st_size, f);
	int read_error = ferror(f) || len != (size_t)st.st_size;
	fclose(f);
	if (read_error)
		return admin_fail("%s: read error", path);
	m->sql[len] = '\0';
	/* libpq sends the text as a C string: a NUL would cut it short. */
	if (!utf8_valid(m->sql, len))
		return admin_fail("%s: not UTF-8 text (or contains a NUL byte)", path);
	if (sha256_hex(m->sql, len, m->checksum) < 0)
		return admin_fail("%s: cannot compute SHA-256", path);
	int line = transaction_control_line(m->sql);
	if (line)
		return admin_fail("%s:%d: a migration must not start or end transactions: "
			    "glia-admin runs each file in its own", path, line);
	return 0;
}

static int cmp_migration(const void *a, const void *b)
{
	return strcmp(((const struct migration *)a)->file, ((const struct migration *)b)->file);
}

/* Every NNNN_name.sql of the directory, read and sorted. Other files are
 * ignored, but a .sql file with a bad name is an error, not a silent skip. */
static int load_files(const char *dir, struct plan *p)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

	if (!d)
		return admin_fail("migrations directory %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		struct migration m = { .applied = -1 };
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		if (len >= sizeof m.file || !migration_name_split(e->d_name, &m)) {
			closedir(d);
			return admin_fail("%s/%s: a migration is named NNNN_name.sql", dir, e->d_name);
		}
		memcpy(m.file, e->d_name, len + 1);
		if (p->nfiles == cap) {
			cap = cap ? 2 * cap : 16;
			struct migration *grown = realloc(p->files, cap * sizeof *grown);
			if (!grown) {
				closedir(d);
				return admin_fail("out of memory");
			}
			p->files = grown;
		}
		p->files[p->nfiles++] = m;
	}
	closedir(d);
	if (p->nfiles)
		qsort(p->files, p->nfiles, sizeof *p->files, cmp_migration);
	for (size_t i = 0; i < p->nfiles; i++) {
		if (i > 0 && strcmp(p->files[i].version, p->files[i - 1].version) == 0)
			return admin_fail("%s/%s and %s share version %s", dir, p->files[i - 1].file, p->files[i].file,
				    p->files[i].version);
		if (read_migration(dir, &p->files[i]) != 0)
			return -1;
	}
	return 0;
}

/* The applied rows, matched to the files. A missing table means none. */
static int load_applied(PGconn *db, struct plan *p)
{
	struct db_err err;
	PGresult *res = admin_query(db, "SELECT to_regclass('glia_schema_migrations') IS NOT NULL", 0, NULL, &err);

	if (!res)
		return admin_fail("reading the applied migrations: %s", err.message);
	bool exists = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!exists)
		return 0;
	res = admin_query(db,
		      "SELECT version, coalesce(name, ''), coalesce(checksum, ''),"
		      "       to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"')"
		      "  FROM glia_schema_migrations ORDER BY version",
		      0, NULL, &err);
	if (!res)
		return admin_fail("reading the applied migrations: %s", err.message);
	p->nrows = (size_t)PQntuples(res);
	p->rows = calloc(p->nrows ? p->nrows : 1, sizeof *p->rows);
	if (!p->rows) {
		PQclear(res);
		return admin_fail("out of memory");
	}
	for (size_t i = 0; i < p->nrows; i++) {
		struct applied *a = &p->rows[i];
		snprintf(a->version, sizeof a->version, "%s", PQgetvalue(res, (int)i, 0));
		snprintf(a->name, sizeof a->name, "%s", PQgetvalue(res, (int)i, 1));
		snprintf(a->checksum, sizeof a->checksum, "%s", PQgetvalue(res, (int)i, 2));
		snprintf(a->applied_at, sizeof a->applied_at, "%s", PQgetvalue(res, (int)i, 3));
		for (size_t f = 0; f < p->nfiles; f++)
			if (strcmp(p->files[f].version, a->version) == 0) {
				p->files[f].applied = (int)i;
				a->has_file = true;
			}
	}
	PQclear(res);
	return 0;
}

/* Whether the applied migrations still match their files; reports each one
 * that does not. */
static bool plan_consistent(const struct plan *p, const char *dir)
{
	bool ok = true;
	for (size_t i = 0; i < p->nrows; i++)
		if (!p->rows[i].has_file) {
			admin_fail("version %s (%s) is applied but %s has no file for it: "
			     "this glia is older than the database",
			     p->rows[i].version, p->rows[i].name, dir);
			ok = false;
		}
	for (size_t f = 0; f < p->nfiles; f++) {
		const struct migration *m = &p->files[f];
		if (m->applied >= 0 && strcmp(p->rows[m->applied].checksum, m->checksum) != 0) {
			admin_fail("%s/%s changed after it was applied (checksum %.12s..., applied %.12s...): "
			     "write a new migration instead",
			     dir, m->file, m->checksum, p->rows[m->applied].checksum);
			ok = false;
		}
	}
	return ok;
}

static int print_status(const struct plan *p)
{
	static const char *const headings[] = { "VERSION", "NAME", "STATE", "APPLIED AT" };
	/* Built as a result set so that print_table aligns it like every list. */
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc cols[4];
	int row = 0;

	if (!res)
		return admin_fail("out of memory");
	memset(cols, 0, sizeof cols);
	for (int c = 0; c < 4; c++)
		cols[c].name = (char *)headings[c];
	if (!PQsetResultAttrs(res, 4, cols)) {
		PQclear(res);
		return admin_fail("out of memory");
	}
	for (size_t f = 0; f < p->nfiles; f++, row++) {
		const struct migration *m = &p->files[f];
		const struct applied *a = m->applied >= 0 ? &p->rows[m->applied] : NULL;
		const char *state = !a ? "pending" : strcmp(a->checksum, m->checksum) ? "CHANGED" : "applied";
		const char *at = a ? a->applied_at : "-";
		if (!PQsetvalue(res, row, 0, (char *)m->version, (int)strlen(m->version)) ||
		    !PQsetvalue(res, row, 1, (char *)m->name, (int)strlen(m->name)) ||
		    !PQsetvalue(res, row, 2, (char *)state, (int)strlen(state)) ||
		    !PQsetvalue(res, row, 3, (char *)at, (int)strlen(at))) {
			PQclear(res);
			return admin_fail("out of memory");
		}
	}
	for (size_t i = 0; i < p->nrows; i++) {
		const struct applied *a = &p->rows[i];
		if (a->has_file)
			continue;
		if (!PQsetvalue(res, row, 0, (char *)a->version, (int)strlen(a->version)) ||
		    !PQsetvalue(res, row, 1, (char *)a->name, (int)strlen(a->name)) ||
		    !PQsetvalue(res, row, 2, "NO FILE", 7) ||
		    !PQsetvalue(res, row, 3, (char *)a->applied_at, (int)strlen(a->applied_at))) {
			PQclear(res);
			return admin_fail("out of memory");
		}
		row++;
	}
	print_table(res, headings);
	PQclear(res);
	return ADMIN_OK;
}

/* The line of a 1-based character position that the server reports. */
static int line_of(const char *sql, long position)
{
	int line = 1;
	long chars = 0;
	for (const char *s = sql; *s && chars < position - 1; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			chars++;
		if (*s == '\n')
			line++;
	}
	return line;
}

static int apply_one(PGconn *db, const char *dir, const struct migration *m)
{
	struct db_err err;
	const char *params[] = { m->version, m->name, m->checksum };

	if (db_begin(db, &err) != 0)
		return admin_fail("%s: %s", m->file, err.message);
	/* A migration is many statements, and trusted text from the package:
	 * the one place where PQexec, which runs a script, is needed. */
	PGresult *res = PQexec(db, m->sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
		char msg[512];
		const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		snprintf(msg, sizeof msg, "%s", primary ? primary : PQerrorMessage(db));
		msg[strcspn(msg, "\n")] = '\0';
		PQclear(res);
		db_rollback(db);
		if (pos)
			return admin_fail("%s/%s:%d: %s (nothing of it was applied)", dir, m->file,
				    line_of(m->sql, strtol(pos, NULL, 10)), msg);
		return admin_fail("%s/%s: %s (nothing of it was applied)", dir, m->file, msg);
	}
	PQclear(res);
	/* A COMMIT inside the file would have ended our transaction early and
	 * left the rest of the file outside it. */
	if (PQtransactionStatus(db) != PQTRANS_INTRANS) {
		if (PQtransactionStatus(db) != PQTRANS_IDLE)
			db_rollback(db);
		return admin_fail("%s/%s: a migration must not end the transaction (BEGIN/COMMIT/ROLLBACK)", dir, m->file);
	}
	if (admin_command(db, "INSERT INTO glia_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
		   3, params, &err) != 0 ||
	    db_commit(db, &err) != 0) {
		db_rollback(db);
		return admin_fail("%s/%s: recording it: %s", dir, m->file, err.message);
	}
	return 0;
}

static int take_lock(PGconn *db)
{
	struct db_err err;
	const char *params[] = { MIGRATE_LOCK_KEY };
	PGresult *res = admin_query(db, "SELECT pg_try_advisory_lock($1::bigint)", 1, params, &err);

	if (!res)
		return admin_fail("taking the migration lock: %s", err.message);
	bool got = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (got)
		return 0;
	fprintf(stderr, "%s: waiting for another glia-admin migrate to finish\n", ADMIN_NAME);
	if (admin_command(db, "SELECT pg_advisory_lock($1::bigint)", 1, params, &err) != 0)
		return admin_fail("taking the migration lock: %s", err.message);
	return 0;
}

static int migrate(struct admin *a, bool status_only)
{
	struct plan p = { 0 };
	struct db_err err;
	const char *dir = a->conf.migrations_dir;
	int rc = ADMIN_FAIL;
	size_t applied_now = 0;

	if (load_files(dir, &p) != 0 || admin_connect(a) != 0)
		goto out;
	if (status_only) {
		if (load_applied(a->db, &p) != 0)
			goto out;
		print_status(&p);
		rc = plan_consistent(&p, dir) ? ADMIN_OK : ADMIN_FAIL;
		goto out;
	}
	if (take_lock(a->db) != 0)
		goto out;
	/* Read under the lock: another run may just have applied some. */
	if (admin_command(a->db,
		   "CREATE TABLE IF NOT EXISTS glia_schema_migrations ("
		   " version text PRIMARY KEY,"
		   " name text NOT NULL,"
		   " checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
		   " applied_at timestamptz NOT NULL DEFAULT now())",
		   0, NULL, &err) != 0) {
		admin_fail("creating glia_schema_migrations: %s", err.message);
		goto out;
	}
	if (load_applied(a->db, &p) != 0 || !plan_consistent(&p, dir))
		goto out;
	for (size_t f = 0; f < p.nfiles; f++) {
		if (p.files[f].applied >= 0)
			continue;
		if (apply_one(a->db, dir, &p.files[f]) != 0)
			goto out;
		printf("applied %s\n", p.files[f].file);
		fflush(stdout);
		applied_now++;
	}
	if (applied_now == 0)
		printf("database is up to date (%zu migration%s applied)\n", p.nfiles, p.nfiles == 1 ? "" : "s");
	rc = statement_functions_ensure(a->db);
out:
	/* The lock ends with the session too; unlocking is only tidiness. */
	if (a->db && !status_only) {
		const char *params[] = { MIGRATE_LOCK_KEY };
		PGresult *res = PQexecParams(a->db, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, params,
					     NULL, NULL, 0);
		PQclear(res);
	}
	plan_free(&p);
	return rc;
}

int cmd_migrate(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "status", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool status_only = false;
	int c;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			status_only = true;
			break;
		case 'h':
			print_help();
			return ADMIN_OK;
		default:
			return option_error(c, argv);
		}
	}
	if (optind < argc)
		return usage_error("migrate: unexpected argument \"%s\"", argv[optind]);
	if (admin_load_config(a) != 0)
		return ADMIN_FAIL;
	return migrate(a, status_only);
}
