/* request_init (src/request.c) on a FastCGI environment built from the
 * input (one "NAME=value" per line), then router_match (src/router.c), the
 * query string's parameters and the Authorization header. Oracle: a plain
 * reference matcher over the same route table; a found route's method is
 * the request's (HEAD as GET), its pattern matches the path segment by
 * segment and the :segment values are the path's; BAD_METHOD means the
 * path is known under another method and Allow lists it; NOT_FOUND means no
 * pattern matches. With an encoded slash in REQUEST_URI, the segments are
 * those of the raw path, each decoded on its own (ref_decode). */
#include "config.h"
#include "arena.h"
#include "auth.h"
#include "bounds.h"
#include "conf.h"
#include "request.h"
#include "router.h"
#include "util.h"
#include "fuzz.h"

#define MAX_LINES 600

/* Reference: the path's segments against the pattern's. */
static bool ref_match(const char *pattern, const char *path, const char **vals, size_t *vlen, size_t *nv)
{
	*nv = 0;
	for (;;) {
		if (*pattern != '/' || *path != '/')
			return false;
		pattern++, path++;
		size_t pl = strcspn(pattern, "/"), sl = strcspn(path, "/");
		/* No segment is ".", "..", or (the path being tidy) empty. */
		if ((sl == 1 && path[0] == '.') || (sl == 2 && path[0] == '.' && path[1] == '.'))
			return false;
		if (pattern[0] == ':') {
			if (sl == 0 || *nv >= 4)
				return false;
			vals[*nv] = path;
			vlen[(*nv)++] = sl;
		} else if (pl != sl || memcmp(pattern, path, pl) != 0) {
			return false;
		}
		pattern += pl, path += sl;
		if (!*pattern || !*path)
			return !*pattern && !*path;
	}
}

static int ref_hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Reference: one raw segment percent-decoded into out; false for a bad
 * escape, a NUL or invalid UTF-8. */
static bool ref_decode(const char *s, size_t len, char *out, size_t *out_len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3)
				return false;
			int hi = ref_hex(s[i + 1]), lo = ref_hex(s[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0)
			return false;
		out[o++] = (char)c;
	}
	*out_len = o;
	return utf8_valid(out, o);
}

/* Reference: a decoded segment may hold slashes, but no empty, "." or ".."
 * part between them. */
static bool ref_parts_ok(const char *s, size_t n)
{
	char part[MAX_PATH + 1];
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		size_t len = i - start;
		memcpy(part, s + start, len);
		part[len] = '\0';
		if (len == 0 || strcmp(part, ".") == 0 || strcmp(part, "..") == 0)
			return false;
		start = i + 1;
	}
	return true;
}

/* Reference for a raw path: each segment decoded, then as ref_match. The
 * values point into buf. */
