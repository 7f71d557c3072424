/* Logging: one line per event on stderr, written with a single write(2) so
 * that lines of concurrent workers do not interleave. A failed write (disk
 * full, RLIMIT_FSIZE) is counted and otherwise ignored: logging never costs
 * a request. */
#include "config.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int log_threshold = LOG_LVL_INFO;
static const char *log_ident = "glia";
static bool log_syslog_prefix;
static unsigned long log_dropped;

static const struct { const char *name; int level; } level_names[] = {
	{ "error", LOG_LVL_ERROR }, { "warning", LOG_LVL_WARN }, { "warn", LOG_LVL_WARN },
	{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
};

void log_init(const char *ident, bool syslog_prefix)
{
	log_ident = ident;
	log_syslog_prefix = syslog_prefix;
}

void log_set_level(int level) { log_threshold = level; }

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcasecmp(name, level_names[i].name) == 0)
			return level_names[i].level;
	return -1;
}

static const char *log_level_name(int level)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return "?";
}

unsigned long log_dropped_lines(void) { return log_dropped; }

__attribute__((format(printf, 3, 0)))
static void log_vwrite(int level, const char *request_id, const char *fmt, va_list ap)
{
	char line[2048];
	size_t len = 0;
	int n;

	/* The journal's "<level>" or a timestamp, then ident[pid]: level: */
	if (log_syslog_prefix) {
		n = snprintf(line, sizeof line, "<%d>%s[%d]: %s: ", level, log_ident, (int)getpid(),
			     log_level_name(level));
	} else {
		char when[48];
		utc_timestamp(when, sizeof when);
		n = snprintf(line, sizeof line, "%s %s[%d]: %s: ", when, log_ident, (int)getpid(),
			     log_level_name(level));
	}
	if (n > 0)
		len = (size_t)n;
	/* The request's checked id, as in its own log line (rid=...). */
	if (request_id && len < sizeof line && (n = snprintf(line + len, sizeof line - len, "rid=%s ", request_id)) > 0)
		len += (size_t)n;
	if (len < sizeof line) {
		n = vsnprintf(line + len, sizeof line - len, fmt, ap);
		if (n > 0)
			len += (size_t)n;
	}
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	int saved = errno;
	if (write(STDERR_FILENO, line, len) != (ssize_t)len)
		log_dropped++;
	errno = saved;
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	log_vwrite(level, NULL, fmt, ap);
	va_end(ap);
}

void log_req(int level, const char *request_id, const char *fmt, ...)
{
	va_list ap;
	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	log_vwrite(level, request_id ? request_id : "-", fmt, ap);
	va_end(ap);
}

void log_raw(const char *line)
{
	size_t len = strlen(line);
	char buf[4096];
	if (len > sizeof buf - 1)
		len = sizeof buf - 1;
	memcpy(buf, line, len);
	buf[len++] = '\n';
	int saved = errno;
	if (write(STDERR_FILENO, buf, len) != (ssize_t)len)
		log_dropped++;
	errno = saved;
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *log_escape(char *buf, size_t n, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (n == 0)
		return "";
	for (; s && *s && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '"') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}
