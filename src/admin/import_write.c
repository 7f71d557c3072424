/* glia-admin import, second pass: writes the records in dependency order,
 * each entity's rows through its *_write (WRITE_MATCH: found by id or
 * natural key, then inserted, or updated only where it differs, so that a
 * second run of the same file writes nothing), after looking up the users
 * and paths a record names. */
#include "config.h"
#include "admin/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void count(struct import *im, int slot, int outcome)
{
	im->counts[slot].n[outcome]++;
}

static int db_failed(struct import *im, const char *at, const struct db_err *err)
{
	return import_error(im, at, NULL, "%s", db_err_reason(err));
}

static int write_failed(struct import *im, const char *at, const struct write_err *e)
{
	return import_error(im, at, e->field, "%s", e->message);
}

static int lookup_user(struct import *im, const char *at, const char *fieldname, const char *username, long long *id)
{
	struct db_err err;
	int found = db_find_user(im->a->db, username, id, &err);
	if (found < 0)
		return db_failed(im, at, &err);
	if (!found)
		return import_error(im, at, fieldname, "user \"%s\" not found", username);
	return 0;
}

/* kind: 'p' a project, 'g' a group, 'n' any namespace. */
static int lookup_route(struct import *im, const char *at, const char *fieldname, const char *path, char kind,
			struct route *r)
{
	struct db_err err;
	int found = db_find_route(im->a->db, path, r, &err);
	if (found < 0)
		return db_failed(im, at, &err);
	if (kind == 'p' && (!found || !r->is_project))
		return import_error(im, at, fieldname, "project \"%s\" not found", path);
	if (kind != 'p' && (!found || r->is_project))
		return import_error(im, at, fieldname, "%s \"%s\" not found", kind == 'g' ? "group" : "namespace", path);
	if (kind == 'g' && r->is_user_ns)
		return import_error(im, at, fieldname, "\"%s\" is a user's namespace, not a group", path);
	return 0;
}

static int check_visibility(struct import *im, const char *at, int visibility, const struct route *outer)
{
	char why[1280];
	if (!visibility_fits(visibility, outer, why, sizeof why))
		return import_error(im, at, "visibility", "%s", why);
	return 0;
}

static int write_users(struct import *im)
{
	for (size_t i = 0; i < im->nusers; i++) {
		const struct user_in *u = &im->users[i];
		struct user_rec rec = { .id = u->id, .username = u->username, .name = u->name, .email = u->email,
					.state = u->state, .admin = u->admin, .two_factor = u->two_factor };
		struct write_err e;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "users[%zu]", i);
		if (user_write(im->a->db, &rec, WRITE_MATCH, &id, &outcome, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_USERS, outcome);
	}
	return 0;
}

static int write_groups(struct import *im)
{
	for (size_t k = 0; k < im->ngroups; k++) {
		size_t i = im->group_order[k];
		const struct group_in *g = &im->groups[i];
		struct route parent = { 0 };
		struct write_err e;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "groups[%zu]", i);
		if (g->parent && (lookup_route(im, at, "parent", g->parent, 'g', &parent) != 0 ||
				  check_visibility(im, at, g->visibility, &parent) != 0))
			return -1;
		struct group_rec rec = { .id = g->id, .parent_id = g->parent ? parent.id : 0, .path = g->path,
					 .name = g->name, .full_path = g->full_path, .visibility = g->visibility };
		if (group_write(im->a->db, &rec, WRITE_MATCH, &id, &outcome, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_GROUPS, outcome);
	}
	return 0;
}

static int write_projects(struct import *im)
{
	for (size_t i = 0; i < im->nprojects; i++) {
		const struct project_in *p = &im->projects[i];
		struct route ns;
		struct write_err e;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "projects[%zu]", i);
		if (lookup_route(im, at, "namespace", p->ns, 'n', &ns) != 0 ||
		    check_visibility(im, at, p->visibility, &ns) != 0)
			return -1;
		struct project_rec rec = { .id = p->id, .namespace_id = ns.id, .path = p->path, .name = p->name,
					   .storage = p->storage, .branch = p->branch, .full_path = p->full_path,
					   .visibility = p->visibility, .archived = p->archived, .lfs = p->lfs };
		if (project_write(im->a->db, &rec, WRITE_MATCH, &id, &outcome, NULL, 0, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_PROJECTS, outcome);
	}
	return 0;
}

