/* commands.h - the command layer: one function per command, one table of names.
 *
 * A command gets argv with argv[0] set to its own name ("apps:create") and returns
 * the process exit status. Commands print errors themselves with ui_error(). */
#ifndef BERTH_CMD_COMMANDS_H
#define BERTH_CMD_COMMANDS_H

#include <stdbool.h>

#include "common/err.h"
#include "common/util.h"

enum {
	CMD_APP = 1,  /* takes an app first: the global --app APP is inserted there */
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;    /* arguments, Dokku-style ("<app> KEY"), for help */
	const char *summary;  /* one line */
	unsigned flags;
};

/* A group of commands ("apps" for apps:*), as `berth help` lists them. */
struct topic {
	const char *name;
	const char *summary;  /* Dokku's description where Dokku has the topic */
};

/* The tables, each terminated by an entry with name == NULL. */
extern const struct command berth_commands[];
extern const struct topic berth_topics[];

const struct command *command_find(const char *name);
const struct topic *topic_find(const char *name);
/* `berth TOPIC:help`: Usage line, description, the topic's commands. */
void help_topic(const struct topic *t);

/* Run the command line argv (argv[1] is the command) in berth-full; returns only
 * on failure. For lean commands that meet an option only the full binary has. */
int cmd_exec_full(const char *name, char **argv);

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
/* Fail on an error about app: exit 20 when the app does not exist (as Dokku
 * does), else 1. */
int cmd_fail_app(const char *app, const struct berr *err);
struct app;
/* Open the app named by pos[0] of n positional arguments; 0, or the exit status
 * after printing Dokku's message (no app given, or cmd_fail_app()). */
int cmd_open_app(int n, char **pos, struct app *app);

/* The name the user called us by: "dokku" when berth is installed under
 * Dokku's name (a symlink), else "berth"; help and errors say it. */
extern const char *cmd_name;

/* Global flags (before the command): --force, --quiet (ui_quiet), --trace. */
extern bool cmd_force;

/* Options as Dokku's commands take them: anywhere among the arguments (until
 * "--"), as "--name VALUE" or "--name=VALUE". */
enum opt_kind { OPT_BOOL, OPT_STR, OPT_LIST };
struct opt {
	const char *name;     /* "--format", or a short "-e" */
	enum opt_kind kind;
	void *out;            /* bool *, const char **, struct strv * */
};
enum {
	ARGS_STOP = 1,        /* options end at the second positional (run APP CMD...) */
	ARGS_DASH_DASH = 2,   /* keep a "--" as a positional (git:from-archive APP --) */
};
/* Fills pos[] (room for argc entries) with the positional arguments and
 * returns their count; on a bad option prints the error and returns -1. */
int args_parse(int argc, char **argv, const struct opt *opts, unsigned flags, char **pos);
/* args_parse for a command whose first argument is an existing app, with
 * Dokku's answers: none given ("Please specify an app to run the command on"),
 * more than max positional arguments in all ("Unexpected argument(s): X"), no
 * such app (exit 20). The count of positional arguments, or minus the exit
 * status after saying why. */
int args_app(int argc, char **argv, const struct opt *opts, int max, char **pos);

/* *:report as Dokku prints it. rows[i].flag is "--buildpacks-list". With
 * info_flag, only that value; format "json" gives an object with the flags
 * both with and without the type prefix. */
struct report_row {
	const char *flag;
	const char *value;  /* NULL prints as empty */
};
/* Take a report's own --FLAG out of argv (it is not an option to parse). */
int report_split_flag(int *argc, char **argv, const char **info_flag);
/* One app's report (NULL: the global one), as `*:report [APP|--global] [--FLAG]
 * [--format json]` prints it. */
typedef int (*report_one_fn)(const char *app, const char *info_flag, const char *format);
/* The whole `*:report` command: its arguments, then one app, --global, or every app. */
int report_command(int argc, char **argv, bool global_allowed, report_one_fn one);
/* The arguments of a Dokku *:set, (APP|--global) KEY [VALUE], options ending at
 * the app so that a value may start with '-'. 0 with *a filled (app NULL for
 * --global; value NULL to unset: none given or empty), else the exit status,
 * said; usage is the command's "KEY [<value>]" part for the error. */
struct set_args {
	const char *app, *key, *value;
};
int set_args_parse(int argc, char **argv, const char *usage, struct set_args *a);
/* Dokku's "-----> Setting KEY to VALUE" or "-----> Unsetting KEY". */
void set_args_said(const struct set_args *a);
int report_print(const char *name, const char *type, const struct report_row *rows, size_t n,
		 const char *info_flag, const char *format);

