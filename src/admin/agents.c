/* glia-admin agent: Kubernetes agents and their tokens (shown once, stored
 * as digests), and GitLab's rule for an agent name. */
#include "config.h"
#include "admin/admin.h"
#include "util.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Devise.friendly_token(50), as GitLab's Clusters::AgentToken. */
#define AGENT_TOKEN_CHARS 50

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

/* Inserts the agent, or with WRITE_MATCH finds it by id or by project and
 * name and updates what differs. */
int agent_write(PGconn *db, const struct agent_rec *g, enum write_mode mode, long long *id, int *outcome,
		struct write_err *e)
{
	char pid[24];
	bool exists = false;

	*id = g->id;
	fmt_id(pid, sizeof pid, g->project_id);
	if (mode == WRITE_MATCH) {
		const char *lp[] = { pid, g->name };
		PGresult *res = admin_query(db, "SELECT id FROM cluster_agents WHERE project_id = $1 AND name = $2", 2, lp,
					    &e->db);
		if (!res)
			return write_db_failed(e);
		bool named = PQntuples(res) == 1;
		long long by_name = named ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
		PQclear(res);
		exists = named;
		if (g->id) {
			int found = admin_row_exists(db, "SELECT 1 FROM cluster_agents WHERE id = $1", g->id, NULL, 0, &e->db);
			if (found < 0)
				return write_db_failed(e);
			if (named && by_name != g->id)
				return write_refused(e, "name", "project \"%s\" has agent \"%s\" as id %lld, not %lld",
						     g->project_path, g->name, by_name, g->id);
			exists = found;
		} else if (named) {
			*id = by_name;
		}
	}
	const char *params[] = { NULL, pid, g->name };
	return admin_write_row(db, exists, id,
			       "UPDATE cluster_agents SET project_id = $2, name = $3"
			       " WHERE id = $1 AND (project_id, name) IS DISTINCT FROM ($2::bigint, $3)",
			       "INSERT INTO cluster_agents (id, project_id, name)"
			       " VALUES (coalesce($1::bigint, nextval(pg_get_serial_sequence('cluster_agents', 'id'))),"
			       "         $2, $3) RETURNING id",
			       params, 3, outcome, NULL, e);
}

/* The token's row, by its digest: a new token's digest is new, and one taken
 * already fails (WRITE_INSERT); import's (WRITE_MATCH) moves to its agent. */
#define AGENT_TOKEN_INSERT "INSERT INTO cluster_agent_tokens (agent_id, token_digest, name) VALUES ($1, $2, $3)"
int agent_token_write(PGconn *db, long long agent_id, const char *digest, const char *name, enum write_mode mode,
		      int *outcome, struct db_err *err)
{
	char aid[24];
	fmt_id(aid, sizeof aid, agent_id);
	const char *params[] = { aid, digest, name };
	return admin_upsert(db,
			    mode == WRITE_INSERT ? AGENT_TOKEN_INSERT " RETURNING (xmax = 0)"
						 : AGENT_TOKEN_INSERT
						   " ON CONFLICT (token_digest) DO UPDATE SET agent_id = EXCLUDED.agent_id"
						   " WHERE cluster_agent_tokens.agent_id <> EXCLUDED.agent_id RETURNING (xmax = 0)",
			    params, 3, outcome, err);
}

/* An agent named by its id. 0, or the exit status after a message. */
static int find_agent(struct admin *a, const char *arg, long long *id)
{
	if (parse_id(arg, strlen(arg), id) != 0)
		return usage_error("\"%s\" is not an agent id", arg);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct db_err err;
	const char *params[] = { arg };
	PGresult *res = admin_query(a->db, "SELECT 1 FROM cluster_agents WHERE id = $1", 1, params, &err);
	if (!res)
		return admin_fail("finding agent %s: %s", arg, err.message);
	int found = PQntuples(res);
	PQclear(res);
	return found ? 0 : admin_fail("no agent with id %s", arg);
}

static int agent_add(struct admin *a, int argc, char **argv)
{
	int rc = admin_operands(argc, argv, 2, 2, "PROJECT NAME");
	if (rc)
		return rc;
	const char *project = argv[optind], *name = argv[optind + 1];
	if (!valid_agent_name(name))
		return usage_error("agent add: \"%s\" is not a valid agent name (lowercase letters, digits and '-', "
				   "at most 63, not starting or ending with '-')", name);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct route r;
	struct db_err err;
	int found = db_find_route(a->db, project, &r, &err);
	if (found < 0)
		return admin_fail("agent add: %s", err.message);
	if (!found || !r.is_project)
		return admin_fail("agent add: no project \"%s\"", project);
	struct agent_rec g = { .project_id = r.id, .name = name, .project_path = r.path };
	struct write_err e;
	long long id;
	int outcome;
	if (agent_write(a->db, &g, WRITE_INSERT, &id, &outcome, &e) != 0)
		return admin_fail("agent add: %s", e.message);
	printf("added agent %lld (%s in %s)\n", id, name, r.path);
	return ADMIN_OK;
}

