/* Prometheus metrics for the whole pool: counters and histograms in one
 * shared memory segment that the master maps before forking, updated with
 * atomic additions by every worker, rendered by whichever worker a scrape
 * reaches. A worker's numbers outlive the worker. */
#ifndef GLIA_METRICS_H
#define GLIA_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

enum auth_failure_kind { AUTH_FAIL_SHELL, AUTH_FAIL_KAS, AUTH_FAIL_ADMIN, AUTH_FAIL_KINDS };

/* Maps the segment; call once in the master, before the first fork. In a
 * process that never called it (CGI mode, unit tests) every update is a
 * no-op and the rendering is empty. n_routes bounds the route index, and
 * route_name(i) names route i for the `route` label. */
int metrics_init(size_t n_routes, const char *(*route_name)(size_t i));

/* route: index in the route table, or -1 when no route matched. */
void metrics_request(int route, const char *method, int status, int64_t duration_us);
void metrics_db_query(int64_t duration_us);
void metrics_db_error(void);
void metrics_db_connect(void);
void metrics_db_cancel(void);
void metrics_auth_failure(enum auth_failure_kind kind);
void metrics_worker_respawn(void);
void metrics_worker_recycle(void);
void metrics_set_workers(int alive);
void metrics_log_dropped(unsigned long n);

/* The exposition text (format 0.0.4) in the arena. */
char *metrics_render(struct arena *a, size_t *len);

#endif
