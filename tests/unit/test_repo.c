/* Repository names (gl_repository, project paths, hashed storage) and the
 * per-change branch and tag checks of a push. */
#include "config.h"
#include "tests.h"
#include "api/changes.h"
#include "api/refcheck.h"
#include "api/repo.h"
#include "arena.h"
#include "request.h"

#include <string.h>

static const struct { const char *in; int rc; enum repo_type type; long long id; } gl_cases[] = {
	{ "project-1", 0, REPO_PROJECT, 1 }, { "wiki-42", 0, REPO_WIKI, 42 },
	{ "snippet-7", 0, REPO_SNIPPET, 7 }, { "design-3", 0, REPO_DESIGN, 3 },
	{ "project-9223372036854775807", 0, REPO_PROJECT, 9223372036854775807LL },
	{ "project-", -1, 0, 0 }, { "project-abc", -1, 0, 0 }, { "project-0", -1, 0, 0 },
	{ "project--1", -1, 0, 0 }, { "project-01", -1, 0, 0 }, { "project-1 ", -1, 0, 0 },
	{ "project-99999999999999999999", -1, 0, 0 }, { "project-9223372036854775808", -1, 0, 0 },
	{ "group-5-wiki", -1, 0, 0 }, { "project-5-wiki", -1, 0, 0 }, { "Project-1", -1, 0, 0 },
	{ "", -1, 0, 0 }, { "project", -1, 0, 0 }, { "projec-1", -1, 0, 0 }, { "project-1 OR 1=1", -1, 0, 0 },
};

START_TEST(gl_repository_parsing)
{
	enum repo_type type = REPO_PROJECT;
	long long id = 0;
	int rc = repo_parse_gl_repository(gl_cases[_i].in, strlen(gl_cases[_i].in), &type, &id);
	ck_assert_msg(rc == gl_cases[_i].rc, "repo_parse_gl_repository(\"%s\") = %d", gl_cases[_i].in, rc);
	if (rc == 0) {
		ck_assert_int_eq(type, gl_cases[_i].type);
		ck_assert_int_eq(id, gl_cases[_i].id);
	}
}
END_TEST

static const struct {
	const char *in;
	bool valid;
	enum repo_type type;
	const char *path;	/* project path, NULL: not checked */
	long long id;		/* snippet id */
} path_cases[] = {
	{ "gnuwget/wget2", true, REPO_PROJECT, "gnuwget/wget2", 0 },
	{ "/gnuwget/wget2.git", true, REPO_PROJECT, "gnuwget/wget2", 0 },
	{ "a/b/c/d", true, REPO_PROJECT, "a/b/c/d", 0 },
	{ "group/proj.wiki.git", true, REPO_WIKI, "group/proj", 0 },
	{ "group/proj.wiki", true, REPO_WIKI, "group/proj", 0 },
	{ "group/proj.design", true, REPO_DESIGN, "group/proj", 0 },
	{ "snippets/5", true, REPO_SNIPPET, "", 5 },
	{ "/snippets/5.git", true, REPO_SNIPPET, "", 5 },
	{ "group/proj/snippets/7", true, REPO_SNIPPET, "group/proj", 7 },
	{ "group/proj/snippets/7.git", true, REPO_SNIPPET, "group/proj", 7 },
	{ "my_group/.dotted/x-y", true, REPO_PROJECT, "my_group/.dotted/x-y", 0 },
	{ "gnuwget", false, REPO_PROJECT, NULL, 0 },
	{ "", false, REPO_PROJECT, NULL, 0 },
	{ "/", false, REPO_PROJECT, NULL, 0 },
	{ "../../etc/passwd", false, REPO_PROJECT, NULL, 0 },
	{ "group/../other", false, REPO_PROJECT, NULL, 0 },
	{ "a//b", false, REPO_PROJECT, NULL, 0 },
	{ "a/b/", false, REPO_PROJECT, NULL, 0 },
	{ "//a/b", false, REPO_PROJECT, NULL, 0 },
	{ "-flag/x", false, REPO_PROJECT, NULL, 0 },
	{ "a/b.git/..", false, REPO_PROJECT, NULL, 0 },
	{ "a/b.git.git", false, REPO_PROJECT, NULL, 0 },
	{ "a/b.atom", false, REPO_PROJECT, NULL, 0 },
	{ "a/b.", false, REPO_PROJECT, NULL, 0 },
	{ "a/%2e%2e", false, REPO_PROJECT, NULL, 0 },
	{ "a/b c", false, REPO_PROJECT, NULL, 0 },
	{ "a/b'", false, REPO_PROJECT, NULL, 0 },
	{ "a/\xc3\xa9", false, REPO_PROJECT, NULL, 0 },
	{ "../x.wiki", false, REPO_WIKI, NULL, 0 },
	{ "../snippets/5", false, REPO_SNIPPET, NULL, 0 },
	{ "snippets/0", false, REPO_PROJECT, NULL, 0 },
	{ "snippets/x", false, REPO_PROJECT, NULL, 0 },
};