static bool ref_match_raw(const char *pattern, const char *raw, char *buf, const char **vals, size_t *vlen,
			  size_t *nv)
{
	*nv = 0;
	for (;;) {
		if (*pattern != '/' || *raw != '/')
			return false;
		pattern++, raw++;
		size_t pl = strcspn(pattern, "/"), sl = strcspn(raw, "/"), dl;
		if (!ref_decode(raw, sl, buf, &dl) || !ref_parts_ok(buf, dl))
			return false;
		if (pattern[0] == ':') {
			if (dl == 0 || *nv >= 4)
				return false;
			vals[*nv] = buf;
			vlen[(*nv)++] = dl;
			buf += dl;
		} else if (pl != dl || memcmp(pattern, buf, pl) != 0) {
			return false;
		}
		pattern += pl, raw += sl;
		if (!*pattern || !*raw)
			return !*pattern && !*raw;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char *envp[MAX_LINES + 1];
	size_t n = 0;
	struct arena a;
	struct request req;
	struct request_error err = { 0, NULL };

	for (char *line = text; n < MAX_LINES;) {
		envp[n++] = line;
		char *nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		line = nl + 1;
	}
	envp[n] = NULL;

	arena_init(&a, ARENA_MAX);
	if (request_init(&req, &a, envp, &err) < 0) {
		CHECK(err.status == 400 || err.status == 414 || err.status == 500);
		CHECK(err.message && strncmp(err.message, err.status == 414 ? "414 " : "400 ", 4) == 0);
		goto out;
	}
	CHECK(req.method && *req.method && req.path && strlen(req.path) <= MAX_PATH);
	/* Tidy, as Grape matches it: no "//", no trailing '/' but in "/". */
	CHECK(!strstr(req.path, "//"));
	CHECK(strlen(req.path) <= 1 || req.path[strlen(req.path) - 1] != '/');
	CHECK(req.query && strlen(req.query) <= MAX_QUERY_STRING);
	CHECK(req.content_length >= -1);

	const struct route *route = NULL;
	char allow[128];
	memset(allow, 'x', sizeof allow);
	enum route_result rr = router_match(&req, SCHEMA_GLIA, &route, allow, sizeof allow);
	CHECK(memchr(allow, '\0', sizeof allow));

	/* The reference's verdict. */
	const char *method = strcmp(req.method, "HEAD") == 0 ? "GET" : req.method;
	const struct route *want = NULL;
	bool known = false;
	const char *vals[4];
	size_t vlen[4], nv = 0;
	static char decoded[MAX_PATH + 1];
	if (req.raw_path) {	/* kept only when it is, decoded, the path */
		size_t dl;
		CHECK(strlen(req.raw_path) <= MAX_PATH && strstr(req.raw_path, "%2") != NULL);
		CHECK(ref_decode(req.raw_path, strlen(req.raw_path), decoded, &dl) && dl == strlen(req.path) &&
		      memcmp(decoded, req.path, dl) == 0);
	}
	for (size_t i = 0; i < n_routes && !want; i++) {
		if (!(req.raw_path ? ref_match_raw(routes[i].pattern, req.raw_path, decoded, vals, vlen, &nv)
				   : ref_match(routes[i].pattern, req.path, vals, vlen, &nv)))
			continue;
		if (strcmp(routes[i].method, method) == 0)
			want = &routes[i];
		else
			known = true;
	}
	if (want) {
		CHECK(rr == ROUTE_FOUND && route == want);
		CHECK(req.n_path_params == nv);
		for (size_t i = 0; i < nv; i++)
			CHECK(strlen(req.path_params[i]) == vlen[i] && memcmp(req.path_params[i], vals[i], vlen[i]) == 0);
	} else if (known) {
		CHECK(rr == ROUTE_BAD_METHOD && allow[0] != '\0');
	} else {
		CHECK(rr == ROUTE_NOT_FOUND);
	}

	/* What the dispatcher reads before any handler: query parameters and
	 * the auth headers. */
	if (request_parse_params(&req, NULL, 0, &err) == 0) {
		CHECK(req.n_params <= MAX_PARAMS);
		for (size_t i = 0; i < req.n_params; i++) {
			const struct param *p = &req.params[i];
			CHECK(strlen(p->name) <= MAX_PARAM_NAME);
			/* A form field without "=" is nil (PARAM_NULL), its str "". */
			if (p->type == PARAM_STRING || p->type == PARAM_NULL)
				CHECK(strlen(p->str) == p->len && (p->type == PARAM_STRING || p->len == 0));
			else
				CHECK(p->type == PARAM_ARRAY && p->n_items >= 1 && p->n_items <= MAX_ARRAY_ITEMS);
		}
	} else {
		CHECK(err.status == 400 || err.status == 500);
	}
	int count;
	const char *authz = request_env(&req, "HTTP_AUTHORIZATION", &count);
	CHECK((authz != NULL) == (count > 0));
	const char *tok;
	size_t tl;
	if (authz && auth_bearer_token(authz, &tok, &tl) == 0)
		CHECK(tl >= 1 && tl <= MAX_AGENT_TOKEN && tok + tl == authz + strlen(authz));
	request_release(&req);
out:
	arena_destroy(&a);
	free(text);
	return 0;
}
