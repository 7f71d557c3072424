/* Reading a handler's parameters as Grape declares them (params.h). */
#include "config.h"
#include "api/params.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A parameter with a value, or NULL: null is absent to Grape's optional
 * and missing to its requires. */
static const struct param *given(const struct request *req, const char *name)
{
	const struct param *p = request_param(req, name);
	return p && p->type != PARAM_NULL ? p : NULL;
}

int param_integer(const struct request *req, const char *name, long long *out)
{
	const struct param *p = given(req, name);
	if (!p)
		return PARAM_ABSENT;
	if ((p->type != PARAM_INT && p->type != PARAM_STRING) || parse_int64(p->str, p->len, out) < 0)
		return PARAM_INVALID;
	return PARAM_OK;
}

int param_scalar(const struct request *req, const char *name, const char **out, size_t *len)
{
	const struct param *p = given(req, name);
	if (!p)
		return PARAM_ABSENT;
	if (p->type != PARAM_STRING && p->type != PARAM_INT)
		return PARAM_INVALID;
	*out = p->str;
	*len = p->len;
	return PARAM_OK;
}

int param_object(const struct request *req, const char *name, json_object **out)
{
	const struct param *p = given(req, name);
	*out = NULL;
	if (!p)
		return PARAM_ABSENT;
	if (p->type != PARAM_OBJECT || !p->json)
		return PARAM_INVALID;
	*out = p->json;
	return PARAM_OK;
}

int param_json_object(const struct request *req, const char *name, json_object **out, json_object **owned)
{
	const struct param *p = given(req, name);
	*out = NULL;
	if (!p)
		return PARAM_ABSENT;
	if (p->type == PARAM_OBJECT && p->json) {
		*out = p->json;
		return PARAM_OK;
	}
	if (p->type == PARAM_STRING && (*owned = request_json_parse(p->str, p->len)) &&
	    json_object_is_type(*owned, json_type_object)) {
		*out = *owned;
		return PARAM_OK;
	}
	return PARAM_INVALID;
}

int param_object_array(const struct request *req, const char *name, size_t max, json_object **out)
{
	const struct param *p = given(req, name);
	*out = NULL;
	if (!p)
		return PARAM_ABSENT;
	if (p->type != PARAM_ARRAY || !p->json || json_object_array_length(p->json) > max)
		return PARAM_INVALID;
	for (size_t i = 0; i < json_object_array_length(p->json); i++)
		if (!json_object_is_type(json_object_array_get_idx(p->json, i), json_type_object))
			return PARAM_INVALID;
	*out = p->json;
	return PARAM_OK;
}

int param_string_list(const struct request *req, const char *name, size_t max, struct arena *a,
		      const char ***out, size_t *n)
{
	const struct param *p = given(req, name);
	*n = 0;
	*out = NULL;
	if (!p)
		return PARAM_ABSENT;
	if (p->type != PARAM_ARRAY)
		return PARAM_INVALID;
	if (!p->json) {
		if (p->n_items > max)
			return PARAM_INVALID;
		*out = p->items;
		*n = p->n_items;
		return PARAM_OK;
	}
	size_t len = json_object_array_length(p->json);
	if (len > max)
		return PARAM_INVALID;
	*out = arena_alloc(a, (len ? len : 1) * sizeof **out);
	if (!*out)
		return PARAM_INVALID;
	for (size_t i = 0; i < len; i++) {
		json_object *item = json_object_array_get_idx(p->json, i);
		if (!json_object_is_type(item, json_type_string))
			return PARAM_INVALID;
		(*out)[i] = json_object_get_string(item);
	}
	*n = len;
	return PARAM_OK;
}

/* --- Grape's view of a value, and its coercions */

void grape_json(json_object *obj, const char *key, struct grape_value *v)
{
	json_object *val;
	v->kind = GV_ABSENT;
	v->s = NULL;
	v->len = 0;
	if (!obj || !json_object_object_get_ex(obj, key, &val))
		return;
	switch (json_object_get_type(val)) {
	case json_type_null:
		v->kind = GV_NULL;
		break;
	case json_type_string:
		v->kind = GV_STRING;
		v->s = json_object_get_string(val);
		v->len = (size_t)json_object_get_string_len(val);
		break;
	case json_type_int:
		v->kind = GV_INT;
		v->s = json_object_get_string(val);
		v->len = strlen(v->s);
		break;
	case json_type_boolean:
		v->kind = GV_BOOL;
		v->s = json_object_get_boolean(val) ? "true" : "false";
		v->len = strlen(v->s);
		break;
	default:
		v->kind = GV_OTHER;
		break;
	}
}

void grape_param(const struct request *req, const char *name, struct grape_value *v)
{
	const struct param *p = request_param(req, name);
	v->kind = GV_ABSENT;
	v->s = NULL;
	v->len = 0;
	if (!p)
		return;
	switch (p->type) {
	case PARAM_NULL: v->kind = GV_NULL; return;
	case PARAM_STRING: v->kind = GV_STRING; break;
	case PARAM_INT: v->kind = GV_INT; break;
	case PARAM_BOOL: v->kind = GV_BOOL; break;
	default: v->kind = GV_OTHER; return;
	}
	v->s = p->str;
	v->len = p->str ? strlen(p->str) : 0;
	if (p->type == PARAM_STRING)
		v->len = p->len;
}

