/* glia-admin token: personal access tokens, shown once and stored as
 * digests under the token pepper, which this file reads for every command
 * that stores a secret. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"
#include "secret.h"
#include "token.h"

#include <openssl/crypto.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The token's row, by its digest. A new token's digest is new, and one
 * taken already fails (WRITE_INSERT); import's (WRITE_MATCH) takes the row
 * over, updating what differs. */
#define PAT_INSERT                                                                                        \
	"INSERT INTO personal_access_tokens (user_id, name, token_digest, scopes, expires_at, revoked)"    \
	" VALUES ($1, $2, $3, $4::text[], $5::date, $6)"
int pat_write(PGconn *db, const struct pat_rec *t, enum write_mode mode, int *outcome, struct db_err *err)
{
	char uid[24];
	fmt_id(uid, sizeof uid, t->user_id);
	const char *params[] = { uid, t->name, t->digest, t->scopes, t->expires, t->revoked ? "t" : "f" };
	return admin_upsert(db,
			    mode == WRITE_INSERT
				    ? PAT_INSERT " RETURNING (xmax = 0)"
				    : PAT_INSERT
				      " ON CONFLICT (token_digest) DO UPDATE SET user_id = EXCLUDED.user_id, name = EXCLUDED.name,"
				      "   scopes = EXCLUDED.scopes, expires_at = EXCLUDED.expires_at, revoked = EXCLUDED.revoked"
				      " WHERE (personal_access_tokens.user_id, personal_access_tokens.name,"
				      "        personal_access_tokens.scopes, personal_access_tokens.expires_at,"
				      "        personal_access_tokens.revoked)"
				      "       IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.name, EXCLUDED.scopes,"
				      "        EXCLUDED.expires_at, EXCLUDED.revoked)"
				      " RETURNING (xmax = 0)",
			    params, 6, outcome, err);
}

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
	if (admin_connect(a) != 0 || admin_find_user(a, username, &user_id) != 0)
		goto out;
	if (token_generate(token, sizeof token) != 0 ||
	    token_digest(pepper, pepper_len, token, strlen(token), digest) != 0) {
		admin_fail("cannot create a token: OpenSSL failed");
		goto out;
	}
	struct pat_rec t = { .user_id = user_id, .name = name, .digest = digest, .scopes = scope_array, .expires = expires };
	struct db_err err;
	int outcome;
	if (pat_write(a->db, &t, WRITE_INSERT, &outcome, &err) != 0) {
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
