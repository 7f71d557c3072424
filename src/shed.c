/* Load shedding. The web server stamps each request with the time it handed
 * it on (X-Request-Start); a worker that takes a request which sat in the
 * listen queue too long answers it at once with a 503 and Retry-After,
 * before its body, its authentication or the database, so that in a storm
 * the workers serve the requests that can still be answered in time.
 *
 * The bound is short only for a standing queue, as in "Fail at Scale"
 * (Facebook's controlled delay): a burst on a queue that was short gets
 * SHED_BURST_MS to drain, so that a crowd arriving at once is served rather
 * than refused for the time nginx itself took to read it. */
#include "config.h"
#include "shed.h"

#include <string.h>
#include <time.h>

/* 2000-01-01 and 2100-01-01 in microseconds: a start time outside is a
 * mistake (seconds taken for microseconds, or the other way round). */
#define REQUEST_START_MIN 946684800000000LL
#define REQUEST_START_MAX 4102444800000000LL

int shed_parse_request_start(const char *s, int64_t *us)
{
	int64_t whole = 0, frac = 0;
	int whole_digits = 0, frac_digits = 0;

	if (strncmp(s, "t=", 2) == 0)
		s += 2;
	/* 16 digits hold any microsecond count below REQUEST_START_MAX: no
	 * overflow is possible before the range check. */
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++whole_digits > 16)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (whole_digits == 0)
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (++frac_digits > 6)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
		if (frac_digits == 0)
			return -1;
		if (whole > REQUEST_START_MAX / 1000000)
			return -1;
		for (int i = frac_digits; i < 6; i++)
			frac *= 10;
		whole = whole * 1000000 + frac;
	}
	if (*s != '\0' || whole < REQUEST_START_MIN || whole >= REQUEST_START_MAX)
		return -1;
	*us = whole;
	return 0;
}

int shed_retry_after(void)
{
	/* The clock's microseconds are random enough for a spread. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return 1 + (int)((ts.tv_nsec / 1000) % SHED_RETRY_MAX);
}

void shed_init(struct shed_state *s, int64_t now_ms)
{
	/* A new worker takes the queue for one that was short. */
	s->last_long_ms = now_ms - 2 * SHED_BURST_MS;
	s->long_since_ms = s->last_long_ms;
}

bool shed_request(struct shed_state *s, int64_t now_ms, int64_t waited_ms, int max_wait_ms)
{
	if (max_wait_ms <= 0 || waited_ms < 0 || waited_ms * 2 < max_wait_ms)
		return false;
	/* A long wait after a second without one starts a long queue. Only a
	 * whole second without a long wait ends it: callers refused together
	 * and coming back together make dips, which are not a short queue. */
	if (now_ms - s->last_long_ms > SHED_BURST_MS)
		s->long_since_ms = now_ms;
	s->last_long_ms = now_ms;
	bool standing = now_ms - s->long_since_ms > SHED_BURST_MS;
	return waited_ms > (standing ? max_wait_ms : (int64_t)max_wait_ms + SHED_BURST_MS);
}
