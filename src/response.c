/* The response value and GitLab's two error shapes. */
#include "config.h"
#include "arena.h"
#include "response.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Plain output without escaped slashes, as Rails writes JSON. */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
/* Deeper than any tree glia builds; what json-c itself refuses to parse. */
#define JSON_WRITE_DEPTH 64

static const char internal_error[] = "{\"message\":\"500 Internal Server Error\"}";

void response_init(struct response *res, struct arena *a)
{
	memset(res, 0, sizeof *res);
	res->arena = a;
	res->status = 500;
	res->body = internal_error;
	res->body_len = sizeof internal_error - 1;
}

/* The body's text, written straight into the arena. json-c's own writer
 * goes through a printbuf, snprintf for every integer and a switch for
 * every byte of every string: a fifth of a request's instructions. This one
 * writes the same bytes (tests/unit/test_response.c holds it to json-c's
 * output): JSON_C_TO_STRING_PLAIN without slash escapes, control bytes as
 * \u00xx in lower case, every other byte as it is. Doubles keep json-c's
 * own text (its %.17g rules and a parsed number's original spelling); glia
 * sets no custom serialisers. */
struct json_out {
	struct arena *arena;
	char *p;
	size_t len, cap;
	bool failed;
};

static bool out_reserve(struct json_out *o, size_t n)
{
	if (o->failed)
		return false;
	if (o->cap - o->len >= n)
		return true;
	size_t cap = o->cap ? o->cap : 512;
	while (cap - o->len < n) {
		if (cap > SIZE_MAX / 2) {
			o->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *p = arena_alloc(o->arena, cap);
	if (!p) {
		o->failed = true;
		return false;
	}
	if (o->len)
		memcpy(p, o->p, o->len);
	o->p = p;
	o->cap = cap;
	return true;
}

static void out_bytes(struct json_out *o, const char *s, size_t n)
{
	if (out_reserve(o, n)) {
		memcpy(o->p + o->len, s, n);
		o->len += n;
	}
}

#define OUT_LITERAL(o, s) out_bytes(o, s, sizeof s - 1)

/* Which bytes a string cannot carry as they are: 0 for none, else the
 * letter after the backslash, or 'u' for \u00xx. */
static const char escape_of[256] = {
	['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
	[0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u', [0x06] = 'u',
	[0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u',
	[0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u', [0x19] = 'u',
	[0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u', [0x1e] = 'u', [0x1f] = 'u',
	['"'] = '"', ['\\'] = '\\',
};

/* Runs of bytes that need no escape are copied whole. */
static void out_string(struct json_out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	OUT_LITERAL(o, "\"");
	while (i < n) {
		size_t run = i;
		while (i < n && !escape_of[(unsigned char)s[i]])
			i++;
		out_bytes(o, s + run, i - run);
		if (i == n)
			break;
		unsigned char c = (unsigned char)s[i++];
		char e = escape_of[c];
		const char esc[6] = { '\\', e, '0', '0', hex[c >> 4], hex[c & 0xf] };
		out_bytes(o, esc, e == 'u' ? 6 : 2);
	}
	OUT_LITERAL(o, "\"");
}

static void out_integer(struct json_out *o, json_object *v)
{
	char digits[24], *d = digits + sizeof digits;
	int64_t i = json_object_get_int64(v);
	/* get_int64 caps a uint64 above INT64_MAX; get_uint64 has it. */
	uint64_t u = i < 0 ? 0 - (uint64_t)i : json_object_get_uint64(v);
	do
		*--d = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (i < 0)
		*--d = '-';
	out_bytes(o, d, (size_t)(digits + sizeof digits - d));
}

static void out_value(struct json_out *o, json_object *v, int depth)
{
	if (depth > JSON_WRITE_DEPTH) {
		o->failed = true;
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_null:
		OUT_LITERAL(o, "null");
		break;
	case json_type_boolean:
		if (json_object_get_boolean(v))
			OUT_LITERAL(o, "true");
		else
			OUT_LITERAL(o, "false");
		break;
	case json_type_int:
		out_integer(o, v);
		break;
	case json_type_double: {
		size_t n;
		const char *text = json_object_to_json_string_length(v, JSON_FLAGS, &n);
		if (text)
			out_bytes(o, text, n);
		else
			o->failed = true;
		break;
	}
	case json_type_string:
		out_string(o, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_array: {
		size_t n = json_object_array_length(v);
		OUT_LITERAL(o, "[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				OUT_LITERAL(o, ",");
			out_value(o, json_object_array_get_idx(v, i), depth + 1);
		}
		OUT_LITERAL(o, "]");
		break;
	}
	case json_type_object: {
		bool first = true;
		OUT_LITERAL(o, "{");
		json_object_object_foreach(v, key, member) {
			if (!first)
				OUT_LITERAL(o, ",");
			first = false;
			out_string(o, key, strlen(key));
			OUT_LITERAL(o, ":");
			out_value(o, member, depth + 1);
		}
		OUT_LITERAL(o, "}");
		break;
	}
	}
}

char *response_json_text(struct arena *a, json_object *obj, size_t *len)
{
	struct json_out o = { a, NULL, 0, 0, false };
	out_value(&o, obj, 0);
	if (!out_reserve(&o, 1))
		return NULL;
	o.p[o.len] = '\0';
	*len = o.len;
	return o.p;
}

void response_json(struct response *res, int status, json_object *obj)
{
	size_t len;
	char *copy = response_json_text(res->arena, obj, &len);

	json_object_put(obj);
	if (!copy) {
		res->status = 500;
		res->body = internal_error;
		res->body_len = sizeof internal_error - 1;
		return;
	}
	res->status = status;
	res->body = copy;
	res->body_len = len;
}

static void response_one(struct response *res, int status, const char *key, const char *text)
{
	json_object *o = json_object_new_object();
	if (o)
		json_object_object_add(o, key, json_object_new_string(text));
	if (!o) {
		res->status = 500;
		return;
	}
	response_json(res, status, o);
}

void response_message(struct response *res, int status, const char *message)
{
	response_one(res, status, "message", message);
}

void response_status(struct response *res, int status)
{
	char message[64];
	snprintf(message, sizeof message, "%d %s", status, response_reason(status));
	response_message(res, status, message);
}

void response_error(struct response *res, int status, const char *error)
{
	response_one(res, status, "error", error);
}

void response_no_content(struct response *res)
{
	res->status = 204;
	res->body = "";
	res->body_len = 0;
}

const char *response_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 300: return "Multiple Choices";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status < 500 ? "Bad Request" : "Internal Server Error";
	}
}
