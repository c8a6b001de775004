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

/* `berth daemon`: bin/berth-daemon runs it; the lean bin/berth executes that
 * (cmd/daemon_exec.c); berth-full can run it too. */
#if defined(BERTH_DAEMON_BIN) || !defined(BERTH_LEAN)
#define DAEMON_FN cmd_daemon
#else
#define DAEMON_FN cmd_daemon_exec
#endif

#ifdef BERTH_LEAN
const struct cmd_net_bridge *const cmd_net_bridge = NULL;
#else
static const struct cmd_net_bridge net_bridge = { cmd_net_bridge_attach, cmd_net_bridge_release };
const struct cmd_net_bridge *const cmd_net_bridge = &net_bridge;
#endif

const struct topic berth_topics[] = {
	{ "apps", "Manage apps" },
	{ "buildpacks", "Manage buildpacks settings for an app" },
	{ "config", "Manage global and app-specific config vars" },
	{ "daemon", "Run the supervisor of every app process (berth)" },
	{ "doctor", "Check what this host's kernel offers berth" },
	{ "domains", "Manage domains used by the proxy" },
	{ "events", "Show the commands run over ssh (berth)" },
	{ "git", "Manage app deploys via git" },
	{ "help", "Print the list of commands" },
	{ "images", "Manage the layer store (berth)" },
	{ "init", "Prepare this host for berth: user, network, stack, daemon (berth)" },
	{ "logs", "Manage log integration for an app" },
	{ "net", "Manage the container network: bridge, NAT, leases (berth)" },
	{ "ports", "Manage ports for an app" },
	{ "ps", "Manage app processes" },
	{ "router", "Run berth's HTTP router (berth)" },
	{ "enter", "Connect to a specific app container" },
	{ "resource", "Manage resource settings for an app" },
	{ "run", "Run a one-off process inside a container" },
	{ "runtime", "Run one command in a new container (berth plumbing)" },
	{ "storage", "Manage mounted volumes" },
	{ "ssh-keys", "Manage public ssh keys that are allowed to connect to berth" },
	{ "stacks", "Manage the stacks apps build and run on (berth)" },
	{ "version", "Print berth's version" },
	{ NULL, NULL },
};

