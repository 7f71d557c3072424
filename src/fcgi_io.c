/* The FastCGI transport: the only code that calls libfcgi. libfcgi does not
 * enforce CONTENT_LENGTH and frees the environment at the next accept, so
 * the body is read with a cap and everything kept is copied. */
#include "config.h"
#include "arena.h"
#include "fcgi_io.h"
#include "response.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

extern char **environ;

int fcgi_io_init(void)
{
	return FCGX_Init();
}

int fcgi_conn_init(struct fcgi_conn *c, int listen_fd)
{
	memset(c, 0, sizeof *c);
	if (listen_fd < 0) {
		c->cgi = true;
		return 0;
	}
	/* FCGI_FAIL_ACCEPT_ON_INTR: a stop signal interrupts accept() instead
	 * of being retried inside libfcgi. */
	return FCGX_InitRequest(&c->req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
}

int fcgi_accept(struct fcgi_conn *c)
{
	if (c->cgi) {
		if (c->cgi_done)
			return -1;
		c->cgi_done = true;
		return 0;
	}
	int rc = FCGX_Accept_r(&c->req);
	c->accepted = rc >= 0;
	return rc >= 0 ? 0 : -1;
}

char **fcgi_env(struct fcgi_conn *c)
{
	return c->cgi ? environ : c->req.envp;
}

static long read_some(struct fcgi_conn *c, char *buf, size_t n)
{
	if (!c->cgi)
		return FCGX_GetStr(buf, (int)n, c->req.in);
	for (;;) {
		ssize_t got = read(STDIN_FILENO, buf, n);
		if (got < 0 && errno == EINTR)
			continue;
		return got < 0 ? 0 : got;
	}
}

int fcgi_read_body(struct fcgi_conn *c, struct arena *a, long long content_length, size_t max,
		   char **body, size_t *len)
{
	size_t want, got = 0;

	*body = NULL;
	*len = 0;
	/* A CGI request without CONTENT_LENGTH has no body (RFC 3875). */
	if (c->cgi && content_length < 0)
		content_length = 0;
	if (content_length == 0)
		return BODY_OK;
	if (content_length > 0 && (unsigned long long)content_length > max)
		return BODY_TOO_LARGE;
	/* Without a length, read to the end of the stream, one byte past the
	 * cap so that an oversized body is noticed. */
	want = content_length > 0 ? (size_t)content_length : max + 1;
	char *buf = arena_alloc(a, want + 1);
	if (!buf)
		return BODY_TOO_LARGE;
	while (got < want) {
		size_t chunk = want - got > 65536 ? 65536 : want - got;
		long n = read_some(c, buf + got, chunk);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	c->body_read = (long long)got;
	if (content_length < 0 && got > max)
		return BODY_TOO_LARGE;
	if (content_length > 0 && got < (size_t)content_length)
		return BODY_SHORT;
	buf[got] = '\0';
	*body = buf;
	*len = got;
	return BODY_OK;
}

static int put(struct fcgi_conn *c, const char *s, size_t n)
{
	if (c->cgi) {
		while (n > 0) {
			ssize_t w = write(STDOUT_FILENO, s, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			s += w;
			n -= (size_t)w;
		}
		return 0;
	}
	return FCGX_PutStr(s, (int)n, c->req.out) == (int)n ? 0 : -1;
}

int fcgi_write_response(struct fcgi_conn *c, const struct response *res, bool head, const char *request_id)
{
	char headers[1024];
	int n = snprintf(headers, sizeof headers,
			 "Status: %d %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "X-Frame-Options: SAMEORIGIN\r\n"
			 "X-Content-Type-Options: nosniff\r\n",
			 res->status, response_reason(res->status),
			 res->content_type ? res->content_type : "application/json", res->body_len);
	if (res->allow)
		n += snprintf(headers + n, sizeof headers - (size_t)n, "Allow: %s\r\n", res->allow);
	if (res->retry_after)
		n += snprintf(headers + n, sizeof headers - (size_t)n, "Retry-After: %d\r\n", res->retry_after);
	if (request_id)
		n += snprintf(headers + n, sizeof headers - (size_t)n, "X-Request-Id: %s\r\n", request_id);
	if (res->accel_redirect)
		n += snprintf(headers + n, sizeof headers - (size_t)n, "X-Accel-Redirect: %s\r\n", res->accel_redirect);
	if ((size_t)n >= sizeof headers - 2)
		return -1;
	n += snprintf(headers + n, sizeof headers - (size_t)n, "\r\n");
	if (put(c, headers, (size_t)n) < 0)
		return -1;
	if (!head && res->body_len && put(c, res->body, res->body_len) < 0)
		return -1;
	if (!c->cgi && (FCGX_FFlush(c->req.out) < 0 || FCGX_GetError(c->req.out) != 0))
		return -1;
	return 0;
}

/* What is left of the request after its answer, read and dropped, is at
 * most this: a body the handler did not need (a 404, a refusal before the
 * body) and the end-of-stream record. */
#define DRAIN_MAX 65536
#define DRAIN_TIMEOUT_S 2

/* Whether the web server has nothing more to send: the input stream's end
 * has been read, now or by reading what is left when that is small. The
 * read is bounded in time too (SO_RCVTIMEO), as libfcgi's own close is. */
static bool input_drained(struct fcgi_conn *c, long long content_length)
{
	FCGX_Stream *in = c->req.in;
	if (!in || FCGX_GetError(in) != 0)
		return false;
	if (FCGX_HasSeenEOF(in) == EOF)
		return true;
	/* What is left unread: the rest of a declared body, or (no length)
	 * whatever comes before the end of the stream, at most DRAIN_MAX. */
	if (content_length >= 0 && content_length - c->body_read > DRAIN_MAX)
		return false;
	struct timeval tv = { .tv_sec = DRAIN_TIMEOUT_S };
	if (setsockopt(c->req.ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
		return false;
	char buf[4096];
	long long dropped = 0;
	int n;
	while (dropped <= DRAIN_MAX && (n = FCGX_GetStr(buf, (int)sizeof buf, in)) > 0)
		dropped += n;
	return FCGX_HasSeenEOF(in) == EOF && FCGX_GetError(in) == 0;
}

void fcgi_finish(struct fcgi_conn *c, long long content_length)
{
	if (!c->cgi && c->accepted) {
		/* libfcgi closes a connection lingering: shutdown(), then it waits
		 * (up to 2 s) for the web server to close its end, so that
		 * request data still unread cannot reset the connection and
		 * cost the web server the answer. The worker is idle all that
		 * while, until nginx is scheduled and gets to that socket: at
		 * 512 connections, a fifth of the CPU went idle. When all the
		 * web server sent has been read there is nothing to wait for,
		 * and FCGX_Detach makes the close a plain close(). A body left
		 * unread (a 413) keeps the lingering close. Not for a kept
		 * connection, whose next request follows on it. */
		if (!c->req.keepConnection && input_drained(c, content_length))
			FCGX_Detach(&c->req);
		FCGX_Finish_r(&c->req);
		c->accepted = false;
		c->body_read = 0;
	}
}

void fcgi_conn_free(struct fcgi_conn *c)
{
	fcgi_finish(c, -1);
	if (!c->cgi)
		FCGX_Free(&c->req, 0);
}

void fcgi_shutdown_pending(void)
{
	FCGX_ShutdownPending();
}

bool fcgi_fd_is_listener(int fd)
{
	int val = 0;
	socklen_t len = sizeof val;
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) == 0 && val;
}
