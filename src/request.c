/* The request value: environment, path, and parameters from the query string
 * and the body, merged as Rack and Grape merge them (the body overrides the
 * query, a repeated scalar takes the last value), with every size bounded. */
#include "config.h"
#include "form.h"
#include "bounds.h"
#include "request.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(struct request_error *err, int status, const char *message)
{
	err->status = status;
	err->message = message;
	return -1;
}

const char *request_env(const struct request *req, const char *name, int *count)
{
	const char *found = NULL;
	size_t len = strlen(name);
	int n = 0;
	for (size_t i = 0; i < req->n_env; i++) {
		const struct env_var *e = &req->env[i];
		if (e->name_len == len && memcmp(e->name, name, len) == 0) {
			if (!found)
				found = e->value;
			n++;
			if (!count)
				break;
		}
	}
	if (count)
		*count = n;
	return found;
}

/* Grape matches a path with repeated slashes merged and a trailing slash
 * dropped (kas's module proxy posts to ".../cilium_alert/"). nginx merges
 * slashes itself (merge_slashes); Apache's REQUEST_URI arrives as sent. In
 * place; "/" stays "/". */
static char *path_tidy(char *s)
{
	char *o = s;
	if (!s)
		return NULL;
	for (const char *p = s; *p; p++)
		if (*p != '/' || o == s || o[-1] != '/')
			*o++ = *p;
	if (o - s > 1 && o[-1] == '/')
		o--;
	*o = '\0';
	return s;
}

/* The path glia routes on. nginx gives the normalised, decoded URI in
 * DOCUMENT_URI (or SCRIPT_NAME + PATH_INFO after fastcgi_split_path_info);
 * Apache's ProxyPass gives neither, only the raw REQUEST_URI. */
static char *request_path(struct request *req)
{
	const char *path_info = request_env(req, "PATH_INFO", NULL);
	const char *doc = request_env(req, "DOCUMENT_URI", NULL);
	const char *uri = request_env(req, "REQUEST_URI", NULL);

	if (path_info && *path_info) {
		const char *script = request_env(req, "SCRIPT_NAME", NULL);
		return arena_printf(req->arena, "%s%s", script ? script : "", path_info);
	}
	if (doc && *doc)
		return arena_strdup(req->arena, doc);
	if (uri && *uri) {
		/* Percent-decoded; '+' is literal in a path. */
		const char *q = strchr(uri, '?');
		size_t len;
		return percent_decode(req->arena, uri, q ? (size_t)(q - uri) : strlen(uri), false, &len);
	}
	return NULL;
}

/* Sets req->raw_path to REQUEST_URI's path when it holds "%2F" (either
 * case): nginx decodes an encoded slash into DOCUMENT_URI and PATH_INFO
 * like any other byte, which would move a namespace's full path across
 * segments. Only when that path, decoded, is the very path the web server
 * gave: the route stays the one of its normalised path (no dot segment or
 * doubled slash slips through), and a prefix or a rewrite between the two
 * leaves the request to req->path. -1 when it is too long. */
static int request_raw_path(struct request *req)
{
	const char *uri = request_env(req, "REQUEST_URI", NULL);
	if (!uri)
		return 0;
	const char *q = strchr(uri, '?');
	size_t len = q ? (size_t)(q - uri) : strlen(uri), decoded_len;
	for (size_t i = 0; i + 2 < len; i++) {
		if (uri[i] == '%' && uri[i + 1] == '2' && (uri[i + 2] == 'F' || uri[i + 2] == 'f')) {
			if (len > MAX_PATH)
				return -1;
			char *raw = path_tidy(arena_strndup(req->arena, uri, len));
			const char *decoded = raw ? percent_decode(req->arena, raw, strlen(raw), false, &decoded_len) : NULL;
			if (decoded && strcmp(decoded, req->path) == 0)
				req->raw_path = raw;
			return 0;
		}
	}
	return 0;
}

