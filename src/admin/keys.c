/* glia-admin key and deploy-key: users' SSH keys and deploy keys (one
 * table), their project links, and the key types GitLab accepts. */
#include "config.h"
#include "admin/admin.h"
#include "util.h"

#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key types GitLab 13.x/14.x accepts by default. */
static const char *const key_types[] = {
	"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com", "ssh-dss", NULL,
};

int admin_key_parse(const char *line, struct sshkey *key, char md5[SSHKEY_MD5_LEN + 1], char *err, size_t errlen)
{
	const char *p = line + strspn(line, " \t");
	size_t type_len = strcspn(p, " \t");
	bool known = false;

	for (size_t i = 0; key_types[i]; i++)
		if (strlen(key_types[i]) == type_len && strncmp(p, key_types[i], type_len) == 0)
			known = true;
	if (!known) {
		/* Quote the type only when it looks like one: the line may be
		 * anything, even a private key pasted by mistake. */
		bool plain = type_len > 0 && type_len <= 40 && strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789@.-") >= type_len;
		if (plain)
			snprintf(err, errlen, "unsupported key type \"%.*s\" (expected ssh-ed25519, ssh-rsa, ecdsa-sha2-*, sk-* or ssh-dss)",
				 (int)type_len, p);
		else
			snprintf(err, errlen, "not an OpenSSH public key line (\"TYPE BASE64 [COMMENT]\")");
		return -1;
	}
	if (sshkey_parse_line(line, key, err, errlen) != 0)
		return -1;

	/* The legacy MD5 fingerprint, for the keys.fingerprint column. */
	unsigned char *blob = malloc(key->body_len / 4 * 3 + 3);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!blob) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	long n = base64_decode(key->body, key->body_len, blob);
	md5[0] = '\0';
	if (n > 0 && EVP_Digest(blob, (size_t)n, md, &mdlen, EVP_md5(), NULL) && mdlen == 16)
		for (unsigned i = 0; i < 16; i++)
			snprintf(md5 + 3 * i, 4, i < 15 ? "%02x:" : "%02x", md[i]);
	/* No MD5 (a FIPS build) is not an error: the column is optional. */
	free(blob);
	return 0;
}

const char *key_line_trim(const char *line, size_t *len)
{
	size_t start = strspn(line, " \t"), end = strlen(line);
	while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	*len = end - start;
	return line + start;
}

static char *key_line_stripped(const char *line)
{
	size_t len;
	const char *start = key_line_trim(line, &len);
	return strndup(start, len);
}

const char *key_title_default(const struct sshkey *key, char fallback[64])
{
	/* GitLab fills the title from the key's comment. */
	if (*key->comment)
		return key->comment;
	snprintf(fallback, 64, "SHA256:%s", key->fingerprint);
	return fallback;
}

/* Inserts the key, or with WRITE_MATCH finds it by id or fingerprint and
 * updates what differs. A key is never moved to another user. */
int key_write(PGconn *db, const struct key_rec *k, bool deploy, enum write_mode mode, long long *id, int *outcome,
	      struct write_err *e)
{
	const char *mytype = deploy ? "DeployKey" : "Key";
	char fallback[64], uid[24];
	bool exists = false;

	*id = k->id;
	if (mode == WRITE_MATCH) {
		const char *fp[] = { k->key->fingerprint };
		PGresult *res = admin_query(db,
					"SELECT k.id, k.type, k.user_id, coalesce(u.username, '')"
					"  FROM keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.fingerprint_sha256 = $1",
					1, fp, &e->db);
		if (!res)
			return write_db_failed(e);
		bool named = PQntuples(res) == 1;
		long long by_fp = named ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
		bool same_type = named && strcmp(PQgetvalue(res, 0, 1), mytype) == 0;
		long long owner = named ? strtoll(PQgetvalue(res, 0, 2), NULL, 10) : 0;
		char owner_name[256], type[16] = "";
		snprintf(owner_name, sizeof owner_name, "%s", named ? PQgetvalue(res, 0, 3) : "");
		PQclear(res);
		if (named && !same_type)
			return write_refused(e, "key", "this key is already %s %lld",
					     deploy ? "the user key" : "the deploy key", by_fp);
		/* Moving a key to another user hands over SSH access: never as a
		 * side effect of a load. */
		if (named && !deploy && owner != k->user_id)
			return write_refused(e, "key", "this key belongs to user %s (key %lld); remove it there first "
					     "(glia-admin key rm %lld)", owner_name, by_fp, by_fp);
		exists = named;
		if (k->id) {
			int found = admin_row_exists(db, "SELECT type FROM keys WHERE id = $1", k->id, type, sizeof type, &e->db);
			if (found < 0)
				return write_db_failed(e);
			if (found && strcmp(type, mytype) != 0)
				return write_refused(e, "id", "%lld is a %s", k->id, deploy ? "user's key" : "deploy key");
			if (named && by_fp != k->id)
				return write_refused(e, "key", "this key is already key %lld, not %lld", by_fp, k->id);
			exists = found;
		} else if (named) {
			*id = by_fp;
		}
	}
	fmt_id(uid, sizeof uid, k->user_id);
	/* expires_at: a date is midnight UTC, the session's time zone. */
	const char *params[] = { NULL, k->user_id ? uid : NULL, k->title ? k->title : key_title_default(k->key, fallback),
				 k->line, k->key->fingerprint, k->md5[0] ? k->md5 : NULL, k->expires, mytype };
	return admin_write_row(db, exists, id,
			       "UPDATE keys SET user_id = $2, title = $3, key = $4, fingerprint_sha256 = $5,"
			       "       fingerprint = $6, expires_at = $7"
			       " WHERE id = $1 AND type = $8"
			       "   AND (user_id, title, key, fingerprint_sha256, fingerprint, expires_at)"
			       "       IS DISTINCT FROM ($2::bigint, $3, $4, $5, $6, $7::timestamptz)",
			       "INSERT INTO keys (id, user_id, title, key, fingerprint_sha256, fingerprint, expires_at, type)"
			       " VALUES (coalesce($1::bigint, nextval(pg_get_serial_sequence('keys', 'id'))),"
			       "         $2, $3, $4, $5, $6, $7, $8) RETURNING id",
			       params, 8, outcome, NULL, e);
}

