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

/* git:sync's remote (its URL), while it deploys; NULL for a push. */
static const char *sync_remote;

static int hook_deploy(void *ctx, const char *app, const char *commit, tree_writer write_tree,
		       void *tree_ctx, const struct sink *sink, struct berr *err)
{
	struct deploy_source src = { .kind = DEPLOY_TREE, .write_tree = write_tree,
				     .ctx = tree_ctx, .version = commit,
				     .deploy_kind = sync_remote ? "git-sync" : "git-push",
				     .deploy_meta = commit };
	autofree char *meta = sync_remote ? xasprintf("%s#%s", sync_remote, commit) : NULL;

	(void)ctx;
	if (sync_remote) {
		src.source = "git:sync";
		src.deploy_meta = meta;
	}
	return deploy_source(app, &src, sink, err);
}

static bool hook_keep_git_dir(void *ctx, const char *app)
{
	autofree char *keep = NULL;
	struct berr ignored;

	(void)ctx;
	return git_property_computed(app, "keep-git-dir", "false", &keep, &ignored) == 0 && keep &&
	       !strcmp(keep, "true");
}

static const struct gitd_hooks hooks = {
	.app_check = hook_app_check,
	.app_exists = hook_app_exists,
	.app_create = hook_app_create,
	.repo_path = hook_repo_path,
	.deploy_branch = hook_deploy_branch,
	.deploy = hook_deploy,
	.keep_git_dir = hook_keep_git_dir,
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

/* git:set (APP|--global) KEY [VALUE]: deploy-branch (settings.json; HEAD
 * follows it), or one of the properties in git_settings.c. */
int cmd_git_set(int argc, char **argv)
{
	struct set_args sa;
	struct app a;
	struct berr err;
	int r = set_args_parse(argc, argv, "<key> [<value>]", &sa);

	if (r)
		return r;
	if (strcmp(sa.key, "deploy-branch")) {
		/* Dokku keeps an empty rev-env-var given as "" or left out alike. */
		const char *value = sa.value ? sa.value : !strcmp(sa.key, "rev-env-var") ? "" : NULL;

		if (git_property_set(sa.app, sa.key, value, &err) < 0)
			return cmd_fail("%s", err.msg);
		set_args_said(&sa);
		return 0;
	}
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

/* The values git:report shows of the properties: raw (app), global, computed. */
struct git_props {
	char *app[5], *global[5], *computed[5];
};
enum { P_FILES, P_SIZE, P_KEEP, P_REV, P_IMAGE };
static const char *const prop_names[] = {
	"archive-max-files", "archive-max-size", "keep-git-dir", "rev-env-var", "source-image",
};

static int git_props_load(const char *app, struct git_props *p, struct berr *err)
{
	char sizes[2][24];
	const char *fallback[5] = { sizes[0], sizes[1], "false", GIT_REV_ENV_VAR_DEFAULT, NULL };

	memset(p, 0, sizeof(*p));
	snprintf(sizes[0], sizeof(sizes[0]), "%llu", GIT_ARCHIVE_MAX_FILES_DEFAULT);
	snprintf(sizes[1], sizeof(sizes[1]), "%llu", GIT_ARCHIVE_MAX_SIZE_DEFAULT);
	for (size_t i = 0; i < ARRAY_SIZE(prop_names); i++)
		if ((app && git_property_get(app, prop_names[i], &p->app[i], err) < 0) ||
		    git_property_get(NULL, prop_names[i], &p->global[i], err) < 0 ||
		    git_property_computed(app, prop_names[i], fallback[i], &p->computed[i], err) < 0)
			return -1;
	return 0;
}

static void git_props_free(struct git_props *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(prop_names); i++) {
		free(p->app[i]);
		free(p->global[i]);
		free(p->computed[i]);
	}
}

/* git:report: Dokku's raw, global and computed properties, the sha; the
 * computed branch of an app that set none is "master" (berth deploys a push to
 * main as well). Beyond Dokku, an app's own archive limits. */
static int git_report_one(const char *app, const char *info_flag, const char *format)
{
	autofree char *own = app ? app_deploy_branch(app) : NULL;
	autofree char *global = global_deploy_branch();
	const char *computed = own ? own : global ? global : "master";
	struct gitd_report rep = { 0 };
	struct git_props p;
	struct berr err;
	char branches[32];
	int r;

	if (app && app_require(app, &err) < 0)
		return cmd_fail_app(app, &err);
	if (git_props_load(app, &p, &err) < 0) {
		git_props_free(&p);
		return cmd_fail("%s", err.msg);
	}
	if (!app) {
		const struct report_row rows[] = {
			{ "--git-computed-archive-max-files", p.computed[P_FILES] },
			{ "--git-computed-archive-max-size", p.computed[P_SIZE] },
			{ "--git-computed-deploy-branch", computed },
			{ "--git-computed-keep-git-dir", p.computed[P_KEEP] },
			{ "--git-global-archive-max-files", p.global[P_FILES] },
			{ "--git-global-archive-max-size", p.global[P_SIZE] },
			{ "--git-global-deploy-branch", global },
			{ "--git-global-keep-git-dir", p.global[P_KEEP] },
		};

		r = report_print("--global", "git", rows, ARRAY_SIZE(rows), info_flag, format);
		git_props_free(&p);
		return r;
	}
	if (gitd_report(&hooks, app, own ? own : global, &rep, &err) < 0) {
		git_props_free(&p);
		return cmd_fail("%s", err.msg);
	}
	snprintf(branches, sizeof(branches), "%zu", rep.branches);
	const struct report_row rows[] = {
		{ "--git-archive-max-files", p.app[P_FILES] },
		{ "--git-archive-max-size", p.app[P_SIZE] },
		{ "--git-branches", branches },
		{ "--git-computed-archive-max-files", p.computed[P_FILES] },
		{ "--git-computed-archive-max-size", p.computed[P_SIZE] },
		{ "--git-computed-deploy-branch", computed },
		{ "--git-computed-keep-git-dir", p.computed[P_KEEP] },
		{ "--git-deploy-branch", own },
		{ "--git-global-archive-max-files", p.global[P_FILES] },
		{ "--git-global-archive-max-size", p.global[P_SIZE] },
		{ "--git-global-deploy-branch", global },
		{ "--git-global-keep-git-dir", p.global[P_KEEP] },
		{ "--git-keep-git-dir", p.app[P_KEEP] },
		{ "--git-last-updated-at", rep.updated_at },
		{ "--git-rev-env-var", p.computed[P_REV] },
		{ "--git-sha", rep.head },
		{ "--git-source-image", p.app[P_IMAGE] },
	};

	r = report_print(app, "git", rows, ARRAY_SIZE(rows), info_flag, format);
	git_props_free(&p);
	return r;
}

/* Dokku's git:initialize APP: the repository a push would make, made now. */
int cmd_git_initialize(int argc, char **argv)
{
	autofree char *branch = NULL;
	char *pos[argc + 1];
	int n = args_app(argc, argv, NULL, 1, pos);
	struct berr err;

	if (n < 0)
		return -n;
	ui_step_q("Initializing git repository for %s", pos[0]);
	branch = hook_deploy_branch(NULL, pos[0]);
	if (gitd_initialize(&hooks, pos[0], branch, &err) < 0)
		return cmd_fail("%s", err.msg);
	return 0;
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
	if (gitd_sync_fetch(&hooks, argv[1], argv[2], argc == 4 ? argv[3] : NULL, commit, &err) < 0)
		return cmd_fail("%s", err.msg);
	sync_remote = argv[2];
	if (build && gitd_sync_deploy(&hooks, argv[1], commit, branch ? branch : "main", ui_sink(),
				      &err) < 0)
		return cmd_fail("%s", err.msg);
	sync_remote = NULL;
	if (gitd_update_branch(&hooks, argv[1], branch, commit, &err) < 0)
		return cmd_fail("%s", err.msg);
	ui_detail("%s is now at %.12s", branch ? branch : "main", commit);
	return 0;
}
