/* The pre-fork master. It keeps one slot per worker; it reaps in a loop and
 * logs each exit, respawns with an exponential backoff when workers die
 * young, and replaces every worker on reload. Signals are blocked and taken
 * with sigtimedwait(), so there is no handler state to reason about and the
 * mask is simply cleared in each child. */
#include "config.h"
#include "conf.h"
#include "log.h"
#include "master.h"
#include "metrics.h"
#include "router.h"
#include "secret.h"
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RESPAWN_BACKOFF_MIN_MS 100
#define RESPAWN_BACKOFF_MAX_MS 10000
#define YOUNG_DEATH_MS 2000	/* a worker dying sooner counts as a crash loop step */
#define STOP_TIMEOUT_MS 10000	/* in-flight requests get this long on stop */
#define WORKERS_MAX 256

struct slot {
	pid_t pid;		/* 0: empty */
	int64_t started_ms;
	int64_t respawn_at_ms;	/* when an empty slot may be filled */
	int backoff_ms;
};

enum master_state { RUNNING, STOPPING };

static struct slot slots[WORKERS_MAX];
/* systemd's notification socket (Type=notify): taken from the environment
 * once, so that workers do not inherit it. */
static char notify_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
/* Old workers finishing their last request after a reload. */
static pid_t retiring[WORKERS_MAX * 4];
static size_t n_retiring;

/* sd_notify(3) without libsystemd: one datagram such as "READY=1" to
 * NOTIFY_SOCKET (a path, or an abstract name written with a leading @).
 * Does nothing when glia was not started by systemd with Type=notify. */
static void notify_init(void)
{
	const char *p = getenv("NOTIFY_SOCKET");
	if (p && (p[0] == '/' || p[0] == '@') && strlen(p) < sizeof notify_path)
		strcpy(notify_path, p);
	unsetenv("NOTIFY_SOCKET");
}

static void notify(const char *state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(notify_path);
	if (!n)
		return;
	memcpy(sa.sun_path, notify_path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		log_warn("cannot tell systemd %s: %s", state, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static pid_t spawn(int listen_fd, const struct glia_conf *conf, const struct secrets *secrets)
{
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(worker_run(listen_fd, conf, secrets));
	}
	if (pid < 0)
		log_error("fork: %s", strerror(errno));
	return pid;
}

static void fill_slots(int listen_fd, const struct glia_conf *conf, const struct secrets *secrets)
{
	int64_t now = now_ms();
	for (int i = 0; i < conf->workers; i++) {
		struct slot *s = &slots[i];
		if (s->pid || now < s->respawn_at_ms)
			continue;
		pid_t pid = spawn(listen_fd, conf, secrets);
		if (pid > 0) {
			s->pid = pid;
			s->started_ms = now;
			log_debug("worker %d started (slot %d)", (int)pid, i);
		} else {
			s->respawn_at_ms = now + RESPAWN_BACKOFF_MAX_MS;
		}
	}
}

static void describe_exit(int status, char *buf, size_t n)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, n, "ended (status 0x%x)", status);
}

static void reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char how[96];
		int64_t now = now_ms();
		bool found = false;
		describe_exit(status, how, sizeof how);
		for (size_t i = 0; i < n_retiring; i++)
			if (retiring[i] == pid) {
				retiring[i] = retiring[--n_retiring];
				log_debug("retired worker %d %s", (int)pid, how);
				found = true;
				break;
			}
		for (int i = 0; i < WORKERS_MAX && !found; i++) {
			struct slot *s = &slots[i];
			if (s->pid != pid)
				continue;
			found = true;
			bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			int64_t age = now - s->started_ms;
			s->pid = 0;
			if (clean) {
				/* Recycled after max_requests: replace at once. */
				s->backoff_ms = 0;
				s->respawn_at_ms = now;
				log_info("worker %d %s after %lld ms", (int)pid, how, (long long)age);
			} else {
				if (age < YOUNG_DEATH_MS)
					s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : RESPAWN_BACKOFF_MIN_MS;
				else
					s->backoff_ms = 0;
				if (s->backoff_ms > RESPAWN_BACKOFF_MAX_MS)
					s->backoff_ms = RESPAWN_BACKOFF_MAX_MS;
				s->respawn_at_ms = now + s->backoff_ms;
				log_error("worker %d %s after %lld ms; respawning in %d ms", (int)pid, how,
					  (long long)age, s->backoff_ms);
				metrics_worker_respawn();
			}
		}
	}
}