int request_init(struct request *req, struct arena *a, char **envp, struct request_error *err)
{
	size_t n = 0;

	memset(req, 0, sizeof *req);
	req->arena = a;
	req->content_length = -1;
	req->queue_ms = -1;
	while (envp && envp[n])
		n++;
	if (n > MAX_ENV)
		return fail(err, 400, "400 Bad request - too many headers");
	req->env = arena_alloc(a, (n ? n : 1) * sizeof *req->env);
	if (!req->env)
		return fail(err, 500, "500 Internal Server Error");
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(envp[i], '=');
		if (!eq)
			continue;
		/* One copy, split at the '=': the name and the value. */
		char *copy = arena_strdup(a, envp[i]);
		if (!copy)
			return fail(err, 500, "500 Internal Server Error");
		struct env_var *v = &req->env[req->n_env++];
		v->name_len = (size_t)(eq - envp[i]);
		copy[v->name_len] = '\0';
		v->name = copy;
		v->value = copy + v->name_len + 1;
	}

	req->method = request_env(req, "REQUEST_METHOD", NULL);
	if (!req->method || !*req->method)
		return fail(err, 400, "400 Bad request - no method");
	req->query = request_env(req, "QUERY_STRING", NULL);
	if (!req->query)
		req->query = "";
	if (strlen(req->query) > MAX_QUERY_STRING)
		return fail(err, 414, "414 Request-URI Too Large");
	req->path = path_tidy(request_path(req));
	if (!req->path)
		return fail(err, 400, "400 Bad request - invalid path");
	if (strlen(req->path) > MAX_PATH)
		return fail(err, 414, "414 Request-URI Too Large");
	if (request_raw_path(req) < 0)
		return fail(err, 414, "414 Request-URI Too Large");
	req->content_type = request_env(req, "CONTENT_TYPE", NULL);
	req->request_id = request_env(req, "HTTP_X_REQUEST_ID", NULL);

	const char *cl = request_env(req, "CONTENT_LENGTH", NULL);
	if (cl && *cl) {
		long long v;
		if (strlen(cl) > 10 || parse_int64(cl, strlen(cl), &v) < 0 || v < 0)
			return fail(err, 400, "400 Bad request - invalid Content-Length");
		req->content_length = v;
	}
	return 0;
}

static struct param *param_new(struct request *req, const char *name, struct request_error *err)
{
	if (req->n_params >= MAX_PARAMS) {
		fail(err, 400, "400 Bad request - too many parameters");
		return NULL;
	}
	/* Grown by doubling: most requests have a few parameters, and all
	 * MAX_PARAMS slots at once took most of an arena chunk. */
	if (req->n_params == req->cap_params) {
		size_t cap = req->cap_params ? 2 * req->cap_params : 16;
		struct param *grown = arena_alloc(req->arena, cap * sizeof *grown);
		if (!grown) {
			fail(err, 500, "500 Internal Server Error");
			return NULL;
		}
		if (req->n_params)
			memcpy(grown, req->params, req->n_params * sizeof *grown);
		req->params = grown;
		req->cap_params = cap;
	}
	struct param *p = &req->params[req->n_params++];
	memset(p, 0, sizeof *p);
	p->name = name;
	return p;
}

struct form_ctx {
	struct request *req;
	struct request_error *err;
};

