/* table.c - every berth command, by name. Adding a command means adding its
 * function and one row here; main() holds no command logic. */
#include "cmd/commands.h"

#include <string.h>

/* The lean bin/berth links only the commands that start fast (runtime:run above
 * all); for the others it names the command and runs bin/berth-full. */
#ifdef BERTH_LEAN
#define HEAVY(fn) NULL
#else
#define HEAVY(fn) fn
#endif

#ifdef BERTH_LEAN
const struct cmd_net_bridge *const cmd_net_bridge = NULL;
#else
static const struct cmd_net_bridge net_bridge = { cmd_net_bridge_attach, cmd_net_bridge_release };
const struct cmd_net_bridge *const cmd_net_bridge = &net_bridge;
#endif

const struct command berth_commands[] = {
	{ "help", cmd_help, "[COMMAND]", "show the commands and what they do" },
	{ "version", cmd_version, "", "print berth's version" },
	{ "doctor", cmd_doctor, "", "check what this host's kernel offers berth" },
	{ "runtime:run", cmd_runtime_run, "[OPTIONS] -- CMD [ARGS...]",
	  "run one command in a new isolated container (plumbing)" },
	{ "apps:create", HEAVY(cmd_apps_create), "APP", "create an app" },
	{ "apps:list", HEAVY(cmd_apps_list), "[--format json]", "list apps" },
	{ "apps:exists", HEAVY(cmd_apps_exists), "APP", "exit 0 when the app exists" },
	{ "config:set", HEAVY(cmd_config_set), "[--no-restart] APP KEY=VALUE...", "set config vars" },
	{ "config:get", HEAVY(cmd_config_get), "APP KEY", "print one config var" },
	{ "config:unset", HEAVY(cmd_config_unset), "[--no-restart] APP KEY...", "remove config vars" },
	{ "config:show", HEAVY(cmd_config_show), "APP", "show all config vars" },
	{ "config:keys", HEAVY(cmd_config_keys), "APP", "list config var names" },
	{ "git:from-archive", HEAVY(cmd_git_from_archive), "[--archive-type tar|tar.gz|zip] APP FILE|URL|-",
	  "deploy a source archive (tar with any compression, or zip)" },
	{ "ps:rebuild", HEAVY(cmd_ps_rebuild), "APP", "rebuild the app from its current source" },
	{ "run", HEAVY(cmd_run), "[-e KEY=VALUE] APP COMMAND...",
	  "run a one-off command in a container of the app's release" },
	{ "buildpacks:set", HEAVY(cmd_buildpacks_set), "[--index N] APP BUILDPACK",
	  "set the buildpack at an index (default: the first)" },
	{ "buildpacks:add", HEAVY(cmd_buildpacks_add), "[--index N] APP BUILDPACK", "add a buildpack" },
	{ "buildpacks:remove", HEAVY(cmd_buildpacks_remove), "APP BUILDPACK", "remove a buildpack" },
	{ "buildpacks:clear", HEAVY(cmd_buildpacks_clear), "APP", "clear the app's buildpacks" },
	{ "buildpacks:list", HEAVY(cmd_buildpacks_list), "APP", "list the app's buildpacks" },
	{ "buildpacks:set-property", HEAVY(cmd_buildpacks_set_property), "[--global|APP] stack [STACK]",
	  "choose the stack apps build on" },
	{ "stacks:create", HEAVY(cmd_stacks_create), "busybox|debian [NAME] [--suite SUITE] [--include PKG,PKG] [--mirror URL]",
	  "create a stack from the host's busybox-static, or a Debian one with debootstrap" },
	{ "stacks:import", HEAVY(cmd_stacks_import), "NAME FILE|DIR|-",
	  "import a stack from a rootfs tarball, an OCI image (layout or archive) or a docker save" },
	{ "stacks:list", HEAVY(cmd_stacks_list), "[--format json]", "list stacks" },
	{ "stacks:report", HEAVY(cmd_stacks_report), "NAME [--format json]", "show a stack's layers, size, config and users" },
	{ "stacks:remove", HEAVY(cmd_stacks_remove), "NAME [--force]", "remove a stack (refused while in use unless --force)" },
	{ "images:list", HEAVY(cmd_images_list), "[--format json]", "list the layers in the store, their sizes and users" },
	{ "images:gc", HEAVY(cmd_images_gc), "", "remove the layers nothing uses" },
	{ "images:verify", HEAVY(cmd_images_verify), "[LAYER...]", "hash layers again and check they match their ids" },
	{ "images:commit", HEAVY(cmd_images_commit), "DIR [ORIGIN]",
	  "store a directory (e.g. runtime:run --keep-upper's) as a layer; print its id (plumbing)" },
	{ "images:export", HEAVY(cmd_images_export), "(--stack NAME | APP) FILE|-",
	  "write a stack, or an app's release, as an OCI image archive" },
	{ "router", cmd_router, "[--table FILE]",
	  "serve HTTP on BERTH_HTTP_ADDR, routing by Host to the table's backends (foreground)" },
	{ "router:reload", cmd_router_reload, "", "make the running router re-read its table" },
	{ "net:report", HEAVY(cmd_net_report), "", "show the container network: bridge, subnet, leases" },
	{ "net:teardown", HEAVY(cmd_net_teardown), "",
	  "remove berth's bridge, its veths, its nftables tables and its leases" },
	{ NULL, NULL, NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = berth_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
