/* glia-admin import: loads a data set (the format of
 * contrib/dev/demo-data.json, described in glia-admin(8)) in one
 * transaction.
 *
 * Two passes. The first reads the whole file into plain structs with strict
 * checks (every field's JSON type, ranges, GitLab's name rules, duplicates)
 * and touches no database, so a malformed file is refused before anything
 * starts. The second writes in dependency order, each row found by its id
 * or natural key and then inserted, or updated only where it differs: a
 * second run of the same file matches every row and writes nothing. Import
 * adds and updates; it never deletes.
 *
 * This file holds the command, the typed reader of JSON fields, the
 * transaction and the counts; import_read.c the first pass, import_write.c
 * the second, and each entity's file the rows it writes. */
#include "config.h"
#include "admin/import.h"
#include "gitlab.h"
#include "api/repo.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define IMPORT_MAX_SIZE (64L * 1024 * 1024)
#define IMPORT_MAX_DEPTH 16
/* Serializes imports (not migrate: "glia" + 1). */
#define IMPORT_LOCK_KEY "1735158114"

/* ---- Messages --------------------------------------------------------- */

/* Records "AT.FIELD: message" (or "AT: message") and returns -1. Messages
 * never contain a token: callers name the field, not its value. */
int import_error(struct import *im, const char *at, const char *field, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (field)
		snprintf(im->err, sizeof im->err, "%s.%s: %s", at, field, msg);
	else
		snprintf(im->err, sizeof im->err, "%s: %s", at, msg);
	return -1;
}

/* ---- Typed access to JSON fields --------------------------------------- */

const char *field_type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number with a fraction";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "something else";
}

/* Whether key is present; *v is its value (NULL for JSON null). */
bool field_get(json_object *o, const char *key, json_object **v)
{
	*v = NULL;
	return json_object_object_get_ex(o, key, v);
}

