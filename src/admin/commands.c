/* glia-admin's everyday commands (user, key, group, project, member, token,
 * deploy-key, protected-branch, protected-tag) and the rules they share with
 * import: GitLab's path, level, scope and date rules, key checks, and token
 * digests. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"
#include "api/repo.h"
#include "secret.h"
#include "token.h"
#include "totp.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

/* ---- Rules ------------------------------------------------------------ */

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

bool reserved_top_level(const char *s)
{
	/* "snippets/7" is a personal snippet's path (the routes table refuses it too). */
	return strcasecmp(s, "snippets") == 0;
}

bool valid_project_segment(const char *s)
{
	return repo_valid_segment(s, strlen(s)) && !ends_with_ci(s, ".wiki") && !ends_with_ci(s, ".design");
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* The first 10 characters as YYYY-MM-DD of a real day. */
static bool date_prefix(const char *s)
{
	return strlen(s) >= 10 && iso_date_valid(s, 10);
}

bool valid_date(const char *s)
{
	return strlen(s) == 10 && date_prefix(s);
}

bool valid_timestamp(const char *s)
{
	if (valid_date(s))
		return true;
	if (!date_prefix(s) || (s[10] != 'T' && s[10] != ' '))
		return false;
	const char *t = s + 11;
	if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' || !digits(t + 6, 2))
		return false;
	if (num(t, 2) > 23 || num(t + 3, 2) > 59 || num(t + 6, 2) > 60)
		return false;
	t += 8;
	if (*t == '.') {
		size_t n = strspn(t + 1, "0123456789");
		if (n == 0 || n > 9)
			return false;
		t += 1 + n;
	}
	if (strcmp(t, "Z") == 0 || strcmp(t, "z") == 0)
		return true;
	return (t[0] == '+' || t[0] == '-') && digits(t + 1, 2) && t[3] == ':' && digits(t + 4, 2) &&
	       t[6] == '\0' && num(t + 1, 2) <= 23 && num(t + 4, 2) <= 59;
}

/* Mirrors the users.email CHECK: one '@', something on each side, no spaces. */
bool valid_email(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n == 0 || n > 255 || !at || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

bool valid_branch_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || s[0] == '-' || s[0] == '/' || s[n - 1] == '/' || s[n - 1] == '.')
		return false;
	if (strstr(s, "..") || strstr(s, "//") || strstr(s, "@{") || ends_with_ci(s, ".lock"))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("~^:?[\\", *p))
			return false;
	return utf8_valid(s, n);
}

bool valid_agent_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

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

/* ---- Tokens ----------------------------------------------------------- */

/* The same file checks as the service's (secret_read_file), so that
 * glia-admin never stores tokens under a key that glia would refuse. */
