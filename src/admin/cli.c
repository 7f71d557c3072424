/* glia-admin's command line: global options and main(), the command table
 * and help, messages and exit statuses, the verb dispatcher and option
 * helpers, and the aligned tables the list verbs print. */
#include "config.h"
#include "admin/admin.h"
#include "gitlab.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Commands are nouns (or verbs for the whole database); each one parses the
 * rest of the line itself. */
static const struct command {
	const char *name;
	int (*run)(struct admin *a, int argc, char **argv);
} commands[] = {
	{ "migrate", cmd_migrate },
	{ "import", cmd_import },
	{ "user", cmd_user },
	{ "key", cmd_key },
	{ "group", cmd_group },
	{ "project", cmd_project },
	{ "member", cmd_member },
	{ "token", cmd_token },
	{ "deploy-key", cmd_deploy_key },
	{ "protected-branch", cmd_protected_branch },
	{ "protected-tag", cmd_protected_tag },
	{ "agent", cmd_agent },
	{ "stats", cmd_stats },
};

void print_help(void)
{
	fputs("Usage: glia-admin [-c FILE] COMMAND [ARGS...]\n"
	      "Administer glia's database: migrations, data sets, users, keys, groups,\n"
	      "projects, members, tokens, deploy keys and protected branches and tags.\n"
	      "\n"
	      "Options:\n"
	      "  -c, --config=FILE   configuration file (default: $GLIA_CONFIG, else\n"
	      "                      " GLIA_DEFAULT_CONFIG ")\n"
	      "  -h, --help          show this help and exit\n"
	      "  -V, --version       show the version and exit\n"
	      "\n"
	      "Commands:\n"
	      "  migrate [--status]                 apply (or list) the SQL migrations\n"
	      "  import [--dry-run] FILE.json       load a data set; a second run changes nothing\n"
	      "  user add USERNAME --name NAME [--email E] [--admin] [--state S]\n"
	      "  user list\n"
	      "  user block USERNAME\n"
	      "  user unblock USERNAME\n"
	      "  user 2fa USERNAME [--issuer NAME] | USERNAME --off\n"
	      "  user admin USERNAME on|off\n"
	      "  key add USERNAME 'KEY LINE' [--title T] [--expires YYYY-MM-DD]\n"
	      "  key list [USERNAME]\n"
	      "  key rm ID\n"
	      "  group add PATH [--name N] [--parent FULLPATH] [--visibility V]\n"
	      "  project add FULLPATH [--name N] [--visibility V] [--default-branch B]\n"
	      "  project set PROJECT [--default-branch B] [--visibility V] [--lfs on|off]\n"
	      "  project archive PROJECT\n"
	      "  project unarchive PROJECT\n"
	      "  member add USERNAME (--project FULLPATH | --group FULLPATH) ACCESS_LEVEL\n"
	      "  token create USERNAME NAME --scopes SCOPE[,SCOPE...] [--expires YYYY-MM-DD]\n"
	      "  deploy-key add TITLE 'KEY LINE' [--user USERNAME]\n"
	      "  deploy-key list\n"
	      "  deploy-key rm ID\n"
	      "  deploy-key enable ID PROJECT [--can-push]\n"
	      "  deploy-key disable ID PROJECT\n"
	      "  protected-branch add PROJECT NAME [--push LEVEL] [--merge LEVEL]\n"
	      "                       [--allow-force-push]\n"
	      "  protected-branch list PROJECT\n"
	      "  protected-branch rm PROJECT NAME\n"
	      "  protected-tag add PROJECT NAME [--create LEVEL]\n"
	      "  protected-tag list PROJECT\n"
	      "  protected-tag rm PROJECT NAME\n"
	      "  agent add PROJECT NAME\n"
	      "  agent list\n"
	      "  agent token create AGENT_ID [--name N]\n"
	      "  agent token list AGENT_ID\n"
	      "  agent token revoke TOKEN_ID\n"
	      "  stats\n"
	      "\n"
	      "V is private, internal or public. ACCESS_LEVEL is 10, 20, 30, 40, 50 or guest,\n"
	      "reporter, developer, maintainer, owner. LEVEL is 0, 30, 40, 60 or no-one,\n"
	      "developer, maintainer, admin (default maintainer). PROJECT is a full path.\n"
	      "Exit status: 0 done, 1 failed, 2 bad usage. See glia-admin(8).\n",
	      stdout);
}

