/* contrib/bench/burst.c: the overload benchmark's burst client.
 *
 *   burst PORT KEYS_FILE SECRET_B64 N [close]
 *
 * Opens N connections to 127.0.0.1:PORT first (as N gitlab-shells would
 * hold them), then sends one authorized_keys request on each at once and
 * reads every answer to its end: to its Content-Length, the connection
 * kept open until the last answer is in (as the reference run's wrk keeps
 * its connections), or with "close", to the end of the connection
 * (Connection: close), so that the time includes each connection's
 * teardown. Prints one JSON list,
 * one entry per request: [STATUS, [IS_JSON, RETRY_AFTER], MS] for an
 * answer, or ["connect"|"write"|"read"|"garbled", null, MS] for a failure;
 * MS counts from the first request sent. On standard error, "cpu BUSY
 * IDLE": the machine's busy and idle clock ticks (/proc/stat) from the
 * first request sent to the last answer, so that the benchmark can tell a
 * burst that cost more CPU per request from a machine that ran slower.
 *
 * In C with epoll rather than a script: the burst is measured on the same
 * two cores as the server, and a client that spends a core of its own on
 * 5 000 sockets takes it from nginx and glia and is timed as their delay.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX 16384
/* A server whose listen queue is full drops SYNs, and a blocking connect
 * then waits through retransmissions (about two minutes): each connect
 * gets a second, all of them ten, and the rest count as failed. */
#define CONNECT_EACH_S 1
#define CONNECT_ALL_MS 10000

struct conn {
	int fd;
	const char *failed; /* "connect", "write", "read", or NULL */
	char *answer;
	size_t len;
	double done_ms;
	int finished;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The machine's busy and idle clock ticks so far (all CPUs). */
static void cpu_ticks(unsigned long long *busy, unsigned long long *idle)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	*busy = *idle = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &v[6], &v[7]) == 8) {
		*busy = v[0] + v[1] + v[2] + v[5] + v[6]; /* user nice system irq softirq */
		*idle = v[3] + v[4];			  /* idle iowait */
	}
	fclose(f);
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

/* The value of header NAME in the head of an answer, copied into OUT. */
static int header(const char *head, size_t head_len, const char *name, char *out, size_t out_size)
{
	size_t n = strlen(name);
	const char *p = head, *end = head + head_len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		if ((size_t)(line_end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (v < line_end && *v == ' ')
				v++;
			size_t len = (size_t)(line_end - v);
			if (len && v[len - 1] == '\r')
				len--;
			if (len >= out_size)
				len = out_size - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return 1;
		}
		p = line_end + 1;
	}
	return 0;
}

/* Whether the head and Content-Length bytes of body are in. */
static int answer_complete(const struct conn *c)
{
	const char *body = memmem(c->answer, c->len, "\r\n\r\n", 4);
	char length[32];
	if (!body || !header(c->answer, (size_t)(body - c->answer), "Content-Length", length, sizeof length))
		return 0;
	return c->len - (size_t)(body + 4 - c->answer) >= strtoul(length, NULL, 10);
}

static void print_entry(const struct conn *c, int first)
{
	char type[128] = "", retry[32] = "";
	int status;
	const char *body;

	printf("%s", first ? "" : ",");
	if (c->failed) {
		printf("[\"%s\",null,%.3f]", c->failed, c->done_ms);
		return;
	}
	body = c->answer ? memmem(c->answer, c->len, "\r\n\r\n", 4) : NULL;
	if (!body || sscanf(c->answer, "HTTP/1.%*d %d", &status) != 1) {
		printf("[\"garbled\",null,%.3f]", c->done_ms);
		return;
	}
	header(c->answer, (size_t)(body - c->answer), "Content-Type", type, sizeof type);
	header(c->answer, (size_t)(body - c->answer), "Retry-After", retry, sizeof retry);
	body += 4;
	int is_json = strncmp(type, "application/json", 16) == 0 && body < c->answer + c->len && *body == '{';
	/* Retry-After is digits or absent: anything else prints as "". */
	if (strspn(retry, "0123456789") != strlen(retry))
		retry[0] = '\0';
	printf("[%d,[%s,\"%s\"],%.3f]", status, is_json ? "true" : "false", retry, c->done_ms);
}

