/* resource.c - resource:limit, resource:limit-clear, resource:report. */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/daemon.h"
#include "platform/platform.h"

/* "_default" shows as Dokku shows it: [defaults]; a type as (web). */
static char *scope_label(const char *type)
{
	return strcmp(type, "_default") ? xasprintf("(%s)", type) : xstrdup("[defaults]");
}

/* Dokku names the defaults "_default_" in reports and --process-type. */
static const char *report_type(const char *type)
{
	return strcmp(type, "_default") ? type : "_default_";
}

static const char *stored_type(const char *type)
{
	return type && !strcmp(type, "_default_") ? "_default" : type;
}

/* A type the deployed release does not have (its Procfile's, run, release) is a
 * typo; before the first deploy any well-formed type is taken. */
static bool type_unknown(const struct app *app, const char *type)
{
	struct release rel;
	struct berr err = { 0 };
	bool unknown = false;

	if (resource_type_check(type, &err) < 0) {
		cmd_fail("%s", err.msg);
		return true;
	}
	if (!strcmp(type, "_default") || !strcmp(type, "run") || !strcmp(type, "release"))
		return false;
	if (release_current(app->name, &rel, &err) == 0) {
		if (rel.version && !proctypes_get(&rel.procs, type)) {
			cmd_fail("Process type %s is not in app %s's Procfile", type, app->name);
			unknown = true;
		}
		release_free(&rel);
	}
	return unknown;
}