static int write_members(struct import *im)
{
	for (size_t i = 0; i < im->nmembers; i++) {
		const struct member_in *m = &im->members[i];
		struct route r;
		struct db_err err;
		char at[64];
		long long user_id;
		int outcome;
		snprintf(at, sizeof at, "members[%zu]", i);
		if (lookup_user(im, at, "user", m->user, &user_id) != 0 ||
		    lookup_route(im, at, m->project ? "project" : "group", m->project ? m->project : m->group,
				 m->project ? 'p' : 'g', &r) != 0)
			return -1;
		if (member_write(im->a->db, user_id, r.id, m->project == NULL, m->level, &outcome, &err) != 0)
			return db_failed(im, at, &err);
		count(im, C_MEMBERS, outcome);
	}
	return 0;
}

static int write_key(struct import *im, const char *at, const struct key_in *k, bool deploy, long long *id)
{
	struct write_err e;
	long long user_id = 0;
	int outcome;

	if (k->user && lookup_user(im, at, "user", k->user, &user_id) != 0)
		return -1;
	struct key_rec rec = { .id = k->id, .user_id = user_id, .title = k->title, .line = k->line,
			       .expires = k->expires, .key = &k->key, .md5 = k->md5 };
	if (key_write(im->a->db, &rec, deploy, WRITE_MATCH, id, &outcome, &e) != 0)
		return write_failed(im, at, &e);
	count(im, deploy ? C_DEPLOY_KEYS : C_KEYS, outcome);
	return 0;
}

static int write_keys(struct import *im)
{
	for (size_t i = 0; i < im->nkeys; i++) {
		char at[64];
		long long id;
		snprintf(at, sizeof at, "keys[%zu]", i);
		if (write_key(im, at, &im->keys[i], false, &id) != 0)
			return -1;
	}
	for (size_t i = 0; i < im->ndeploy_keys; i++) {
		const struct key_in *k = &im->deploy_keys[i];
		char at[64];
		long long id;
		snprintf(at, sizeof at, "deploy_keys[%zu]", i);
		if (write_key(im, at, k, true, &id) != 0)
			return -1;
		for (size_t j = 0; j < k->nlinks; j++) {
			char sub[96];
			struct route r;
			struct db_err err;
			int outcome;
			snprintf(sub, sizeof sub, "%s.projects[%zu]", at, j);
			if (lookup_route(im, sub, "project", k->links[j].project, 'p', &r) != 0)
				return -1;
			if (deploy_link_write(im->a->db, id, r.id, k->links[j].can_push, &outcome, &err) != 0)
				return db_failed(im, sub, &err);
			count(im, C_DEPLOY_LINKS, outcome);
		}
	}
	return 0;
}

static int write_branches(struct import *im)
{
	for (size_t i = 0; i < im->nbranches; i++) {
		const struct branch_in *b = &im->branches[i];
		struct route r;
		struct db_err err;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "protected_branches[%zu]", i);
		if (lookup_route(im, at, "project", b->project, 'p', &r) != 0)
			return -1;
		struct branch_rec rec = { .project_id = r.id, .name = b->name, .push = b->push, .merge = b->merge,
					  .force_push = b->force_push };
		if (branch_write(im->a->db, &rec, &id, &outcome, &err) != 0)
			return db_failed(im, at, &err);
		count(im, C_BRANCHES, outcome);
	}
	return 0;
}

static int write_pats(struct import *im)
{
	for (size_t i = 0; i < im->npats; i++) {
		const struct pat_in *t = &im->pats[i];
		struct db_err err;
		char at[64];
		long long user_id;
		int outcome;
		snprintf(at, sizeof at, "personal_access_tokens[%zu]", i);
		if (lookup_user(im, at, "user", t->user, &user_id) != 0)
			return -1;
		struct pat_rec rec = { .user_id = user_id, .name = t->name, .digest = t->digest, .scopes = t->scopes,
				       .expires = t->expires, .revoked = t->revoked };
		if (pat_write(im->a->db, &rec, WRITE_MATCH, &outcome, &err) != 0)
			return db_failed(im, at, &err);
		count(im, C_PATS, outcome);
	}
	return 0;
}

