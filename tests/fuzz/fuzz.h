/* Shared by the libFuzzer harnesses of tests/fuzz/: an invariant check that
 * aborts (libFuzzer then saves the input), and a NUL-terminated copy of the
 * input for the parsers that take C strings. */
#ifndef GLIA_FUZZ_H
#define GLIA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* data[0..size) as a C string (an embedded NUL ends it early, as it would
 * in a FastCGI parameter). Free with free(). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
