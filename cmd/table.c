/* table.c - every berth command, by name, and the topics that group them.
 * Adding a command means adding its function and one row here; main() holds no
 * command logic. Usages are written as Dokku writes them ("<app>"). */
#include "cmd/commands.h"

#include <string.h>

/* The lean bin/berth links only the commands that start fast (runtime:run above
 * all); for the others it names the command and runs bin/berth-full. */
#ifdef BERTH_LEAN
#define HEAVY(fn) NULL
#else
#define HEAVY(fn) fn
#endif

const struct topic berth_topics[] = {
	{ "apps", "Manage apps" },
	{ "buildpacks", "Manage buildpacks settings for an app" },
	{ "config", "Manage global and app-specific config vars" },
	{ "doctor", "Check what this host's kernel offers berth" },
	{ "git", "Manage app deploys via git" },
	{ "help", "Print the list of commands" },
	{ "images", "Manage the layer store (berth)" },
	{ "ps", "Manage app processes" },
	{ "run", "Run a one-off process inside a container" },
	{ "runtime", "Run one command in a new container (berth plumbing)" },
	{ "stacks", "Manage the stacks apps build and run on (berth)" },
	{ "version", "Print berth's version" },
	{ NULL, NULL },
};

const struct command berth_commands[] = {
	{ "help", cmd_help, "[<command>|--all]", "Print the list of commands", 0 },
	{ "version", cmd_version, "", "Print berth's version", 0 },
	{ "doctor", cmd_doctor, "", "Check what this host's kernel offers berth", 0 },
	{ "runtime:run", cmd_runtime_run, "[OPTIONS] -- CMD [ARGS...]",
	  "Run one command in a new isolated container (plumbing)", 0 },
	{ "apps", HEAVY(cmd_apps), "[--format stdout|json]", "List your apps", 0 },
	{ "apps:create", HEAVY(cmd_apps_create), "<app>", "Create a new app", CMD_APP },
	{ "apps:destroy", HEAVY(cmd_apps_destroy), "[--force] <app>", "Permanently destroy an app", CMD_APP },
	{ "apps:exists", HEAVY(cmd_apps_exists), "<app>", "Checks if an app exists", CMD_APP },
	{ "apps:list", HEAVY(cmd_apps_list), "[--format stdout|json]", "List your apps", 0 },
	{ "apps:lock", HEAVY(cmd_apps_lock), "<app>", "Locks an app for deployment", CMD_APP },
	{ "apps:locked", HEAVY(cmd_apps_locked), "<app>", "Checks if an app is locked for deployment", CMD_APP },
	{ "apps:report", HEAVY(cmd_apps_report), "[<app>|--global] [<flag>] [--format json]",
	  "Display report about an app", CMD_APP },
	{ "apps:unlock", HEAVY(cmd_apps_unlock), "<app>", "Unlocks an app for deployment", CMD_APP },
	{ "config", HEAVY(cmd_config), "[--merged] (<app>|--global)",
	  "Pretty-print an app or global environment", CMD_APP },
	{ "config:clear", HEAVY(cmd_config_clear), "[--no-restart] (<app>|--global)",
	  "Clears environment variables", CMD_APP },
	{ "config:export", HEAVY(cmd_config_export), "[--format=FORMAT] [--merged] (<app>|--global)",
	  "Export a global or app environment", CMD_APP },
	{ "config:get", HEAVY(cmd_config_get), "[--quoted] (<app>|--global) KEY",
	  "Display a global or app-specific config value", CMD_APP },
	{ "config:import", HEAVY(cmd_config_import),
	  "[--no-restart] [--replace] [--format envfile|json] (<app>|--global) [FILE|-]",
	  "Import environment from file", CMD_APP },
	{ "config:keys", HEAVY(cmd_config_keys), "[--merged] (<app>|--global)",
	  "Show keys set in environment", CMD_APP },
	{ "config:set", HEAVY(cmd_config_set),
	  "[--encoded] [--no-restart] (<app>|--global) KEY1=VALUE1 [KEY2=VALUE2 ...]",
	  "Set one or more config vars", CMD_APP },
	{ "config:show", HEAVY(cmd_config_show), "[--merged] (<app>|--global)",
	  "Show keys set in environment", CMD_APP },
	{ "config:unset", HEAVY(cmd_config_unset), "[--no-restart] (<app>|--global) KEY1 [KEY2 ...]",
	  "Unset one or more config vars", CMD_APP },
	{ "git:from-archive", HEAVY(cmd_git_from_archive),
	  "[--archive-type tar|tar.gz|zip] <app> <archive-url>|--|FILE [<git-username> <git-email>]",
	  "Updates an app's source with an archive (tar with any compression, or zip) and deploys it",
	  CMD_APP },
	{ "ps:rebuild", HEAVY(cmd_ps_rebuild), "[--parallel count] [--all|<app>]",
	  "Rebuilds an app from source", CMD_APP },
	{ "run", HEAVY(cmd_run), "[-e|--env KEY=VALUE] [--no-tty] [--ttl-seconds SECONDS] <app> <cmd>",
	  "Run a command in a new container using the current app image", CMD_APP },
	{ "buildpacks:add", HEAVY(cmd_buildpacks_add), "[--index 1] <app> <buildpack>",
	  "Add new app buildpack while inserting into list of buildpacks if necessary", CMD_APP },
	{ "buildpacks:clear", HEAVY(cmd_buildpacks_clear), "<app>", "Clear all buildpacks set on the app",
	  CMD_APP },
	{ "buildpacks:list", HEAVY(cmd_buildpacks_list), "<app>", "List all buildpacks for an app", CMD_APP },
	{ "buildpacks:remove", HEAVY(cmd_buildpacks_remove), "<app> <buildpack>|--index N",
	  "Remove a buildpack set on the app", CMD_APP },
	{ "buildpacks:report", HEAVY(cmd_buildpacks_report), "[<app>|--global] [<flag>] [--format json]",
	  "Displays a buildpack report for one or more apps", CMD_APP },
	{ "buildpacks:set", HEAVY(cmd_buildpacks_set), "[--index 1] [--replace] <app> <buildpack>...",
	  "Set new app buildpack at a given position defaulting to the first buildpack if no index is specified",
	  CMD_APP },
	{ "buildpacks:set-property", HEAVY(cmd_buildpacks_set_property), "[--global|<app>] stack [<stack>]",
	  "Set or clear a buildpacks property for an app", CMD_APP },
	{ "stacks:create", HEAVY(cmd_stacks_create), "busybox|debian [NAME] [--suite SUITE] [--include PKG,PKG] [--mirror URL]",
	  "Create a stack from the host's busybox-static, or a Debian one with debootstrap", 0 },
	{ "stacks:import", HEAVY(cmd_stacks_import), "NAME FILE|DIR|-",
	  "Import a stack from a rootfs tarball, an OCI image (layout or archive) or a docker save", 0 },
	{ "stacks:list", HEAVY(cmd_stacks_list), "[--format json]", "List stacks", 0 },
	{ "stacks:report", HEAVY(cmd_stacks_report), "NAME [--format json]", "Show a stack's layers, size, config and users", 0 },
	{ "stacks:remove", HEAVY(cmd_stacks_remove), "NAME [--force]", "Remove a stack (refused while in use unless --force)", 0 },
	{ "images:list", HEAVY(cmd_images_list), "[--format json]", "List the layers in the store, their sizes and users", 0 },
	{ "images:gc", HEAVY(cmd_images_gc), "", "Remove the layers nothing uses", 0 },
	{ "images:verify", HEAVY(cmd_images_verify), "[LAYER...]", "Hash layers again and check they match their ids", 0 },
	{ "images:commit", HEAVY(cmd_images_commit), "DIR [ORIGIN]",
	  "Store a directory (e.g. runtime:run --keep-upper's) as a layer; print its id (plumbing)", 0 },
	{ "images:export", HEAVY(cmd_images_export), "(--stack NAME | <app>) FILE|-",
	  "Write a stack, or an app's release, as an OCI image archive", 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = berth_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct topic *topic_find(const char *name)
{
	for (const struct topic *t = berth_topics; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}