int pepper_load(const char *file, unsigned char **out, size_t *len, char *err, size_t errlen)
{
	unsigned char buf[SECRET_MAX];
	char why[256];

	*out = NULL;
	*len = 0;
	if (!file || !*file) {
		snprintf(err, errlen, "token_pepper_file is not set in the configuration");
		return -1;
	}
	long n = secret_read_chomped(file, buf, sizeof buf, why, sizeof why);
	if (n < 0) {
		snprintf(err, errlen, "token_pepper_file %s", why);
		return -1;
	}
	*out = malloc((size_t)n);
	if (!*out) {
		OPENSSL_cleanse(buf, sizeof buf);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(*out, buf, (size_t)n);
	*len = (size_t)n;
	OPENSSL_cleanse(buf, sizeof buf);
	return 0;
}

void pepper_free(unsigned char *pepper, size_t len)
{
	if (pepper)
		OPENSSL_cleanse(pepper, len);
	free(pepper);
}

/* glpat- and 20 characters of GitLab's alphabet, [A-Za-z0-9_-]. */
#define TOKEN_RANDOM_CHARS 20
static int token_generate(char *out, size_t outlen)
{
	if (outlen < 6 + TOKEN_RANDOM_CHARS + 1)
		return -1;
	memcpy(out, "glpat-", 6);
	return token_random(out + 6, TOKEN_RANDOM_CHARS);
}

/* ---- Helpers of the commands ------------------------------------------- */

/* Today in UTC, as YYYY-MM-DD (dates compare as strings). */
static void today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int check_text(const char *what, const char *s, size_t max, bool allow_empty)
{
	size_t n = strlen(s);
	if (!utf8_valid(s, n))
		return usage_error("%s is not valid UTF-8", what);
	if (n > max || (!allow_empty && n == 0))
		return usage_error("%s must be 1 to %zu bytes long", what, max);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return usage_error("%s contains a control character", what);
	return 0;
}

static int check_future_date(const char *what, const char *s)
{
	char now[11];
	if (!valid_date(s))
		return usage_error("%s: expected a date as YYYY-MM-DD, not \"%s\"", what, s);
	today(now);
	if (strcmp(s, now) <= 0)
		return usage_error("%s: %s is not in the future", what, s);
	return 0;
}

/* A group (not a project, not a user's namespace) by full path. */
static int find_group(struct admin *a, const char *full_path, struct route *r)
{
	struct db_err err;
	int found = db_find_route(a->db, full_path, r, &err);
	if (found < 0)
		return admin_fail("looking up group \"%s\": %s", full_path, err.message);
	if (!found)
		return admin_fail("group \"%s\" not found", full_path);
	if (r->is_project)
		return admin_fail("\"%s\" is a project, not a group", full_path);
	if (r->is_user_ns)
		return admin_fail("\"%s\" is a user's namespace, not a group", full_path);
	return 0;
}

static int find_user(struct admin *a, const char *username, long long *id)
{
	struct db_err err;
	int found = db_find_user(a->db, username, id, &err);
	if (found < 0)
		return admin_fail("looking up user \"%s\": %s", username, err.message);
	if (!found)
		return admin_fail("user \"%s\" not found", username);
	return 0;
}

/* A project by full path. */
static int find_project(struct admin *a, const char *full_path, struct route *r)
{
	struct db_err err;
	int found = db_find_route(a->db, full_path, r, &err);
	if (found < 0)
		return admin_fail("looking up project \"%s\": %s", full_path, err.message);
	if (!found)
		return admin_fail("project \"%s\" not found", full_path);
	if (!r->is_project)
		return admin_fail("\"%s\" is a %s, not a project", full_path, r->is_user_ns ? "user's namespace" : "group");
	return 0;
}

/* "on" or "off" for what (a command and perhaps an option). */
static int parse_on_off(const char *what, const char *s, bool *on)
{
	if (strcmp(s, "on") == 0)
		*on = true;
	else if (strcmp(s, "off") == 0)
		*on = false;
	else
		return usage_error("%s: expected on or off, not \"%s\"", what, s);
	return 0;
}

static int protected_level_opt(const char *what, const char *opt, const char *s, int *out)
{
	*out = gitlab_protected_parse(s);
	if (*out < 0)
		return usage_error("%s: %s must be 0, 30, 40, 60 or no-one, developer, maintainer, admin; not \"%s\"",
				   what, opt, s);
	return 0;
}

/* The rows of an access level table, in words: the role, or (GitLab EE)
 * "user:NAME" and "group:PATH"; for the lists. */
#define LEVELS_SQL(table, fk, owner)                                                                  \
	"(SELECT string_agg(CASE WHEN l.user_id IS NOT NULL THEN 'user:' || lu.username"              \
	"                        WHEN l.group_id IS NOT NULL THEN 'group:' || lr.path"               \
	"                        WHEN l.access_level = 0 THEN 'no-one'"                              \
	"                        WHEN l.access_level = 30 THEN 'developer'"                          \
	"                        WHEN l.access_level = 40 THEN 'maintainer'"                         \
	"                        WHEN l.access_level = 60 THEN 'admin'"                              \
	"                        ELSE l.access_level::text END, ','"                                 \
	"                   ORDER BY l.user_id NULLS FIRST, l.group_id NULLS FIRST, l.id)"            \
	"   FROM " table " l LEFT JOIN users lu ON lu.id = l.user_id"                                 \
	"   LEFT JOIN routes lr ON lr.namespace_id = l.group_id WHERE l." fk " = " owner ".id)"

/* An OpenSSH key line without surrounding blanks, as GitLab strips it. */
static char *key_line_stripped(const char *line)
{
	size_t start = strspn(line, " \t"), end = strlen(line);
	while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	return strndup(line + start, end - start);
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


/* After the options: the count of operands must be in [min, max]. */
#define OPTIONS_END(argc, argv, min, max, what)                                                  \
	do {                                                                                      \
		if ((argc) - optind < (min) || (argc) - optind > (max))                           \
			return usage_error("%s: expected %s", (argv)[0], (what));                  \
	} while (0)


static void fmt_id(char *buf, size_t n, long long v)
{
	snprintf(buf, n, "%lld", v);
}

/* ---- user ------------------------------------------------------------- */

static int user_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' }, { "email", required_argument, NULL, 'e' },
		{ "admin", no_argument, NULL, 'a' },      { "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *email = NULL, *state = "active";
	bool admin = false;
	int c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'e': email = optarg; break;
		case 'a': admin = true; break;
		case 's': state = optarg; break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 1, 1, "USERNAME");
	const char *username = argv[optind];
	if (!repo_valid_segment(username, strlen(username)) || reserved_top_level(username))
		return usage_error("user add: \"%s\" is not a valid username (letters, digits, '_', '-', '.')", username);
	if (!name)
		return usage_error("user add: --name is required");
	if (check_text("--name", name, 255, false) != 0)
		return ADMIN_USAGE;
	if (email && !valid_email(email))
		return usage_error("user add: \"%s\" is not an email address", email);
	if (!gitlab_user_state_valid(state))
		return usage_error("user add: --state must be one of active, blocked, deactivated, "
				   "blocked_pending_approval, ldap_blocked");
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	struct db_err err;
	const char *params[] = { username, name, email, admin ? "t" : "f", state };
	PGresult *res = admin_query(a->db,
				"INSERT INTO users (username, name, email, admin, state)"
				" VALUES ($1, $2, $3, $4, $5) RETURNING id",
				5, params, &err);
	if (!res)
		return admin_fail("cannot add user \"%s\": %s", username, db_err_reason(&err));
	printf("added user %s (id %s)\n", username, PQgetvalue(res, 0, 0));
	PQclear(res);
	return ADMIN_OK;
}

static int user_list(struct admin *a, int argc, char **argv)
{
	static const char *const headings[] = { "ID", "USERNAME", "NAME", "EMAIL", "STATE", "ADMIN", "2FA", "KEYS" };
	int c;

	if ((c = admin_operands(argc, argv, 0, 0, "no arguments")) != 0)
		return c;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	return print_query(a->db, "listing users", headings,
			   "SELECT u.id, u.username, u.name, u.email, u.state,"
			   "       CASE WHEN u.admin THEN 'yes' ELSE 'no' END,"
			   "       CASE WHEN u.otp_required_for_login THEN 'on' ELSE 'off' END,"
			   "       (SELECT count(*) FROM keys k WHERE k.user_id = u.id AND k.type = 'Key')"
			   "  FROM users u ORDER BY u.id",
			   0, NULL);
}

static int user_block(struct admin *a, int argc, char **argv)
{
	int c;

	if ((c = admin_operands(argc, argv, 1, 1, "USERNAME")) != 0)
		return c;
	const char *username = argv[optind];
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	struct db_err err;
	const char *params[] = { username };
	PGresult *res = admin_query(a->db,
				"UPDATE users SET state = 'blocked'"
				" WHERE lower(username) = lower($1) AND state <> 'blocked' RETURNING username",
				1, params, &err);
	if (!res)
		return admin_fail("blocking user \"%s\": %s", username, err.message);
	bool changed = PQntuples(res) == 1;
	PQclear(res);
	if (changed) {
		printf("blocked user %s\n", username);
		return ADMIN_OK;
	}
	long long id;
	if (find_user(a, username, &id) != 0)
		return ADMIN_FAIL;
	printf("user %s was already blocked\n", username);
	return ADMIN_OK;
}

static int user_unblock(struct admin *a, int argc, char **argv)
{
	int c;

	if ((c = admin_operands(argc, argv, 1, 1, "USERNAME")) != 0)
		return c;
	const char *username = argv[optind];
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	/* Whatever kept the user out (blocked, ldap_blocked, deactivated,
	 * blocked_pending_approval): glia has no web sign-in to lift it. */
	struct db_err err;
	const char *params[] = { username };
	PGresult *res = admin_query(a->db,
				"UPDATE users u SET state = 'active'"
				"  FROM (SELECT id, state FROM users WHERE lower(username) = lower($1) FOR UPDATE) old"
				" WHERE u.id = old.id AND old.state <> 'active' RETURNING old.state",
				1, params, &err);
	if (!res)
		return admin_fail("unblocking user \"%s\": %s", username, err.message);
	if (PQntuples(res) == 1) {
		printf("unblocked user %s (was %s)\n", username, PQgetvalue(res, 0, 0));
		PQclear(res);
		return ADMIN_OK;
	}
	PQclear(res);
	long long id;
	if (find_user(a, username, &id) != 0)
		return ADMIN_FAIL;
	printf("user %s was already active\n", username);
	return ADMIN_OK;
}

/* One boolean of a user: the UPDATE takes $1 the username and $2 the value,
 * and returns a row only when it changed something. The messages follow
 * "user NAME: ". */
struct user_flag {
	const char *sql, *doing;
	const char *on, *already_on, *off, *already_off;
};

static int user_set_flag(struct admin *a, int argc, char **argv, const struct user_flag *f)
{
	char what[64];
	bool on = false;
	int c;

	if ((c = admin_operands(argc, argv, 2, 2, "USERNAME on|off")) != 0)
		return c;
	const char *username = argv[optind];
	snprintf(what, sizeof what, "user %s", argv[0]);
	if (parse_on_off(what, argv[optind + 1], &on) != 0)
		return ADMIN_USAGE;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	struct db_err err;
	const char *params[] = { username, on ? "t" : "f" };
	PGresult *res = admin_query(a->db, f->sql, 2, params, &err);
	if (!res)
		return admin_fail("%s for user \"%s\": %s", f->doing, username, err.message);
	bool changed = PQntuples(res) == 1;
	PQclear(res);
	long long id;
	if (!changed && find_user(a, username, &id) != 0)
		return ADMIN_FAIL;
	const char *msg = on ? (changed ? f->on : f->already_on) : (changed ? f->off : f->already_off);
	printf("user %s: %s\n", username, msg);
	return ADMIN_OK;
}

/* The issuer an authenticator app shows beside the code: external_url's
 * host (and port), else "glia". */
static void otp_issuer(const char *url, char *out, size_t size)
{
	const char *host = url ? strstr(url, "://") : NULL;
	size_t n = 0;
	if (host) {
		host += 3;
		n = strcspn(host, "/?#");
		const char *at = memchr(host, '@', n);	/* no user:password@ */
		if (at) {
			n -= (size_t)(at + 1 - host);
			host = at + 1;
		}
	}
	if (n == 0 || n >= size)
		snprintf(out, size, "glia");
	else
		snprintf(out, size, "%.*s", (int)n, host);
}

/* Percent-encodes all but RFC 3986's unreserved characters. */
static void uri_escape(const char *s, char *out, size_t size)
{
	size_t n = 0;
	for (; *s && n + 4 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, size - n, "%%%02X", c);
	}
	out[n] = '\0';
}

