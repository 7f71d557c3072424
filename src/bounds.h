/* Every bound glia puts on a request, in one place. Each has a test. */
#ifndef GLIA_BOUNDS_H
#define GLIA_BOUNDS_H

#define MAX_QUERY_STRING	8192	/* bytes of QUERY_STRING; more gets 414 */
#define MAX_PARAMS		256	/* parameters from query and body together */
#define MAX_PARAM_NAME		128	/* bytes of one parameter name */
#define MAX_ARRAY_ITEMS		64	/* values of one name[] parameter */
#define MAX_JSON_DEPTH		16	/* nesting of a JSON body */
#define MAX_HEADER_VALUE	8192	/* bytes of one auth header (a JWT included) */
#define MAX_PATH		1024	/* bytes of the request path */
#define MAX_KAS_AGENT_CONFIG	8192	/* bytes of one stored agent authorization's config */
#define MAX_QUEUE_WAIT_TRUSTED	(3600LL * 1000000)	/* µs; an older X-Request-Start is ignored */
#define ARENA_MAX		(64L * 1024 * 1024)	/* bytes one request may allocate, beyond 3 × max_body_size */

#endif
