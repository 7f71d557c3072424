/* glia-admin user: add, list, block, unblock, admin and 2fa, and GitLab's
 * rules for a username and an email address. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"
#include "api/repo.h"
#include "totp.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <strings.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool reserved_top_level(const char *s)
{
	/* "snippets/7" is a personal snippet's path (the routes table refuses it too). */
	return strcasecmp(s, "snippets") == 0;
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

/* Inserts the user, or with WRITE_MATCH finds it by id or username and
 * updates what differs. 2FA turned off forgets the TOTP secret, as
 * "user 2fa --off" does. */
int user_write(PGconn *db, const struct user_rec *u, enum write_mode mode, long long *id, int *outcome,
	       struct write_err *e)
{
	long long by_name = 0;
	bool exists = false;

	*id = u->id;
	if (mode == WRITE_MATCH) {
		int named = db_find_user(db, u->username, &by_name, &e->db);
		if (named < 0)
			return write_db_failed(e);
		exists = named;
		if (u->id) {
			if (named && by_name != u->id)
				return write_refused(e, "username", "\"%s\" belongs to user %lld, not %lld", u->username,
						     by_name, u->id);
			int found = admin_row_exists(db, "SELECT 1 FROM users WHERE id = $1", u->id, NULL, 0, &e->db);
			if (found < 0)
				return write_db_failed(e);
			exists = found;
		} else if (named) {
			*id = by_name;
		}
	}
	const char *params[] = { NULL, u->username, u->name ? u->name : u->username, u->email,
				 u->state ? u->state : "active", u->admin ? "t" : "f", u->two_factor ? "t" : "f" };
	return admin_write_row(db, exists, id,
			       "UPDATE users SET username = $2, name = $3, email = $4, state = $5, admin = $6,"
			       "       otp_required_for_login = $7,"
			       "       encrypted_otp_secret = CASE WHEN $7::boolean THEN encrypted_otp_secret END,"
			       "       consumed_timestep = CASE WHEN $7::boolean THEN consumed_timestep END"
			       " WHERE id = $1 AND (username, name, email, state, admin, otp_required_for_login)"
			       "       IS DISTINCT FROM ($2, $3, $4, $5, $6::boolean, $7::boolean)",
			       "INSERT INTO users (id, username, name, email, state, admin, otp_required_for_login)"
			       " VALUES (coalesce($1::bigint, nextval(pg_get_serial_sequence('users', 'id'))),"
			       "         $2, $3, $4, $5, $6, $7) RETURNING id",
			       params, 7, outcome, NULL, e);
}

static int user_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' }, { "email", required_argument, NULL, 'e' },
		{ "admin", no_argument, NULL, 'a' },      { "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *email = NULL, *state = NULL;
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
	/* Unlike import, which names the user after the username. */
	if (!name)
		return usage_error("user add: --name is required");
	if (check_text("--name", name, 255, false) != 0)
		return ADMIN_USAGE;
	if (email && !valid_email(email))
		return usage_error("user add: \"%s\" is not an email address", email);
	if (state && !gitlab_user_state_valid(state))
		return usage_error("user add: --state must be one of active, blocked, deactivated, "
				   "blocked_pending_approval, ldap_blocked");
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;

	struct user_rec u = { .username = username, .name = name, .email = email, .state = state, .admin = admin };
	struct write_err e;
	long long id;
	int outcome;
	if (user_write(a->db, &u, WRITE_INSERT, &id, &outcome, &e) != 0)
		return admin_fail("cannot add user \"%s\": %s", username, e.message);
	printf("added user %s (id %lld)\n", username, id);
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

/* An UPDATE of one user named by $1 (params[0]) that returns a row only
 * when it changed something, after connecting. Returns 1 (changed: *row
 * holds the result, the caller clears it), 0 (the user exists, nothing
 * changed) or -1 (reported: a database error, "DOING \"NAME\": ...", or no
 * such user). */
static int user_update(struct admin *a, const char *doing, const char *sql, int nparams, const char *const *params,
		       PGresult **row)
{
	struct db_err err;
	long long id;

	*row = NULL;
	if (admin_connect(a) != 0)
		return -1;
	PGresult *res = admin_query(a->db, sql, nparams, params, &err);
	if (!res) {
		admin_fail("%s \"%s\": %s", doing, params[0], err.message);
		return -1;
	}
	if (PQntuples(res) == 1) {
		*row = res;
		return 1;
	}
	PQclear(res);
	return admin_find_user(a, params[0], &id) != 0 ? -1 : 0;
}

static int user_block(struct admin *a, int argc, char **argv)
{
	PGresult *row;
	int c;

	if ((c = admin_operands(argc, argv, 1, 1, "USERNAME")) != 0)
		return c;
	const char *params[] = { argv[optind] };
	int changed = user_update(a, "blocking user",
				  "UPDATE users SET state = 'blocked'"
				  " WHERE lower(username) = lower($1) AND state <> 'blocked' RETURNING username",
				  1, params, &row);
	if (changed < 0)
		return ADMIN_FAIL;
	PQclear(row);
	printf(changed ? "blocked user %s\n" : "user %s was already blocked\n", params[0]);
	return ADMIN_OK;
}

static int user_unblock(struct admin *a, int argc, char **argv)
{
	PGresult *row;
	int c;

	if ((c = admin_operands(argc, argv, 1, 1, "USERNAME")) != 0)
		return c;
	/* Whatever kept the user out (blocked, ldap_blocked, deactivated,
	 * blocked_pending_approval): glia has no web sign-in to lift it. */
	const char *params[] = { argv[optind] };
	int changed = user_update(a, "unblocking user",
				  "UPDATE users u SET state = 'active'"
				  "  FROM (SELECT id, state FROM users WHERE lower(username) = lower($1) FOR UPDATE) old"
				  " WHERE u.id = old.id AND old.state <> 'active' RETURNING old.state",
				  1, params, &row);
	if (changed < 0)
		return ADMIN_FAIL;
	if (changed)
		printf("unblocked user %s (was %s)\n", params[0], PQgetvalue(row, 0, 0));
	else
		printf("user %s was already active\n", params[0]);
	PQclear(row);
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

	const char *params[] = { username, on ? "t" : "f" };
	PGresult *row;
	int changed = user_update(a, f->doing, f->sql, 2, params, &row);
	if (changed < 0)
		return ADMIN_FAIL;
	PQclear(row);
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
	if (admin_connect(a) != 0 || admin_find_user(a, username, &id) != 0)
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
	const char *params[] = { username };
	PGresult *row;
	int changed = user_update(a, "setting two-factor authentication for user",
				  "WITH u AS (UPDATE users SET otp_required_for_login = false, otp_backup_codes = NULL,"
				  "                  encrypted_otp_secret = NULL, consumed_timestep = NULL,"
				  "                  failed_attempts = 0, locked_at = NULL"
				  "            WHERE lower(username) = lower($1)"
				  "              AND (otp_required_for_login OR otp_backup_codes IS NOT NULL"
				  "                   OR encrypted_otp_secret IS NOT NULL OR consumed_timestep IS NOT NULL)"
				  "            RETURNING id),"
				  "     gone AS (DELETE FROM two_factor_otp_sessions s USING u WHERE s.user_id = u.id)"
				  " SELECT id FROM u",
				  1, params, &row);
	if (changed < 0)
		return ADMIN_FAIL;
	PQclear(row);
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
		"setting admin for user",
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