int deploy_link_write(PGconn *db, long long key_id, long long project_id, bool can_push, int *outcome,
		      struct db_err *err)
{
	char kid[24], pid[24];
	fmt_id(kid, sizeof kid, key_id);
	fmt_id(pid, sizeof pid, project_id);
	const char *params[] = { kid, pid, can_push ? "t" : "f" };
	return admin_upsert(db,
			    "INSERT INTO deploy_keys_projects (deploy_key_id, project_id, can_push) VALUES ($1, $2, $3)"
			    " ON CONFLICT (deploy_key_id, project_id) DO UPDATE SET can_push = EXCLUDED.can_push"
			    " WHERE deploy_keys_projects.can_push <> EXCLUDED.can_push RETURNING (xmax = 0)",
			    params, 3, outcome, err);
}

/* Why adding a key failed: the key or deploy key that holds it already, or
 * the database's reason. */
static int key_insert_failed(struct admin *a, const struct sshkey *key, struct db_err *err)
{
	if (strcmp(err->constraint, "index_keys_on_fingerprint_sha256") == 0) {
		const char *fp[] = { key->fingerprint };
		PGresult *owner = admin_query(a->db,
					  "SELECT k.id, k.type, u.username FROM keys k"
					  " LEFT JOIN users u ON u.id = k.user_id WHERE k.fingerprint_sha256 = $1",
					  1, fp, err);
		if (owner && PQntuples(owner) == 1) {
			bool deploy = strcmp(PQgetvalue(owner, 0, 1), "Key") != 0;
			bool by = !PQgetisnull(owner, 0, 2);
			admin_fail("key SHA256:%s is already in use (%s %s%s%s)", key->fingerprint,
			     deploy ? "deploy key" : "key", PQgetvalue(owner, 0, 0),
			     by ? (deploy ? " added by user " : " of user ") : "", by ? PQgetvalue(owner, 0, 2) : "");
			PQclear(owner);
			return ADMIN_FAIL;
		}
		PQclear(owner);
	}
	return admin_fail("cannot add the key: %s", db_err_reason(err));
}

static int key_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "title", required_argument, NULL, 't' }, { "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *title = NULL, *expires = NULL;
	struct sshkey key;
	char md5[SSHKEY_MD5_LEN + 1], msg[256], fallback[64];
	int c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 't': title = optarg; break;
		case 'e': expires = optarg; break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "USERNAME 'KEY LINE'");
	const char *username = argv[optind], *line = argv[optind + 1];
	if (admin_key_parse(line, &key, md5, msg, sizeof msg) != 0)
		return usage_error("key add: %s", msg);
	if (!title)
		title = key_title_default(&key, fallback);
	if (check_text("the title", title, 255, false) != 0)
		return ADMIN_USAGE;
	if (expires && check_future_date("--expires", expires) != 0)
		return ADMIN_USAGE;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	long long user_id;
	if (admin_find_user(a, username, &user_id) != 0)
		return ADMIN_FAIL;

	char *stored = key_line_stripped(line);
	if (!stored)
		return admin_fail("out of memory");
	struct key_rec k = { .user_id = user_id, .title = title, .line = stored, .expires = expires, .key = &key, .md5 = md5 };
	struct write_err e;
	long long id;
	int outcome;
	int rc = key_write(a->db, &k, false, WRITE_INSERT, &id, &outcome, &e);
	free(stored);
	if (rc != 0)
		return key_insert_failed(a, &key, &e.db);
	printf("added key %lld (SHA256:%s) to user %s\n", id, key.fingerprint, username);
	return ADMIN_OK;
}

