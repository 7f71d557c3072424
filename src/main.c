/* glia: the command line, the configuration and secrets, the listening
 * socket and the identity; then the master, or one CGI request. */
#include "config.h"
#include "conf.h"
#include "fcgi_io.h"
#include "log.h"
#include "master.h"
#include "secret.h"
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <json-c/json_c_version.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: glia [OPTION]...\n"
		"GitLab's internal API as a FastCGI application.\n\n"
		"  -c, --config=FILE  read FILE instead of %s\n"
		"                     (or $GLIA_CONFIG when set)\n"
		"  -t, --test         check the configuration and the secret files, then exit\n"
		"  -v, --verbose      log at debug level\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         print this help and exit\n\n"
		"The socket is one inherited from systemd (LISTEN_FDS) or spawn-fcgi (fd 0),\n"
		"else the one `listen` names. With none, glia answers one request as a CGI\n"
		"program. SIGHUP reloads the configuration; SIGTERM stops after the requests\n"
		"in flight. See glia(8) and glia.conf(5).\n",
		GLIA_DEFAULT_CONFIG);
}

static void version(void)
{
	printf("glia %s (GitLab %s internal API, revision %s)\n", PACKAGE_VERSION, GLIA_GITLAB_VERSION,
	       GLIA_REVISION);
	printf("json-c %s, libpq %d, OpenSSL %s\n", json_c_version(), PQlibVersion(), OpenSSL_version(OPENSSL_VERSION));
}

static int open_unix(const struct glia_conf *conf, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(path) >= sizeof sa.sun_path)
		die("listen: socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* A socket left by a dead glia is removed; one that answers is another
	 * glia's, and is not taken over. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			die("listen: %s exists and is not a socket", path);
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			die("listen: %s is in use by a running server", path);
		unlink(path);
	}
	mode_t old = umask(0777 & ~conf->listen_mode);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("bind %s: %s", path, strerror(errno));
	umask(old);
	if (chmod(path, (mode_t)conf->listen_mode) < 0)
		die("chmod %s: %s", path, strerror(errno));
	if (conf->listen_group && *conf->listen_group) {
		struct group *gr = getgrnam(conf->listen_group);
		if (!gr)
			die("listen_group: no group \"%s\"", conf->listen_group);
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0)
			die("chown %s to group %s: %s", path, conf->listen_group, strerror(errno));
	}
	return fd;
}

