/* schema = gitlab: glia on a GitLab instance's own database, read only.
 * The statements of the endpoints served there over GitLab's tables, the
 * columns they read, and the check each new connection makes first. */
#ifndef GLIA_API_GITLAB_SCHEMA_H
#define GLIA_API_GITLAB_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

struct db;

/* A column glia reads from GitLab's database; type NULL: any type will do,
 * else what format_type() calls the one glia's SQL relies on. */
struct gitlab_column {
	const char *table;
	const char *column;
	const char *type;
};

extern const struct gitlab_column gitlab_columns[];
extern const size_t n_gitlab_columns;

/* What the check found wrong with one column: no such table, no such
 * column, or another type (found_type). */
struct gitlab_column_problem {
	const struct gitlab_column *column;
	bool table_missing;
	const char *found_type;	/* NULL: the column is missing */
};

/* Writes the message that names what is wrong, one table missing once:
 * "keys.usage_type (missing), users (no such table), keys.created_at
 * (timestamp with time zone, glia reads timestamp without time zone)".
 * Returns the length it needed (snprintf's convention). */
size_t gitlab_schema_describe(const struct gitlab_column_problem *problems, size_t n, char *out, size_t cap);

/* The arrays of table names, column names and types (NULL elements for
 * any type) the check takes, as PostgreSQL array literals: field 0, 1 or
 * 2 of gitlab_columns. Returns the length it needed. */
size_t gitlab_schema_array(int field, char *out, size_t cap);

/* db_connect_check of schema = gitlab: makes the session read-only
 * (default_transaction_read_only), then refuses a database that lacks a
 * table or column glia reads, with an error naming them. */
int gitlab_schema_connect_check(struct db *db, void *arg);

#endif