START_TEST(path_parsing)
{
	struct repo_ref ref;
	const char *in = path_cases[_i].in;
	ck_assert_int_eq(repo_parse_path(in, strlen(in), &ref), 0);
	ck_assert_msg(ref.valid == path_cases[_i].valid, "\"%s\": valid = %d", in, ref.valid);
	ck_assert_msg(ref.type == path_cases[_i].type, "\"%s\": type = %d", in, ref.type);
	if (path_cases[_i].path) {
		ck_assert_uint_eq(ref.path_len, strlen(path_cases[_i].path));
		ck_assert(memcmp(ref.path, path_cases[_i].path, ref.path_len) == 0);
	}
	if (path_cases[_i].type == REPO_SNIPPET && path_cases[_i].valid)
		ck_assert_int_eq(ref.id, path_cases[_i].id);
}
END_TEST

START_TEST(long_paths)
{
	char path[3000];
	struct repo_ref ref;

	memset(path, 'a', sizeof path);
	path[1] = '/';
	repo_parse_path(path, 257, &ref);	/* a 255-byte segment */
	ck_assert(ref.valid);
	repo_parse_path(path, 258, &ref);	/* 256 */
	ck_assert(!ref.valid);
	for (size_t i = 1; i < sizeof path; i += 2)
		path[i] = '/';
	repo_parse_path(path, 2047, &ref);
	ck_assert(ref.valid);
	repo_parse_path(path, 2051, &ref);
	ck_assert(!ref.valid);
}
END_TEST

START_TEST(hashed_paths)
{
	char out[128];
	ck_assert_int_eq(repo_hashed_path("@hashed", 1, ".git", out, sizeof out), 0);
	ck_assert_str_eq(out, "@hashed/6b/86/6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b.git");
	ck_assert_int_eq(repo_hashed_path("@hashed", 3, ".wiki.git", out, sizeof out), 0);
	ck_assert_str_eq(out,
		"@hashed/4e/07/4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce.wiki.git");
	ck_assert_int_eq(repo_hashed_path("@snippets", 1, ".git", out, sizeof out), 0);
	ck_assert_str_eq(out, "@snippets/6b/86/6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b.git");
	ck_assert_int_eq(repo_hashed_path("@hashed", 1, ".git", out, 20), -1);
}
END_TEST

static const struct { const char *pattern, *name; bool match; } match_cases[] = {
	{ "main", "main", true }, { "main", "main2", false }, { "main", "mai", false },
	{ "release/*", "release/1.0", true }, { "release/*", "release/", true }, { "release/*", "release", false },
	{ "*-stable", "1-2-stable", true }, { "*-stable", "stable", false }, { "*", "anything/at/all", true },
	{ "a*b*c", "aXXbYYc", true }, { "a*b*c", "aXXbYY", false }, { "v*", "v1.0", true },
	{ "?", "a", false }, { "[ab]", "a", false },
};

START_TEST(ref_matching)
{
	ck_assert_msg(refcheck_name_matches(match_cases[_i].pattern, match_cases[_i].name) == match_cases[_i].match,
		      "%s ~ %s", match_cases[_i].pattern, match_cases[_i].name);
}
END_TEST

