/* berth.c - main(): find the command by name and run it, here or in berth-full. */
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/ui.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.1.0"
#endif

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
	printf("berth %s\n", BERTH_VERSION);
	return 0;
}

int cmd_help(int argc, char **argv)
{
	if (argc > 1) {
		const struct command *c = command_find(argv[1]);

		if (!c)
			return cmd_fail("%s is not a berth command; see 'berth help'", argv[1]);
		printf("Usage: berth %s %s\n\n%s\n", c->name, c->usage, c->summary);
		return 0;
	}
	printf("Usage: berth COMMAND [ARGS...]\n\nCommands:\n");
	for (const struct command *c = berth_commands; c->name; c++)
		printf("    %-20s %s\n", c->name, c->summary);
	return 0;
}

/* A command the lean binary does not carry runs in the full one: first
 * "<this executable>-full" (bin/berth -> bin/berth-full), then, installed,
 * <prefix>/lib/berth/berth-full. argv is passed on unchanged. */
int cmd_exec_full(char **argv)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *candidates[2] = { NULL, NULL };

	if (n < 0)
		return cmd_fail("berth: cannot find its own executable to run %s", argv[1]);
	self[n] = '\0';
	if (asprintf(&candidates[0], "%s-full", self) < 0 ||
	    asprintf(&candidates[1], "%s/../lib/berth/berth-full", dirname(self)) < 0)
		return cmd_fail("berth: out of memory");
	for (int i = 0; i < 2; i++)
		if (access(candidates[i], X_OK) == 0)
			execv(candidates[i], argv);
	cmd_fail("berth: %s needs berth-full, which is not installed next to berth (%s)", argv[1],
		 candidates[0]);
	free(candidates[0]);
	free(candidates[1]);
	return 1;
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2)
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	c = command_find(argv[1]);
	if (!c)
		return cmd_fail("%s is not a berth command; see 'berth help'", argv[1]);
	if (!c->fn)
		return cmd_exec_full(argv);
	return c->fn(argc - 1, argv + 1);
}