int main(int argc, char **argv)
{
	if (argc != 5 && !(argc == 6 && strcmp(argv[5], "close") == 0)) {
		fprintf(stderr, "usage: burst PORT KEYS_FILE SECRET_B64 N [close]\n");
		return 2;
	}
	int port = atoi(argv[1]), n = atoi(argv[4]);
	int close_each = argc == 6;
	const char *secret = argv[3];
	if (port <= 0 || port > 65535 || n <= 0 || n > 100000) {
		fprintf(stderr, "burst: bad PORT or N\n");
		return 2;
	}

	/* The keys, one per line, already percent-encoded. */
	FILE *f = fopen(argv[2], "r");
	if (!f)
		die(argv[2]);
	char **keys = NULL, line[4096];
	size_t nkeys = 0, cap = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		if (nkeys == cap && !(keys = realloc(keys, (cap = cap ? cap * 2 : 1024) * sizeof *keys)))
			die("realloc");
		if (!(keys[nkeys++] = strdup(line)))
			die("strdup");
	}
	fclose(f);
	if (!nkeys) {
		fprintf(stderr, "burst: no keys in %s\n", argv[2]);
		return 2;
	}

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	struct conn *conns = calloc((size_t)n, sizeof *conns);
	char **requests = calloc((size_t)n, sizeof *requests);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || !requests || ep < 0)
		die("setup");
	srandom((unsigned)time(NULL));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	/* 1. Every connection opened (blocking connects: loopback answers at
	 * once, and nginx accepts them before any request is sent). */
	double connect_start = now_ms();
	struct timeval connect_timeout = { .tv_sec = CONNECT_EACH_S };
	for (int i = 0; i < n; i++) {
		struct conn *c = &conns[i];
		c->fd = now_ms() - connect_start < CONNECT_ALL_MS ? socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
		if (c->fd >= 0)
			setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &connect_timeout, sizeof connect_timeout);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			c->failed = "connect";
			c->finished = 1;
			if (c->fd >= 0)
				close(c->fd);
			c->fd = -1;
			continue;
		}
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
		if (asprintf(&requests[i],
			     "GET /api/v4/internal/authorized_keys?key=%s HTTP/1.1\r\nHost: bench\r\n"
			     "Gitlab-Shared-Secret: %s\r\n%s\r\n",
			     keys[(size_t)random() % nkeys], secret, close_each ? "Connection: close\r\n" : "") < 0)
			die("asprintf");
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
			die("epoll_ctl");
	}
	usleep(200000); /* nginx has accepted them all */

	/* 2. One request on each, back to back. A request is a few hundred
	 * bytes: it fits an empty socket buffer in one write. */
	unsigned long long busy0, idle0, busy1, idle1;
	cpu_ticks(&busy0, &idle0);
	double t0 = now_ms();
	int pending = 0;
	for (int i = 0; i < n; i++) {
		struct conn *c = &conns[i];
		if (c->failed)
			continue;
		size_t len = strlen(requests[i]);
		if (write(c->fd, requests[i], len) != (ssize_t)len) {
			c->failed = "write";
			c->done_ms = now_ms() - t0;
			c->finished = 1;
			close(c->fd);
			continue;
		}
		pending++;
	}

	/* 3. Every answer read to its end. */
	struct epoll_event events[256];
	char buf[ANSWER_MAX];
	while (pending > 0) {
		int k = epoll_wait(ep, events, 256, 70000);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* 70 s without an answer: the rest count as read errors */
		for (int e = 0; e < k; e++) {
			struct conn *c = &conns[events[e].data.u32];
			if (c->finished)
				continue;
			for (;;) {
				ssize_t r = read(c->fd, buf, sizeof buf);
				if (r > 0) {
					if (c->len + (size_t)r > ANSWER_MAX)
						r = (ssize_t)(ANSWER_MAX - c->len);
					char *grown = realloc(c->answer, c->len + (size_t)r + 1);
					if (!grown)
						die("realloc");
					c->answer = grown;
					memcpy(c->answer + c->len, buf, (size_t)r);
					c->len += (size_t)r;
					c->answer[c->len] = '\0';
					if (!close_each && answer_complete(c))
						goto finished;
					if (c->len < ANSWER_MAX)
						continue;
				} else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
					break;
				} else if (r < 0) {
					c->failed = "read";
				}
finished:
				c->done_ms = now_ms() - t0;
				c->finished = 1;
				if (close_each)
					close(c->fd);
				pending--;
				break;
			}
		}
	}
	cpu_ticks(&busy1, &idle1);
	fprintf(stderr, "cpu %llu %llu\n", busy1 - busy0, idle1 - idle0);
	for (int i = 0; i < n; i++)
		if (!conns[i].finished) {
			conns[i].failed = "read";
			conns[i].done_ms = now_ms() - t0;
		}

	putchar('[');
	for (int i = 0; i < n; i++)
		print_entry(&conns[i], i == 0);
	puts("]");
	return 0;
}