static int agent_list(struct admin *a, int argc, char **argv)
{
	static const char *const headings[] = { "ID", "PROJECT", "NAME", "TOKENS", "LAST USED", "CREATED" };
	int rc = admin_operands(argc, argv, 0, 0, "no arguments");
	if (rc)
		return rc;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	return print_query(a->db, "listing agents", headings,
			   "SELECT a.id, r.path, a.name,"
			   "       (SELECT count(*) FROM cluster_agent_tokens t WHERE t.agent_id = a.id AND NOT t.revoked),"
			   "       (SELECT to_char(max(t.last_used_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
			   "          FROM cluster_agent_tokens t WHERE t.agent_id = a.id),"
			   "       to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
			   "  FROM cluster_agents a JOIN routes r ON r.project_id = a.project_id ORDER BY a.id",
			   0, NULL);
}


static int token_create(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = { { "name", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
	const char *name = NULL;
	char token[AGENT_TOKEN_CHARS + 1], digest[TOKEN_DIGEST_HEX + 1], errbuf[512];
	unsigned char *pepper = NULL;
	size_t pepper_len = 0;
	long long agent_id;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		default: return option_error(c, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error("%s: expected AGENT_ID", argv[0]);
	if (name && (!utf8_valid(name, strlen(name)) || strlen(name) > 255))
		return usage_error("agent token create: the name must be UTF-8 of at most 255 bytes");
	if (admin_load_config(a) != 0)
		return ADMIN_FAIL;
	if (pepper_load(a->conf.token_pepper_file, &pepper, &pepper_len, errbuf, sizeof errbuf) != 0)
		return admin_fail("cannot create a token: %s", errbuf);
	if ((rc = find_agent(a, argv[optind], &agent_id)) != 0)
		goto out;
	rc = ADMIN_FAIL;
	if (token_random(token, AGENT_TOKEN_CHARS) != 0 || token_digest(pepper, pepper_len, token, strlen(token), digest) != 0) {
		admin_fail("cannot create a token: OpenSSL failed");
		goto out;
	}
	struct db_err err;
	int outcome;
	if (agent_token_write(a->db, agent_id, digest, name, WRITE_INSERT, &outcome, &err) != 0) {
		admin_fail("cannot create a token: %s", db_err_reason(&err));
		goto out;
	}
	/* The only place the token is ever shown: once, alone on stdout. */
	printf("%s\n", token);
	rc = ADMIN_OK;
out:
	OPENSSL_cleanse(token, sizeof token);
	pepper_free(pepper, pepper_len);
	return rc;
}

static int token_list(struct admin *a, int argc, char **argv)
{
	static const char *const headings[] = { "ID", "NAME", "REVOKED", "LAST USED", "CREATED" };
	long long agent_id;
	int rc = admin_operands(argc, argv, 1, 1, "AGENT_ID");
	if (rc || (rc = find_agent(a, argv[optind], &agent_id)) != 0)
		return rc;
	const char *params[] = { argv[optind] };
	return print_query(a->db, "listing tokens", headings,
			   "SELECT id, name, CASE WHEN revoked THEN 'yes' ELSE 'no' END,"
			   "       to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
			   "       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
			   "  FROM cluster_agent_tokens WHERE agent_id = $1 ORDER BY id",
			   1, params);
}

static int token_revoke(struct admin *a, int argc, char **argv)
{
	long long id;
	int rc = admin_operands(argc, argv, 1, 1, "TOKEN_ID");
	if (rc)
		return rc;
	if (parse_id(argv[optind], strlen(argv[optind]), &id) != 0)
		return usage_error("\"%s\" is not a token id", argv[optind]);
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	struct db_err err;
	const char *params[] = { argv[optind] };
	PGresult *res = admin_query(a->db,
				"UPDATE cluster_agent_tokens SET revoked = true WHERE id = $1 RETURNING agent_id",
				1, params, &err);
	if (!res)
		return admin_fail("agent token revoke: %s", err.message);
	int n = PQntuples(res);
	if (n)
		printf("revoked token %s of agent %s\n", argv[optind], PQgetvalue(res, 0, 0));
	PQclear(res);
	return n ? ADMIN_OK : admin_fail("no agent token with id %s", argv[optind]);
}

static int agent_token(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "create", token_create }, { "list", token_list }, { "revoke", token_revoke }, { NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}

int cmd_agent(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
		{ "add", agent_add }, { "list", agent_list }, { "token", agent_token }, { NULL, NULL },
	};
	return admin_dispatch(a, verbs, argc, argv);
}