static int open_tcp(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai;

	if (!colon || (size_t)(colon - spec) >= sizeof host)
		die("listen: expected tcp:HOST:PORT, not tcp:%s", spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	int rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0)
		die("listen: %s: %s", spec, gai_strerror(rc));
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("listen on %s: %s", spec, strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

/* net.core.somaxconn, the kernel's cap on any listen backlog (SOMAXCONN
 * if it cannot be read). */
static int somaxconn(void)
{
	FILE *f = fopen("/proc/sys/net/core/somaxconn", "re");
	long long max = SOMAXCONN;
	char text[32];
	if (f) {
		if (!fgets(text, sizeof text, f) || parse_int64(text, strcspn(text, "\n"), &max) != 0 || max < 1 ||
		    max > INT_MAX)
			max = SOMAXCONN;
		fclose(f);
	}
	return (int)max;
}

/* The backlog glia asks for: by default as deep as the kernel allows, so
 * that raising net.core.somaxconn (contrib/sysctl) deepens the queue with
 * nothing else to change; a storm's requests then wait in it, bounded by
 * max_queue_wait, instead of nginx's connect() failing. A configured value
 * above the cap is silently cut by the kernel: say so. */
static int listen_depth(const struct glia_conf *conf)
{
	int max = somaxconn();
	if (conf->listen_backlog == 0)
		return max;
	if (conf->listen_backlog > max)
		log_warn("listen_backlog = %d is capped at net.core.somaxconn = %d; raise it (sysctl) for a deeper queue",
			 conf->listen_backlog, max);
	return conf->listen_backlog;
}

/* The listening socket: one inherited from systemd (LISTEN_FDS) or
 * spawn-fcgi (fd 0) comes first, so that the packaged configuration, which
 * names /run/glia/glia.sock, works unchanged under both; else the one
 * `listen` names; else -1 (CGI). */
static int listen_socket(const struct glia_conf *conf, bool *inherited)
{
	int fd;
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long long p, n;

	*inherited = true;
	if (pid && fds && parse_int64(pid, strlen(pid), &p) == 0 && p == getpid() &&
	    parse_int64(fds, strlen(fds), &n) == 0 && n >= 1) {
		if (n > 1)
			log_warn("systemd passed %lld sockets; glia uses the first", n);
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		if (*conf->listen)
			log_info("serving the socket systemd passed; listen = %s is not opened", conf->listen);
		return SD_LISTEN_FDS_START;
	}
	if (fcgi_fd_is_listener(STDIN_FILENO)) {
		if (*conf->listen)
			log_info("serving the socket on fd 0 (spawn-fcgi); listen = %s is not opened", conf->listen);
		return STDIN_FILENO;
	}
	*inherited = false;
	if (strncmp(conf->listen, "unix:", 5) == 0)
		fd = open_unix(conf, conf->listen + 5);
	else if (strncmp(conf->listen, "tcp:", 4) == 0)
		fd = open_tcp(conf->listen + 4);
	else if (*conf->listen)
		die("listen: expected unix:PATH or tcp:HOST:PORT, not \"%s\"", conf->listen);
	else
		return -1;
	if (listen(fd, listen_depth(conf)) < 0)
		die("listen: %s", strerror(errno));
	return fd;
}

static void drop_privileges(const struct glia_conf *conf, bool serving)
{
	if (getuid() != 0 && geteuid() != 0)
		return;
	if (!*conf->user) {
		if (serving)
			log_warn("running as root: set `user` in the configuration");
		return;
	}
	struct passwd *pw = getpwnam(conf->user);
	if (!pw)
		die("user: no user \"%s\"", conf->user);
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		die("cannot become user %s: %s", conf->user, strerror(errno));
	if (setuid(0) == 0)
		die("cannot drop root privileges");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "test", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },      { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	const char *config_path = getenv("GLIA_CONFIG");
	bool test = false, verbose = false;
	struct glia_conf conf;
	struct secrets secrets;
	char err[512];
	int opt;

	if (!config_path || !*config_path)
		config_path = GLIA_DEFAULT_CONFIG;
	while ((opt = getopt_long(argc, argv, "c:tvVh", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 't': test = true; break;
		case 'v': verbose = true; break;
		case 'V': version(); return 0;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "Try \"glia --help\" for more information.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "glia: unexpected argument \"%s\"\nTry \"glia --help\" for more information.\n",
			argv[optind]);
		return 2;
	}
	/* Under systemd, stderr goes to the journal, which reads "<N>" as the
	 * priority of the line. */
	log_init("glia", getenv("JOURNAL_STREAM") != NULL);

	conf_defaults(&conf);
	if (conf_load(&conf, config_path, err, sizeof err) < 0)
		die("%s", err);
	log_set_level(verbose ? LOG_LVL_DEBUG : conf.log_level);
	if (secrets_load(&secrets, &conf, err, sizeof err) < 0)
		die("%s", err);
	if (!secrets.has_kas)
		log_warn("kas_secret_file is not set: the Kubernetes agent endpoints answer 401");
	if (conf.schema != SCHEMA_GITLAB && conf.db_key_base_file && *conf.db_key_base_file)
		log_warn("db_key_base_file is ignored: it is for schema = gitlab (lfs_secret_file keys glia's "
			 "own LFS tokens)");
	if (test) {
		printf("glia: configuration file %s test is successful\n", config_path);
		secrets_clear(&secrets);
		conf_free(&conf);
		return 0;
	}

	bool inherited;
	int fd = listen_socket(&conf, &inherited);
	drop_privileges(&conf, fd >= 0);
	if (fd < 0) {
		if (!getenv("REQUEST_METHOD"))
			die("no socket to serve: set `listen` in %s, or start glia under spawn-fcgi or systemd",
			    config_path);
	}
	int rc = fd < 0 ? worker_run(-1, &conf, &secrets) : master_run(fd, config_path, &conf, &secrets);
	if (fd >= 0 && !inherited && strncmp(conf.listen, "unix:", 5) == 0)
		unlink(conf.listen + 5);
	secrets_clear(&secrets);
	conf_free(&conf);
	return rc;
}
