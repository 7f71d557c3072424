/* What the billing endpoints (CustomersDot) share: the administrator check
 * and the namespace lookup, which billing.c holds; subscriptions.c and
 * minutes.c hold the handlers, reading their typed values with params.h. */
#ifndef GLIA_API_BILLING_H
#define GLIA_API_BILLING_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "api/params.h"

/* The statements of subscriptions.c and minutes.c, listed by billing.c. */
extern const struct db_stmt subscription_show, subscription_create, subscription_update, subscription_plan;
extern const struct db_stmt minutes_add_packs, minutes_move_packs, reconciliations_upsert;


/* A namespace named by a numeric id or a full path (":id" segments). */
struct namespace_ref {
	long long id;
	bool top_level;
};

/* The namespace named by an id or a full path; false after answering 404
 * with not_found ("404 Namespace Not Found") or the database failure. */
bool namespace_find(struct response *res, struct app *app, const char *id_or_path, struct namespace_ref *ns,
		    const char *not_found);

#endif