static int grape_common(const struct grape_value *v)
{
	if (v->kind == GV_ABSENT)
		return GC_ABSENT;
	if (v->kind == GV_NULL || (v->kind == GV_STRING && v->len == 0))
		return GC_NIL;
	if (v->kind == GV_OTHER || !v->s)
		return GC_INVALID;
	return GC_OK;
}

static const char *const month_names[] = {
	"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december",
};

static bool all_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int date_out(long long y, long long m, long long d, char out[11])
{
	if (!calendar_day_valid(y, m, d))
		return -1;
	char tmp[40];	/* roomy, since the compiler cannot see the ranges above */
	snprintf(tmp, sizeof tmp, "%04lld-%02lld-%02lld", y, m, d);
	memcpy(out, tmp, 11);
	return 0;
}

int grape_parse_date(const char *s, size_t len, char out[11])
{
	long long y, m, d;

	/* YYYY-MM-DD */
	if (len == 10 && s[4] == '-' && s[7] == '-' && all_digits(s, 4) && all_digits(s + 5, 2) &&
	    all_digits(s + 8, 2)) {
		parse_int64(s, 4, &y);
		parse_int64(s + 5, 2, &m);
		parse_int64(s + 8, 2, &d);
		return date_out(y, m, d, out);
	}
	/* DD/MM/YYYY, as Ruby's Date.parse reads it */
	if (len == 10 && s[2] == '/' && s[5] == '/' && all_digits(s, 2) && all_digits(s + 3, 2) &&
	    all_digits(s + 6, 4)) {
		parse_int64(s, 2, &d);
		parse_int64(s + 3, 2, &m);
		parse_int64(s + 6, 4, &y);
		return date_out(y, m, d, out);
	}
	/* "13 Jun 2021", "6 June 2021": day, one space, month name or its
	 * first three letters, one space, four-digit year */
	const char *sp1 = memchr(s, ' ', len);
	if (!sp1)
		return -1;
	size_t dl = (size_t)(sp1 - s);
	const char *rest = sp1 + 1, *end = s + len;
	const char *sp2 = memchr(rest, ' ', (size_t)(end - rest));
	if (!sp2 || dl < 1 || dl > 2 || !all_digits(s, dl))
		return -1;
	size_t ml = (size_t)(sp2 - rest), yl = (size_t)(end - sp2 - 1);
	if (yl != 4 || !all_digits(sp2 + 1, 4) || ml < 3)
		return -1;
	m = 0;
	for (int i = 0; i < 12 && !m; i++)
		if ((ml == 3 || ml == strlen(month_names[i])) && strncasecmp(rest, month_names[i], ml) == 0)
			m = i + 1;
	if (!m)
		return -1;
	parse_int64(s, dl, &d);
	parse_int64(sp2 + 1, 4, &y);
	return date_out(y, m, d, out);
}

int grape_date(const struct grape_value *v, char out[11])
{
	int c = grape_common(v);
	if (c != GC_OK)
		return c;
	if (v->kind != GV_STRING || grape_parse_date(v->s, v->len, out) < 0)
		return GC_INVALID;
	return GC_OK;
}

int grape_int(const struct grape_value *v, long long *out)
{
	int c = grape_common(v);
	if (c != GC_OK)
		return c;
	if (v->kind == GV_BOOL || parse_int64(v->s, v->len, out) < 0 || *out < 0 || *out > 2147483647LL)
		return GC_INVALID;
	return GC_OK;
}

int grape_bool(const struct grape_value *v, bool *out)
{
	static const char *const yes[] = { "1", "on", "On", "ON", "t", "true", "True", "TRUE", "T", "y", "yes",
					   "Yes", "YES", "Y" };
	static const char *const no[] = { "0", "off", "Off", "OFF", "f", "false", "False", "FALSE", "F", "n", "no",
					  "No", "NO", "N" };
	int c = grape_common(v);
	if (c != GC_OK)
		return c;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strlen(yes[i]) == v->len && memcmp(yes[i], v->s, v->len) == 0) {
			*out = true;
			return GC_OK;
		}
		if (strlen(no[i]) == v->len && memcmp(no[i], v->s, v->len) == 0) {
			*out = false;
			return GC_OK;
		}
	}
	return GC_INVALID;
}

bool grape_requires(struct grape_errors *e, const char *name, int param_status)
{
	if (param_status == PARAM_ABSENT)
		grape_error(e, name, "is missing");
	return grape_optional(e, name, param_status) && param_status == PARAM_OK;
}

bool grape_optional(struct grape_errors *e, const char *name, int param_status)
{
	if (param_status == PARAM_INVALID)
		grape_error(e, name, "is invalid");
	return param_status == PARAM_OK;
}

void grape_error(struct grape_errors *e, const char *name, const char *what)
{
	char one[256];
	int n = snprintf(one, sizeof one, "%s %s", name, what);
	if (n < 0 || (size_t)n >= sizeof one)
		return;
	/* Grape reports a nested attribute once, however many elements fail. */
	for (const char *p = e->text; (p = strstr(p, one)); p++) {
		if ((p == e->text || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
			return;
	}
	if (e->len + (size_t)n + 3 >= sizeof e->text)
		return;
	e->len += (size_t)snprintf(e->text + e->len, sizeof e->text - e->len, "%s%s", e->len ? ", " : "", one);
}
