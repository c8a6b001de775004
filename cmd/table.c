/* table.c - every berth command, by name. Adding a command means adding its
 * function and one row here; main() holds no command logic. */
#include "cmd/commands.h"

#include <string.h>

const struct command berth_commands[] = {
	{ "help", cmd_help, "[COMMAND]", "show the commands and what they do" },
	{ "version", cmd_version, "", "print berth's version" },
	{ "doctor", cmd_doctor, "", "check what this host's kernel offers berth" },
	{ "runtime:run", cmd_runtime_run, "[OPTIONS] -- CMD [ARGS...]",
	  "run one command in a new isolated container (plumbing)" },
	{ NULL, NULL, NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = berth_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
