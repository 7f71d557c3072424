/* request_parse_params (src/request.c) with Content-Type application/json:
 * the JSON body decoder. Invariants: an accepted body is one JSON object of
 * at most MAX_PARAMS members; every parameter's type is its JSON value's;
 * a string holds no NUL and is valid UTF-8; an integer's text reads back as
 * the same int64, never saturated; a refusal is a 4xx/500 with a message;
 * the typed accessors agree with the parameter. LeakSanitizer checks that
 * request_release frees the tree. */
#include "config.h"
#include "arena.h"
#include "bounds.h"
#include "request.h"
#include "util.h"
#include "fuzz.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *env[] = {
		"REQUEST_METHOD=POST",
		"DOCUMENT_URI=/api/v4/internal/allowed",
		"QUERY_STRING=",
		"CONTENT_TYPE=application/json",
		NULL,
	};
	struct arena a;
	struct request req;
	struct request_error err = { 0, NULL };
	/* A copy of exactly size bytes: an overread past the body is caught. */
	char *body = malloc(size ? size : 1);

	memcpy(body, data, size);
	arena_init(&a, ARENA_MAX);
	CHECK(request_init(&req, &a, env, &err) == 0);
	int rc = request_parse_params(&req, body, size, &err);
	if (rc < 0) {
		CHECK(err.status == 400 || err.status == 500);
		CHECK(err.message && (strncmp(err.message, "400 ", 4) == 0 || strncmp(err.message, "500 ", 4) == 0));
	} else {
		CHECK(rc == 0);
		CHECK(req.n_params <= MAX_PARAMS);
		CHECK(req.json == NULL ? req.n_params == 0 : json_object_is_type(req.json, json_type_object));
		for (size_t i = 0; i < req.n_params; i++) {
			const struct param *p = &req.params[i];
			CHECK(p->name && strlen(p->name) <= MAX_PARAM_NAME);
			/* json-c represents null as a NULL object. */
			CHECK(p->json != NULL || p->type == PARAM_NULL);
			switch (p->type) {
			case PARAM_STRING:
				CHECK(json_object_is_type(p->json, json_type_string));
				CHECK(strlen(p->str) == p->len && utf8_valid(p->str, p->len));
				break;
			case PARAM_INT: {
				long long v;
				CHECK(json_object_is_type(p->json, json_type_int));
				CHECK(parse_int64(p->str, p->len, &v) == 0 && v == json_object_get_int64(p->json));
				CHECK(v != INT64_MAX && v != INT64_MIN);
				break;
			}
			case PARAM_BOOL:
				CHECK(json_object_is_type(p->json, json_type_boolean));
				CHECK(strcmp(p->str, json_object_get_boolean(p->json) ? "true" : "false") == 0);
				break;
			case PARAM_DOUBLE:
				CHECK(json_object_is_type(p->json, json_type_double));
				CHECK(isfinite(json_object_get_double(p->json)));
				break;
			case PARAM_NULL: CHECK(json_object_is_type(p->json, json_type_null)); break;
			case PARAM_ARRAY: CHECK(json_object_is_type(p->json, json_type_array)); break;
			case PARAM_OBJECT: CHECK(json_object_is_type(p->json, json_type_object)); break;
			default: CHECK(!"unknown parameter type");
			}
			/* The accessors see the last parameter of a name. */
			const struct param *last = request_param(&req, p->name);
			CHECK(last && strcmp(last->name, p->name) == 0 && last >= p);
			CHECK(request_param_count(&req, p->name) >= 1);
			const char *s;
			size_t len;
			int st = request_param_string(&req, p->name, &s, &len);
			/* null is a parameter without a value: absent to the readers. */
			CHECK(st == (last->type == PARAM_STRING ? PARAM_OK
				     : last->type == PARAM_NULL ? PARAM_ABSENT
								  : PARAM_INVALID));
			long long id;
			st = request_param_id(&req, p->name, &id);
			if (st == PARAM_OK)
				CHECK(id > 0);
		}
	}
	request_release(&req);
	CHECK(req.json == NULL);
	arena_destroy(&a);
	free(body);
	return 0;
}