int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_runtime_run(int argc, char **argv);
int cmd_apps_create(int argc, char **argv);
int cmd_apps_rename(int argc, char **argv);
int cmd_apps_clone(int argc, char **argv);
int cmd_releases(int argc, char **argv);
int cmd_disk_report(int argc, char **argv);
int cmd_releases_info(int argc, char **argv);
int cmd_releases_rollback(int argc, char **argv);
int cmd_releases_set(int argc, char **argv);
int cmd_apps_list(int argc, char **argv);
int cmd_apps_exists(int argc, char **argv);
int cmd_apps_destroy(int argc, char **argv);
int cmd_apps_lock(int argc, char **argv);
int cmd_apps_locked(int argc, char **argv);
int cmd_apps_unlock(int argc, char **argv);
int cmd_apps_report(int argc, char **argv);
int cmd_apps_set(int argc, char **argv);
int cmd_apps(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_config_clear(int argc, char **argv);
int cmd_config_export(int argc, char **argv);
int cmd_config_import(int argc, char **argv);
int cmd_buildpacks_report(int argc, char **argv);
int cmd_config_set(int argc, char **argv);
int cmd_config_get(int argc, char **argv);
int cmd_config_unset(int argc, char **argv);
int cmd_config_show(int argc, char **argv);
int cmd_config_keys(int argc, char **argv);
int cmd_git_from_archive(int argc, char **argv);
int cmd_git_receive_pack(int argc, char **argv);
int cmd_git_upload_pack(int argc, char **argv);
int cmd_git_set(int argc, char **argv);
int cmd_git_initialize(int argc, char **argv);
int cmd_git_report(int argc, char **argv);
int cmd_git_sync(int argc, char **argv);
int cmd_git_auth(int argc, char **argv);
int cmd_git_auth_status(int argc, char **argv);
int cmd_git_allow_host(int argc, char **argv);
int cmd_git_generate_deploy_key(int argc, char **argv);
int cmd_git_public_key(int argc, char **argv);
int cmd_ps_rebuild(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_run_detached(int argc, char **argv);
int cmd_enter(int argc, char **argv);
int cmd_resource_limit(int argc, char **argv);
int cmd_resource_limit_clear(int argc, char **argv);
int cmd_resource_report(int argc, char **argv);
int cmd_storage_mount(int argc, char **argv);
int cmd_storage_unmount(int argc, char **argv);
int cmd_storage_report(int argc, char **argv);
int cmd_storage_ensure_directory(int argc, char **argv);
int cmd_logs_set(int argc, char **argv);
int cmd_logs_report(int argc, char **argv);
int cmd_storage_list(int argc, char **argv);
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
int cmd_init(int argc, char **argv);
/* berth's own executable, the lean one when this is berth-full (NULL if unknown). */
char *cmd_self_path(void);
int cmd_net_bridge_attach(struct runtime_spec *spec, void **handle, struct berr *err);
void cmd_net_bridge_release(void *handle);
int cmd_router(int argc, char **argv);
int cmd_router_reload(int argc, char **argv);
int cmd_domains_add(int argc, char **argv);
int cmd_domains_add_global(int argc, char **argv);
int cmd_domains_clear(int argc, char **argv);
int cmd_domains_clear_global(int argc, char **argv);
int cmd_domains_remove(int argc, char **argv);
int cmd_domains_remove_global(int argc, char **argv);
int cmd_domains_report(int argc, char **argv);
int cmd_domains_reset(int argc, char **argv);
int cmd_domains_enable(int argc, char **argv);
int cmd_domains_disable(int argc, char **argv);
int cmd_domains_set(int argc, char **argv);
int cmd_domains_set_global(int argc, char **argv);
int cmd_ports_add(int argc, char **argv);
int cmd_ports_clear(int argc, char **argv);
int cmd_ports_list(int argc, char **argv);
int cmd_ports_remove(int argc, char **argv);
int cmd_ports_report(int argc, char **argv);
int cmd_ports_set(int argc, char **argv);
int cmd_ssh_keys_add(int argc, char **argv);
int cmd_ssh_keys_list(int argc, char **argv);
int cmd_ssh_keys_remove(int argc, char **argv);
int cmd_ssh_serve(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_daemon_exec(int argc, char **argv);
int cmd_ps_scale(int argc, char **argv);
int cmd_ps_start(int argc, char **argv);
int cmd_ps_stop(int argc, char **argv);
int cmd_ps_restart(int argc, char **argv);
int cmd_ps_restore(int argc, char **argv);
int cmd_ps_set(int argc, char **argv);
int cmd_builder_set(int argc, char **argv);
int cmd_builder_report(int argc, char **argv);
int cmd_ps_report(int argc, char **argv);
/* checks.c */
int cmd_checks_disable(int argc, char **argv);
int cmd_checks_enable(int argc, char **argv);
int cmd_checks_skip(int argc, char **argv);
int cmd_checks_set(int argc, char **argv);
int cmd_checks_report(int argc, char **argv);
int cmd_checks_run(int argc, char **argv);
/* builds.c, repo.c */
int cmd_builds_cancel(int argc, char **argv);
int cmd_builds_info(int argc, char **argv);
int cmd_builds_list(int argc, char **argv);
int cmd_builds_output(int argc, char **argv);
int cmd_builds_prune(int argc, char **argv);
int cmd_builds_report(int argc, char **argv);
int cmd_builds_set(int argc, char **argv);
int cmd_repo_gc(int argc, char **argv);
int cmd_repo_purge_cache(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_logs_failed(int argc, char **argv);

#endif