#define Z "0000000000000000000000000000000000000000"
#define A "d14d6c0abdd253381df51a723d58691b2ee1ab08"
#define B "570e7b2abdd848b95f2f578043fc23bd6f6fd24d"

static const struct protected_ref refs[] = {
	{ false, "main", 40, false, 40, false },
	{ false, "release/*", 0, false, 40, false },
	{ false, "stable-*", 30, false, 30, false },
	{ true, "v*", 40, false, -1, false },
};
static const struct ref_rights developer = { false, 30, true }, maintainer = { false, 40, true },
				 admin = { true, 0, true }, reporter = { false, 20, false };

static const struct {
	const char *old, *new, *ref;
	const struct ref_rights *who;
	const char *msg;	/* prefix of the refusal, NULL: allowed */
} change_cases[] = {
	{ A, B, "refs/heads/feature", &developer, NULL },
	{ A, B, "refs/heads/feature", &reporter, "You are not allowed to push code to this project." },
	{ A, B, "refs/heads/main", &developer, "You are not allowed to push code to protected branches" },
	{ A, B, "refs/heads/main", &maintainer, NULL },
	{ A, B, "refs/heads/main", &admin, NULL },
	{ A, Z, "refs/heads/main", &admin, "The default branch of a project cannot be deleted." },
	{ A, Z, "refs/heads/stable-1", &maintainer, "You can only delete protected branches using the web" },
	{ A, Z, "refs/heads/stable-1", &developer, "You are not allowed to delete protected branches" },
	{ A, B, "refs/heads/stable-1", &developer, NULL },
	{ A, B, "refs/heads/release/1", &admin, "You are not allowed to push code to protected branches" },
	{ Z, B, "refs/heads/release/1", &maintainer, "You can only create protected branches using the web" },
	{ Z, B, "refs/heads/release/1", &developer, "You are not allowed to create protected branches" },
	{ Z, B, "refs/heads/" A, &developer, "You cannot create a branch with a 40-character hexadecimal" },
	{ A, Z, "refs/heads/" A, &developer, NULL },
	{ Z, B, "refs/tags/x", &developer, NULL },
	{ A, B, "refs/tags/x", &developer, "You are not allowed to change existing tags" },
	{ A, B, "refs/tags/x", &maintainer, NULL },
	{ Z, B, "refs/tags/v1", &developer, "You are not allowed to create this tag as it is protected." },
	{ Z, B, "refs/tags/v1", &maintainer, NULL },
	{ A, B, "refs/tags/v1", &maintainer, "Protected tags cannot be updated." },
	{ A, Z, "refs/tags/v1", &maintainer, "Protected tags cannot be deleted." },
	{ A, B, "refs/merge-requests/1/head", &developer, NULL },
};

START_TEST(change_checks)
{
	struct change c = { change_cases[_i].old, change_cases[_i].new, change_cases[_i].ref };
	struct protected_ref sorted[sizeof refs / sizeof refs[0]];
	memcpy(sorted, refs, sizeof refs);
	refcheck_sort(sorted, sizeof refs / sizeof refs[0]);
	const char *msg = refcheck_change(&c, "main", sorted, sizeof refs / sizeof refs[0], change_cases[_i].who);
	const char *want = change_cases[_i].msg;
	if (!want)
		ck_assert_msg(msg == NULL, "%s: refused with \"%s\"", c.ref, msg);
	else
		ck_assert_msg(msg && strncmp(msg, want, strlen(want)) == 0, "%s: \"%s\"", c.ref, msg ? msg : "(allowed)");
}
END_TEST

/* Many exact rules, given in no order: each name finds its own rule (the
 * binary search), of its own kind, and the patterns still apply. */
