/* git.c - git's transport commands (git-receive-pack, git-upload-pack) and the
 * git:* commands. gitd/ speaks the protocol; this file wires it to platform/:
 * where an app's repository lives, creating apps, deploy branches, deploys. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/paths.h"
#include "common/ui.h"
#include "gitd/gitd.h"
#include "platform/daemon.h"
#include "platform/platform.h"

#define DEFAULT_MAX_PACK (2ULL << 30)

static int hook_app_check(void *ctx, const char *app, struct berr *err)
{
	(void)ctx;
	return app_name_check(app, err);
}

static bool hook_app_exists(void *ctx, const char *app)
{
	(void)ctx;
	return app_exists(app);
}

static int hook_app_create(void *ctx, const char *app, struct berr *err)
{
	(void)ctx;
	return app_autocreate(app, err);
}

static char *hook_repo_path(void *ctx, const char *app)
{
	(void)ctx;
	return app_path(app, "repo.git");
}

/* The app's own deploy branch (git:set APP deploy-branch), or NULL. */
static char *app_deploy_branch(const char *app)
{
	struct app_settings s;
	struct berr ignored;
	char *branch = NULL;

	if (app_settings_load(app, &s, &ignored) == 0) {
		branch = s.deploy_branch ? xstrdup(s.deploy_branch) : NULL;
		app_settings_free(&s);
	}
	return branch;
}

/* git:set --global deploy-branch, or NULL. */
static char *global_deploy_branch(void)
{
	char *branch = NULL;
	struct berr ignored;

	if (global_setting_get("git-deploy-branch", &branch, &ignored) < 0)
		return NULL;
	return branch;
}

/* The branch a push deploys: the app's, else the global one, else NULL (main
 * or master). */
static char *hook_deploy_branch(void *ctx, const char *app)
{
	char *branch = app_deploy_branch(app);

	(void)ctx;
	return branch ? branch : global_deploy_branch();
}

static int hook_deploy(void *ctx, const char *app, const char *commit, tree_writer write_tree,
		       void *tree_ctx, const struct sink *sink, struct berr *err)
{
	struct deploy_source src = { .kind = DEPLOY_TREE, .write_tree = write_tree,
				     .ctx = tree_ctx, .version = commit };

	(void)ctx;
	return deploy_source(app, &src, sink, err);
}

static const struct gitd_hooks hooks = {
	.app_check = hook_app_check,
	.app_exists = hook_app_exists,
	.app_create = hook_app_create,
	.repo_path = hook_repo_path,
	.deploy_branch = hook_deploy_branch,
	.deploy = hook_deploy,
};

static int transport_options(struct gitd_options *o, struct berr *err)
{
	const char *max = getenv("BERTH_GIT_MAX_PACK");
	uint64_t v = DEFAULT_MAX_PACK;

	if (max && *max && parse_size(max, &v, err) < 0)
		return berr_prefix(err, "BERTH_GIT_MAX_PACK");
	*o = (struct gitd_options){
		.hooks = &hooks,
		.in_fd = STDIN_FILENO,
		.out_fd = STDOUT_FILENO,
		.err_fd = STDERR_FILENO,
		.protocol = getenv("GIT_PROTOCOL"),
		.max_pack_bytes = v,
		.keepalive_seconds = 5,
	};
	return 0;
}