static void vmessage(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vmessage(const char *fmt, va_list ap)
{
	char buf[2048];
	vsnprintf(buf, sizeof buf, fmt, ap);
	fprintf(stderr, "%s: %s\n", ADMIN_NAME, buf);
}

int admin_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return ADMIN_FAIL;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try \"%s --help\" for more information.\n", ADMIN_NAME);
	return ADMIN_USAGE;
}

int option_error(int c, char **argv)
{
	/* getopt_long leaves the offending word just before optind. */
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	if (c == ':')
		return usage_error("option '%s' requires an argument", word);
	if (optopt && strncmp(word, "--", 2) != 0)
		return usage_error("invalid option -- '%c'", optopt);
	return usage_error("unrecognized option '%s'", word);
}

void options_reset(void)
{
	optind = 0;	/* glibc: 0 re-initializes, including permutation state */
	opterr = 0;
}

/* argv[0] is the noun, argv[1] the verb; the verb gets argv + 1. */
int admin_dispatch(struct admin *a, const struct admin_verb *verbs, int argc, char **argv)
{
	char names[128] = "";

	/* --help anywhere before "--" answers, as GNU tools do. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || (i == 1 && strcmp(argv[i], "-h") == 0)) {
			print_help();
			return ADMIN_OK;
		}
	for (size_t i = 0; verbs[i].name; i++) {
		if (argc >= 2 && strcmp(argv[1], verbs[i].name) == 0) {
			options_reset();
			return verbs[i].run(a, argc - 1, argv + 1);
		}
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", verbs[i].name);
	}
	if (argc < 2)
		return usage_error("%s: missing subcommand (%s)", argv[0], names);
	return usage_error("%s: unknown subcommand \"%s\" (%s)", argv[0], argv[1], names);
}

/* Width on a terminal, roughly: code points, not bytes. */
static size_t display_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Control characters would let stored text move the cursor or forge lines. */
static void print_cell(const char *s, size_t width, bool last)
{
	for (const char *p = s; *p; p++)
		putchar((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	if (!last)
		for (size_t w = display_width(s); w < width + 2; w++)
			putchar(' ');
}

void print_table(PGresult *res, const char *const *headings)
{
	int rows = PQntuples(res), cols = PQnfields(res);
	size_t width[32] = { 0 };

	if (cols > 32)
		cols = 32;
	for (int c = 0; c < cols; c++)
		width[c] = display_width(headings[c]);
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++) {
			size_t w = PQgetisnull(res, r, c) ? 1 : display_width(PQgetvalue(res, r, c));
			if (w > width[c])
				width[c] = w;
		}
	for (int c = 0; c < cols; c++)
		print_cell(headings[c], width[c], c == cols - 1);
	putchar('\n');
	for (int r = 0; r < rows; r++) {
		for (int c = 0; c < cols; c++)
			print_cell(PQgetisnull(res, r, c) ? "-" : PQgetvalue(res, r, c), width[c], c == cols - 1);
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct admin a = { 0 };
	int c, status;

	log_init(ADMIN_NAME, false);
	a.config_file = getenv("GLIA_CONFIG");
	if (!a.config_file || !*a.config_file)
		a.config_file = GLIA_DEFAULT_CONFIG;

	opterr = 0;
	/* '+': stop at the command word; what follows belongs to the command. */
	while ((c = getopt_long(argc, argv, "+:c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.config_file = optarg;
			break;
		case 'h':
			print_help();
			return ADMIN_OK;
		case 'V':
			printf("%s (%s) %s\n", ADMIN_NAME, PACKAGE_NAME, PACKAGE_VERSION);
			return ADMIN_OK;
		default:
			return option_error(c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("no command given");

	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd)
		return usage_error("unknown command \"%s\"", argv[optind]);

	int first = optind;
	options_reset();
	status = cmd->run(&a, argc - first, argv + first);

	if (a.db)
		PQfinish(a.db);
	if (a.conf_loaded)
		conf_free(&a.conf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: error writing output: %s\n", ADMIN_NAME, strerror(errno));
		return ADMIN_FAIL;
	}
	return status;
}

int print_query(PGconn *db, const char *what, const char *const *headings, const char *sql, int nparams,
		const char *const *params)
{
	struct db_err err;
	PGresult *res = admin_query(db, sql, nparams, params, &err);
	if (!res)
		return admin_fail("%s: %s", what, err.message);
	print_table(res, headings);
	PQclear(res);
	return ADMIN_OK;
}

int admin_operands(int argc, char **argv, int min, int max, const char *what)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	int c = getopt_long(argc, argv, ":", none, NULL);
	if (c != -1)
		return option_error(c, argv);
	if (argc - optind < min || argc - optind > max)
		return usage_error("%s: expected %s", argv[0], what);
	return 0;
}

/* ---- Operands: dates, text, on/off, visibility ---------------------------- */

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* The first 10 characters as YYYY-MM-DD of a real day. */
static bool date_prefix(const char *s)
{
	return strlen(s) >= 10 && iso_date_valid(s, 10);
}

bool valid_date(const char *s)
{
	return strlen(s) == 10 && date_prefix(s);
}

bool valid_timestamp(const char *s)
{
	if (valid_date(s))
		return true;
	if (!date_prefix(s) || (s[10] != 'T' && s[10] != ' '))
		return false;
	const char *t = s + 11;
	if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' || !digits(t + 6, 2))
		return false;
	if (num(t, 2) > 23 || num(t + 3, 2) > 59 || num(t + 6, 2) > 60)
		return false;
	t += 8;
	if (*t == '.') {
		size_t n = strspn(t + 1, "0123456789");
		if (n == 0 || n > 9)
			return false;
		t += 1 + n;
	}
	if (strcmp(t, "Z") == 0 || strcmp(t, "z") == 0)
		return true;
	return (t[0] == '+' || t[0] == '-') && digits(t + 1, 2) && t[3] == ':' && digits(t + 4, 2) &&
	       t[6] == '\0' && num(t + 1, 2) <= 23 && num(t + 4, 2) <= 59;
}

/* Today in UTC, as YYYY-MM-DD (dates compare as strings). */
static void today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

int check_text(const char *what, const char *s, size_t max, bool allow_empty)
{
	size_t n = strlen(s);
	if (!utf8_valid(s, n))
		return usage_error("%s is not valid UTF-8", what);
	if (n > max || (!allow_empty && n == 0))
		return usage_error("%s must be 1 to %zu bytes long", what, max);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return usage_error("%s contains a control character", what);
	return 0;
}

int check_future_date(const char *what, const char *s)
{
	char now[11];
	if (!valid_date(s))
		return usage_error("%s: expected a date as YYYY-MM-DD, not \"%s\"", what, s);
	today(now);
	if (strcmp(s, now) <= 0)
		return usage_error("%s: %s is not in the future", what, s);
	return 0;
}

/* "on" or "off" for what (a command and perhaps an option). */
int parse_on_off(const char *what, const char *s, bool *on)
{
	if (strcmp(s, "on") == 0)
		*on = true;
	else if (strcmp(s, "off") == 0)
		*on = false;
	else
		return usage_error("%s: expected on or off, not \"%s\"", what, s);
	return 0;
}

int parse_visibility_opt(const char *s, int *out)
{
	*out = gitlab_visibility_parse(s);
	if (*out < 0)
		return usage_error("--visibility must be private, internal or public, not \"%s\"", s);
	return 0;
}
