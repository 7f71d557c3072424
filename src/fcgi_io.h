/* The FastCGI transport: the only code that calls libfcgi. It also serves
 * one request in CGI mode, from the process environment. */
#ifndef GLIA_FCGI_IO_H
#define GLIA_FCGI_IO_H

#include <fcgiapp.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct response;

struct fcgi_conn {
	FCGX_Request req;
	bool cgi;		/* one request from environ, stdin and stdout */
	bool cgi_done;
	bool accepted;
	long long body_read;	/* bytes of the body read so far */
};

/* Once per process, after the signal handlers are in place. */
int fcgi_io_init(void);

/* listen_fd < 0 selects CGI mode. */
int fcgi_conn_init(struct fcgi_conn *c, int listen_fd);

/* Waits for the next request. 0 on success; -1 when interrupted by a stop
 * signal, or after the one CGI request. */
int fcgi_accept(struct fcgi_conn *c);

char **fcgi_env(struct fcgi_conn *c);

enum body_status { BODY_OK = 0, BODY_TOO_LARGE = 413, BODY_SHORT = 400 };

/* Reads the body: CONTENT_LENGTH bytes (or to the end of the stream when
 * absent), at most max. The data lives in the arena. */
int fcgi_read_body(struct fcgi_conn *c, struct arena *a, long long content_length, size_t max,
		   char **body, size_t *len);

/* Writes status, headers and (unless head) the body. Returns -1 when the
 * peer has gone, which costs the request but not the worker. */
int fcgi_write_response(struct fcgi_conn *c, const struct response *res, bool head, const char *request_id);

/* Ends the request; content_length as the request declared it (-1: none). */
void fcgi_finish(struct fcgi_conn *c, long long content_length);
void fcgi_conn_free(struct fcgi_conn *c);

/* From a signal handler: stop accepting once the current request is done. */
void fcgi_shutdown_pending(void);

/* Whether fd is a listening socket (spawn-fcgi's fd 0). */
bool fcgi_fd_is_listener(int fd);

#endif
