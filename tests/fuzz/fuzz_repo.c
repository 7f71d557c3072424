/* repo_parse_gl_repository and repo_parse_path (src/api/repo.c): which
 * repository a git call names. Invariants: an accepted gl_repository is
 * exactly "<type>-<id>" with id >= 1 and prints back to the input; a path
 * taken as valid points into the input and is made of segments GitLab's
 * PathRegex allows, so no "", ".", ".." or "-x" segment and no byte outside
 * [A-Za-z0-9_./-] can reach a query. */
#include "config.h"
#include "api/repo.h"
#include "fuzz.h"

#include <stdbool.h>

static bool segments_ok(const char *s, size_t len, size_t *count)
{
	size_t start = 0;
	*count = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '/') {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
			      c == '-' || c == '.'))
				return false;
			continue;
		}
		size_t sl = i - start;
		if (sl == 0 || s[start] == '-' || s[i - 1] == '.' || !repo_valid_segment(s + start, sl))
			return false;
		(*count)++;
		start = i + 1;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);	/* exactly size bytes, no NUL */
	enum repo_type type;
	long long id = 0;
	struct repo_ref ref;

	memcpy(s, data, size);
	if (repo_parse_gl_repository(s, size, &type, &id) == 0) {
		static const char *const names[] = { "project", "wiki", "snippet", "design" };
		char back[64];
		CHECK(type >= REPO_PROJECT && type <= REPO_DESIGN && id >= 1);
		int n = snprintf(back, sizeof back, "%s-%lld", names[type], id);
		CHECK(n > 0 && (size_t)n == size && memcmp(back, s, size) == 0);
	}

	CHECK(repo_parse_path(s, size, &ref) == 0);
	CHECK(ref.type >= REPO_PROJECT && ref.type <= REPO_DESIGN);
	if (ref.path_len > 0)
		CHECK(ref.path >= s && ref.path + ref.path_len <= s + size);
	if (ref.valid) {
		size_t count;
		if (ref.type == REPO_SNIPPET) {
			CHECK(ref.id >= 1);
			if (ref.path_len > 0)
				CHECK(segments_ok(ref.path, ref.path_len, &count) && count >= 2);
		} else {
			CHECK(ref.path && segments_ok(ref.path, ref.path_len, &count) && count >= 2);
		}
	}
	for (size_t i = 0; i < size && i < 300; i++)
		(void)repo_valid_segment(s, i);
	free(s);
	return 0;
}
