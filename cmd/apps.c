/* apps.c - apps, apps:list, apps:create, apps:exists, apps:destroy, apps:lock,
 * apps:locked, apps:unlock, apps:report, apps:set. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/fs.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/daemon.h"
#include "platform/platform.h"

int cmd_fail_app(const char *app, const struct berr *err)
{
	struct berr ignored;

	cmd_fail("%s", err->msg);
	if (app && app_name_check(app, &ignored) == 0 && !app_exists(app))
		return 20;
	return 1;
}

int cmd_open_app(int n, char **pos, struct app *app)
{
	struct berr err = { 0 };

	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (app_open(pos[0], 0, app, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	return 0;
}

int cmd_apps_create(int argc, char **argv)
{
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos);

	if (n < 0)
		return 1;
	if (n != 1)
		return cmd_fail(n ? "Too many arguments: apps:create <app>" : "Please specify an app to run the command on");
	if (app_name_check(pos[0], &err) < 0)
		return cmd_fail("%s", err.msg);
	if (app_exists(pos[0]))
		return cmd_fail("Name is already taken");
	ui_step_q("Creating %s...", pos[0]);
	if (app_create(pos[0], &err) < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}

int cmd_apps_list(int argc, char **argv)
{
	const char *format = "stdout";
	const struct opt opts[] = { { "--format", OPT_STR, &format }, { NULL, 0, NULL } };
	struct strv apps = { 0 };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);

	if (n < 0)
		return 1;
	if (strcmp(format, "stdout") && strcmp(format, "json"))
		return cmd_fail("Invalid format specified, supported formats: json, stdout");
	if (app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!strcmp(format, "json")) {
		json_t *a = json_array();
		char *text;

		for (size_t i = 0; i < apps.n; i++)
			json_array_append_new(a, json_string(apps.v[i]));
		text = json_dumps(a, JSON_COMPACT);
		puts(text);
		free(text);
		json_decref(a);
	} else {
		ui_header_q("My Apps");
		if (apps.n == 0)
			ui_warn("You haven't deployed any applications yet");
		for (size_t i = 0; i < apps.n; i++)
			puts(apps.v[i]);
	}
	strv_free(&apps);
	return 0;
}

/* `berth apps` is apps:list, as in Dokku. */
int cmd_apps(int argc, char **argv)
{
	return cmd_apps_list(argc, argv);
}

int cmd_apps_exists(int argc, char **argv)
{
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos);

	if (n < 0)
		return 1;
	if (n != 1)
		return cmd_fail("Please specify an app to run the command on");
	if (app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	return 0;
}

/* Without --force, the user types the app's name, as Dokku asks. */
static bool confirmed(const char *app)
{
	char line[256];

	ui_warn("WARNING: Potentially Destructive Action");
	ui_warn("This command will destroy app %s.", app);
	ui_warn("To proceed, type \"%s\"", app);
	fputs("> ", stdout);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return !strcmp(line, app);
}