static int write_agents(struct import *im)
{
	for (size_t i = 0; i < im->nagents; i++) {
		const struct agent_in *g = &im->agents[i];
		struct route r;
		struct write_err e;
		char at[64];
		long long id;
		int outcome;
		snprintf(at, sizeof at, "cluster_agents[%zu]", i);
		if (lookup_route(im, at, "project", g->project, 'p', &r) != 0)
			return -1;
		struct agent_rec rec = { .id = g->id, .project_id = r.id, .name = g->name, .project_path = r.path };
		if (agent_write(im->a->db, &rec, WRITE_MATCH, &id, &outcome, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_AGENTS, outcome);
		for (size_t j = 0; j < g->ntokens; j++) {
			char sub[96];
			snprintf(sub, sizeof sub, "%s.tokens[%zu]", at, j);
			if (agent_token_write(im->a->db, id, g->digests[j], NULL, WRITE_MATCH, &outcome, &e.db) != 0)
				return db_failed(im, sub, &e.db);
			count(im, C_AGENT_TOKENS, outcome);
		}
	}
	return 0;
}

static int write_snippets(struct import *im)
{
	for (size_t i = 0; i < im->nsnippets; i++) {
		const struct snippet_in *s = &im->snippets[i];
		struct route r = { 0 };
		struct write_err e;
		char at[64];
		long long author;
		int outcome;
		snprintf(at, sizeof at, "snippets[%zu]", i);
		if (lookup_user(im, at, "author", s->author, &author) != 0 ||
		    (s->project && (lookup_route(im, at, "project", s->project, 'p', &r) != 0 ||
				    check_visibility(im, at, s->visibility, &r) != 0)))
			return -1;
		struct snippet_rec rec = { .id = s->id, .author_id = author, .project_id = s->project ? r.id : 0,
					   .title = s->title, .visibility = s->visibility };
		if (snippet_write(im->a->db, &rec, &outcome, &e) != 0)
			return write_failed(im, at, &e);
		count(im, C_SNIPPETS, outcome);
	}
	return 0;
}

/* Sequences must stay ahead of explicit ids: before writing, past the file's
 * ids (rows made by the sequence meanwhile, such as users' namespaces, must
 * not take an id the file gives a group later); after writing, past every
 * row. setval is not transactional: a rolled-back import leaves a gap. */
static const char *const sequenced[] = { "users", "namespaces", "projects", "keys", "cluster_agents", "snippets", NULL };

static long long max_file_id(const struct import *im, const char *table)
{
	long long m = 0;
#define MAX_OF(arr, n) for (size_t i = 0; i < (n); i++) if ((arr)[i].id > m) m = (arr)[i].id
	if (!strcmp(table, "users")) { MAX_OF(im->users, im->nusers); }
	else if (!strcmp(table, "namespaces")) { MAX_OF(im->groups, im->ngroups); }
	else if (!strcmp(table, "projects")) { MAX_OF(im->projects, im->nprojects); }
	else if (!strcmp(table, "keys")) { MAX_OF(im->keys, im->nkeys); MAX_OF(im->deploy_keys, im->ndeploy_keys); }
	else if (!strcmp(table, "cluster_agents")) { MAX_OF(im->agents, im->nagents); }
	else if (!strcmp(table, "snippets")) { MAX_OF(im->snippets, im->nsnippets); }
#undef MAX_OF
	return m;
}

static int bump_sequences(struct import *im, bool after)
{
	for (size_t t = 0; sequenced[t]; t++) {
		char max[24], sql[512];
		struct db_err err;
		const char *params[] = { sequenced[t], max };
		snprintf(max, sizeof max, "%lld", max_file_id(im, sequenced[t]));
		/* The table name comes from the constant list above. */
		if (after)
			snprintf(sql, sizeof sql,
				 "SELECT setval(s, m) FROM pg_get_serial_sequence($1, 'id') AS s,"
				 " (SELECT max(id) AS m FROM %s) AS t"
				 " WHERE m > coalesce(pg_sequence_last_value(s::regclass), 0)", sequenced[t]);
		else
			snprintf(sql, sizeof sql,
				 "SELECT setval(s, $2::bigint) FROM pg_get_serial_sequence($1, 'id') AS s"
				 " WHERE $2::bigint > coalesce(pg_sequence_last_value(s::regclass), 0)");
		if (admin_command(im->a->db, sql, after ? 1 : 2, params, &err) != 0)
			return import_error(im, sequenced[t], NULL, "advancing the id sequence: %s", err.message);
	}
	return 0;
}

int write_rows(struct import *im)
{
	return bump_sequences(im, false) || write_users(im) || write_groups(im) || write_projects(im) ||
	       write_members(im) || write_keys(im) || write_branches(im) || write_pats(im) || write_agents(im) ||
	       write_snippets(im) || bump_sequences(im, true);
}