/* A new TOTP secret for the user, sealed under the token pepper, and 2FA
 * on; the secret is printed once, as the otpauth:// URI authenticator apps
 * take, and exists nowhere else in clear. The user's earlier OTP sessions
 * end with the old secret. */
static int user_2fa_on(struct admin *a, const char *username, const char *issuer_opt)
{
	unsigned char *pepper = NULL, secret[TOTP_SECRET_BYTES];
	size_t pepper_len = 0;
	char errbuf[512], sealed[TOTP_SEALED_LEN + 1], b32[TOTP_BASE32_LEN + 8], issuer[256], uid[24];
	char issuer_uri[3 * sizeof issuer], name_uri[3 * 256];
	int rc = ADMIN_FAIL;
	long long id;

	if (admin_load_config(a) != 0)
		return ADMIN_FAIL;
	if (pepper_load(a->conf.token_pepper_file, &pepper, &pepper_len, errbuf, sizeof errbuf) != 0)
		return admin_fail("cannot enable two-factor authentication: %s", errbuf);
	if (admin_connect(a) != 0 || find_user(a, username, &id) != 0)
		goto out;
	if (RAND_bytes(secret, sizeof secret) != 1 || totp_seal(pepper, pepper_len, id, secret, sealed) != 0) {
		admin_fail("cannot enable two-factor authentication: OpenSSL failed");
		goto out;
	}
	fmt_id(uid, sizeof uid, id);
	struct db_err err;
	const char *params[] = { uid, sealed };
	PGresult *res = admin_query(a->db,
				"WITH u AS (UPDATE users SET otp_required_for_login = true, encrypted_otp_secret = $2,"
				"                  consumed_timestep = NULL, failed_attempts = 0, locked_at = NULL"
				"            WHERE id = $1 RETURNING id, username),"
				"     gone AS (DELETE FROM two_factor_otp_sessions s USING u WHERE s.user_id = u.id)"
				" SELECT id, username FROM u",
				2, params, &err);
	if (!res) {
		admin_fail("setting two-factor authentication for user \"%s\": %s", username, err.message);
		goto out;
	}
	bool stored = PQntuples(res) == 1;
	/* The account name as stored, whatever case it was typed in. */
	if (stored)
		uri_escape(PQgetvalue(res, 0, 1), name_uri, sizeof name_uri);
	PQclear(res);
	if (!stored) {
		admin_fail("user \"%s\" not found", username);
		goto out;
	}
	if (issuer_opt)
		snprintf(issuer, sizeof issuer, "%s", issuer_opt);
	else
		otp_issuer(a->conf.external_url, issuer, sizeof issuer);
	uri_escape(issuer, issuer_uri, sizeof issuer_uri);
	base32_encode(secret, sizeof secret, b32);
	/* The only place the secret is ever shown: once, alone on stdout. */
	printf("otpauth://totp/%s:%s?secret=%s&issuer=%s\n", issuer_uri, name_uri, b32, issuer_uri);
	rc = ADMIN_OK;
out:
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(b32, sizeof b32);
	pepper_free(pepper, pepper_len);
	return rc;
}

/* 2FA off: the flag, the TOTP secret, the recovery codes (as GitLab's
 * disable_two_factor!) and the user's OTP sessions. */
static int user_2fa_off(struct admin *a, const char *username)
{
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct db_err err;
	const char *params[] = { username };
	PGresult *res = admin_query(a->db,
				"WITH u AS (UPDATE users SET otp_required_for_login = false, otp_backup_codes = NULL,"
				"                  encrypted_otp_secret = NULL, consumed_timestep = NULL,"
				"                  failed_attempts = 0, locked_at = NULL"
				"            WHERE lower(username) = lower($1)"
				"              AND (otp_required_for_login OR otp_backup_codes IS NOT NULL"
				"                   OR encrypted_otp_secret IS NOT NULL OR consumed_timestep IS NOT NULL)"
				"            RETURNING id),"
				"     gone AS (DELETE FROM two_factor_otp_sessions s USING u WHERE s.user_id = u.id)"
				" SELECT id FROM u",
				1, params, &err);
	if (!res)
		return admin_fail("setting two-factor authentication for user \"%s\": %s", username, err.message);
	bool changed = PQntuples(res) == 1;
	PQclear(res);
	long long id;
	if (!changed && find_user(a, username, &id) != 0)
		return ADMIN_FAIL;
	printf("user %s: %s\n", username,
	       changed ? "two-factor authentication off, TOTP secret and recovery codes cleared"
		       : "two-factor authentication was already off");
	return ADMIN_OK;
}

