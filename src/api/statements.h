/* Every statement of every handler, in NULL-terminated lists: what a
 * worker's connection prepares (or calls as functions, stmtfn.h), and what
 * glia-admin migrate makes functions of. api.c gathers each family's list. */
#ifndef GLIA_API_STATEMENTS_H
#define GLIA_API_STATEMENTS_H

#include "db.h"

extern const struct db_stmt *const *const api_statements[];

#endif