static int transport(int argc, char **argv,
		     int (*serve)(const struct gitd_options *, const char *, struct berr *))
{
	struct gitd_options o;
	autofree char *app = NULL;
	autofree char *tmp = xasprintf("%s/tmp", berth_root());
	struct berr err;

	if (argc != 2)
		return cmd_fail("Usage: berth %s APP", argv[0]);
	if (transport_options(&o, &err) < 0 || gitd_repo_arg(&hooks, argv[1], &app, &err) < 0)
		return cmd_fail("%s", err.msg);
	o.tmp_dir = tmp;
	if (serve(&o, app, &err) < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}

int cmd_git_receive_pack(int argc, char **argv)
{
	return transport(argc, argv, gitd_receive_pack);
}

int cmd_git_upload_pack(int argc, char **argv)
{
	return transport(argc, argv, gitd_upload_pack);
}

static int set_deploy_branch(struct app_settings *s, void *ctx, struct berr *err)
{
	const char *branch = ctx;

	(void)err;
	free(s->deploy_branch);
	s->deploy_branch = branch ? xstrdup(branch) : NULL;
	return 0;
}

/* git:set (APP|--global) deploy-branch [BRANCH] */
int cmd_git_set(int argc, char **argv)
{
	struct set_args sa;
	struct app a;
	struct berr err;
	int r = set_args_parse(argc, argv, "deploy-branch [<branch>]", &sa);

	if (r)
		return r;
	if (strcmp(sa.key, "deploy-branch"))
		return cmd_fail("Invalid property specified: %s (berth knows deploy-branch)", sa.key);
	if (sa.value && gitd_branch_check(sa.value, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!sa.app) {
		if (global_setting_set("git-deploy-branch", sa.value, &err) < 0)
			return cmd_fail("%s", err.msg);
	} else {
		if (app_open(sa.app, 0, &a, &err) < 0)
			return cmd_fail_app(sa.app, &err);
		r = app_settings_edit(&a, set_deploy_branch, (void *)sa.value, &err);
		app_close(&a);
		if (r < 0 || gitd_set_head(&hooks, sa.app, sa.value, &err) < 0)
			return cmd_fail("%s", err.msg);
	}
	set_args_said(&sa);
	return 0;
}

/* git:report: Dokku's raw, global and computed deploy-branch, the sha; the
 * computed branch of an app that set none is "master" (berth deploys a push to
 * main as well). */
static int git_report_one(const char *app, const char *info_flag, const char *format)
{
	autofree char *own = app ? app_deploy_branch(app) : NULL;
	autofree char *global = global_deploy_branch();
	const char *computed = own ? own : global ? global : "master";
	struct gitd_report rep = { 0 };
	struct berr err;
	char branches[32];

	if (!app) {
		const struct report_row rows[] = {
			{ "--git-computed-deploy-branch", computed },
			{ "--git-global-deploy-branch", global },
		};

		return report_print("--global", "git", rows, ARRAY_SIZE(rows), info_flag, format);
	}
	if (app_require(app, &err) < 0)
		return cmd_fail_app(app, &err);
	if (gitd_report(&hooks, app, own ? own : global, &rep, &err) < 0)
		return cmd_fail("%s", err.msg);
	snprintf(branches, sizeof(branches), "%zu", rep.branches);
	const struct report_row rows[] = {
		{ "--git-branches", branches },
		{ "--git-computed-deploy-branch", computed },
		{ "--git-deploy-branch", own },
		{ "--git-global-deploy-branch", global },
		{ "--git-sha", rep.head },
	};

	return report_print(app, "git", rows, ARRAY_SIZE(rows), info_flag, format);
}

int cmd_git_report(int argc, char **argv)
{
	return report_command(argc, argv, true, git_report_one);
}

/* Dokku's git:sync [--build] APP URL [REF]: fetch into the deploy branch, and
 * deploy with --build; the branch moves only when that deploy succeeded. */
int cmd_git_sync(int argc, char **argv)
{
	bool build = argc > 1 && !strcmp(argv[1], "--build");
	autofree char *branch = NULL;
	autoclose int fd = -1;
	char commit[41];
	struct berr err;

	if (build) {
		argc--;
		argv++;
	}
	if (argc < 3 || argc > 4)
		return cmd_fail("Usage: berth git:sync [--build] APP URL [REF]");
	if (app_name_check(argv[1], &err) < 0)
		return cmd_fail("%s", err.msg);
	if (app_autocreate(argv[1], &err) < 0)
		return cmd_fail("%s", err.msg);
	branch = hook_deploy_branch(NULL, argv[1]);
	ui_step("Syncing %s from %s%s%s", argv[1], argv[2], argc == 4 ? " " : "", argc == 4 ? argv[3] : "");
	if (gitd_sync_fetch(&hooks, argv[1], argv[2], argc == 4 ? argv[3] : NULL, &fd, commit, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (build && deploy_archive(argv[1], fd, commit, ui_sink(), &err) < 0)
		return cmd_fail("%s", err.msg);
	if (gitd_update_branch(&hooks, argv[1], branch, commit, &err) < 0)
		return cmd_fail("%s", err.msg);
	ui_detail("%s is now at %.12s", branch ? branch : "main", commit);
	return 0;
}
