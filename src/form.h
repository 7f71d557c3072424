/* application/x-www-form-urlencoded: strict percent-decoding and splitting
 * into name/value pairs, for query strings and form bodies alike. */
#ifndef GLIA_FORM_H
#define GLIA_FORM_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

/* Decodes s[0..len): "%XX" with two hex digits, '+' as a space. Refuses a
 * malformed escape, a NUL byte (raw or %00) and invalid UTF-8. Returns the
 * decoded string (arena) with its length in *out_len, or NULL. */
char *form_decode(struct arena *a, const char *s, size_t len, size_t *out_len);

/* The same, with '+' a space only when plus_is_space (a path keeps it). */
char *percent_decode(struct arena *a, const char *s, size_t len, bool plus_is_space, size_t *out_len);

enum form_status { FORM_OK = 0, FORM_BAD = -1, FORM_TOO_MANY = -2, FORM_NOMEM = -3 };

/* Calls add(ctx, name, name_len, value, value_len) for each decoded pair of
 * s[0..len), in order; empty pairs ("a=1&&b=2") are skipped and a pair
 * without '=' has the value NULL (Rack's nil; "a=" is ""). Stops with the
 * first error from add. */
int form_parse(struct arena *a, const char *s, size_t len,
	       int (*add)(void *ctx, const char *name, size_t name_len, const char *value, size_t value_len),
	       void *ctx);

#endif
