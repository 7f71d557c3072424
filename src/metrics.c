/* Prometheus metrics for the whole pool, in shared memory. Every label set is
 * bounded by construction (route indexes from the route table, a fixed list
 * of methods and statuses), so the segment has a fixed size and a scrape
 * never grows with the traffic. */
#include "config.h"
#include "arena.h"
#include "metrics.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "other" };
#define N_METHODS (sizeof methods / sizeof methods[0])
static const int statuses[] = { 200, 201, 202, 204, 300, 400, 401, 403, 404, 405, 409, 413, 414, 415, 422, 429, 500, 503, 0 };
#define N_STATUSES (sizeof statuses / sizeof statuses[0])	/* 0: any other */
/* Seconds, as Prometheus wants; fit for answers that take milliseconds. */
static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])
#define ROUTES_MAX 64

struct histogram {
	uint64_t bucket[N_BUCKETS];	/* not cumulative here; summed on rendering */
	uint64_t count;
	uint64_t sum_us;
};

struct metrics_shm {
	uint64_t requests[ROUTES_MAX + 1][N_METHODS][N_STATUSES];	/* last row: no route */
	struct histogram duration[ROUTES_MAX + 1];
	struct histogram db_query;
	uint64_t db_errors, db_connects, db_cancels;
	uint64_t auth_failures[AUTH_FAIL_KINDS];
	uint64_t respawns, recycles, log_dropped;
	int64_t workers;
	int64_t start_time;
};

static struct metrics_shm *shm;
static size_t shm_routes;
static const char *(*route_name_of)(size_t i);	/* names route i, from metrics_init */

#define ADD(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)
#define LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

int metrics_init(size_t n_routes, const char *(*route_name)(size_t i))
{
	if (n_routes > ROUTES_MAX)
		return -1;
	route_name_of = route_name;
	void *p = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	shm = p;
	shm_routes = n_routes;
	shm->start_time = (int64_t)time(NULL);
	return 0;
}

static void observe(struct histogram *h, int64_t us)
{
	if (us < 0)
		us = 0;
	for (size_t i = 0; i < N_BUCKETS; i++)
		if ((double)us <= buckets[i] * 1e6) {
			ADD(h->bucket[i], 1);
			break;
		}
	ADD(h->count, 1);
	ADD(h->sum_us, (uint64_t)us);
}

void metrics_request(int route, const char *method, int status, int64_t duration_us)
{
	if (!shm)
		return;
	size_t r = route >= 0 && (size_t)route < shm_routes ? (size_t)route : ROUTES_MAX;
	size_t m = N_METHODS - 1, s = N_STATUSES - 1;
	for (size_t i = 0; i + 1 < N_METHODS; i++)
		if (method && strcmp(method, methods[i]) == 0)
			m = i;
	for (size_t i = 0; i + 1 < N_STATUSES; i++)
		if (status == statuses[i])
			s = i;
	ADD(shm->requests[r][m][s], 1);
	observe(&shm->duration[r], duration_us);
}

void metrics_db_query(int64_t duration_us) { if (shm) observe(&shm->db_query, duration_us); }
void metrics_db_error(void) { if (shm) ADD(shm->db_errors, 1); }
void metrics_db_connect(void) { if (shm) ADD(shm->db_connects, 1); }
void metrics_db_cancel(void) { if (shm) ADD(shm->db_cancels, 1); }
void metrics_auth_failure(enum auth_failure_kind kind) { if (shm) ADD(shm->auth_failures[kind], 1); }
void metrics_worker_respawn(void) { if (shm) ADD(shm->respawns, 1); }
void metrics_worker_recycle(void) { if (shm) ADD(shm->recycles, 1); }
void metrics_set_workers(int alive) { if (shm) __atomic_store_n(&shm->workers, alive, __ATOMIC_RELAXED); }
void metrics_log_dropped(unsigned long n) { if (shm && n) ADD(shm->log_dropped, n); }

struct out {
	struct arena *a;
	char *buf;
	size_t len, cap;
	bool failed;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = o->cap - o->len;
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap + (size_t)n) * 2;
		char *bigger = arena_alloc(o->a, cap);
		if (!bigger) {
			o->failed = true;
			return;
		}
		memcpy(bigger, o->buf, o->len);
		o->buf = bigger;
		o->cap = cap;
	}
}

static void put_histogram(struct out *o, const char *name, const char *labels, const struct histogram *h)
{
	uint64_t cumulative = 0;
	for (size_t i = 0; i < N_BUCKETS; i++) {
		cumulative += LOAD(h->bucket[i]);
		put(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, *labels ? "," : "", buckets[i],
		    (unsigned long long)cumulative);
	}
	uint64_t count = LOAD(h->count);
	put(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, *labels ? "," : "", (unsigned long long)count);
	put(o, "%s_sum%s%s%s %.6f\n", name, *labels ? "{" : "", labels, *labels ? "}" : "", (double)LOAD(h->sum_us) / 1e6);
	put(o, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "", (unsigned long long)count);
}