static int key_list(struct admin *a, int argc, char **argv)
{
	static const char *const headings[] = { "ID", "USER", "TYPE", "TITLE", "FINGERPRINT", "EXPIRES", "CREATED" };
	int c;

	if ((c = admin_operands(argc, argv, 0, 1, "[USERNAME]")) != 0)
		return c;
	const char *username = optind < argc ? argv[optind] : NULL;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	long long user_id = 0;
	if (username && admin_find_user(a, username, &user_id) != 0)
		return ADMIN_FAIL;

	char uid[24];
	fmt_id(uid, sizeof uid, user_id);
	const char *params[] = { username ? uid : NULL };
	return print_query(a->db, "listing keys", headings,
			   "SELECT k.id, u.username, CASE k.type WHEN 'Key' THEN 'user' ELSE 'deploy' END,"
			   "       k.title, 'SHA256:' || k.fingerprint_sha256,"
			   "       to_char(k.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
			   "       to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
			   "  FROM keys k LEFT JOIN users u ON u.id = k.user_id"
			   " WHERE $1::bigint IS NULL OR k.user_id = $1::bigint"
			   " ORDER BY k.id",
			   1, params);
}

static int key_rm(struct admin *a, int argc, char **argv)
{
	long long id;
	int c;

	if ((c = admin_operands(argc, argv, 1, 1, "ID")) != 0)
		return c;
	if (parse_id(argv[optind], strlen(argv[optind]), &id) != 0)
		return usage_error("key rm: \"%s\" is not a key id", argv[optind]);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	struct db_err err;
	const char *params[] = { argv[optind] };
	PGresult *res = admin_query(a->db, "DELETE FROM keys WHERE id = $1 RETURNING type", 1, params, &err);
	if (!res)
		return admin_fail("removing key %s: %s", argv[optind], err.message);
	int n = PQntuples(res);
	bool deploy = n == 1 && strcmp(PQgetvalue(res, 0, 0), "DeployKey") == 0;
	PQclear(res);
	if (n == 0)
		return admin_fail("key %s not found", argv[optind]);
	printf("removed %s %lld\n", deploy ? "deploy key" : "key", id);
	return ADMIN_OK;
}

int cmd_key(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", key_add }, { "list", key_list }, { "rm", key_rm }, { NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}

static int deploy_key_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = { { "user", required_argument, NULL, 'u' }, { NULL, 0, NULL, 0 } };
	const char *username = NULL;
	struct sshkey key;
	char md5[SSHKEY_MD5_LEN + 1], msg[256];
	int c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': username = optarg; break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "TITLE 'KEY LINE'");
	const char *title = argv[optind], *line = argv[optind + 1];
	if (check_text("the title", title, 255, false) != 0)
		return ADMIN_USAGE;
	if (admin_key_parse(line, &key, md5, msg, sizeof msg) != 0)
		return usage_error("deploy-key add: %s", msg);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	long long user_id = 0;
	if (username && admin_find_user(a, username, &user_id) != 0)
		return ADMIN_FAIL;

	char *stored = key_line_stripped(line);
	if (!stored)
		return admin_fail("out of memory");
	struct key_rec k = { .user_id = user_id, .title = title, .line = stored, .key = &key, .md5 = md5 };
	struct write_err e;
	long long id;
	int outcome;
	int rc = key_write(a->db, &k, true, WRITE_INSERT, &id, &outcome, &e);
	free(stored);
	if (rc != 0)
		return key_insert_failed(a, &key, &e.db);
	printf("added deploy key %lld (SHA256:%s)\n", id, key.fingerprint);
	return ADMIN_OK;
}

static int deploy_key_list(struct admin *a, int argc, char **argv)
{
	static const char *const headings[] = { "ID", "TITLE", "FINGERPRINT", "USER", "EXPIRES", "CREATED", "PROJECTS" };
	int c;

	if ((c = admin_operands(argc, argv, 0, 0, "no arguments")) != 0)
		return c;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	return print_query(a->db, "listing deploy keys", headings,
			   "SELECT k.id, k.title, 'SHA256:' || k.fingerprint_sha256, u.username,"
			   "       to_char(k.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
			   "       to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
			   "       (SELECT string_agg(r.path || CASE WHEN dkp.can_push THEN ' (push)' ELSE '' END,"
			   "                          ', ' ORDER BY r.path)"
			   "          FROM deploy_keys_projects dkp JOIN routes r ON r.project_id = dkp.project_id"
			   "         WHERE dkp.deploy_key_id = k.id)"
			   "  FROM keys k LEFT JOIN users u ON u.id = k.user_id"
			   " WHERE k.type = 'DeployKey' ORDER BY k.id",
			   0, NULL);
}

