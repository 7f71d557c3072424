/* Statement functions' names and calls (stmtfn.h). */
#include "config.h"
#include "stmtfn.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* FNV-1a, 64 bits: not for secrecy, only to tell texts apart. */
static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

bool stmtfn_name(const struct db_stmt *s, char out[STMTFN_NAME_MAX])
{
	if (strlen(s->name) > STMTFN_STMT_NAME_MAX)
		return false;
	snprintf(out, STMTFN_NAME_MAX, "%s_%016llx", s->name, (unsigned long long)fnv1a64(s->sql));
	return true;
}

bool stmtfn_call(const struct db_stmt *s, char out[STMTFN_CALL_MAX])
{
	char name[STMTFN_NAME_MAX];
	if (!stmtfn_name(s, name) || s->n_params < 0 || s->n_params > 16)
		return false;
	size_t len = (size_t)snprintf(out, STMTFN_CALL_MAX, "SELECT * FROM " STMTFN_SCHEMA ".\"%s\"(", name);
	for (int i = 1; i <= s->n_params; i++)
		len += (size_t)snprintf(out + len, STMTFN_CALL_MAX - len, "%s$%d", i > 1 ? ", " : "", i);
	snprintf(out + len, STMTFN_CALL_MAX - len, ")");
	return true;
}