/* user 2fa USERNAME [--issuer NAME] | USERNAME --off. "on" and "off" after
 * the username are the older spellings of the two. */
static int user_2fa(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "off", no_argument, NULL, 'o' }, { "issuer", required_argument, NULL, 'i' }, { NULL, 0, NULL, 0 },
	};
	const char *issuer = NULL;
	bool off = false, on = true;
	int c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': off = true; break;
		case 'i': issuer = optarg; break;
		default: return option_error(c, argv);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error("user 2fa: expected USERNAME [--issuer NAME] or USERNAME --off");
	const char *username = argv[optind];
	if (argc - optind == 2 && parse_on_off("user 2fa", argv[optind + 1], &on) != 0)
		return ADMIN_USAGE;
	if (off && argc - optind == 2 && on)
		return usage_error("user 2fa: --off and on contradict each other");
	off = off || !on;
	if (off && issuer)
		return usage_error("user 2fa: --issuer goes with turning two-factor authentication on");
	if (issuer && check_text("--issuer", issuer, 100, false) != 0)
		return ADMIN_USAGE;
	return off ? user_2fa_off(a, username) : user_2fa_on(a, username, issuer);
}

static int user_admin(struct admin *a, int argc, char **argv)
{
	static const struct user_flag f = {
		"UPDATE users SET admin = $2 WHERE lower(username) = lower($1) AND admin <> $2::boolean RETURNING id",
		"setting admin",
		"now an administrator",
		"was already an administrator",
		"no longer an administrator",
		"was not an administrator",
	};
	return user_set_flag(a, argc, argv, &f);
}

int cmd_user(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", user_add },	     { "list", user_list }, { "block", user_block },
		{ "unblock", user_unblock }, { "2fa", user_2fa },   { "admin", user_admin },
		{ NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}

/* ---- key -------------------------------------------------------------- */

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
	if (!title) {
		/* GitLab fills the title from the key's comment. */
		if (*key.comment) {
			title = key.comment;
		} else {
			snprintf(fallback, sizeof fallback, "SHA256:%s", key.fingerprint);
			title = fallback;
		}
	}
	if (check_text("the title", title, 255, false) != 0)
		return ADMIN_USAGE;
	if (expires && check_future_date("--expires", expires) != 0)
		return ADMIN_USAGE;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	long long user_id;
	if (find_user(a, username, &user_id) != 0)
		return ADMIN_FAIL;

	char *stored = key_line_stripped(line);
	char uid[24];
	if (!stored)
		return admin_fail("out of memory");
	fmt_id(uid, sizeof uid, user_id);
	struct db_err err;
	const char *params[] = { uid, title, stored, key.fingerprint, md5[0] ? md5 : NULL, expires };
	PGresult *res = admin_query(a->db,
				"INSERT INTO keys (user_id, title, key, fingerprint_sha256, fingerprint, expires_at)"
				" VALUES ($1, $2, $3, $4, $5, ($6::date)::timestamp AT TIME ZONE 'UTC') RETURNING id",
				6, params, &err);
	free(stored);
	if (!res)
		return key_insert_failed(a, &key, &err);
	printf("added key %s (SHA256:%s) to user %s\n", PQgetvalue(res, 0, 0), key.fingerprint, username);
	PQclear(res);
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
	if (username && find_user(a, username, &user_id) != 0)
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

/* ---- group, project ---------------------------------------------------- */

static int parse_visibility_opt(const char *s, int *out)
{
	*out = gitlab_visibility_parse(s);
	if (*out < 0)
		return usage_error("--visibility must be private, internal or public, not \"%s\"", s);
	return 0;
}

/* GitLab refuses a group or project more visible than its namespace. */
static int check_visibility_within(int visibility, const struct route *ns)
{
	if (visibility > ns->visibility)
		return admin_fail("visibility %s is not allowed inside \"%s\", which is %s", gitlab_visibility_name(visibility),
			    ns->path, gitlab_visibility_name(ns->visibility));
	return 0;
}

static int group_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' }, { "parent", required_argument, NULL, 'p' },
		{ "visibility", required_argument, NULL, 'v' }, { NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *parent = NULL;
	int visibility = 0, c;
	char *copy = NULL;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'p': parent = optarg; break;
		case 'v':
			if (parse_visibility_opt(optarg, &visibility) != 0)
				return ADMIN_USAGE;
			break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 1, 1, "PATH");
	const char *path = argv[optind];
	/* "a/b" is shorthand for "b --parent a". */
	const char *slash = strrchr(path, '/');
	if (slash) {
		if (parent)
			return usage_error("group add: give either PARENT/PATH or --parent, not both");
		copy = strdup(path);
		if (!copy)
			return admin_fail("out of memory");
		copy[slash - path] = '\0';
		parent = copy;
		path = copy + (slash - path) + 1;
	}
	int rc = ADMIN_USAGE;
	if (!repo_valid_segment(path, strlen(path)) || (!parent && reserved_top_level(path))) {
		usage_error("group add: \"%s\" is not a valid path (letters, digits, '_', '-', '.')", path);
		goto out;
	}
	if (!name)
		name = path;
	if (check_text("--name", name, 255, false) != 0)
		goto out;
	rc = ADMIN_FAIL;
	if (admin_connect(a) != 0)
		goto out;
	struct route pr = { 0 };
	if (parent && (find_group(a, parent, &pr) != 0 || check_visibility_within(visibility, &pr) != 0))
		goto out;

	char pid[24], vis[12];
	fmt_id(pid, sizeof pid, pr.id);
	snprintf(vis, sizeof vis, "%d", visibility);
	struct db_err err;
	const char *params[] = { path, name, parent ? pid : NULL, vis };
	PGresult *res = admin_query(a->db,
				"INSERT INTO namespaces (type, path, name, parent_id, visibility_level)"
				" VALUES ('Group', $1, $2, $3, $4) RETURNING id",
				4, params, &err);
	if (!res) {
		admin_fail("cannot add group \"%s%s%s\": %s", parent ? pr.path : "", parent ? "/" : "", path,
		     db_err_reason(&err));
		goto out;
	}
	printf("added group %s%s%s (id %s, %s)\n", parent ? pr.path : "", parent ? "/" : "", path,
	       PQgetvalue(res, 0, 0), gitlab_visibility_name(visibility));
	PQclear(res);
	rc = ADMIN_OK;
out:
	free(copy);
	return rc;
}

