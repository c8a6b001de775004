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
	{ "stacks:create", cmd_stacks_create, "busybox|debian [NAME] [--suite SUITE] [--include PKG,PKG] [--mirror URL]",
	  "create a stack from the host's busybox-static, or a Debian one with debootstrap" },
	{ "stacks:import", cmd_stacks_import, "NAME FILE|DIR|-",
	  "import a stack from a rootfs tarball, an OCI image (layout or archive) or a docker save" },
	{ "stacks:list", cmd_stacks_list, "[--format json]", "list stacks" },
	{ "stacks:report", cmd_stacks_report, "NAME [--format json]", "show a stack's layers, size, config and users" },
	{ "stacks:remove", cmd_stacks_remove, "NAME [--force]", "remove a stack (refused while in use unless --force)" },
	{ "images:list", cmd_images_list, "[--format json]", "list the layers in the store, their sizes and users" },
	{ "images:gc", cmd_images_gc, "", "remove the layers nothing uses" },
	{ "images:verify", cmd_images_verify, "[LAYER...]", "hash layers again and check they match their ids" },
	{ "images:commit", cmd_images_commit, "DIR [ORIGIN]",
	  "store a directory (e.g. runtime:run --keep-upper's) as a layer; print its id (plumbing)" },
	{ "images:export", cmd_images_export, "--stack NAME FILE|-", "write a stack as an OCI image archive" },
	{ NULL, NULL, NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = berth_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
