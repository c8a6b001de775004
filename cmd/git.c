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
	return app_create(app, err);
}

static char *hook_repo_path(void *ctx, const char *app)
{
	(void)ctx;
	return app_path(app, "repo.git");
}

static char *hook_deploy_branch(void *ctx, const char *app)
{
	struct app_settings s;
	struct berr ignored;
	char *branch = NULL;

	(void)ctx;
	if (app_settings_load(app, &s, &ignored) == 0) {
		branch = s.deploy_branch ? xstrdup(s.deploy_branch) : NULL;
		app_settings_free(&s);
	}
	return branch;
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

int cmd_git_set(int argc, char **argv)
{
	struct app app;
	struct berr err;
	const char *branch = argc == 4 && argv[3][0] ? argv[3] : NULL;
	int r;

	if (argc < 3 || argc > 4)
		return cmd_fail("Usage: berth git:set APP deploy-branch [BRANCH]");
	if (strcmp(argv[2], "deploy-branch"))
		return cmd_fail("git:set: unknown property %s; berth knows deploy-branch", argv[2]);
	if (app_require(argv[1], &err) < 0 || (branch && gitd_branch_check(branch, &err) < 0))
		return cmd_fail("%s", err.msg);
	if (app_open(argv[1], 0, &app, &err) < 0)
		return cmd_fail("%s", err.msg);
	r = app_settings_edit(&app, set_deploy_branch, (void *)branch, &err);
	app_close(&app);
	if (r < 0 || gitd_set_head(&hooks, argv[1], branch, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (branch)
		ui_step("Setting deploy-branch to %s", branch);
	else
		ui_step("Unsetting deploy-branch (main or master deploy)");
	return 0;
}

int cmd_git_report(int argc, char **argv)
{
	struct gitd_report rep;
	struct berr err;
	autofree char *branch = NULL;
	bool json = argc == 4 && !strcmp(argv[2], "--format") && !strcmp(argv[3], "json");

	if (argc != 2 && !json)
		return cmd_fail("Usage: berth git:report APP [--format json]");
	if (app_require(argv[1], &err) < 0)
		return cmd_fail("%s", err.msg);
	branch = hook_deploy_branch(NULL, argv[1]);
	if (gitd_report(&hooks, argv[1], branch, &rep, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:I}", "deploy-branch", branch ? branch : "main",
				      "sha", rep.head, "branches", (json_int_t)rep.branches);
		char *text = json_dumps(o, JSON_COMPACT);

		puts(text ? text : "{}");
		free(text);
		json_decref(o);
		return 0;
	}
	ui_header("%s git information", argv[1]);
	ui_report_row("Git deploy branch:", branch ? branch : "main (or master)");
	ui_report_row("Git sha:", rep.head);
	ui_report_row("Git repository:", rep.has_repo ? "yes" : "none (nothing pushed yet)");
	{
		char n[32];

		snprintf(n, sizeof(n), "%zu", rep.branches);
		ui_report_row("Git branches:", n);
	}
	return 0;
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
	if (!app_exists(argv[1]) && app_create(argv[1], &err) < 0)
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
