/* The `changes` parameter of the git hooks. Stricter than GitLab, which
 * splits on whitespace and takes what comes: a line that is not two object
 * names and a ref is refused, so no check runs on half a change. */
#include "config.h"
#include "api/changes.h"
#include "arena.h"

#include <string.h>

static bool object_name(const char *s, size_t len)
{
	if (len != 40 && len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Git's own rules are longer; these are the bytes that could never be in a
 * ref and would confuse a log or a message. */
static bool ref_name(const char *s, size_t len)
{
	if (len == 0 || len > MAX_REF)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == ' ')
			return false;
	}
	return true;
}

long changes_parse(struct arena *a, const char *text, size_t len, size_t max, struct change **out)
{
	size_t lines = 1;
	for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		lines++;
	if (lines > max + 1)
		return -1;
	/* One copy of the text, cut into the fields in place: a push of 100 000
	 * refs costs its own size and a struct a change, not three
	 * allocations a line. */
	char *copy = arena_alloc(a, len + 1);
	struct change *list = arena_alloc(a, lines * sizeof *list);
	long n = 0;
	if (!copy || !list)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (size_t i = 0; i < len;) {
		char *line = copy + i;
		char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		i += ll + 1;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			continue;
		char *sp1 = memchr(line, ' ', ll);
		char *sp2 = sp1 ? memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - line)) : NULL;
		if (!sp2)
			return -1;
		size_t l1 = (size_t)(sp1 - line), l2 = (size_t)(sp2 - sp1 - 1), l3 = ll - (size_t)(sp2 + 1 - line);
		if (!object_name(line, l1) || !object_name(sp1 + 1, l2) || l1 != l2 || !ref_name(sp2 + 1, l3))
			return -1;
		if ((size_t)n >= max)
			return -1;
		*sp1 = *sp2 = line[ll] = '\0';
		list[n].oldrev = line;
		list[n].newrev = sp1 + 1;
		list[n].ref = sp2 + 1;
		n++;
	}
	*out = list;
	return n;
}

bool change_blank(const char *rev)
{
	return rev[strspn(rev, "0")] == '\0';
}

const char *change_branch(const struct change *c)
{
	return strncmp(c->ref, "refs/heads/", 11) == 0 && c->ref[11] ? c->ref + 11 : NULL;
}
