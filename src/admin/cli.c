/* glia-admin's command line: global options and main(), the command table
 * and help, messages and exit statuses, the verb dispatcher and option
 * helpers, and the aligned tables the list verbs print. */
#include "config.h"
#include "admin/admin.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
