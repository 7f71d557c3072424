/* The response value: status, JSON body and the few extra headers glia
 * sends. Handlers fill it; the worker writes it once. */
#ifndef GLIA_RESPONSE_H
#define GLIA_RESPONSE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;

struct response {
	struct arena *arena;
	int status;
	const char *content_type;	/* NULL: application/json */
	const char *body;	/* JSON text, unless content_type says otherwise */
	size_t body_len;
	const char *allow;	/* Allow header of a 405 */
	int retry_after;	/* seconds, 0: none */
	/* schema = gitlab: a 404 that says "GitLab's Rails answers this", not
	 * a refusal (the router's, and /allowed's for snippets and branch
	 * deletions). */
	bool not_served;
	const char *accel_redirect;	/* X-Accel-Redirect header, NULL: none */
};

void response_init(struct response *res, struct arena *a);

/* obj's JSON text in a, as json-c's JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE would write it; NULL when out of memory.
 * *len: its length, without the terminating NUL. */
char *response_json_text(struct arena *a, json_object *obj, size_t *len);

/* Serialises obj (NULL gives "null") as the body and releases obj. */
void response_json(struct response *res, int status, json_object *obj);

/* {"message":"..."}: GitLab's error!() shape, which gitlab-shell shows. */
void response_message(struct response *res, int status, const char *message);

/* {"message":"404 Not Found"}: the status with its reason, as Grape's
 * error!(status) answers. */
void response_status(struct response *res, int status);

/* {"error":"..."}: Grape's shape for routing and parameter validation. */
void response_error(struct response *res, int status, const char *error);

/* 204 with an empty body: Grape's no_content!. */
void response_no_content(struct response *res);

const char *response_reason(int status);

#endif