const struct command berth_commands[] = {
	{ "help", cmd_help, "[<command>|--all]", "Print the list of commands", 0 },
	{ "version", cmd_version, "", "Print berth's version", 0 },
	{ "init", HEAVY(cmd_init), "[--user NAME] [--background] [--no-daemon]",
	  "Prepare this host: berth user and keys, network, busybox stack, daemon and router", 0 },
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
	{ "git-receive-pack", HEAVY(cmd_git_receive_pack), "<app>",
	  "Receive a git push of the app on stdin/stdout (what ssh runs for git push)", CMD_APP },
	{ "git-upload-pack", HEAVY(cmd_git_upload_pack), "<app>",
	  "Serve a git fetch or clone of the app on stdin/stdout", CMD_APP },
	{ "git:report", HEAVY(cmd_git_report), "[<app>] [--format json]", "Displays a git report for one or more apps",
	  CMD_APP },
	{ "git:set", HEAVY(cmd_git_set), "<app> deploy-branch [<branch>]",
	  "Set or clear a git property for an app", CMD_APP },
	{ "git:sync", HEAVY(cmd_git_sync), "[--build] <app> <repository> [<git-ref>]",
	  "Clone or fetch an app from remote git repo", CMD_APP },
	{ "daemon", DAEMON_FN, "[--background]",
	  "Supervise every app process; serve the ps commands (foreground unless --background)", 0 },
	{ "logs", HEAVY(cmd_logs), "<app> [-h] [-t] [-n num] [-q] [-p process]",
	  "Display recent log output", CMD_APP },
	{ "logs:failed", HEAVY(cmd_logs_failed), "[--all|<app>]",
	  "Shows the logs of the app's failed (crashed) processes", CMD_APP },
	{ "ps:report", HEAVY(cmd_ps_report), "[<app>] [<flag>] [--format json]",
	  "Displays a process report for one or more apps", CMD_APP },
	{ "ps:restart", HEAVY(cmd_ps_restart), "[--all|<app>] [<process-name>]",
	  "Restart an app", CMD_APP },
	{ "ps:restore", HEAVY(cmd_ps_restore), "", "Start previously running apps e.g. after reboot", 0 },
	{ "ps:scale", HEAVY(cmd_ps_scale), "<app> <proc>=<count> [<proc>=<count>...]",
	  "Get/Set how many instances of a given process to run", CMD_APP },
	{ "ps:set", HEAVY(cmd_ps_set), "<app> <key> <value>",
	  "Set or clear a ps property for an app (restart-policy, stop-timeout-seconds)", CMD_APP },
	{ "ps:start", HEAVY(cmd_ps_start), "[--all|<app>] [<process-name>]", "Start an app", CMD_APP },
	{ "ps:stop", HEAVY(cmd_ps_stop), "[--all|<app>] [<process-name>]", "Stop an app", CMD_APP },
	{ "ps:rebuild", HEAVY(cmd_ps_rebuild), "[--parallel count] [--all|<app>]",
	  "Rebuilds an app from source", CMD_APP },
	{ "run", HEAVY(cmd_run), "[-e|--env KEY=VALUE] [--no-tty] [--ttl-seconds SECONDS] <app> <cmd>",
	  "Run a command in a new container using the current app image", CMD_APP },
	{ "run:detached", HEAVY(cmd_run_detached), "[-e|--env KEY=VALUE] [--ttl-seconds SECONDS] <app> <cmd>",
	  "Run a command in a new detached container, named <app>.run.N, using the current app image",
	  CMD_APP },
	{ "enter", HEAVY(cmd_enter), "<app> <process-type>.<n> [<command>...] | <app> --container-id <app>.<type>.<n> [<command>...]",
	  "Connect to a running process of an app (its namespaces, cgroup, user and seccomp filter)",
	  CMD_APP },
	{ "resource:limit", HEAVY(cmd_resource_limit),
	  "[--process-type <process-type>] [--cpu CPUS] [--memory SIZE] [--pids N] <app>",
	  "Limit resources for a given app/process-type combination (value 'clear' removes one)", CMD_APP },
	{ "resource:limit-clear", HEAVY(cmd_resource_limit_clear), "[--process-type <process-type>] <app>",
	  "Clear the resource limits of an app or one of its process types", CMD_APP },
	{ "resource:report", HEAVY(cmd_resource_report), "[<app>] [<flag>] [--format json]",
	  "Displays a resource report for one or more apps, with what this host enforces", CMD_APP },
	{ "storage:list", HEAVY(cmd_storage_list), "<app> [--format text|json]",
	  "List bind mounts for an app's containers", CMD_APP },
	{ "storage:mount", HEAVY(cmd_storage_mount), "<app> <host-dir:container-dir[:ro]>",
	  "Create a new bind mount (host paths under BERTH_STORAGE_ROOT only)", CMD_APP },
	{ "storage:unmount", HEAVY(cmd_storage_unmount), "<app> <host-dir:container-dir[:ro]>",
	  "Remove an existing bind mount", CMD_APP },
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
	{ "ssh-keys:add", HEAVY(cmd_ssh_keys_add), "[--admin] <name> [<key-file>|-]",
	  "Add a new public key by key file or stdin (an admin key may also change the host)", 0 },
	{ "ssh-keys:list", HEAVY(cmd_ssh_keys_list), "[--format json]", "List of all authorized public keys", 0 },
	{ "ssh-keys:remove", HEAVY(cmd_ssh_keys_remove), "<name>", "Remove a public key by name", 0 },
	{ "ssh:serve", HEAVY(cmd_ssh_serve), "[--admin] <name>",
	  "Run $SSH_ORIGINAL_COMMAND for a key (sshd's forced command; plumbing)", 0 },
	{ "events", HEAVY(cmd_events), "", "Show the commands run over ssh, with their key", 0 },
	{ "router", cmd_router, "[--table FILE]",
	  "Serve HTTP on BERTH_HTTP_ADDR, routing by Host to the table's backends (foreground)", 0 },
	{ "router:reload", cmd_router_reload, "", "Make the running router re-read its table", 0 },
	{ "domains:add", HEAVY(cmd_domains_add), "<app> <domain> [<domain> ...]", "Add domains to app", CMD_APP },
	{ "domains:add-global", HEAVY(cmd_domains_add_global), "<domain> [<domain> ...]", "Add global domain names", 0 },
	{ "domains:clear", HEAVY(cmd_domains_clear), "<app>", "Clear all domains for app", CMD_APP },
	{ "domains:clear-global", HEAVY(cmd_domains_clear_global), "", "Clear global domain names", 0 },
	{ "domains:disable", HEAVY(cmd_domains_disable), "<app>|--all",
	  "Disable VHOST support (the app answers on its own http ports only)", CMD_APP },
	{ "domains:enable", HEAVY(cmd_domains_enable), "<app>|--all", "Enable VHOST support", CMD_APP },
	{ "domains:remove", HEAVY(cmd_domains_remove), "<app> <domain> [<domain> ...]", "Remove domains from app", CMD_APP },
	{ "domains:remove-global", HEAVY(cmd_domains_remove_global), "<domain> [<domain> ...]",
	  "Remove global domain names", 0 },
	{ "domains:report", HEAVY(cmd_domains_report), "[<app>|--global] [<flag>] [--format json]",
	  "Displays a domains report for one or more apps", CMD_APP },
	{ "domains:reset", HEAVY(cmd_domains_reset), "<app>", "Reset app domains to global-configured domains", CMD_APP },
	{ "domains:set", HEAVY(cmd_domains_set), "<app> <domain> [<domain> ...]", "Set domains for app", CMD_APP },
	{ "domains:set-global", HEAVY(cmd_domains_set_global), "<domain> [<domain> ...]", "Set global domain names", 0 },
	{ "ports:add", HEAVY(cmd_ports_add), "<app> <scheme>:<host-port>:<container-port> [...]",
	  "Add port mappings to an app (http: the router; tcp: forwarded)", CMD_APP },
	{ "ports:clear", HEAVY(cmd_ports_clear), "<app>", "Clear all port mappings for an app", CMD_APP },
	{ "ports:list", HEAVY(cmd_ports_list), "<app>", "List port mappings for an app", CMD_APP },
	{ "ports:remove", HEAVY(cmd_ports_remove), "<app> <host-port>|<scheme>:<host-port>:<container-port> [...]",
	  "Remove specific port mappings from an app", CMD_APP },
	{ "ports:report", HEAVY(cmd_ports_report), "[<app>] [<flag>] [--format json]",
	  "Displays a ports report for one or more apps", CMD_APP },
	{ "ports:set", HEAVY(cmd_ports_set), "<app> <scheme>:<host-port>:<container-port> [...]",
	  "Set port mappings for an app", CMD_APP },
	{ "net:report", HEAVY(cmd_net_report), "", "Show the container network: bridge, subnet, leases", 0 },
	{ "net:teardown", HEAVY(cmd_net_teardown), "",
	  "Remove berth's bridge, its veths, its nftables table and its leases", 0 },
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