int cmd_resource_limit(int argc, char **argv)
{
	const char *type = NULL, *values[3] = { NULL, NULL, NULL };
	bool no_restart = false;
	const struct opt opts[] = {
		{ "--process-type", OPT_STR, &type },
		{ "--no-restart", OPT_BOOL, &no_restart },
		{ "--cpu", OPT_STR, &values[0] },
		{ "--memory", OPT_STR, &values[1] },
		{ "--pids", OPT_STR, &values[2] },
		{ NULL, 0, NULL },
	};
	struct strv pairs = { 0 };
	struct app app;
	struct berr err = { 0 };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), status = 0;

	if (n < 0)
		return 1;
	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (n > 1)
		return cmd_fail("resource:limit takes one app; unexpected '%s'", pos[1]);
	type = type ? stored_type(type) : "_default";
	if (app_open(pos[0], 0, &app, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (type_unknown(&app, type)) {
		status = 1;
		goto out;
	}
	for (int i = 0; resource_keys[i]; i++)
		if (values[i])
			strv_push_owned(&pairs, xasprintf("%s=%s", resource_keys[i], values[i]));
	if (!pairs.n) {
		autofree char *label = scope_label(type);

		if (resource_type_check(type, &err) < 0) {
			status = cmd_fail("%s", err.msg);
			goto out;
		}
		ui_header("resource limits %s information %s", app.name, label);
		for (int i = 0; resource_keys[i]; i++) {
			const char *v = resource_get(&app.settings, type, resource_keys[i]);

			printf("       %s:%s%s\n", resource_keys[i], v ? " " : "", v ? v : "");
		}
		goto out;
	}
	if (resource_limit_set(&app, type, &pairs, &err) < 0) {
		status = cmd_fail("%s", err.msg);
		goto out;
	}
	if (strcmp(type, "_default"))
		ui_header("Setting resource limits for %s (%s)", app.name, type);
	else
		ui_header("Setting resource limits for %s", app.name);
	for (size_t i = 0; i < pairs.n; i++) {
		const char *eq = strchr(pairs.v[i], '=');

		printf("       %.*s: %s\n", (int)(eq - pairs.v[i]), pairs.v[i],
		       strcmp(eq + 1, "clear") ? eq + 1 : "cleared");
	}
	/* Said at once, not at the next start: a limit this host ignores. */
	for (size_t i = 0; i < pairs.n; i++) {
		autofree char *key = xstrndup(pairs.v[i], strcspn(pairs.v[i], "="));
		const char *how = resource_enforcement(key);

		if (strcmp(how, "enforced") && !strstr(pairs.v[i], "=clear"))
			ui_warn("%s limit: %s", key, how);
	}
	/* Running processes get the limits by a zero-downtime restart of those
	 * they apply to (berth's; Dokku waits for the next deploy: --no-restart). */
	if (!no_restart && daemon_running()) {
		struct release rel = { 0 };

		if (release_current(app.name, &rel, &err) == 0 && rel.version &&
		    (!strcmp(type, "_default") || proctypes_get(&rel.procs, type))) {
			ui_step("Restarting app %s", app.name);
			fflush(stdout);
			if (app_restart(app.name, strcmp(type, "_default") ? type : NULL, ui_sink(), &err) < 0)
				status = cmd_fail_app(app.name, &err);
		}
		release_free(&rel);
	}
out:
	strv_free(&pairs);
	app_close(&app);
	return status;
}

int cmd_resource_limit_clear(int argc, char **argv)
{
	const char *type = NULL;
	const struct opt opts[] = {
		{ "--process-type", OPT_STR, &type },
		{ NULL, 0, NULL },
	};
	struct app app;
	struct berr err = { 0 };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), status = 0;

	if (n < 0)
		return 1;
	if (n > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if ((status = cmd_open_app(n, pos, &app)) != 0)
		return status;
	type = stored_type(type);
	if (type && type_unknown(&app, type))
		status = 1;
	else if (resource_limit_clear(&app, type, &err) < 0)
		status = cmd_fail("%s", err.msg);
	else if (type)
		ui_step("Clearing %s resource limits", type);
	else
		ui_step("Clearing resource limits");
	app_close(&app);
	return status;
}

static void add_type(struct strv *types, const char *type)
{
	for (size_t i = 0; i < types->n; i++)
		if (!strcmp(types->v[i], type))
			return;
	strv_push(types, type);
}

static int report_app(const char *name, const char *info_flag, const char *format)
{
	struct app app;
	struct release rel;
	struct strv types = { 0 }, flags = { 0 };
	struct berr err = { 0 };
	autofree struct report_row *rows = NULL;
	size_t n = 0;
	int r;

	if (app_open(name, 0, &app, &err) < 0)
		return cmd_fail_app(name, &err);
	/* As Dokku: the defaults' rows only once one is set. */
	if (release_current(name, &rel, &err) == 0) {
		for (size_t i = 0; i < rel.procs.n; i++)
			add_type(&types, rel.procs.v[i].name);
		release_free(&rel);
	}
	for (size_t i = 0; i < app.settings.resources.n; i++) {
		autofree char *type = xstrndup(app.settings.resources.v[i],
					       strcspn(app.settings.resources.v[i], "."));
		add_type(&types, type);
	}
	rows = xcalloc(types.n * 3 + 3, sizeof(*rows));
	for (size_t t = 0; t < types.n; t++)
		for (int k = 0; resource_keys[k]; k++) {
			strv_push_owned(&flags, xasprintf("--resource-%s.limit.%s", report_type(types.v[t]),
							  resource_keys[k]));
			rows[n].flag = flags.v[flags.n - 1];
			rows[n++].value = resource_get(&app.settings, types.v[t], resource_keys[k]);
		}
	/* What this host can enforce (hybrid hosts: no cgroup v2 controllers). */
	for (int k = 0; resource_keys[k]; k++) {
		strv_push_owned(&flags, xasprintf("--resource-host.%s", resource_keys[k]));
		rows[n].flag = flags.v[flags.n - 1];
		rows[n++].value = resource_enforcement(resource_keys[k]);
	}
	r = report_print(name, "resource", rows, n, info_flag, format);
	strv_free(&types);
	strv_free(&flags);
	app_close(&app);
	return r;
}

int cmd_resource_report(int argc, char **argv)
{
	const char *info_flag = NULL, *format = NULL;
	const struct opt opts[] = {
		{ "--format", OPT_STR, &format },
		{ NULL, 0, NULL },
	};
	struct strv apps = { 0 };
	struct berr err = { 0 };
	int n, status = 0;

	if (report_split_flag(&argc, argv, &info_flag) != 0)
		return 1;
	char *pos[argc + 1];
	if ((n = args_parse(argc, argv, opts, 0, pos)) < 0)
		return 1;
	if (n > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if (n == 1)
		return report_app(pos[0], info_flag, format);
	if (app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!apps.n)
		ui_warn("You haven't deployed any applications yet");
	for (size_t i = 0; i < apps.n; i++)
		status |= report_app(apps.v[i], info_flag, format);
	strv_free(&apps);
	return status;
}
