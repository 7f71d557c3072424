/* changes_parse (src/api/changes.c): the `changes` parameter of the git
 * hooks. Invariants: a success gives one change per non-blank line, in
 * order, each two object names of the same length (40 or 64 lowercase hex)
 * and a ref of 1..MAX_REF bytes with no space or control byte, and the
 * three fields rebuild the line; a failure is -1. */
#include "config.h"
#include "arena.h"
#include "bounds.h"
#include "api/changes.h"
#include "fuzz.h"

#define FUZZ_MAX_CHANGES 1000

static int is_hex(const char *s)
{
	size_t n = strlen(s);
	if (n != 40 && n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct change *list = NULL;
	char *text = malloc(size ? size : 1);

	memcpy(text, data, size);
	arena_init(&a, ARENA_MAX);
	long n = changes_parse(&a, text, size, FUZZ_MAX_CHANGES, &list);
	CHECK(n >= -1 && n <= FUZZ_MAX_CHANGES);
	if (n >= 0) {
		long k = 0;
		for (size_t i = 0; i < size;) {
			const char *line = text + i;
			const char *nl = memchr(line, '\n', size - i);
			size_t ll = nl ? (size_t)(nl - line) : size - i;
			i += ll + 1;
			if (ll > 0 && line[ll - 1] == '\r')
				ll--;
			if (ll == 0)
				continue;
			CHECK(k < n);
			const struct change *c = &list[k++];
			CHECK(is_hex(c->oldrev) && is_hex(c->newrev) && strlen(c->oldrev) == strlen(c->newrev));
			size_t rl = strlen(c->ref), ol = strlen(c->oldrev);
			CHECK(rl >= 1 && rl <= MAX_REF);
			for (size_t j = 0; j < rl; j++)
				CHECK((unsigned char)c->ref[j] > 0x20 && c->ref[j] != 0x7f);
			CHECK(ll == 2 * ol + rl + 2);
			CHECK(memcmp(line, c->oldrev, ol) == 0 && line[ol] == ' ');
			CHECK(memcmp(line + ol + 1, c->newrev, ol) == 0 && line[2 * ol + 1] == ' ');
			CHECK(memcmp(line + 2 * ol + 2, c->ref, rl) == 0);
			const char *branch = change_branch(c);
			if (branch)
				CHECK(strncmp(c->ref, "refs/heads/", 11) == 0 && strcmp(branch, c->ref + 11) == 0);
			(void)change_blank(c->oldrev);
			(void)change_blank(c->newrev);
		}
		CHECK(k == n);
	}
	arena_destroy(&a);
	free(text);
	return 0;
}