int cmd_group(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = { { "add", group_add }, { NULL, NULL } };
	return admin_dispatch(a, verbs, argc, argv);
}

static int project_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' }, { "visibility", required_argument, NULL, 'v' },
		{ "default-branch", required_argument, NULL, 'b' }, { NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *branch = NULL;
	int visibility = 0, c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'b': branch = optarg; break;
		case 'v':
			if (parse_visibility_opt(optarg, &visibility) != 0)
				return ADMIN_USAGE;
			break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 1, 1, "FULLPATH");
	const char *full = argv[optind], *slash = strrchr(full, '/');
	if (!slash || slash == full)
		return usage_error("project add: expected NAMESPACE/PROJECT, not \"%s\"", full);
	const char *path = slash + 1;
	if (!valid_project_segment(path))
		return usage_error("project add: \"%s\" is not a valid project path", path);
	if (!name)
		name = path;
	if (check_text("--name", name, 255, false) != 0)
		return ADMIN_USAGE;
	if (branch && !valid_branch_name(branch))
		return usage_error("project add: \"%s\" is not a valid branch name", branch);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	char *ns_path = strndup(full, (size_t)(slash - full));
	if (!ns_path)
		return admin_fail("out of memory");
	struct route ns;
	struct db_err err;
	int found = db_find_route(a->db, ns_path, &ns, &err);
	int rc = ADMIN_FAIL;
	if (found < 0)
		admin_fail("looking up namespace \"%s\": %s", ns_path, err.message);
	else if (!found || ns.is_project)
		admin_fail("namespace \"%s\" not found (add the group or user first)", ns_path);
	else if (check_visibility_within(visibility, &ns) == 0)
		rc = ADMIN_OK;
	free(ns_path);
	if (rc != ADMIN_OK)
		return rc;

	char nsid[24], vis[12];
	fmt_id(nsid, sizeof nsid, ns.id);
	snprintf(vis, sizeof vis, "%d", visibility);
	const char *params[] = { nsid, path, name, vis, branch };
	PGresult *res = admin_query(a->db,
				"INSERT INTO projects (namespace_id, path, name, visibility_level, default_branch)"
				" VALUES ($1, $2, $3, $4, $5) RETURNING id, disk_path",
				5, params, &err);
	if (!res)
		return admin_fail("cannot add project \"%s/%s\": %s", ns.path, path, db_err_reason(&err));
	printf("added project %s/%s (id %s, %s, %s.git)\n", ns.path, path, PQgetvalue(res, 0, 0),
	       gitlab_visibility_name(visibility), PQgetvalue(res, 0, 1));
	PQclear(res);
	return ADMIN_OK;
}

static int project_set(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "default-branch", required_argument, NULL, 'b' }, { "visibility", required_argument, NULL, 'v' },
		{ "lfs", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 },
	};
	const char *branch = NULL, *lfs = NULL;
	int visibility = -1, c;
	bool lfs_on = false;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': branch = optarg; break;
		case 'l': lfs = optarg; break;
		case 'v':
			if (parse_visibility_opt(optarg, &visibility) != 0)
				return ADMIN_USAGE;
			break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 1, 1, "PROJECT [--default-branch B] [--visibility V] [--lfs on|off]");
	const char *project = argv[optind];
	if (!branch && visibility < 0 && !lfs)
		return usage_error("project set: give at least one of --default-branch, --visibility and --lfs");
	if (branch && !valid_branch_name(branch))
		return usage_error("project set: \"%s\" is not a valid branch name", branch);
	if (lfs && parse_on_off("project set: --lfs", lfs, &lfs_on) != 0)
		return ADMIN_USAGE;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (find_project(a, project, &r) != 0)
		return ADMIN_FAIL;

	char pid[24], vis[12];
	fmt_id(pid, sizeof pid, r.id);
	snprintf(vis, sizeof vis, "%d", visibility);
	struct db_err err;
	if (db_begin(a->db, &err) != 0)
		return admin_fail("cannot change project %s: %s", r.path, err.message);
	/* The namespace's visibility, held until the change is in. */
	const char *idp[] = { pid };
	PGresult *res = admin_query(a->db,
				"SELECT n.visibility_level, rn.path FROM projects p"
				"  JOIN namespaces n ON n.id = p.namespace_id"
				"  JOIN routes rn ON rn.namespace_id = n.id"
				" WHERE p.id = $1 FOR UPDATE OF p FOR SHARE OF n",
				1, idp, &err);
	if (!res) {
		db_rollback(a->db);
		return admin_fail("cannot change project %s: %s", r.path, err.message);
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(a->db);
		return admin_fail("project \"%s\" not found", project);
	}
	struct route ns = { .visibility = atoi(PQgetvalue(res, 0, 0)) };
	snprintf(ns.path, sizeof ns.path, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (visibility >= 0 && check_visibility_within(visibility, &ns) != 0) {
		db_rollback(a->db);
		return ADMIN_FAIL;
	}
	const char *params[] = { pid, branch, visibility >= 0 ? vis : NULL, lfs ? (lfs_on ? "t" : "f") : NULL };
	res = admin_query(a->db,
		      "UPDATE projects SET default_branch = coalesce($2, default_branch),"
		      "       visibility_level = coalesce($3::integer, visibility_level),"
		      "       lfs_enabled = coalesce($4::boolean, lfs_enabled)"
		      " WHERE id = $1 RETURNING default_branch, visibility_level, lfs_enabled",
		      4, params, &err);
	if (!res) {
		db_rollback(a->db);
		return admin_fail("cannot change project %s: %s", r.path, db_err_reason(&err));
	}
	if (db_commit(a->db, &err) != 0) {
		PQclear(res);
		return admin_fail("cannot change project %s: %s", r.path, err.message);
	}
	printf("project %s: default branch %s, %s, LFS %s\n", r.path,
	       PQgetisnull(res, 0, 0) ? "-" : PQgetvalue(res, 0, 0), gitlab_visibility_name(atoi(PQgetvalue(res, 0, 1))),
	       PQgetvalue(res, 0, 2)[0] == 't' ? "on" : "off");
	PQclear(res);
	return ADMIN_OK;
}

