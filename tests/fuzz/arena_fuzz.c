/* The arena of src/arena.c with one malloc per allocation, for the fuzz
 * harnesses only: AddressSanitizer then sees every allocation's end, where
 * the bump allocator of the service would hide an overflow inside a chunk.
 * Same interface and the same limit accounting. */
#include "config.h"
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	_Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a, size_t limit)
{
	a->head = NULL;
	a->total = 0;
	a->limit = limit;
}

void *arena_alloc(struct arena *a, size_t n)
{
	if (n > a->limit || a->total > a->limit - n)
		return NULL;
	struct arena_chunk *c = malloc(sizeof *c + (n ? n : 1));
	if (!c)
		return NULL;
	c->size = n;
	c->next = a->head;
	a->head = c;
	a->total += n;
	return c->data;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_destroy(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}

void arena_reset(struct arena *a)
{
	arena_destroy(a);
}
