/* Per-request memory: everything a request allocates comes from its arena
 * and is released at once when the request ends. */
#ifndef GLIA_ARENA_H
#define GLIA_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t total;		/* bytes allocated from the system */
	size_t limit;		/* allocations beyond this fail */
};

void arena_init(struct arena *a, size_t limit);
/* NULL when out of memory or over the limit. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees all but the first chunk, which is kept for the next request. */
void arena_reset(struct arena *a);
void arena_destroy(struct arena *a);

#endif