static int project_set_archived(struct admin *a, int argc, char **argv, bool archive)
{
	int c;

	if ((c = admin_operands(argc, argv, 1, 1, "PROJECT")) != 0)
		return c;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (find_project(a, argv[optind], &r) != 0)
		return ADMIN_FAIL;

	char pid[24];
	fmt_id(pid, sizeof pid, r.id);
	struct db_err err;
	const char *params[] = { pid, archive ? "t" : "f" };
	PGresult *res = admin_query(a->db, "UPDATE projects SET archived = $2 WHERE id = $1 AND archived <> $2 RETURNING id",
				2, params, &err);
	if (!res)
		return admin_fail("%s project %s: %s", archive ? "archiving" : "unarchiving", r.path, err.message);
	bool changed = PQntuples(res) == 1;
	PQclear(res);
	if (changed)
		printf("%s project %s\n", archive ? "archived" : "unarchived", r.path);
	else
		printf("project %s %s\n", r.path, archive ? "was already archived" : "was not archived");
	return ADMIN_OK;
}

static int project_archive(struct admin *a, int argc, char **argv)
{
	return project_set_archived(a, argc, argv, true);
}

static int project_unarchive(struct admin *a, int argc, char **argv)
{
	return project_set_archived(a, argc, argv, false);
}

int cmd_project(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", project_add },		    { "set", project_set },
		{ "archive", project_archive },	    { "unarchive", project_unarchive },
		{ NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}

/* ---- member ----------------------------------------------------------- */

static int member_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "project", required_argument, NULL, 'p' }, { "group", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *project = NULL, *group = NULL;
	int c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': project = optarg; break;
		case 'g': group = optarg; break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "USERNAME (--project FULLPATH | --group FULLPATH) ACCESS_LEVEL");
	if (!project == !group)
		return usage_error("member add: give exactly one of --project and --group");
	const char *username = argv[optind];
	int level = gitlab_access_parse(argv[optind + 1]);
	if (level < 0)
		return usage_error("member add: access level must be 10, 20, 30, 40, 50 or guest, reporter, "
				   "developer, maintainer, owner; not \"%s\"", argv[optind + 1]);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	long long user_id;
	struct route r;
	struct db_err err;
	if (find_user(a, username, &user_id) != 0)
		return ADMIN_FAIL;
	if (group) {
		if (find_group(a, group, &r) != 0)
			return ADMIN_FAIL;
	} else {
		int found = db_find_route(a->db, project, &r, &err);
		if (found < 0)
			return admin_fail("looking up project \"%s\": %s", project, err.message);
		if (!found || !r.is_project)
			return admin_fail("project \"%s\" not found", project);
	}

	char uid[24], sid[24], lvl[12];
	fmt_id(uid, sizeof uid, user_id);
	fmt_id(sid, sizeof sid, r.id);
	snprintf(lvl, sizeof lvl, "%d", level);
	const char *params[] = { uid, sid, lvl };
	PGresult *res = admin_query(a->db,
				group ? "INSERT INTO members (user_id, namespace_id, access_level) VALUES ($1, $2, $3)"
					" ON CONFLICT (user_id, namespace_id) WHERE namespace_id IS NOT NULL"
					" DO UPDATE SET access_level = EXCLUDED.access_level"
				      : "INSERT INTO members (user_id, project_id, access_level) VALUES ($1, $2, $3)"
					" ON CONFLICT (user_id, project_id) WHERE project_id IS NOT NULL"
					" DO UPDATE SET access_level = EXCLUDED.access_level",
				3, params, &err);
	if (!res)
		return admin_fail("cannot add %s to \"%s\": %s", username, r.path, db_err_reason(&err));
	PQclear(res);
	printf("%s is now %s (%d) of %s %s\n", username, gitlab_access_name(level), level,
	       group ? "group" : "project", r.path);
	return ADMIN_OK;
}

int cmd_member(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = { { "add", member_add }, { NULL, NULL } };
	return admin_dispatch(a, verbs, argc, argv);
}

/* ---- token ------------------------------------------------------------ */

/* "api,read_user" → "{api,read_user}", each scope known and given once. */
static int scopes_literal(const char *list, char *out, size_t outlen)
{
	char *copy = strdup(list), *save = NULL;
	size_t used = 0, count = 0;
	const char *seen[16];

	if (!copy)
		return admin_fail("out of memory");
	out[used++] = '{';
	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (!gitlab_token_scope_valid(s, true)) {
			usage_error("token create: unknown scope \"%s\" (" GITLAB_TOKEN_SCOPES_TEXT ")", s);
			free(copy);
			return -1;
		}
		for (size_t i = 0; i < count; i++)
			if (strcmp(seen[i], s) == 0) {
				usage_error("token create: scope \"%s\" given twice", s);
				free(copy);
				return -1;
			}
		if (count == sizeof seen / sizeof seen[0] || used + strlen(s) + 3 > outlen) {
			usage_error("token create: too many scopes");
			free(copy);
			return -1;
		}
		seen[count++] = s;
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", count > 1 ? "," : "", s);
	}
	free(copy);
	if (count == 0)
		return usage_error("token create: --scopes needs at least one scope"), -1;
	snprintf(out + used, outlen - used, "}");
	return 0;
}

static int token_create(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "scopes", required_argument, NULL, 's' }, { "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scopes = NULL, *expires = NULL;
	char scope_array[256], errbuf[512], token[64], digest[65];
	unsigned char *pepper = NULL;
	size_t pepper_len = 0;
	int c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 's': scopes = optarg; break;
		case 'e': expires = optarg; break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "USERNAME NAME");
	const char *username = argv[optind], *name = argv[optind + 1];
	if (check_text("the token name", name, 255, false) != 0)
		return ADMIN_USAGE;
	if (!scopes)
		return usage_error("token create: --scopes is required (e.g. --scopes api)");
	if (scopes_literal(scopes, scope_array, sizeof scope_array) != 0)
		return ADMIN_USAGE;
	if (expires && check_future_date("--expires", expires) != 0)
		return ADMIN_USAGE;
	if (admin_load_config(a) != 0)
		return ADMIN_FAIL;
	if (pepper_load(a->conf.token_pepper_file, &pepper, &pepper_len, errbuf, sizeof errbuf) != 0)
		return admin_fail("cannot create a token: %s", errbuf);

	int rc = ADMIN_FAIL;
	long long user_id;
	if (admin_connect(a) != 0 || find_user(a, username, &user_id) != 0)
		goto out;
	if (token_generate(token, sizeof token) != 0 ||
	    token_digest(pepper, pepper_len, token, strlen(token), digest) != 0) {
		admin_fail("cannot create a token: OpenSSL failed");
		goto out;
	}
	char uid[24];
	fmt_id(uid, sizeof uid, user_id);
	struct db_err err;
	const char *params[] = { uid, name, digest, scope_array, expires };
	if (admin_command(a->db,
		   "INSERT INTO personal_access_tokens (user_id, name, token_digest, scopes, expires_at)"
		   " VALUES ($1, $2, $3, $4::text[], $5::date)",
		   5, params, &err) != 0) {
		admin_fail("cannot create a token: %s", db_err_reason(&err));
		goto out;
	}
	/* The only place a token is ever shown: once, alone on stdout. */
	printf("%s\n", token);
	rc = ADMIN_OK;
