/* The request value: method, path, headers and parameters merged from the
 * query string, a form body or a JSON body, all bounded. */
#ifndef GLIA_REQUEST_H
#define GLIA_REQUEST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

enum param_type { PARAM_STRING, PARAM_INT, PARAM_DOUBLE, PARAM_BOOL, PARAM_NULL, PARAM_ARRAY, PARAM_OBJECT };

struct param {
	const char *name;
	enum param_type type;
	const char *str;	/* STRING; INT and BOOL as their JSON text */
	size_t len;
	const char **items;	/* ARRAY from a form: its string values */
	size_t n_items;
	json_object *json;	/* from a JSON body: borrowed from request.json */
};

struct env_var {
	const char *name;
	size_t name_len;
	const char *value;
};

struct request {
	struct arena *arena;
	const char *method;	/* "GET" */
	const char *path;	/* "/api/v4/internal/check", decoded, no query */
	/* REQUEST_URI's path as sent, when it holds an encoded slash (%2F):
	 * the router splits it before decoding, so that the slash stays
	 * inside its segment ("namespaces/group%2Fsub/..."), as in GitLab. */
	const char *raw_path;
	const char *query;	/* raw QUERY_STRING */
	const char *content_type;
	long long content_length;	/* -1 when absent */
	struct env_var *env;
	size_t n_env;
	struct param *params;
	size_t n_params;
	size_t cap_params;	/* slots allocated in params */
	const char *path_params[4];	/* values of :segments, in order */
	size_t n_path_params;
	json_object *json;	/* parsed JSON body, released by request_release */
	int64_t started_ms;
	int64_t queue_ms;	/* waited for a worker (X-Request-Start); -1 unknown */
	const char *request_id;
};

/* Why a request was refused before routing: an HTTP status and the message
 * glia answers with. */
struct request_error {
	int status;
	const char *message;
};

/* Builds the request from a CGI/FastCGI environment (NULL-terminated
 * "NAME=value" strings, copied into the arena). */
int request_init(struct request *req, struct arena *a, char **envp, struct request_error *err);

/* Environment lookup; *count (if given) receives how many copies there are,
 * since nginx 1.22 passes a repeated header as repeated parameters. */
const char *request_env(const struct request *req, const char *name, int *count);

/* Parses the query string and the body (of body_len bytes) into params. */
int request_parse_params(struct request *req, const char *body, size_t body_len, struct request_error *err);

/* The parameter (the last one given wins, so the body overrides the query). */
const struct param *request_param(const struct request *req, const char *name);

/* Number of times name was given as a scalar in the query and the body. */
int request_param_count(const struct request *req, const char *name);

enum param_status { PARAM_ABSENT = 0, PARAM_OK = 1, PARAM_INVALID = -1 };

/* A parameter without a value (JSON null, a form field without "=") is
 * PARAM_ABSENT to the two readers below, as Grape treats nil. */

/* A positive integer id, given as a JSON integer or a decimal string. */
int request_param_id(const struct request *req, const char *name, long long *out);

/* A string parameter: JSON string or form value (never an array). */
int request_param_string(const struct request *req, const char *name, const char **out, size_t *len);

/* One JSON value, parsed as strictly as a JSON body (whole input, depth,
 * UTF-8, no NUL, no saturated integers), or NULL: for a parameter that
 * Grape types as JSON and that may come as a string. The caller puts it. */
json_object *request_json_parse(const char *s, size_t len);

void request_release(struct request *req);

#endif