START_TEST(many_rules)
{
	enum { N = 1000 };
	static struct protected_ref many[N + 2];
	static char names[N][8];
	char ref[32];
	for (int i = 0; i < N; i++) {
		int k = (i * 7919) % N;	/* a permutation of 0..N-1: no order */
		snprintf(names[i], sizeof names[i], "b%04d", k);
		many[i] = (struct protected_ref){ false, names[i], k % 2 ? 40 : 30, false, 40, false };
	}
	many[N] = (struct protected_ref){ true, "b0500", 40, false, -1, false };
	many[N + 1] = (struct protected_ref){ false, "zz*", 40, false, 40, false };
	refcheck_sort(many, N + 2);
	for (int k = 0; k < N; k++) {
		snprintf(ref, sizeof ref, "refs/heads/b%04d", k);
		struct change c = { A, B, ref };
		const char *msg = refcheck_change(&c, "main", many, N + 2, &developer);
		ck_assert_msg((msg != NULL) == (k % 2 == 1), "%s: %s", ref, msg ? msg : "(allowed)");
	}
	struct change absent = { A, B, "refs/heads/b5000" }, pattern = { A, B, "refs/heads/zz1" };
	struct change tag = { Z, B, "refs/tags/b0500" }, other_tag = { Z, B, "refs/tags/b0501" };
	ck_assert_ptr_null(refcheck_change(&absent, "main", many, N + 2, &developer));
	ck_assert_ptr_nonnull(refcheck_change(&pattern, "main", many, N + 2, &developer));
	ck_assert_ptr_nonnull(refcheck_change(&tag, "main", many, N + 2, &developer));
	ck_assert_ptr_null(refcheck_change(&other_tag, "main", many, N + 2, &developer));
}
END_TEST

/* The protected refs as /allowed's statement returns them. */
START_TEST(protected_refs_json)
{
	struct arena arena;
	struct request req = { .arena = &arena };
	struct protected_ref *got = NULL;

	arena_init(&arena, 1 << 16);
	ck_assert_int_eq(refcheck_parse(&req, "[[false,\"main\",40,false,30,true],[true,\"v*\",null,true,null,false]]",
					&got), 2);
	ck_assert(!got[0].tag);
	ck_assert_str_eq(got[0].name, "main");
	ck_assert_int_eq(got[0].push_level, 40);
	ck_assert(!got[0].push_user);
	ck_assert_int_eq(got[0].merge_level, 30);
	ck_assert(got[0].merge_user);
	ck_assert(got[1].tag);
	ck_assert_str_eq(got[1].name, "v*");
	ck_assert_int_eq(got[1].push_level, -1);
	ck_assert(got[1].push_user);
	ck_assert_int_eq(got[1].merge_level, -1);
	ck_assert_int_eq(refcheck_parse(&req, "[]", &got), 0);
	/* Anything else is refused, never half read. */
	ck_assert_int_eq(refcheck_parse(&req, "{}", &got), -1);
	ck_assert_int_eq(refcheck_parse(&req, "[[false,1,40,false,30,true]]", &got), -1);
	ck_assert_int_eq(refcheck_parse(&req, "[[false,\"main\",40]]", &got), -1);
	ck_assert_int_eq(refcheck_parse(&req, "[\"main\"]", &got), -1);
	ck_assert_int_eq(refcheck_parse(&req, "[[", &got), -1);
	arena_destroy(&arena);
}
END_TEST

Suite *suite_repo(void)
{
	Suite *s = suite_create("repo");
	TCase *tc = tcase_create("repo");
	tcase_add_loop_test(tc, gl_repository_parsing, 0, sizeof gl_cases / sizeof gl_cases[0]);
	tcase_add_loop_test(tc, path_parsing, 0, sizeof path_cases / sizeof path_cases[0]);
	tcase_add_test(tc, long_paths);
	tcase_add_test(tc, hashed_paths);
	tcase_add_loop_test(tc, ref_matching, 0, sizeof match_cases / sizeof match_cases[0]);
	tcase_add_loop_test(tc, change_checks, 0, sizeof change_cases / sizeof change_cases[0]);
	tcase_add_test(tc, many_rules);
	tcase_add_test(tc, protected_refs_json);
	suite_add_tcase(s, tc);
	return s;
}
