/* The pre-fork master: starts the workers, replaces those that exit,
 * reloads on SIGHUP and stops gracefully on SIGTERM. */
#ifndef GLIA_MASTER_H
#define GLIA_MASTER_H

struct glia_conf;
struct secrets;

/* Runs until stopped; returns the exit status. conf and secrets are
 * replaced in place on reload. */
int master_run(int listen_fd, const char *config_path, struct glia_conf *conf, struct secrets *secrets);

#endif
