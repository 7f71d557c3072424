/* Logging: leveled lines on stderr with a syslog priority prefix. */
#ifndef GLIA_LOG_H
#define GLIA_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERROR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

extern int log_threshold;

void log_init(const char *ident, bool syslog_prefix);
void log_set_level(int level);
int log_level_parse(const char *name);	/* -1 when unknown */
unsigned long log_dropped_lines(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line about one request, after its checked request id ("rid=ID "), so
 * that it is found beside the request's own line. */
void log_req(int level, const char *request_id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The level test sits in the macro so that a disabled debug line costs one
 * comparison and no argument evaluation. */
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) do { if (log_threshold >= LOG_LVL_WARN) log_msg(LOG_LVL_WARN, __VA_ARGS__); } while (0)
#define log_info(...) do { if (log_threshold >= LOG_LVL_INFO) log_msg(LOG_LVL_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_threshold >= LOG_LVL_DEBUG) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

/* Writes line as it is (one write, newline added): JSON request logs. */
void log_raw(const char *line);

/* Start-up failures only: logs and exits with status 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Copies s into buf (of size n) with control characters and non-ASCII
 * bytes escaped as \xHH, so that user input cannot forge log lines. */
const char *log_escape(char *buf, size_t n, const char *s);

#endif
