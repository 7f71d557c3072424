/* Configuration parsing, the documented key list, and secret files. */
#include "config.h"
#include "conf.h"
#include "secret.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/glia-test-conf-XXXXXX";

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(dir)); }
static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

START_TEST(values_and_units)
{
	struct glia_conf c;
	char err[256];
	conf_defaults(&c);
	const char *path = write_file("a.conf",
				      "# comment\n\n  workers = 8\n"
				      "database = \"host=/run/pg dbname=glia\"\n"
				      "db_query_timeout = 500ms  # inline comment\n"
				      "db_connect_timeout = 2\n"
				      "db_prepare = off\nlisten_mode = 0600\nlog_level = debug\nmax_requests = 0\n",
				      0644);
	ck_assert_msg(conf_load(&c, path, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(c.workers, 8);
	/* external_url loses its trailing slashes: paths bring their own. */
	path = write_file("url.conf", "external_url = https://gitlab.example.com//\n", 0644);
	ck_assert_msg(conf_load(&c, path, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(c.external_url, "https://gitlab.example.com");
	ck_assert_str_eq(c.database, "host=/run/pg dbname=glia");
	ck_assert_int_eq(c.db_query_timeout_ms, 500);
	ck_assert_int_eq(c.db_connect_timeout_ms, 2000);
	ck_assert_int_eq(c.db_prepare, DB_PREPARE_OFF);
	ck_assert_int_eq(c.listen_mode, 0600);
	ck_assert_int_eq(c.max_requests, 0);
	ck_assert_str_eq(c.listen_group, "www-data");	/* default kept */
	ck_assert_int_eq(c.schema, SCHEMA_GLIA);
	path = write_file("gitlab.conf", "schema = gitlab\ndb_prepare = on\n", 0644);
	ck_assert_msg(conf_load(&c, path, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(c.schema, SCHEMA_GITLAB);
	conf_free(&c);
}
END_TEST

static const struct { const char *text; const char *error; } bad_cases[] = {
	{ "workers = 0\n", ":1: workers: expected an integer from 1 to 256" },
	{ "\nworkers = 12abc\n", ":2: workers:" },
	{ "nosuchkey = 1\n", ":1: unknown key \"nosuchkey\"" },
	{ "workers\n", ":1: expected key = value" },
	{ "db_prepare = maybe\n", ":1: db_prepare: expected on, off or pooler" },
	{ "db_query_timeout = 1h\n", ":1: db_query_timeout:" },
	{ "db_query_timeout = -5s\n", ":1: db_query_timeout:" },
	{ "listen_mode = 0999\n", ":1: listen_mode:" },
	{ "log_level = loud\n", ":1: log_level:" },
	{ "schema = rails\n", ":1: schema: expected glia or gitlab, not \"rails\"" },
	/* glia keeps nothing in GitLab's database: no statement functions. */
	{ "schema = gitlab\ndb_prepare = off\n", ": schema = gitlab needs db_prepare = on" },
	{ "db_prepare = pooler\nschema = gitlab\n", ": schema = gitlab needs db_prepare = on" },
};

START_TEST(errors_name_file_and_line)
{
	struct glia_conf c;
	char err[256];
	conf_defaults(&c);
	const char *path = write_file("bad.conf", bad_cases[_i].text, 0644);
	ck_assert_int_eq(conf_load(&c, path, err, sizeof err), -1);
	ck_assert_msg(strstr(err, bad_cases[_i].error) != NULL, "got \"%s\"", err);
	ck_assert(strncmp(err, path, strlen(path)) == 0);
	conf_free(&c);
}
END_TEST

/* etc/glia.conf documents every key of the table, and sets nothing the
 * table does not know. */
START_TEST(shipped_config_documents_every_key)
{
	char path[512], line[1024];
	struct glia_conf c;
	char err[256];
	snprintf(path, sizeof path, "%s/etc/glia.conf", SRCDIR);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	static char text[65536];
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	for (size_t i = 0; i < conf_key_count(); i++) {
		snprintf(line, sizeof line, "\n#%s = ", conf_key_name(i));
		char line2[256];
		snprintf(line2, sizeof line2, "\n%s = ", conf_key_name(i));
		ck_assert_msg(strstr(text, line) || strstr(text, line2), "etc/glia.conf lacks %s", conf_key_name(i));
	}
	conf_defaults(&c);
	ck_assert_msg(conf_load(&c, path, err, sizeof err) == 0, "%s", err);
	conf_free(&c);
}
END_TEST

START_TEST(secret_files)
{
	struct glia_conf c;
	struct secrets s;
	char err[256];
	conf_defaults(&c);
	free(c.shell_secret_file);
	c.shell_secret_file = strdup(write_file("shell", "0a1b2c3d\n", 0600));
	ck_assert_msg(secrets_load(&s, &c, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(s.shell_len, 8);
	ck_assert(memcmp(s.shell, "0a1b2c3d", 8) == 0);

	write_file("shell", "0a1b2c3d\n", 0644);
	ck_assert_int_eq(secrets_load(&s, &c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "readable or writable by others"));
	write_file("shell", "\n", 0600);
	ck_assert_int_eq(secrets_load(&s, &c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty secret"));
	write_file("shell", "0a1b2c3d\n", 0600);

	free(c.kas_secret_file);
	c.kas_secret_file = strdup(write_file("kas", "c2hvcnQ=\n", 0600));	/* "short" */
	ck_assert_int_eq(secrets_load(&s, &c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "exactly 32 bytes"));
	write_file("kas", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=\n", 0600);
	ck_assert_msg(secrets_load(&s, &c, err, sizeof err) == 0, "%s", err);
	ck_assert(s.has_kas);
	ck_assert(memcmp(s.kas, "01234567890123456789012345678901", 32) == 0);

	/* db_key_base: the bare value, one line ending at most; anything
	 * else would key every LFS token wrongly, so it is refused. */
	static const struct {
		const char *text, *reason;	/* reason NULL: accepted */
		size_t len;
	} dkb[] = {
		{ "0a1b2c\n", NULL, 6 },
		{ "0a1b2c\r\n", NULL, 6 },
		{ "0a1b2c", NULL, 6 },
		{ "\"0a1b2c\"\n", "double quotes", 0 },
		{ "0a1b2c\r\r\n", "carriage return", 0 },
		{ "0a\r1b2c\n", "carriage return", 0 },
		{ "0a1b2c\n\n", "more than one line", 0 },
		{ " 0a1b2c\n", "whitespace", 0 },
		{ "0a1b2c \n", "whitespace", 0 },
		{ "0a1b2c\t\n", "whitespace", 0 },
	};
	free(c.db_key_base_file);
	c.db_key_base_file = strdup(write_file("dkb", "x", 0600));
	c.schema = SCHEMA_GITLAB;
	for (size_t i = 0; i < sizeof dkb / sizeof dkb[0]; i++) {
		write_file("dkb", dkb[i].text, 0600);
		int rc = secrets_load(&s, &c, err, sizeof err);
		if (!dkb[i].reason) {
			ck_assert_msg(rc == 0, "case %zu: %s", i, err);
			ck_assert_uint_eq(s.db_key_base_len, dkb[i].len);
			ck_assert(memcmp(s.db_key_base, "0a1b2c", 6) == 0);
		} else {
			ck_assert_msg(rc == -1, "case %zu accepted", i);
			ck_assert_msg(strstr(err, dkb[i].reason) && strstr(err, c.db_key_base_file), "case %zu: %s", i,
				      err);
		}
	}
	/* With glia's own schema the file is not read at all. */
	c.schema = SCHEMA_GLIA;
	write_file("dkb", "\"0a1b2c\"\n", 0600);
	ck_assert_msg(secrets_load(&s, &c, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(s.db_key_base_len, 0);

	free(c.shell_secret_file);
	snprintf(err, sizeof err, "%s/missing", dir);
	c.shell_secret_file = strdup(err);
	ck_assert_int_eq(secrets_load(&s, &c, err, sizeof err), -1);
	conf_free(&c);
}
END_TEST

Suite *suite_conf(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, values_and_units);
	tcase_add_loop_test(tc, errors_name_file_and_line, 0, sizeof bad_cases / sizeof bad_cases[0]);
	tcase_add_test(tc, shipped_config_documents_every_key);
	tcase_add_test(tc, secret_files);
	suite_add_tcase(s, tc);
	return s;
}