out:
	OPENSSL_cleanse(token, sizeof token);
	pepper_free(pepper, pepper_len);
	return rc;
}

int cmd_token(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = { { "create", token_create }, { NULL, NULL } };
	return admin_dispatch(a, verbs, argc, argv);
}

/* ---- deploy-key --------------------------------------------------------- */

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
	if (username && find_user(a, username, &user_id) != 0)
		return ADMIN_FAIL;

	char *stored = key_line_stripped(line);
	char uid[24];
	if (!stored)
		return admin_fail("out of memory");
	fmt_id(uid, sizeof uid, user_id);
	struct db_err err;
	const char *params[] = { username ? uid : NULL, title, stored, key.fingerprint, md5[0] ? md5 : NULL };
	PGresult *res = admin_query(a->db,
				"INSERT INTO keys (type, user_id, title, key, fingerprint_sha256, fingerprint)"
				" VALUES ('DeployKey', $1, $2, $3, $4, $5) RETURNING id",
				5, params, &err);
	free(stored);
	if (!res)
		return key_insert_failed(a, &key, &err);
	printf("added deploy key %s (SHA256:%s)\n", PQgetvalue(res, 0, 0), key.fingerprint);
	PQclear(res);
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
	if (find_project(a, argv[optind + 1], &r) != 0)
		return ADMIN_FAIL;

	char kid[24], pid[24];
	fmt_id(kid, sizeof kid, id);
	fmt_id(pid, sizeof pid, r.id);
	struct db_err err;
	const char *params[] = { kid, pid, can_push ? "t" : "f" };
	PGresult *res = admin_query(a->db,
				"INSERT INTO deploy_keys_projects (deploy_key_id, project_id, can_push) VALUES ($1, $2, $3)"
				" ON CONFLICT (deploy_key_id, project_id) DO UPDATE SET can_push = EXCLUDED.can_push"
				" WHERE deploy_keys_projects.can_push <> EXCLUDED.can_push RETURNING (xmax = 0)",
				3, params, &err);
	if (!res)
		return admin_fail("cannot enable deploy key %lld on %s: %s", id, r.path, db_err_reason(&err));
	const char *how = can_push ? "read-write" : "read-only";
	if (PQntuples(res) == 0)
		printf("deploy key %lld was already enabled on %s (%s)\n", id, r.path, how);
	else if (PQgetvalue(res, 0, 0)[0] == 't')
		printf("enabled deploy key %lld on %s (%s)\n", id, r.path, how);
	else
		printf("deploy key %lld on %s is now %s\n", id, r.path, how);
	PQclear(res);
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
	if (find_project(a, argv[optind + 1], &r) != 0)
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

/* ---- protected-branch, protected-tag ------------------------------------ */

/* The branch rule and its role rows for push and merge, in one transaction.
 * Given again for a protected name, the rule is set anew: GitLab's defaults
 * for what the command leaves out, as import does. */
static int protected_branch_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "push", required_argument, NULL, 'p' }, { "merge", required_argument, NULL, 'm' },
		{ "allow-force-push", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 },
	};
	int push = 40, merge = 40, c;	/* GitLab protects with "Maintainers" */
	bool force_push = false;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (protected_level_opt("protected-branch add", "--push", optarg, &push) != 0)
				return ADMIN_USAGE;
			break;
		case 'm':
			if (protected_level_opt("protected-branch add", "--merge", optarg, &merge) != 0)
				return ADMIN_USAGE;
			break;
		case 'f': force_push = true; break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "PROJECT NAME");
	const char *name = argv[optind + 1];
	if (!valid_branch_name(name))
		return usage_error("protected-branch add: \"%s\" is not a valid branch name or pattern", name);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (find_project(a, argv[optind], &r) != 0)
		return ADMIN_FAIL;

	char pid[24], pushs[12], merges[12], bid[24];
	fmt_id(pid, sizeof pid, r.id);
	snprintf(pushs, sizeof pushs, "%d", push);
	snprintf(merges, sizeof merges, "%d", merge);
	struct db_err err;
	if (db_begin(a->db, &err) != 0)
		return admin_fail("cannot protect branch %s of %s: %s", name, r.path, err.message);
	const char *params[] = { pid, name, force_push ? "t" : "f" };
	PGresult *res = admin_query(a->db,
				"INSERT INTO protected_branches (project_id, name, allow_force_push) VALUES ($1, $2, $3)"
				" ON CONFLICT (project_id, name) DO UPDATE SET allow_force_push = EXCLUDED.allow_force_push"
				" RETURNING id, (xmax = 0)",
				3, params, &err);
	if (!res)
		goto failed;
	snprintf(bid, sizeof bid, "%s", PQgetvalue(res, 0, 0));
	bool created = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	/* The role rows; per-user and per-group rows (EE) are left alone. */
	const char *pp[] = { bid, pushs }, *mp[] = { bid, merges };
	if (admin_command(a->db,
		   "INSERT INTO protected_branch_push_access_levels (protected_branch_id, access_level)"
		   " VALUES ($1, $2) ON CONFLICT (protected_branch_id) WHERE user_id IS NULL AND group_id IS NULL"
		   " DO UPDATE SET access_level = EXCLUDED.access_level",
		   2, pp, &err) != 0 ||
	    admin_command(a->db,
		   "INSERT INTO protected_branch_merge_access_levels (protected_branch_id, access_level)"
		   " VALUES ($1, $2) ON CONFLICT (protected_branch_id) WHERE user_id IS NULL AND group_id IS NULL"
		   " DO UPDATE SET access_level = EXCLUDED.access_level",
		   2, mp, &err) != 0)
		goto failed;
	if (db_commit(a->db, &err) != 0)
		return admin_fail("cannot protect branch %s of %s: %s", name, r.path, err.message);
	printf("%s branch %s of %s (id %s): push %s, merge %s%s\n", created ? "protected" : "updated protected", name,
	       r.path, bid, gitlab_protected_name(push), gitlab_protected_name(merge),
	       force_push ? ", force push allowed" : "");
	return ADMIN_OK;
