/* What the billing endpoints (CustomersDot) share: the administrator check,
 * the namespace lookup and Grape-like typed values. billing.c holds these;
 * subscriptions.c and minutes.c hold the handlers. */
#ifndef GLIA_API_BILLING_H
#define GLIA_API_BILLING_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"

/* The statements of subscriptions.c and minutes.c, listed by billing.c. */
extern const struct db_stmt subscription_show, subscription_create, subscription_update, subscription_plan;
extern const struct db_stmt minutes_add_packs, minutes_move_packs, reconciliations_upsert;

/* A value as Grape sees it before coercion: absent, null, or a scalar with
 * its text (JSON numbers and booleans as their JSON text). */
enum bvalue_kind { BV_ABSENT, BV_NULL, BV_STRING, BV_INT, BV_BOOL, BV_OTHER };

struct bvalue {
	enum bvalue_kind kind;
	const char *s;
	size_t len;
};

/* What a coercion gives: nothing given, nil (null or a blank string, as
 * Grape turns "" into nil for every type but String), a value, or an
 * invalid value ("<name> is invalid"). */
enum bcoerce { BC_ABSENT, BC_NIL, BC_OK, BC_INVALID };

void bvalue_param(const struct request *req, const char *name, struct bvalue *v);
void bvalue_json(json_object *obj, const char *key, struct bvalue *v);

/* Date: YYYY-MM-DD, "13 Jun 2021" (day, month name, year) or DD/MM/YYYY,
 * each a real calendar day, written out as YYYY-MM-DD. */
int bvalue_date(const struct bvalue *v, char out[11]);
/* Integer in 0..2147483647 (a PostgreSQL integer), from a JSON integer or
 * a decimal string. */
int bvalue_int(const struct bvalue *v, long long *out);
/* Boolean as Grape accepts it: true/false, 1/0, t/f, yes/no, y/n, on/off. */
int bvalue_bool(const struct bvalue *v, bool *out);

/* The date parser itself, for the unit tests. 0 or -1. */
int billing_parse_date(const char *s, size_t len, char out[11]);

/* Grape's validation errors, collected in declaration order and joined with
 * ", " (duplicates dropped): {"error":"a is missing, b is invalid"}. */
struct grape_errors {
	char text[1024];
	size_t len;
};
void grape_error(struct grape_errors *e, const char *name, const char *what);

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
