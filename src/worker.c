/* A worker: the request pipeline. Environment and body become a request
 * value; the route table picks the handler and its authentication; the
 * handler fills the response; one log line is written; everything the
 * request allocated goes with its arena, in one place. */
#include "config.h"
#include "api/api.h"
#include "arena.h"
#include "conf.h"
#include "fcgi_io.h"
#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "response.h"
#include "router.h"
#include "shed.h"
#include "util.h"
#include "worker.h"

#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;
/* What this worker has seen of the listen queue (shed.c), and whether the
 * web server's clock is this host's: X-Request-Start is read only from a
 * unix socket. Over TCP the stamp comes from another host, whose clock may
 * be off by more than max_queue_wait: every request would then look queued
 * and be refused. */
static struct shed_state shed;
static bool same_host_clock;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
	fcgi_shutdown_pending();
}

/* Before FCGX_Init, so that libfcgi keeps its hands off these signals. No
 * SA_RESTART: a stop signal must interrupt accept(). */
static void worker_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);	/* a gone peer is an EPIPE, not a death */
	sigaction(SIGXFSZ, &sa, NULL);	/* a full log file is a dropped line */
	sigaction(SIGUSR1, &sa, NULL);	/* libfcgi would make it "stop" */
	sigaction(SIGHUP, &sa, NULL);	/* reloading is the master's business */
	sigset_t set;
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/* A client's X-Request-Id is echoed only if it is plainly an id. */
static const char *request_id(struct request *req)
{
	const char *id = req->request_id;
	if (id) {
		size_t n = strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
		if (n > 0 && n <= 64 && id[n] == '\0')
			return id;
	}
	unsigned char raw[8];
	char *text = arena_alloc(req->arena, 2 * sizeof raw + 1);
	if (!text || RAND_bytes(raw, sizeof raw) != 1)
		return NULL;
	hex_encode(raw, sizeof raw, text);
	return text;
}

/* How long the request waited for a worker, in ms, from the time the web
 * server took it (X-Request-Start, which contrib/nginx/glia.conf sets from
 * $msec and contrib/apache/glia.conf from %t, never the client's); -1 when
 * it is absent, given twice or not plainly a time. A start an hour old is a
 * wrong clock or a wrong unit, not a queue: the web server gives up on glia
 * long before (fastcgi_read_timeout, ProxyPass timeout). */
static int64_t queue_wait_ms(const struct request *req)
{
	int copies;
	int64_t start;
	const char *v = request_env(req, "HTTP_X_REQUEST_START", &copies);
	if (!same_host_clock || !v || copies != 1 || shed_parse_request_start(v, &start) < 0)
		return -1;
	int64_t waited = wall_us() - start;
	if (waited > MAX_QUEUE_WAIT_TRUSTED)
		return -1;
	return waited > 0 ? waited / 1000 : 0;
}

static void dispatch(struct fcgi_conn *c, struct app *app, struct request *req, struct response *res,
		     const struct route **route)
{
	struct request_error err;
	char allow[128];
	char *body;
	size_t body_len;

	const char *role = request_env(req, "FCGI_ROLE", NULL);
	if (role && strcmp(role, "RESPONDER") != 0) {
		response_message(res, 400, "400 Bad request - unsupported FastCGI role");
		return;
	}
	switch (router_match(req, app->conf->schema, route, allow, sizeof allow)) {
	case ROUTE_NOT_FOUND:
		response_error(res, 404, "404 Not Found");
		res->not_served = app->conf->schema == SCHEMA_GITLAB;
		return;
	case ROUTE_BAD_METHOD:
		response_error(res, 405, "405 Not Allowed");
		res->allow = arena_strdup(req->arena, allow);
		return;
	case ROUTE_FOUND:
		break;
	}
	/* Load shedding (shed.c): before the body, the authentication and
	 * the database. */
	if (shed_request(&shed, now_ms(), req->queue_ms, app->conf->max_queue_wait_ms)) {
		response_message(res, 503, "503 Service Unavailable - too many requests, try again");
		res->retry_after = shed_retry_after();
		return;
	}
	switch (fcgi_read_body(c, req->arena, req->content_length, app->conf->max_body_size, &body, &body_len)) {
	case BODY_TOO_LARGE:
		response_message(res, 413, "413 Request Entity Too Large");
		return;
	case BODY_SHORT:
		response_message(res, 400, "400 Bad request - incomplete body");
		return;
	}
	if (request_parse_params(req, body, body_len, &err) < 0) {
		response_message(res, err.status, err.message);
		return;
	}
	if (api_authenticate((*route)->auth, req, res, app))
		(*route)->handler(req, res, app);
}

/* One line per request: the path, never the query string (it may carry
 * secret_token); as a JSON object when log_format = json. */