/* The deploy key of an ID operand: 0, or the exit status after a message. */
static int find_deploy_key(struct admin *a, const char *what, const char *arg, long long *id)
{
	if (parse_id(arg, strlen(arg), id) != 0)
		return usage_error("%s: \"%s\" is not a key id", what, arg);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct db_err err;
	const char *params[] = { arg };
	PGresult *res = admin_query(a->db, "SELECT type FROM keys WHERE id = $1", 1, params, &err);
	if (!res)
		return admin_fail("looking up deploy key %s: %s", arg, err.message);
	int n = PQntuples(res);
	bool deploy = n == 1 && strcmp(PQgetvalue(res, 0, 0), "DeployKey") == 0;
	PQclear(res);
	if (n == 0)
		return admin_fail("deploy key %lld not found", *id);
	if (!deploy)
		return admin_fail("key %lld is a user's key, not a deploy key", *id);
	return 0;
}

static int deploy_key_rm(struct admin *a, int argc, char **argv)
{
	long long id;
	int c;

	if ((c = admin_operands(argc, argv, 1, 1, "ID")) != 0)
		return c;
	if ((c = find_deploy_key(a, "deploy-key rm", argv[optind], &id)) != 0)
		return c;

	/* Its links to projects go with it (ON DELETE CASCADE). */
	struct db_err err;
	const char *params[] = { argv[optind] };
	PGresult *res = admin_query(a->db,
				"DELETE FROM keys WHERE id = $1 AND type = 'DeployKey'"
				" RETURNING (SELECT count(*) FROM deploy_keys_projects WHERE deploy_key_id = $1)",
				1, params, &err);
	if (!res)
		return admin_fail("removing deploy key %lld: %s", id, err.message);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return admin_fail("deploy key %lld not found", id);
	}
	long long links = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	printf("removed deploy key %lld (enabled on %lld project%s)\n", id, links, links == 1 ? "" : "s");
	return ADMIN_OK;
}

static int deploy_key_enable(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = { { "can-push", no_argument, NULL, 'p' }, { NULL, 0, NULL, 0 } };
	bool can_push = false;
	long long id;
	int c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': can_push = true; break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "ID PROJECT");
	if ((c = find_deploy_key(a, "deploy-key enable", argv[optind], &id)) != 0)
		return c;
	struct route r;
	if (admin_find_project(a, argv[optind + 1], &r) != 0)
		return ADMIN_FAIL;

	struct db_err err;
	int outcome;
	if (deploy_link_write(a->db, id, r.id, can_push, &outcome, &err) != 0)
		return admin_fail("cannot enable deploy key %lld on %s: %s", id, r.path, db_err_reason(&err));
	const char *how = can_push ? "read-write" : "read-only";
	if (outcome == WRITE_UNCHANGED)
		printf("deploy key %lld was already enabled on %s (%s)\n", id, r.path, how);
	else if (outcome == WRITE_CREATED)
		printf("enabled deploy key %lld on %s (%s)\n", id, r.path, how);
	else
		printf("deploy key %lld on %s is now %s\n", id, r.path, how);
	return ADMIN_OK;
}

static int deploy_key_disable(struct admin *a, int argc, char **argv)
{
	long long id;
	int c;

	if ((c = admin_operands(argc, argv, 2, 2, "ID PROJECT")) != 0)
		return c;
	if ((c = find_deploy_key(a, "deploy-key disable", argv[optind], &id)) != 0)
		return c;
	struct route r;
	if (admin_find_project(a, argv[optind + 1], &r) != 0)
		return ADMIN_FAIL;

	/* The key itself stays, for other projects or later (deploy-key rm). */
	char kid[24], pid[24];
	fmt_id(kid, sizeof kid, id);
	fmt_id(pid, sizeof pid, r.id);
	struct db_err err;
	const char *params[] = { kid, pid };
	PGresult *res = admin_query(a->db,
				"DELETE FROM deploy_keys_projects WHERE deploy_key_id = $1 AND project_id = $2 RETURNING id",
				2, params, &err);
	if (!res)
		return admin_fail("disabling deploy key %lld on %s: %s", id, r.path, err.message);
	int n = PQntuples(res);
	PQclear(res);
	if (n == 0)
		return admin_fail("deploy key %lld is not enabled on %s", id, r.path);
	printf("disabled deploy key %lld on %s\n", id, r.path);
	return ADMIN_OK;
}

int cmd_deploy_key(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", deploy_key_add },	 { "list", deploy_key_list },	    { "rm", deploy_key_rm },
		{ "enable", deploy_key_enable }, { "disable", deploy_key_disable }, { NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}