static bool any_child(void)
{
	if (n_retiring)
		return true;
	for (int i = 0; i < WORKERS_MAX; i++)
		if (slots[i].pid)
			return true;
	return false;
}

static void signal_workers(int sig)
{
	for (int i = 0; i < WORKERS_MAX; i++)
		if (slots[i].pid)
			kill(slots[i].pid, sig);
	for (size_t i = 0; i < n_retiring; i++)
		kill(retiring[i], sig);
}

/* New configuration and secrets; workers are replaced by fresh ones while
 * the old ones finish what they are serving, so no request is dropped. */
static void reload(const char *config_path, struct glia_conf *conf, struct secrets *secrets)
{
	struct glia_conf fresh;
	struct secrets fresh_secrets;
	char err[512];

	conf_defaults(&fresh);
	if (conf_load(&fresh, config_path, err, sizeof err) < 0) {
		log_error("reload refused: %s", err);
		conf_free(&fresh);
		return;
	}
	if (secrets_load(&fresh_secrets, &fresh, err, sizeof err) < 0) {
		log_error("reload refused: %s", err);
		conf_free(&fresh);
		return;
	}
	/* The socket and the identity stay as they were opened. */
	int kept = conf_keep_restart_only(&fresh, conf);
	if (kept < 0)
		die("out of memory");
	if (kept)
		log_warn("reload: listen, listen_backlog, listen_group, listen_mode and user take effect on restart only");

	for (int i = 0; i < WORKERS_MAX; i++) {
		if (!slots[i].pid)
			continue;
		if (n_retiring < sizeof retiring / sizeof retiring[0]) {
			retiring[n_retiring++] = slots[i].pid;
			kill(slots[i].pid, SIGTERM);
		}
		slots[i].pid = 0;
		slots[i].respawn_at_ms = 0;
		slots[i].backoff_ms = 0;
	}
	conf_free(conf);
	*conf = fresh;
	secrets_clear(secrets);
	*secrets = fresh_secrets;
	secrets_clear(&fresh_secrets);
	log_set_level(conf->log_level);
	log_info("configuration reloaded from %s", config_path);
}

int master_run(int listen_fd, const char *config_path, struct glia_conf *conf, struct secrets *secrets)
{
	sigset_t set;
	enum master_state state = RUNNING;
	int64_t stop_deadline = 0;
	bool ready = false;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	notify_init();

	if (metrics_init(n_routes, router_route_name) < 0)
		log_warn("no shared memory for metrics: /-/metrics will be empty");
	log_info("glia %s started: %d workers", PACKAGE_VERSION, conf->workers);
	for (;;) {
		if (state == RUNNING)
			fill_slots(listen_fd, conf, secrets);
		else if (!any_child())
			break;
		/* The socket listens and the workers are forked: under systemd
		 * (Type=notify), `systemctl start glia` returns now, not before. */
		if (!ready) {
			notify("READY=1");
			ready = true;
		}
		int alive = 0;
		for (int i = 0; i < WORKERS_MAX; i++)
			alive += slots[i].pid != 0;
		metrics_set_workers(alive);

		/* Sleep until a signal, or the next respawn or stop deadline. */
		int64_t now = now_ms(), wake = now + 1000;
		for (int i = 0; state == RUNNING && i < conf->workers; i++)
			if (!slots[i].pid && slots[i].respawn_at_ms < wake)
				wake = slots[i].respawn_at_ms;
		if (state == STOPPING && stop_deadline < wake)
			wake = stop_deadline;
		int64_t wait = wake > now ? wake - now : 0;
		struct timespec ts = { wait / 1000, (long)(wait % 1000) * 1000000 };
		siginfo_t info;
		int sig = sigtimedwait(&set, &info, &ts);

		switch (sig) {
		case SIGCHLD:
			reap();
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			if (state == RUNNING) {
				log_info("stopping: waiting up to %d s for requests in flight", STOP_TIMEOUT_MS / 1000);
				state = STOPPING;
				notify("STOPPING=1");
				stop_deadline = now_ms() + STOP_TIMEOUT_MS;
				signal_workers(SIGTERM);
			}
			break;
		case SIGHUP:
			if (state == RUNNING)
				reload(config_path, conf, secrets);
			break;
		default:
			break;
		}
		reap();
		if (state == STOPPING && now_ms() >= stop_deadline && any_child()) {
			log_warn("stop timeout: killing the remaining workers");
			signal_workers(SIGKILL);
			stop_deadline = now_ms() + 60000;
		}
	}
	log_info("stopped");
	return 0;
}
