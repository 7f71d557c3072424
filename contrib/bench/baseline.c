/* contrib/bench/baseline.c: the yardstick of contrib/bench/run.
 *
 * The least a FastCGI + PostgreSQL endpoint can do: a master opens a unix
 * socket and forks W workers; each holds one libpq connection, prepares one
 * indexed SELECT once, and per request runs it (one round trip) and answers
 * a fixed-size JSON body. No routing, no parameters beyond the key id, no
 * logging. glia's figures are read as ratios to this one's.
 *
 *   baseline SOCKET WORKERS CONNINFO ROWS
 *
 * The key id of a request is ?id=N when given, else a per-worker counter
 * modulo ROWS. Built by contrib/bench/run: cc -O2 baseline.c -lfcgi -lpq.
 */
#include <fcgiapp.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void worker(int sock, const char *conninfo, long long rows)
{
	PGconn *db = PQconnectdb(conninfo);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "baseline: %s", PQerrorMessage(db));
		exit(1);
	}
	PGresult *p = PQprepare(db, "key", "SELECT id, fingerprint_sha256 FROM keys WHERE id = $1", 1, NULL);
	if (PQresultStatus(p) != PGRES_COMMAND_OK) {
		fprintf(stderr, "baseline: prepare: %s", PQerrorMessage(db));
		exit(1);
	}
	PQclear(p);

	FCGX_Request req;
	FCGX_InitRequest(&req, sock, 0);
	long long n = (long long)getpid();
	while (FCGX_Accept_r(&req) >= 0) {
		char id[24];
		const char *qs = FCGX_GetParam("QUERY_STRING", req.envp);
		if (qs && strncmp(qs, "id=", 3) == 0)
			snprintf(id, sizeof id, "%lld", atoll(qs + 3));
		else
			snprintf(id, sizeof id, "%lld", n++ % rows + 1);
		const char *params[] = { id };
		PGresult *r = PQexecPrepared(db, "key", 1, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			FCGX_FPrintF(req.out, "Status: 503\r\nContent-Type: application/json\r\n\r\n{}");
		}
		else if (PQntuples(r) == 1) {
			/* Fixed size: a 20-digit id and the 43-character fingerprint. */
			FCGX_FPrintF(req.out,
				     "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
				     "{\"id\":%020lld,\"fingerprint\":\"%-43.43s\"}",
				     atoll(PQgetvalue(r, 0, 0)), PQgetvalue(r, 0, 1));
		}
		else {
			FCGX_FPrintF(req.out, "Status: 404 Not Found\r\nContent-Type: application/json\r\n\r\n"
					      "{\"message\":\"404 Not Found\"}");
		}
		PQclear(r);
		/* As glia does: with the request read to its end, close at once
		 * rather than libfcgi's lingering close (README, Overload). */
		char rest[4096];
		while (FCGX_GetStr(rest, sizeof rest, req.in) > 0)
			;
		if (FCGX_HasSeenEOF(req.in) == EOF && !req.keepConnection)
			FCGX_Detach(&req);
		FCGX_Finish_r(&req);
		/* A lost connection: the master forks a fresh worker, which
		 * connects and prepares again. */
		if (PQstatus(db) != CONNECTION_OK)
			exit(1);
	}
	exit(0);
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: baseline SOCKET WORKERS CONNINFO ROWS\n");
		return 2;
	}
	int workers = atoi(argv[2]);
	long long rows = atoll(argv[4]);
	if (workers < 1 || rows < 1)
		return 2;
	if (FCGX_Init() != 0)
		return 1;
	unlink(argv[1]);
	int sock = FCGX_OpenSocket(argv[1], 128);
	if (sock < 0) {
		perror("baseline: socket");
		return 1;
	}
	chmod(argv[1], 0666);

	pid_t *pids = calloc((size_t)workers, sizeof *pids);
	for (int i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker(sock, argv[3], rows);
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		int st;
		pid_t dead = wait(&st);
		if (dead < 0 && !stop)
			pause();
		for (int i = 0; i < workers && dead > 0 && !stop; i++)
			if (pids[i] == dead && (pids[i] = fork()) == 0)
				worker(sock, argv[3], rows);
	}
	for (int i = 0; i < workers; i++)
		kill(pids[i], SIGTERM);
	while (wait(NULL) > 0)
		;
	unlink(argv[1]);
	return 0;
}
