/* git.c - git's transport commands (git-receive-pack, git-upload-pack) and the
 * git:* commands. gitd/ speaks the protocol; this file wires it to platform/:
 * where an app's repository lives, creating apps, deploy branches, deploys. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/paths.h"
#include "common/ui.h"
#include "gitd/gitd.h"
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

static int hook_deploy(void *ctx, const char *app, int archive_fd, const char *commit,
		       struct berr *err)
{
	(void)ctx;
	return deploy_archive(app, archive_fd, commit, err);
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