static int form_add(void *vctx, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct form_ctx *ctx = vctx;
	struct request *req = ctx->req;

	if (name_len == 0)
		return FORM_OK;
	if (name_len > MAX_PARAM_NAME) {
		fail(ctx->err, 400, "400 Bad request - parameter name too long");
		return FORM_TOO_MANY;
	}
	if (name_len > 2 && strcmp(name + name_len - 2, "[]") == 0) {
		char *base = arena_strndup(req->arena, name, name_len - 2);
		struct param *p = NULL;
		if (!base)
			goto nomem;
		/* Items of name[] gather in the latest array of that name. */
		for (size_t i = req->n_params; i-- > 0;)
			if (strcmp(req->params[i].name, base) == 0) {
				if (req->params[i].type == PARAM_ARRAY && !req->params[i].json)
					p = &req->params[i];
				break;
			}
		if (!p) {
			p = param_new(req, base, ctx->err);
			if (!p)
				return FORM_TOO_MANY;
			p->type = PARAM_ARRAY;
			p->items = arena_alloc(req->arena, MAX_ARRAY_ITEMS * sizeof *p->items);
			if (!p->items)
				goto nomem;
		}
		if (p->n_items >= MAX_ARRAY_ITEMS) {
			fail(ctx->err, 400, "400 Bad request - too many values for one parameter");
			return FORM_TOO_MANY;
		}
		p->items[p->n_items++] = value ? value : "";
		return FORM_OK;
	}
	struct param *p = param_new(req, name, ctx->err);
	if (!p)
		return FORM_TOO_MANY;
	/* "name" without "=" is nil, as Rack reads it: the parameter has no
	 * value and counts as absent. */
	p->type = value ? PARAM_STRING : PARAM_NULL;
	p->str = value ? value : "";
	p->len = value_len;
	return FORM_OK;
nomem:
	fail(ctx->err, 500, "500 Internal Server Error");
	return FORM_NOMEM;
}

static int parse_form(struct request *req, const char *s, size_t len, const char *what,
		      struct request_error *err)
{
	struct form_ctx ctx = { req, err };
	int rc = form_parse(req->arena, s, len, form_add, &ctx);
	if (rc == FORM_BAD)
		return fail(err, 400, what);
	return rc == FORM_OK ? 0 : -1;
}

/* json-c accepts single-quoted strings even in strict mode: refuse any
 * quote character outside a double-quoted string before parsing. */
static bool json_has_single_quotes(const char *s, size_t len)
{
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_string = false;
		} else if (s[i] == '"') {
			in_string = true;
		} else if (s[i] == '\'') {
			return true;
		}
	}
	return false;
}

/* Refuses what json-c lets through: NUL inside strings, invalid UTF-8, NaN
 * and infinities, and integers that it saturated to the int64 bounds. */