static void log_request(struct app *app, struct request *req, const struct response *res,
			const struct route *route, const char *rid, int64_t us, int64_t db_us, bool sent)
{
	char path[256];
	const char *method = req->method ? req->method : "-";
	const char *p = req->path ? req->path : "-";

	if (log_threshold < LOG_LVL_INFO)
		return;
	if (!app->conf->log_json) {
		char queued[32] = "";
		if (req->queue_ms >= 0)
			snprintf(queued, sizeof queued, " queue=%lldms", (long long)req->queue_ms);
		log_info("%s %s %d %lldms route=%s rid=%s%s%s", method, log_escape(path, sizeof path, p), res->status,
			 (long long)(us / 1000), route ? route->name : "-", rid ? rid : "-", queued,
			 sent ? "" : " (client gone)");
		return;
	}
	json_object *o = json_object_new_object();
	if (!o)
		return;
	char when[48];
	utc_timestamp(when, sizeof when);
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "request_id", rid ? json_object_new_string(rid) : NULL);
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "path", json_object_new_string(log_escape(path, sizeof path, p)));
	json_object_object_add(o, "route", route ? json_object_new_string(route->pattern) : NULL);
	json_object_object_add(o, "status", json_object_new_int(res->status));
	json_object_object_add(o, "duration_s", json_object_new_double((double)us / 1e6));
	json_object_object_add(o, "db_duration_s", json_object_new_double((double)db_us / 1e6));
	if (req->queue_ms >= 0)	/* as GitLab's own logs name it */
		json_object_object_add(o, "queue_duration_s", json_object_new_double((double)req->queue_ms / 1e3));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	if (!sent)
		json_object_object_add(o, "client_gone", json_object_new_boolean(1));
	log_raw(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void handle_one(struct fcgi_conn *c, struct app *app, struct arena *a)
{
	struct request req;
	struct request_error err;
	struct response res;
	const struct route *route = NULL;
	int64_t started = now_us();

	response_init(&res, a);
	int init = request_init(&req, a, fcgi_env(c), &err);
	/* Checked before any handler sees it: the id the answer, the request's
	 * log line and the handlers' own lines (log_req) carry. */
	req.request_id = request_id(&req);
	req.queue_ms = queue_wait_ms(&req);
	if (init < 0)
		response_message(&res, err.status, err.message);
	else
		dispatch(c, app, &req, &res, &route);
	/* What glia leaves to GitLab's Rails goes, when nginx names where
	 * (GLIA_NOT_SERVED, a parameter no client header can set), to there:
	 * nginx then asks Workhorse. A refusal 404 stays glia's answer. */
	if (res.not_served) {
		int copies;
		const char *to = request_env(&req, "GLIA_NOT_SERVED", &copies);
		res.accel_redirect = copies == 1 ? router_not_served_target(to) : NULL;
	}

	/* Every 503 says when to come back: gitlab-shell's HTTP client
	 * (go-retryablehttp) waits Retry-After seconds before it retries. */
	if (res.status == 503 && !res.retry_after)
		res.retry_after = 5;
	bool head = req.method && strcmp(req.method, "HEAD") == 0;
	const char *rid = req.request_id;
	bool sent = fcgi_write_response(c, &res, head, rid) == 0;
	int64_t us = now_us() - started;
	metrics_request(route ? (int)(route - routes) : -1, req.method, res.status, us);
	log_request(app, &req, &res, route, rid, us, db_take_time(app->db), sent);
	static unsigned long dropped_seen;
	unsigned long dropped = log_dropped_lines();
	metrics_log_dropped(dropped - dropped_seen);
	dropped_seen = dropped;
	request_release(&req);
	fcgi_finish(c, req.content_length);
	arena_reset(a);
}

int worker_run(int listen_fd, const struct glia_conf *conf, const struct secrets *secrets)
{
	struct fcgi_conn conn;
	struct arena arena;
	struct app app = { .conf = conf, .secrets = secrets };
	long served = 0;

	worker_signals();
	shed_init(&shed, now_ms());
	struct sockaddr_storage where;
	socklen_t where_len = sizeof where;
	same_host_clock = getsockname(listen_fd, (struct sockaddr *)&where, &where_len) == 0 && where.ss_family == AF_UNIX;
	if (fcgi_io_init() != 0 || fcgi_conn_init(&conn, listen_fd) != 0) {
		log_error("cannot initialise FastCGI");
		return 1;
	}
	if (api_app_init(&app) < 0) {
		log_error("out of memory");
		return 1;
	}
	/* A body may be read, copied once (a push's changes) and answered at
	 * about its size (post_receive's messages). */
	arena_init(&arena, ARENA_MAX + 3 * conf->max_body_size);
	int status = 0;
	while (!stopping) {
		if (fcgi_accept(&conn) != 0) {
			/* Not a stop signal: exit non-zero, so that the master's
			 * backoff applies rather than an immediate respawn. */
			if (!stopping) {
				log_error("accepting a request failed: exiting");
				status = 1;
			}
			break;
		}
		handle_one(&conn, &app, &arena);
		if (conn.cgi)
			break;	/* CGI mode: one request */
		if (conf->max_requests && ++served >= conf->max_requests) {
			log_info("served %ld requests: recycling", served);
			metrics_worker_recycle();
			break;
		}
	}
	fcgi_conn_free(&conn);
	arena_destroy(&arena);
	db_free(app.db);
	return status;
}
