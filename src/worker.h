/* A worker: accepts requests on the shared socket and answers them, one at
 * a time, with its own database connection. */
#ifndef GLIA_WORKER_H
#define GLIA_WORKER_H

struct glia_conf;
struct secrets;

/* Serves until stopped or recycled; returns the process exit status.
 * listen_fd < 0 serves one request in CGI mode. */
int worker_run(int listen_fd, const struct glia_conf *conf, const struct secrets *secrets);

#endif
