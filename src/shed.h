/* Load shedding: how long a request waited for a worker, and whether it
 * should be refused rather than served. */
#ifndef GLIA_SHED_H
#define GLIA_SHED_H

#include <stdbool.h>
#include <stdint.h>

/* How long a queue may have been long before it counts as standing, and
 * how much longer than max_queue_wait a request of a burst may wait. */
#define SHED_BURST_MS 1000
#define SHED_RETRY_MAX 3

/* What one worker has seen of the queue. */
struct shed_state {
	int64_t last_long_ms;	/* when a request last waited half the bound or more */
	int64_t long_since_ms;	/* when the queue last became long */
};

/* When the web server took a request, from X-Request-Start as nginx
 * (`t=${msec}`: seconds with a fraction) or Apache (`%t`: microseconds)
 * writes it, the "t=" optional: microseconds since the epoch. Strict:
 * digits and at most one '.' with 1 to 6 digits after it, every byte
 * consumed, nothing before 2000 or from 2100 on. Returns 0 or -1. */
int shed_parse_request_start(const char *s, int64_t *us);

void shed_init(struct shed_state *s, int64_t now_ms);

/* Retry-After of a shed request: 1 to SHED_RETRY_MAX seconds, spread so
 * that the callers refused together do not all come back together. */
int shed_retry_after(void);

/* Whether a request that waited waited_ms (at now_ms, monotonic) is to be
 * refused: over max_wait_ms in a standing queue, over max_wait_ms +
 * SHED_BURST_MS in the first second of a long one. A queue is long from a
 * wait of half max_wait_ms or more until a second passes without one.
 * Never when max_wait_ms is 0 (off) or the wait unknown (negative). */
bool shed_request(struct shed_state *s, int64_t now_ms, int64_t waited_ms, int max_wait_ms);

#endif