static bool json_value_ok(json_object *o, int depth)
{
	if (depth > MAX_JSON_DEPTH)
		return false;
	switch (json_object_get_type(o)) {
	case json_type_string:
		/* JSON_TOKENER_VALIDATE_UTF8 lets overlong forms through. */
		return utf8_valid(json_object_get_string(o), (size_t)json_object_get_string_len(o));
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_int: {
		int64_t v = json_object_get_int64(o);
		return v != INT64_MAX && v != INT64_MIN;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (!json_value_ok(json_object_array_get_idx(o, i), depth + 1))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			if (!utf8_valid(key, strlen(key)) || !json_value_ok(val, depth + 1))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

/* One JSON value, strictly: the whole input, nothing json-c lets slip. */
static json_object *json_parse_strict(const char *s, size_t len)
{
	size_t end;
	json_tokener *tok;
	json_object *root;

	if (len > INT32_MAX || json_has_single_quotes(s, len))
		return NULL;
	/* A new tokener for every body: json_tokener_reset leaves state
	 * behind (a pending high surrogate of a body that failed would be
	 * joined to the next body's first \u escape). */
	tok = json_tokener_new_ex(MAX_JSON_DEPTH);
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, s, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || end != len || !json_value_ok(root, 0)) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

static int parse_json(struct request *req, const char *body, size_t len, struct request_error *err)
{
	static const char bad[] = "400 Bad request - invalid JSON body";
	json_object *root;

	while (len > 0 && strchr(" \t\r\n", body[len - 1]))
		len--;
	if (len == 0)
		return 0;	/* an empty JSON body is {} */
	root = json_parse_strict(body, len);
	/* A body that is a JSON string holding a JSON object is read as that
	 * object: the reference's cilium_alert example encodes its body twice. */
	if (root && json_object_is_type(root, json_type_string)) {
		json_object *inner = json_parse_strict(json_object_get_string(root), (size_t)json_object_get_string_len(root));
		json_object_put(root);
		root = inner;
	}
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return fail(err, 400, bad);
	}
	req->json = root;
	json_object_object_foreach(root, key, val) {
		struct param *p;
		if (strlen(key) > MAX_PARAM_NAME)
			return fail(err, 400, "400 Bad request - parameter name too long");
		p = param_new(req, key, err);
		if (!p)
			return -1;
		p->json = val;
		switch (json_object_get_type(val)) {
		case json_type_string:
			p->type = PARAM_STRING;
			p->str = json_object_get_string(val);
			p->len = (size_t)json_object_get_string_len(val);
			break;
		case json_type_int:
			p->type = PARAM_INT;
			p->str = arena_printf(req->arena, "%lld", (long long)json_object_get_int64(val));
			if (!p->str)
				return fail(err, 500, "500 Internal Server Error");
			p->len = strlen(p->str);
			break;
		case json_type_boolean:
			p->type = PARAM_BOOL;
			p->str = json_object_get_boolean(val) ? "true" : "false";
			p->len = strlen(p->str);
			break;
		case json_type_double: p->type = PARAM_DOUBLE; break;
		case json_type_null: p->type = PARAM_NULL; break;
		case json_type_array: p->type = PARAM_ARRAY; break;
		case json_type_object: p->type = PARAM_OBJECT; break;
		}
	}
	return 0;
}

/* "application/json; charset=utf-8" → is it this media type? */
static bool media_type_is(const char *content_type, const char *type)
{
	size_t n = strlen(type);
	if (strncasecmp(content_type, type, n) != 0)
		return false;
	const char *rest = content_type + n;
	while (*rest == ' ')
		rest++;
	return *rest == '\0' || *rest == ';';
}

int request_parse_params(struct request *req, const char *body, size_t body_len, struct request_error *err)
{
	if (parse_form(req, req->query, strlen(req->query), "400 Bad request - invalid query string", err) < 0)
		return -1;
	if (body_len == 0)
		return 0;
	const char *ct = req->content_type ? req->content_type : "";
	if (media_type_is(ct, "application/json"))
		return parse_json(req, body, body_len, err);
	if (!*ct || media_type_is(ct, "application/x-www-form-urlencoded"))
		return parse_form(req, body, body_len, "400 Bad request - invalid form body", err);
	if (media_type_is(ct, "multipart/form-data"))
		return fail(err, 415, "415 Unsupported Media Type");
	return 0;	/* any other body carries no parameters, as with Rack */
}

const struct param *request_param(const struct request *req, const char *name)
{
	for (size_t i = req->n_params; i-- > 0;)
		if (strcmp(req->params[i].name, name) == 0)
			return &req->params[i];
	return NULL;
}

int request_param_count(const struct request *req, const char *name)
{
	int n = 0;
	for (size_t i = 0; i < req->n_params; i++)
		if (strcmp(req->params[i].name, name) == 0)
			n++;
	return n;
}

int request_param_id(const struct request *req, const char *name, long long *out)
{
	const struct param *p = request_param(req, name);
	if (!p || p->type == PARAM_NULL)
		return PARAM_ABSENT;
	if ((p->type != PARAM_STRING && p->type != PARAM_INT) || parse_id(p->str, p->len, out) < 0)
		return PARAM_INVALID;
	return PARAM_OK;
}

int request_param_string(const struct request *req, const char *name, const char **out, size_t *len)
{
	const struct param *p = request_param(req, name);
	if (!p || p->type == PARAM_NULL)
		return PARAM_ABSENT;
	if (p->type != PARAM_STRING)
		return PARAM_INVALID;
	*out = p->str;
	if (len)
		*len = p->len;
	return PARAM_OK;
}

json_object *request_json_parse(const char *s, size_t len)
{
	return json_parse_strict(s, len);
}

void request_release(struct request *req)
{
	json_object_put(req->json);
	req->json = NULL;
}
