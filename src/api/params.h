/* Reading a handler's parameters as GitLab's Grape API declares them. One
 * module for every way a parameter is read:
 *
 *   - request.h's typed readers, for most: request_param_id (a positive id)
 *     and request_param_string (a string), each PARAM_ABSENT, PARAM_OK or
 *     PARAM_INVALID, a parameter without a value (JSON null, a form field
 *     without "=") being absent, as Grape treats nil;
 *   - the readers below for the other shapes Grape declares: an Integer, a
 *     String or Integer id, a Hash, JSON (an object, or a string holding
 *     one), an Array of strings;
 *   - Grape's view of a value before coercion, and its coercions (Integer,
 *     Boolean, Date), where a blank value is nil rather than invalid;
 *   - Grape's validation errors, joined as it joins them:
 *     {"error":"a is missing, b is invalid"}. */
#ifndef GLIA_API_PARAMS_H
#define GLIA_API_PARAMS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "request.h"

/* type: Integer: a JSON integer or a decimal string (any sign, 64 bits). */
int param_integer(const struct request *req, const char *name, long long *out);

/* A String or an Integer (an id or a path): its text. */
int param_scalar(const struct request *req, const char *name, const char **out, size_t *len);

/* type: Hash: a JSON object (borrowed from the request). */
int param_object(const struct request *req, const char *name, json_object **out);

/* type: JSON holding an object: a JSON object, or a string holding one,
 * which *owned then holds (the caller puts it). */
int param_json_object(const struct request *req, const char *name, json_object **out, json_object **owned);

/* type: Array[Hash]: a JSON array of at most max objects (borrowed). */
int param_object_array(const struct request *req, const char *name, size_t max, json_object **out);

/* type: Array[String]: a form array (name[]=a&name[]=b) or a JSON array of
 * strings, at most max items, the list in the arena. One string is
 * invalid. */
int param_string_list(const struct request *req, const char *name, size_t max, struct arena *a,
		      const char ***out, size_t *n);

/* A value as Grape sees it before coercion: absent, null, or a scalar with
 * its text (JSON numbers and booleans as their JSON text). */
enum grape_kind { GV_ABSENT, GV_NULL, GV_STRING, GV_INT, GV_BOOL, GV_OTHER };

struct grape_value {
	enum grape_kind kind;
	const char *s;
	size_t len;
};

/* What a coercion gives: nothing given, nil (null or a blank string, as
 * Grape turns "" into nil for every type but String), a value, or an
 * invalid value ("<name> is invalid"). */
enum grape_coerce { GC_ABSENT, GC_NIL, GC_OK, GC_INVALID };

void grape_param(const struct request *req, const char *name, struct grape_value *v);
void grape_json(json_object *obj, const char *key, struct grape_value *v);

/* Date: YYYY-MM-DD, "13 Jun 2021" (day, month name, year) or DD/MM/YYYY,
 * each a real calendar day, written out as YYYY-MM-DD. */
int grape_date(const struct grape_value *v, char out[11]);
/* Integer in 0..2147483647 (a PostgreSQL integer), from a JSON integer or
 * a decimal string. */
int grape_int(const struct grape_value *v, long long *out);
/* Boolean as Grape accepts it: true/false, 1/0, t/f, yes/no, y/n, on/off. */
int grape_bool(const struct grape_value *v, bool *out);

/* The date parser itself, for the unit tests. 0 or -1. */
int grape_parse_date(const char *s, size_t len, char out[11]);

/* Grape's validation errors, collected in declaration order and joined with
 * ", " (duplicates dropped): {"error":"a is missing, b is invalid"}. */
struct grape_errors {
	char text[1024];
	size_t len;
};
void grape_error(struct grape_errors *e, const char *name, const char *what);
/* A reader's status for a parameter Grape requires ("is missing" when
 * absent) or has as optional; false unless the value is there and good. */
bool grape_requires(struct grape_errors *e, const char *name, int param_status);
bool grape_optional(struct grape_errors *e, const char *name, int param_status);

#endif