failed:
	db_rollback(a->db);
	return admin_fail("cannot protect branch %s of %s: %s", name, r.path, db_err_reason(&err));
}

static int protected_tag_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = { { "create", required_argument, NULL, 'c' }, { NULL, 0, NULL, 0 } };
	int create = 40, c;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (protected_level_opt("protected-tag add", "--create", optarg, &create) != 0)
				return ADMIN_USAGE;
			break;
		default: return option_error(c, argv);
		}
	}
	OPTIONS_END(argc, argv, 2, 2, "PROJECT NAME");
	const char *name = argv[optind + 1];
	if (!valid_branch_name(name))
		return usage_error("protected-tag add: \"%s\" is not a valid tag name or pattern", name);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (find_project(a, argv[optind], &r) != 0)
		return ADMIN_FAIL;

	char pid[24], creates[12], tid[24];
	fmt_id(pid, sizeof pid, r.id);
	snprintf(creates, sizeof creates, "%d", create);
	struct db_err err;
	if (db_begin(a->db, &err) != 0)
		return admin_fail("cannot protect tag %s of %s: %s", name, r.path, err.message);
	const char *params[] = { pid, name };
	/* DO UPDATE, not DO NOTHING, so that the row comes back either way. */
	PGresult *res = admin_query(a->db,
				"INSERT INTO protected_tags (project_id, name) VALUES ($1, $2)"
				" ON CONFLICT (project_id, name) DO UPDATE SET name = EXCLUDED.name"
				" RETURNING id, (xmax = 0)",
				2, params, &err);
	if (!res)
		goto failed;
	snprintf(tid, sizeof tid, "%s", PQgetvalue(res, 0, 0));
	bool created = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	const char *cp[] = { tid, creates };
	if (admin_command(a->db,
		   "INSERT INTO protected_tag_create_access_levels (protected_tag_id, access_level)"
		   " VALUES ($1, $2) ON CONFLICT (protected_tag_id) WHERE user_id IS NULL AND group_id IS NULL"
		   " DO UPDATE SET access_level = EXCLUDED.access_level",
		   2, cp, &err) != 0)
		goto failed;
	if (db_commit(a->db, &err) != 0)
		return admin_fail("cannot protect tag %s of %s: %s", name, r.path, err.message);
	printf("%s tag %s of %s (id %s): create %s\n", created ? "protected" : "updated protected", name, r.path, tid,
	       gitlab_protected_name(create));
	return ADMIN_OK;
failed:
	db_rollback(a->db);
	return admin_fail("cannot protect tag %s of %s: %s", name, r.path, db_err_reason(&err));
}

static int protected_list(struct admin *a, int argc, char **argv, bool tags)
{
	static const char *const branch_headings[] = { "ID", "NAME", "PUSH", "MERGE", "FORCE_PUSH", "CREATED" };
	static const char *const tag_headings[] = { "ID", "NAME", "CREATE", "CREATED" };
	int c;

	if ((c = admin_operands(argc, argv, 1, 1, "PROJECT")) != 0)
		return c;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (find_project(a, argv[optind], &r) != 0)
		return ADMIN_FAIL;

	char pid[24];
	fmt_id(pid, sizeof pid, r.id);
	struct db_err err;
	const char *params[] = { pid };
	PGresult *res = admin_query(a->db,
				tags ? "SELECT t.id, t.name,"
				       LEVELS_SQL("protected_tag_create_access_levels", "protected_tag_id", "t") ","
				       "       to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
				       "  FROM protected_tags t WHERE t.project_id = $1 ORDER BY t.name, t.id"
				     : "SELECT b.id, b.name,"
				       LEVELS_SQL("protected_branch_push_access_levels", "protected_branch_id", "b") ","
				       LEVELS_SQL("protected_branch_merge_access_levels", "protected_branch_id", "b") ","
				       "       CASE WHEN b.allow_force_push THEN 'yes' ELSE 'no' END,"
				       "       to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
				       "  FROM protected_branches b WHERE b.project_id = $1 ORDER BY b.name, b.id",
				1, params, &err);
	if (!res)
		return admin_fail("listing protected %s of %s: %s", tags ? "tags" : "branches", r.path, err.message);
	print_table(res, tags ? tag_headings : branch_headings);
	PQclear(res);
	return ADMIN_OK;
}

static int protected_rm(struct admin *a, int argc, char **argv, bool tags)
{
	int c;

	if ((c = admin_operands(argc, argv, 2, 2, "PROJECT NAME")) != 0)
		return c;
	const char *name = argv[optind + 1];
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	if (find_project(a, argv[optind], &r) != 0)
		return ADMIN_FAIL;

	/* Its access levels go with it (ON DELETE CASCADE). */
	char pid[24];
	fmt_id(pid, sizeof pid, r.id);
	struct db_err err;
	const char *params[] = { pid, name };
	PGresult *res = admin_query(a->db,
				tags ? "DELETE FROM protected_tags WHERE project_id = $1 AND name = $2 RETURNING id"
				     : "DELETE FROM protected_branches WHERE project_id = $1 AND name = $2 RETURNING id",
				2, params, &err);
	const char *what = tags ? "tag" : "branch";
	if (!res)
		return admin_fail("unprotecting %s %s of %s: %s", what, name, r.path, err.message);
	int n = PQntuples(res);
	PQclear(res);
	if (n == 0)
		return admin_fail("%s \"%s\" of %s is not protected", what, name, r.path);
	printf("unprotected %s %s of %s\n", what, name, r.path);
	return ADMIN_OK;
}

static int protected_branch_list(struct admin *a, int argc, char **argv)
{
	return protected_list(a, argc, argv, false);
}

static int protected_branch_rm(struct admin *a, int argc, char **argv)
{
	return protected_rm(a, argc, argv, false);
}

static int protected_tag_list(struct admin *a, int argc, char **argv)
{
	return protected_list(a, argc, argv, true);
}

static int protected_tag_rm(struct admin *a, int argc, char **argv)
{
	return protected_rm(a, argc, argv, true);
}

int cmd_protected_branch(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", protected_branch_add }, { "list", protected_branch_list }, { "rm", protected_branch_rm },
		{ NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}

int cmd_protected_tag(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", protected_tag_add }, { "list", protected_tag_list }, { "rm", protected_tag_rm }, { NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}
