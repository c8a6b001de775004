/* help.c - `berth help`, `berth help --all`, `berth TOPIC:help`, laid out as
 * Dokku lays out its help so that what users know reads the same. */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"

/* Does command c belong to topic t ("apps" owns "apps" and "apps:*")? */
static bool in_topic(const struct command *c, const struct topic *t)
{
	size_t n = strlen(t->name);

	if (!strcmp(t->name, "runtime"))
		return str_has_prefix(c->name, "runtime:");
	return !strncmp(c->name, t->name, n) && (c->name[n] == '\0' || c->name[n] == ':');
}

static char *command_line(const struct command *c)
{
	return *c->usage ? xasprintf("%s %s", c->name, c->usage) : xstrdup(c->name);
}

/* Two columns, the first padded to its widest entry plus two spaces. */
static void print_commands(const struct topic *only)
{
	int width = 0;

	for (const struct command *c = berth_commands; c->name; c++) {
		autofree char *line = command_line(c);

		if ((!only || in_topic(c, only)) && (int)strlen(line) > width)
			width = (int)strlen(line);
	}
	for (const struct command *c = berth_commands; c->name; c++) {
		autofree char *line = command_line(c);

		if (!only || in_topic(c, only))
			printf("    %-*s  %s\n", width, line, c->summary);
	}
}

void help_topic(const struct topic *t)
{
	printf("Usage: %s %s[:COMMAND]\n\n%s\n\nAdditional commands:\n", cmd_name, t->name, t->summary);
	print_commands(t);
}

int cmd_help(int argc, char **argv)
{
	int width = 0;

	if (argc > 1 && strcmp(argv[1], "--all")) {
		const struct topic *t = topic_find(argv[1]);
		const struct command *c = command_find(argv[1]);

		if (t) {
			help_topic(t);
			return 0;
		}
		if (!c)
			return cmd_fail("`%s` is not a %s command; see `%s help`", argv[1], cmd_name,
					cmd_name);
		printf("Usage: %s %s %s\n\n%s\n", cmd_name, c->name, c->usage, c->summary);
		return 0;
	}
	printf("Usage: %s [--quiet|--trace|--force] COMMAND <app> [command-specific-options]\n\n",
	       cmd_name);
	printf("Primary help options, type \"%s COMMAND:help\" for more details, or %s help --all to see all commands.\n\n",
	       cmd_name, cmd_name);
	printf("Commands:\n\n");
	if (argc > 1) {
		print_commands(NULL);
		return 0;
	}
	for (const struct topic *t = berth_topics; t->name; t++)
		if ((int)strlen(t->name) > width)
			width = (int)strlen(t->name);
	for (const struct topic *t = berth_topics; t->name; t++)
		printf("    %-*s  %s\n", width, t->name, t->summary);
	return 0;
}
