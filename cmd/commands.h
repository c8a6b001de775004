/* commands.h - the command layer: one function per command, one table of names.
 *
 * A command gets argv with argv[0] set to its own name ("apps:create") and returns
 * the process exit status. Commands print errors themselves with ui_error(). */
#ifndef BERTH_CMD_COMMANDS_H
#define BERTH_CMD_COMMANDS_H

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;    /* arguments, shown by `berth help` */
	const char *summary;  /* one line */
};

/* The table, terminated by an entry with name == NULL. */
extern const struct command berth_commands[];

const struct command *command_find(const char *name);

/* Run the command line argv (argv[1] is the command) in berth-full; returns only
 * on failure. For lean commands that meet an option only the full binary has. */
int cmd_exec_full(char **argv);

/* runtime:run --net bridge, present only in berth-full (NULL in the lean table):
 * it needs libnl and libnftnl, which the lean binary does not load. */
struct runtime_spec;
struct berr;
struct cmd_net_bridge {
	int (*attach)(struct runtime_spec *spec, void **handle, struct berr *err);
	void (*release)(void *handle);
};
extern const struct cmd_net_bridge *const cmd_net_bridge;

/* Print " !     <msg>" and return 1: the common way a command fails. */
int cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_runtime_run(int argc, char **argv);
int cmd_apps_create(int argc, char **argv);
int cmd_apps_list(int argc, char **argv);
int cmd_apps_exists(int argc, char **argv);
int cmd_config_set(int argc, char **argv);
int cmd_config_get(int argc, char **argv);
int cmd_config_unset(int argc, char **argv);
int cmd_config_show(int argc, char **argv);
int cmd_config_keys(int argc, char **argv);
int cmd_git_from_archive(int argc, char **argv);
int cmd_ps_rebuild(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_buildpacks_set(int argc, char **argv);
int cmd_buildpacks_add(int argc, char **argv);
int cmd_buildpacks_remove(int argc, char **argv);
int cmd_buildpacks_clear(int argc, char **argv);
int cmd_buildpacks_list(int argc, char **argv);
int cmd_buildpacks_set_property(int argc, char **argv);
int cmd_stacks_create(int argc, char **argv);
int cmd_stacks_import(int argc, char **argv);
int cmd_stacks_list(int argc, char **argv);
int cmd_stacks_report(int argc, char **argv);
int cmd_stacks_remove(int argc, char **argv);
int cmd_images_list(int argc, char **argv);
int cmd_images_gc(int argc, char **argv);
int cmd_images_export(int argc, char **argv);
int cmd_images_verify(int argc, char **argv);
int cmd_images_commit(int argc, char **argv);
int cmd_net_report(int argc, char **argv);
int cmd_net_teardown(int argc, char **argv);
int cmd_net_bridge_attach(struct runtime_spec *spec, void **handle, struct berr *err);
void cmd_net_bridge_release(void *handle);
int cmd_router(int argc, char **argv);
int cmd_router_reload(int argc, char **argv);

#endif
