/* The `changes` parameter of the git hooks: lines of
 * "<oldrev> <newrev> <refname>", as GitLab's Gitlab::ChangesList. */
#ifndef GLIA_CHANGES_H
#define GLIA_CHANGES_H

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"

struct arena;

struct change {
	const char *oldrev, *newrev;	/* 40 (or 64) hex digits */
	const char *ref;		/* "refs/heads/main" */
};

/* Splits text into changes (blank lines dropped), the fields pointing into
 * one copy of text in a. Returns the number of changes, or -1 for a
 * malformed line, a bad object name, more than max lines (max_changes), or
 * out of memory. */
long changes_parse(struct arena *a, const char *text, size_t len, size_t max, struct change **out);

/* Whether rev is all zeros: the ref is created (oldrev) or deleted (newrev). */
bool change_blank(const char *rev);

/* The branch name of "refs/heads/NAME", else NULL. */
const char *change_branch(const struct change *c);

#endif
