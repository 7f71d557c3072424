/* The response value and GitLab's two error shapes. */
#include "config.h"
#include "arena.h"
#include "response.h"

#include <string.h>

/* Plain output without escaped slashes, as Rails writes JSON. */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char internal_error[] = "{\"message\":\"500 Internal Server Error\"}";

void response_init(struct response *res, struct arena *a)
{
	memset(res, 0, sizeof *res);
	res->arena = a;
	res->status = 500;
	res->body = internal_error;
	res->body_len = sizeof internal_error - 1;
}

void response_json(struct response *res, int status, json_object *obj)
{
	size_t len;
	const char *text = json_object_to_json_string_length(obj, JSON_FLAGS, &len);
	char *copy = text ? arena_strndup(res->arena, text, len) : NULL;

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

void response_error(struct response *res, int status, const char *error)
{
	response_one(res, status, "error", error);
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