/* An object holding only the allowed keys. */
int field_object(struct import *im, const char *at, json_object *o, const char *const *allowed)
{
	if (json_object_get_type(o) != json_type_object)
		return import_error(im, at, NULL, "expected an object, not %s", field_type_name(o));
	json_object_object_foreach(o, key, val) {
		(void)val;
		bool known = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				known = true;
		if (!known) {
			char list[512] = "", esc[128];
			for (size_t i = 0; allowed[i]; i++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", allowed[i]);
			return import_error(im, at, log_escape(esc, sizeof esc, key), "unknown field (expected %s)", list);
		}
	}
	return 0;
}

int field_string(struct import *im, const char *at, json_object *o, const char *key, int flags,
		      size_t maxlen, const char **out)
{
	json_object *v;
	*out = NULL;
	if (!field_get(o, key, &v)) {
		if (flags & REQUIRED)
			return import_error(im, at, key, "missing");
		return 0;
	}
	if (!v) {
		if (flags & NULLABLE)
			return 0;
		return import_error(im, at, key, "expected a string, not null");
	}
	if (json_object_get_type(v) != json_type_string)
		return import_error(im, at, key, "expected a string, not %s", field_type_name(v));
	const char *s = json_object_get_string(v);
	int len = json_object_get_string_len(v);
	if (len < 0 || memchr(s, '\0', (size_t)len))
		return import_error(im, at, key, "contains a NUL character");
	if (!utf8_valid(s, (size_t)len))
		return import_error(im, at, key, "not valid UTF-8");
	if (len == 0 && !(flags & EMPTY_OK))
		return import_error(im, at, key, "must not be empty");
	if ((size_t)len > maxlen)
		return import_error(im, at, key, "longer than %zu bytes", maxlen);
	for (int i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return import_error(im, at, key, "contains a control character");
	*out = s;
	return 0;
}

int field_bool(struct import *im, const char *at, json_object *o, const char *key, bool dflt, bool *out)
{
	json_object *v;
	*out = dflt;
	if (!field_get(o, key, &v))
		return 0;
	if (!v || json_object_get_type(v) != json_type_boolean)
		return import_error(im, at, key, "expected true or false, not %s", v ? field_type_name(v) : "null");
	*out = json_object_get_boolean(v);
	return 0;
}

/* An integer in [min, max]; *present tells whether the key was there. */
int field_int(struct import *im, const char *at, json_object *o, const char *key, int flags,
		   long long min, long long max, long long *out)
{
	json_object *v;
	*out = 0;
	if (!field_get(o, key, &v) || (!v && (flags & NULLABLE))) {
		if (flags & REQUIRED)
			return import_error(im, at, key, "missing");
		return 0;
	}
	if (!v || json_object_get_type(v) != json_type_int)
		return import_error(im, at, key, "expected an integer, not %s", v ? field_type_name(v) : "null");
	/* json-c saturates what does not fit in int64, without an error. */
	int64_t n = json_object_get_int64(v);
	if (n == INT64_MAX || n == INT64_MIN || n < min || n > max)
		return import_error(im, at, key, "out of range (%lld to %lld)", min, max);
	*out = n;
	return 0;
}

int field_id(struct import *im, const char *at, json_object *o, int flags, long long *out)
{
	return field_int(im, at, o, "id", flags | NULLABLE, 1, INT64_MAX - 1, out);
}

int field_enum(struct import *im, const char *at, json_object *o, const char *key,
		    const char *const *names, const char *dflt, const char **out)
{
	if (field_string(im, at, o, key, OPTIONAL, 64, out) != 0)
		return -1;
	if (!*out) {
		*out = dflt;
		return 0;
	}
	for (size_t i = 0; names[i]; i++)
		if (strcmp(*out, names[i]) == 0)
			return 0;
	char list[256] = "";
	for (size_t i = 0; names[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
	return import_error(im, at, key, "expected one of %s", list);
}

int field_visibility(struct import *im, const char *at, json_object *o, int *out)
{
	static const char *const names[] = { "private", "internal", "public", NULL };
	const char *v;
	if (field_enum(im, at, o, "visibility", names, "private", &v) != 0)
		return -1;
	*out = gitlab_visibility_parse(v);
	return 0;
}

/* A full path: segments that are each valid. */
int field_full_path(struct import *im, const char *at, json_object *o, const char *key, int flags,
			 const char **out)
{
	if (field_string(im, at, o, key, flags, 2048, out) != 0)
		return -1;
	if (!*out)
		return 0;
	char *copy = strdup(*out), *save = NULL;
	int ok = copy != NULL && (*out)[strlen(*out) - 1] != '/' && (*out)[0] != '/';
	for (char *s = ok ? strtok_r(copy, "/", &save) : NULL; s && ok; s = strtok_r(NULL, "/", &save))
		ok = repo_valid_segment(s, strlen(s));
	free(copy);
	if (!ok || strstr(*out, "//"))
		return import_error(im, at, key, "not a valid full path (segments of letters, digits, '_', '-', '.' joined by '/')");
	return 0;
}

int field_array(struct import *im, const char *at, json_object *o, const char *key, int flags,
		     json_object **out)
{
	json_object *v;
	*out = NULL;
	if (!field_get(o, key, &v)) {
		if (flags & REQUIRED)
			return import_error(im, at, key, "missing");
		return 0;
	}
	if (!v) {
		if (flags & NULLABLE)
			return 0;
		return import_error(im, at, key, "expected an array, not null");
	}
	if (json_object_get_type(v) != json_type_array)
		return import_error(im, at, key, "expected an array, not %s", field_type_name(v));
	*out = v;
	return 0;
}

/* Reads the file and parses it strictly: one JSON object, nothing after it. */
static json_object *parse_file(struct import *im)
{
	FILE *f = fopen(im->file, "rbe");
	struct stat st;
	json_object *root = NULL;

	if (!f) {
		snprintf(im->err, sizeof im->err, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > IMPORT_MAX_SIZE) {
		fclose(f);
		snprintf(im->err, sizeof im->err, "not a regular file of at most %ld bytes", IMPORT_MAX_SIZE);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t len = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	bool failed = !buf || ferror(f) || len != (size_t)st.st_size;
	fclose(f);
	if (failed) {
		free(buf);
		snprintf(im->err, sizeof im->err, "read error");
		return NULL;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		free(buf);
		snprintf(im->err, sizeof im->err, "contains a NUL byte: not a JSON text");
		return NULL;
	}

	struct json_tokener *tok = json_tokener_new_ex(IMPORT_MAX_DEPTH);
	if (!tok) {
		free(buf);
		snprintf(im->err, sizeof im->err, "out of memory");
		return NULL;
	}
	/* STRICT refuses trailing commas, comments and the like; UTF-8 is
	 * checked as it goes. json-c still takes the last of duplicate keys. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (!root || jerr != json_tokener_success) {
		size_t line = 1, col = 1;
		for (size_t i = 0; i < end && i < len; i++, col++)
			if (buf[i] == '\n')
				line++, col = 0;
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			snprintf(im->err, sizeof im->err, "unexpected end of the JSON text");
		else
			snprintf(im->err, sizeof im->err, "line %zu, column %zu: JSON syntax error: %s", line, col,
				 json_tokener_error_desc(jerr));
		json_object_put(root);
		root = NULL;
	} else if (end + strspn(buf + end, " \t\r\n") != len) {
		snprintf(im->err, sizeof im->err, "text after the JSON object");
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	free(buf);
	return root;
}

static int write_all(struct import *im)
{
	struct db_err err;
	const char *lock[] = { IMPORT_LOCK_KEY };

	if (admin_command(im->a->db, "SELECT pg_advisory_xact_lock($1::bigint)", 1, lock, &err) != 0)
		return import_error(im, "import", NULL, "taking the import lock: %s", err.message);
	PGresult *res = admin_query(im->a->db, "SELECT to_regclass('glia_schema_migrations') IS NOT NULL", 0, NULL, &err);
	if (!res)
		return import_error(im, "import", NULL, "%s", err.message);
	bool migrated = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!migrated)
		return import_error(im, "import", NULL, "the database has no glia schema: run \"glia-admin migrate\" first");
	return write_rows(im);
}

static void print_counts(const struct import *im, bool dry_run)
{
	static const char *const labels[C_COUNT] = {
		"users", "groups", "projects", "members", "keys", "deploy_keys", "deploy_keys_projects",
		"protected_branches", "personal_access_tokens", "cluster_agents", "cluster_agent_tokens", "snippets",
	};
	size_t changed = 0;
	for (int c = 0; c < C_COUNT; c++) {
		const struct counts *k = &im->counts[c];
		if (!k->present)
			continue;
		printf("%-24s %zu created, %zu updated, %zu unchanged\n", labels[c], k->n[WRITE_CREATED],
		       k->n[WRITE_UPDATED], k->n[WRITE_UNCHANGED]);
		changed += k->n[WRITE_CREATED] + k->n[WRITE_UPDATED];
	}
	if (dry_run)
		printf("dry run: nothing was written (%zu row%s would change)\n", changed, changed == 1 ? "" : "s");
	else
		printf("imported %s: %zu row%s changed\n", im->file, changed, changed == 1 ? "" : "s");
}

static void import_free(struct import *im)
{
	arena_destroy(&im->arena);
	pepper_free(im->pepper, im->pepper_len);
}

int cmd_import(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct import im = { .a = a };
	bool dry_run = false;
	int c, rc = ADMIN_FAIL;

	/* No limit of its own: the file's size bounds what its records take. */
	arena_init(&im.arena, SIZE_MAX);

	while ((c = getopt_long(argc, argv, ":nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry_run = true;
			break;
		case 'h':
			print_help();
			return ADMIN_OK;
		default:
			return option_error(c, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error("import: expected one FILE.json");
	im.file = argv[optind];
	if (admin_load_config(a) != 0)
		return ADMIN_FAIL;

	json_object *root = parse_file(&im);
	if (!root) {
		admin_fail("%s: %s", im.file, im.err);
		goto out;
	}
	if (read_document(&im, root) != 0) {
		admin_fail("%s: %s (nothing was written)", im.file, im.err);
		goto out;
	}
	if (admin_connect(a) != 0)
		goto out;
	struct db_err err;
	if (db_begin(a->db, &err) != 0) {
		admin_fail("%s: %s", im.file, err.message);
		goto out;
	}
	if (write_all(&im) != 0) {
		db_rollback(a->db);
		admin_fail("%s: %s (nothing was written)", im.file, im.err);
		goto out;
	}
	if (dry_run) {
		db_rollback(a->db);
	} else if (db_commit(a->db, &err) != 0) {
		admin_fail("%s: commit failed: %s (nothing was written)", im.file, err.message);
		goto out;
	}
	print_counts(&im, dry_run);
	rc = ADMIN_OK;
out:
	json_object_put(root);
	import_free(&im);
	return rc;
}