int cmd_apps_destroy(int argc, char **argv)
{
	bool force = cmd_force;
	const struct opt opts[] = { { "--force", OPT_BOOL, &force }, { NULL, 0, NULL } };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);

	if (n < 0)
		return 1;
	if (n != 1)
		return cmd_fail("Please specify an app to run the command on");
	if (app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (!force && !confirmed(pos[0])) {
		fprintf(stderr, "Confirmation did not match %s. Aborted.\n", pos[0]);
		return 1;
	}
	ui_step("Destroying %s (including all add-ons)", pos[0]);
	if (app_destroy(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	return 0;
}

/* apps:rename and apps:clone: OLD NEW, checked as Dokku checks them. */
static int old_new(int n, char **pos)
{
	struct berr err;

	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (n < 2)
		return cmd_fail("Please specify an new app name");
	if (n > 2)
		return cmd_fail("Unexpected argument(s): %s", pos[2]);
	if (app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (app_name_check(pos[1], &err) < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}

int cmd_apps_rename(int argc, char **argv)
{
	bool skip_deploy = false;
	const struct opt opts[] = { { "--skip-deploy", OPT_BOOL, &skip_deploy }, { NULL, 0, NULL } };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), r;

	if (n < 0)
		return 1;
	if ((r = old_new(n, pos)) != 0)
		return r;
	if (app_exists(pos[1]))
		return cmd_fail("Name is already taken");
	ui_step_q("Renaming %s to %s", pos[0], pos[1]);
	if (app_rename(pos[0], pos[1], !skip_deploy, &err) < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}

int cmd_apps_clone(int argc, char **argv)
{
	bool skip_deploy = false, ignore_existing = false;
	const struct opt opts[] = {
		{ "--skip-deploy", OPT_BOOL, &skip_deploy },
		{ "--ignore-existing", OPT_BOOL, &ignore_existing },
		{ NULL, 0, NULL },
	};
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), r;

	if (n < 0)
		return 1;
	if ((r = old_new(n, pos)) != 0)
		return r;
	if (app_exists(pos[1])) {
		if (!ignore_existing)
			return cmd_fail("Name is already taken");
		ui_warn("Name is already taken");
		return 0;
	}
	ui_step_q("Cloning %s to %s", pos[0], pos[1]);
	ui_step_q("Creating %s...", pos[1]);
	fflush(stdout);
	if (app_clone(pos[0], pos[1], !skip_deploy, ui_sink(), &err) < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}

/* apps:lock, apps:unlock, apps:locked: the app given as the only argument. */
static int one_app(int argc, char **argv, const char **app)
{
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos);

	if (n < 0)
		return 1;
	if (n != 1)
		return cmd_fail("Please specify an app to run the command on");
	if (app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	*app = pos[0];
	return 0;
}

int cmd_apps_lock(int argc, char **argv)
{
	const char *app = NULL;
	struct berr err;
	int r = one_app(argc, argv, &app);

	if (r)
		return r;
	if (app_set_deploy_locked(app, true, &err) < 0)
		return cmd_fail("Unable to create deploy lock: %s", err.msg);
	ui_step("Deploy lock created");
	return 0;
}

int cmd_apps_locked(int argc, char **argv)
{
	const char *app = NULL;
	int r = one_app(argc, argv, &app);

	if (r)
		return r;
	if (!app_deploy_locked(app) && !app_deploy_running(app))
		return cmd_fail("Deploy lock does not exist");
	if (!ui_quiet)
		puts("Deploy lock exists");
	return 0;
}

int cmd_apps_unlock(int argc, char **argv)
{
	const char *app = NULL;
	struct berr err;
	int r = one_app(argc, argv, &app);

	if (r)
		return r;
	if (!app_deploy_locked(app))
		return cmd_fail("Unable to remove deploy lock: %s is not locked", app);
	if (app_deploy_running(app)) {
		ui_warn("A deploy may be in progress.");
		ui_warn("Removing the app lock will not stop in progress deploys.");
	}
	if (app_set_deploy_locked(app, false, &err) < 0)
		return cmd_fail("Unable to remove deploy lock: %s", err.msg);
	ui_step("Deploy lock removed");
	return 0;
}

static int apps_report_one(const char *name, const char *info_flag, const char *format)
{
	struct app app;
	struct berr err;
	autofree char *dir = NULL;
	autofree char *created = NULL;
	autofree char *disabled = apps_property_get(NULL, "disable-autocreation");
	autofree char *source = NULL, *metadata = NULL;
	int r;

	if (!name) {
		struct report_row rows[] = { { "--app-global-disable-autocreation", disabled } };

		return report_print("--global", "app", rows, ARRAY_SIZE(rows), info_flag, format);
	}
	if (app_open(name, 0, &app, &err) < 0)
		return cmd_fail_app(name, &err);
	dir = app_path(name, NULL);
	created = app.settings.created_at ? xasprintf("%lld", app.settings.created_at) : xstrdup("");
	source = apps_property_get(name, "deploy-source");
	metadata = apps_property_get(name, "deploy-source-metadata");
	struct report_row rows[] = {
		{ "--app-created-at", created },
		{ "--app-deploy-source", source },
		{ "--app-deploy-source-metadata", metadata },
		{ "--app-dir", dir },
		{ "--app-global-disable-autocreation", disabled },
		{ "--app-locked", app_deploy_locked(name) ? "true" : "false" },
	};
	r = report_print(name, "app", rows, ARRAY_SIZE(rows), info_flag, format);
	app_close(&app);
	return r;
}

int cmd_apps_report(int argc, char **argv)
{
	return report_command(argc, argv, true, apps_report_one);
}

/* apps:set (<app>|--global) <key> [<value>] */
int cmd_apps_set(int argc, char **argv)
{
	struct set_args a;
	struct berr err;
	int r = set_args_parse(argc, argv, "<key> [<value>]", &a);

	if (r)
		return r;
	if (apps_property_set(a.app, a.key, a.value, &err) < 0)
		return cmd_fail("%s", err.msg);
	set_args_said(&a);
	return 0;
}