char *metrics_render(struct arena *a, size_t *len)
{
	const char *(*route_name)(size_t i) = route_name_of;
	struct out o = { a, NULL, 0, 0, false };
	o.cap = 65536;
	o.buf = arena_alloc(a, o.cap);
	if (!o.buf)
		return NULL;
	o.buf[0] = '\0';
	if (!shm) {
		*len = 0;
		return o.buf;
	}
	put(&o, "# HELP glia_build_info glia's version and the revision it was built from.\n"
		"# TYPE glia_build_info gauge\nglia_build_info{version=\"%s\",revision=\"%s\",gitlab_version=\"%s\"} 1\n",
	    PACKAGE_VERSION, GLIA_REVISION, GLIA_GITLAB_VERSION);
	put(&o, "# HELP glia_start_time_seconds When the master started, in seconds since the epoch.\n"
		"# TYPE glia_start_time_seconds gauge\nglia_start_time_seconds %lld\n", (long long)shm->start_time);

	put(&o, "# HELP glia_requests_total Requests answered, by route pattern, method and status.\n"
		"# TYPE glia_requests_total counter\n");
	for (size_t r = 0; r <= ROUTES_MAX; r++) {
		if (r >= shm_routes && r != ROUTES_MAX)
			continue;
		const char *route = r == ROUTES_MAX ? "none" : route_name(r);
		for (size_t m = 0; m < N_METHODS; m++)
			for (size_t s = 0; s < N_STATUSES; s++) {
				uint64_t n = LOAD(shm->requests[r][m][s]);
				if (!n)
					continue;
				char code[8];
				if (statuses[s])
					snprintf(code, sizeof code, "%d", statuses[s]);
				else
					snprintf(code, sizeof code, "other");
				put(&o, "glia_requests_total{route=\"%s\",method=\"%s\",code=\"%s\"} %llu\n", route, methods[m],
				    code, (unsigned long long)n);
			}
	}
	put(&o, "# HELP glia_request_duration_seconds Time from accepting a request to its answer, by route.\n"
		"# TYPE glia_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= ROUTES_MAX; r++) {
		if ((r >= shm_routes && r != ROUTES_MAX) || !LOAD(shm->duration[r].count))
			continue;
		char labels[128];
		snprintf(labels, sizeof labels, "route=\"%s\"", r == ROUTES_MAX ? "none" : route_name(r));
		put_histogram(&o, "glia_request_duration_seconds", labels, &shm->duration[r]);
	}
	put(&o, "# HELP glia_db_query_duration_seconds Time of one database statement.\n"
		"# TYPE glia_db_query_duration_seconds histogram\n");
	put_histogram(&o, "glia_db_query_duration_seconds", "", &shm->db_query);

	static const struct { const char *name, *help; size_t offset; } counters[] = {
		{ "glia_db_errors_total", "Statements that failed.", offsetof(struct metrics_shm, db_errors) },
		{ "glia_db_connections_total", "Connections made to PostgreSQL (first ones and reconnections).",
		  offsetof(struct metrics_shm, db_connects) },
		{ "glia_db_cancels_total", "Statements cancelled at the query deadline.",
		  offsetof(struct metrics_shm, db_cancels) },
		{ "glia_worker_respawns_total", "Workers started again after dying.", offsetof(struct metrics_shm, respawns) },
		{ "glia_worker_recycles_total", "Workers replaced after max_requests.", offsetof(struct metrics_shm, recycles) },
		{ "glia_log_dropped_lines_total", "Log lines that could not be written.",
		  offsetof(struct metrics_shm, log_dropped) },
	};
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		put(&o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name, counters[i].help, counters[i].name,
		    counters[i].name, (unsigned long long)LOAD(*(uint64_t *)((char *)shm + counters[i].offset)));

	static const char *const kinds[] = { "shell", "kas", "admin" };
	put(&o, "# HELP glia_auth_failures_total Requests refused by authentication, by kind.\n"
		"# TYPE glia_auth_failures_total counter\n");
	for (int k = 0; k < AUTH_FAIL_KINDS; k++)
		put(&o, "glia_auth_failures_total{kind=\"%s\"} %llu\n", kinds[k],
		    (unsigned long long)LOAD(shm->auth_failures[k]));
	put(&o, "# HELP glia_workers Worker processes alive.\n# TYPE glia_workers gauge\nglia_workers %lld\n",
	    (long long)LOAD(shm->workers));
	if (o.failed)
		return NULL;
	*len = o.len;
	return o.buf;
}
