/* glia-admin's snippets: written by import only, matched by id (a snippet
 * has no natural key). */
#include "config.h"
#include "admin/admin.h"

#include <stdio.h>

int snippet_write(PGconn *db, const struct snippet_rec *s, int *outcome, struct write_err *e)
{
	char uid[24], pid[24], vis[12];
	long long id = s->id;
	int found = admin_row_exists(db, "SELECT 1 FROM snippets WHERE id = $1", s->id, NULL, 0, &e->db);
	if (found < 0)
		return write_db_failed(e);
	fmt_id(uid, sizeof uid, s->author_id);
	fmt_id(pid, sizeof pid, s->project_id);
	snprintf(vis, sizeof vis, "%d", s->visibility);
	const char *params[] = { NULL, uid, s->project_id ? pid : NULL, vis, s->title ? s->title : "" };
	return admin_write_row(db, found, &id,
			       "UPDATE snippets SET author_id = $2, project_id = $3, visibility_level = $4, title = $5"
			       " WHERE id = $1 AND (author_id, project_id, visibility_level, title)"
			       "       IS DISTINCT FROM ($2::bigint, $3::bigint, $4::integer, $5)",
			       "INSERT INTO snippets (id, author_id, project_id, visibility_level, title)"
			       " VALUES ($1, $2, $3, $4, $5) RETURNING id",
			       params, 5, outcome, NULL, e);
}
