/* The bounds glia puts on a request, in one place: sizes and counts of what
 * a client sends (query, parameters, headers, paths, names, tokens, lists)
 * and the memory one request may use. They are glia's own choices, spelled
 * MAX_<what>.
 *
 * Not here: limits copied from GitLab stay beside the code that copies them,
 * with a comment naming GitLab's source (PURCHASE_XID_MAX in api/minutes.c,
 * ALERT_TITLE_MAX in api/kubernetes_alert.c); sizes that are not a request's
 * (a secret file, a PostgreSQL name, a stored hash, a table of the master or
 * of the metrics) stay with their module, spelled <what>_MAX; the bounds of
 * configuration values are the min and max columns of conf.c's key table.
 * ARENA_MAX keeps its old spelling for now. */
#ifndef GLIA_BOUNDS_H
#define GLIA_BOUNDS_H

/* The request as FastCGI delivers it. */
#define MAX_ENV			512	/* FastCGI parameters of one request */
#define MAX_QUERY_STRING	8192	/* bytes of QUERY_STRING; more gets 414 */
#define MAX_PATH		1024	/* bytes of the request path */
#define MAX_HEADER_VALUE	8192	/* bytes of one auth header (a JWT included) */
#define MAX_PARAMS		256	/* parameters from query and body together */
#define MAX_PARAM_NAME		128	/* bytes of one parameter name */
#define MAX_ARRAY_ITEMS		64	/* values of one name[] parameter */
#define MAX_JSON_DEPTH		16	/* nesting of a JSON body */
#define MAX_QUEUE_WAIT_TRUSTED	(3600LL * 1000000)	/* µs; an older X-Request-Start is ignored */
#define ARENA_MAX		(64L * 1024 * 1024)	/* bytes one request may allocate, beyond 3 × max_body_size */

/* Values of single parameters. */
#define MAX_REPO_PATH		2048	/* bytes of a project path (glia_valid_path) */
#define MAX_PATH_SEGMENT	255	/* bytes of one segment of it */
#define MAX_NAMESPACE_PATH	2048	/* bytes of a namespace id or path (routes.path) */
#define MAX_USERNAME		255	/* bytes of a username */
#define MAX_GL_REPOSITORY	255	/* bytes of gl_repository */
#define MAX_REF			1024	/* bytes of one ref name in changes */
#define MAX_PUSH_OPTIONS	64	/* push options of one post_receive */
#define MAX_TOKEN_NAME		255	/* bytes of a new personal access token's name */
#define MAX_ADMIN_TOKEN		1024	/* bytes of a PRIVATE-TOKEN */
#define MAX_AGENT_TOKEN		1024	/* characters of a KAS agent's Bearer token */
#define MAX_SSHKEY_BODY		16384	/* bytes of a key's base64 body: a 16384-bit RSA key is about 2.8 KB */
#define MAX_KAS_AGENT_CONFIG	8192	/* bytes of one stored agent authorization's config */

/* Lists in one billing call. */
#define MAX_PACKS		100	/* CI minutes packs */
#define MAX_RECONCILIATIONS	1000	/* upcoming reconciliations */

#endif
