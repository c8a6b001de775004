/* berth.c - main(): find the command by name and run it, here or in berth-full. */
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.1.0"
#endif

bool cmd_force;
const char *cmd_name = "berth";

int cmd_fail(const char *fmt, ...)
{
	va_list ap;

	fputs(" !     ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	/* Dokku's form: "dokku version 0.35.0" */
	printf("%s version %s\n", cmd_name, BERTH_VERSION);
	return 0;
}

/* A command the lean binary does not carry runs in the full one: first
 * "<this executable>-full" (bin/berth -> bin/berth-full), then, installed,
 * <prefix>/lib/berth/berth-full. argv is passed on unchanged. */
int cmd_exec_full(const char *name, char **argv)
{
	/* argv[0] is this program's; the global flags are passed on again. */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *candidates[2] = { NULL, NULL };

	if (n < 0)
		return cmd_fail("berth: cannot find its own executable to run %s", name);
	self[n] = '\0';
	if (asprintf(&candidates[0], "%s-full", self) < 0 ||
	    asprintf(&candidates[1], "%s/../lib/berth/berth-full", dirname(self)) < 0)
		return cmd_fail("berth: out of memory");
	for (int i = 0; i < 2; i++)
		if (access(candidates[i], X_OK) == 0)
			execv(candidates[i], argv);
	cmd_fail("berth: %s needs berth-full, which is not installed next to berth (%s)", name,
		 candidates[0]);
	free(candidates[0]);
	free(candidates[1]);
	return 1;
}

/* Dokku's wording, with berth's name, and its exit status. */
static int not_a_command(int argc, char **argv)
{
	fputs(" !     `", stderr);
	for (int i = 0; i < argc; i++)
		fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
	fprintf(stderr, "` is not a %s command.\n", cmd_name);
	fprintf(stderr, " !     See `%s help` for a list of available commands.\n", cmd_name);
	return 1;
}

static bool is_help_flag(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* Global flags come before the command, as Dokku takes them:
 * berth [--quiet|--trace|--force] [--app APP] COMMAND ... */
static int global_flags(int argc, char **argv, const char **app, int *first)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--quiet"))
			ui_quiet = true;
		else if (!strcmp(a, "--force"))
			cmd_force = true;
		else if (!strcmp(a, "--trace"))
			setenv("BERTH_TRACE", "1", 1);
		else if (!strcmp(a, "--app") && i + 1 < argc)
			*app = argv[++i];
		else if (str_has_prefix(a, "--app="))
			*app = a + strlen("--app=");
		else if (is_help_flag(a) || !strcmp(a, "--version") || !strcmp(a, "-v"))
			break;
		else
			return cmd_fail("%s is not a global flag; berth takes --quiet, --trace, --force and --app APP before the command",
					a);
	}
	*first = i;
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c;
	const struct topic *t;
	const char *app = NULL;
	autofree char *topic = NULL;
	autofree char **args = NULL;
	char *program = argv[0];
	int first = 1, n;

	if (!strcmp(basename(program), "dokku"))
		cmd_name = "dokku";
	if (global_flags(argc, argv, &app, &first) != 0)
		return 1;
	argc -= first - 1;
	argv += first - 1;
	if (argc < 2 || is_help_flag(argv[1]))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))
		return cmd_version(1, argv);
	/* TOPIC:help and TOPIC --help are the same page; so is a topic with no
	 * command of its own name (`berth buildpacks`). */
	if (str_has_suffix(argv[1], ":help")) {
		topic = xstrndup(argv[1], strlen(argv[1]) - strlen(":help"));
		if ((t = topic_find(topic))) {
			help_topic(t);
			return 0;
		}
	}
	c = command_find(argv[1]);
	t = topic_find(argv[1]);
	if (c && argc > 2 && is_help_flag(argv[2])) {
		if (t)
			help_topic(t);
		else
			printf("Usage: %s %s %s\n\n%s\n", cmd_name, c->name, c->usage, c->summary);
		return 0;
	}
	if (!c && t) {
		help_topic(t);
		return 0;
	}
	if (!c)
		return not_a_command(argc - 1, argv + 1);
	if (app) {
		/* --app APP becomes the command's first argument, as in Dokku. */
		if (!(c->flags & CMD_APP))
			return cmd_fail("%s takes no app: drop --app", c->name);
		args = xcalloc((size_t)argc + 2, sizeof(char *));
		args[0] = argv[0];
		args[1] = argv[1];
		args[2] = (char *)app;
		for (n = 2; n < argc; n++)
			args[n + 1] = argv[n];
		argv = args;
		argc++;
	}
	if (!c->fn) {
		char **full = xcalloc((size_t)argc + 4, sizeof(char *));

		n = 0;
		full[n++] = program;
		if (ui_quiet)
			full[n++] = "--quiet";
		if (cmd_force)
			full[n++] = "--force";
		for (int i = 1; i < argc; i++)
			full[n++] = argv[i];
		cmd_exec_full(c->name, full);
		free(full);
		return 1;
	}
	return c->fn(argc - 1, argv + 1);
}
