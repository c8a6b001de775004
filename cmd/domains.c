/* domains.c - domains:add|remove|set|clear|reset|enable|disable|report and the
 * -global forms, with Dokku's output. Every change rewrites the router's table
 * (routes.c). */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/platform.h"

static bool has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static char *joined(const struct strv *sv)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < sv->n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? " " : "", sv->v[i]);

		free(out);
		out = next;
	}
	return out;
}

/* The domains are checked before anything changes, so a bad one fails alone. */
static int check_all(int n, char **pos, int from, struct strv *out)
{
	struct berr err;

	for (int i = from; i < n; i++) {
		autofree char *lowered = xstrdup(pos[i]);

		for (char *c = lowered; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c += 'a' - 'A';
		if (domain_check(lowered, &err) < 0)
			return cmd_fail("%s", err.msg);
		strv_push(out, lowered);
	}
	return 0;
}

/* The router follows: a failure there is a warning, the change is made. */
static void refresh_router(void)
{
	struct berr err;

	if (routes_refresh(&err) < 0)
		ui_warn("router table not updated: %s", err.msg);
}

enum app_op { OP_ADD, OP_REMOVE, OP_SET, OP_CLEAR, OP_RESET };

static int app_command(int argc, char **argv, enum app_op op)
{
	struct strv given = { 0 }, changed = { 0 };
	struct app app;
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos), r = 0, rc;
	bool takes_domains = op == OP_ADD || op == OP_REMOVE || op == OP_SET;

	if (n < 0)
		return 1;
	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (takes_domains && n < 2)
		return cmd_fail("Please specify a domain name. Usage: %s %s %s <domain> [<domain> ...]",
				cmd_name, argv[0], pos[0]);
	if (!takes_domains && n > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if (app_open(pos[0], 0, &app, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if ((r = check_all(n, pos, 1, &given)) != 0)
		goto out;
	rc = op == OP_ADD      ? domains_add(&app, &given, &changed, &err)
	     : op == OP_REMOVE ? domains_remove(&app, &given, &changed, &err)
	     : op == OP_SET    ? domains_set(&app, &given, &err)
	     : op == OP_CLEAR  ? domains_clear(&app, &err)
			       : domains_reset(&app, &err);
	if (rc < 0) {
		r = cmd_fail("%s", err.msg);
		goto out;
	}
	for (size_t i = 0; op == OP_ADD && i < given.n; i++) {
		if (has(&changed, given.v[i]))
			ui_step("Added %s to %s", given.v[i], app.name);
		else
			ui_step("Skipping: %s already added to %s", given.v[i], app.name);
	}
	for (size_t i = 0; op == OP_REMOVE && i < given.n; i++)
		ui_step("Removed %s from %s", given.v[i], app.name);
	if (op == OP_SET) {
		autofree char *list = joined(&given);

		ui_step("Set %s for %s", list, app.name);
	}
	if (op == OP_CLEAR)
		ui_step("Cleared domains in %s", app.name);
	if (op == OP_RESET)
		ui_step("Reset domains in %s", app.name);
	refresh_router();
out:
	strv_free(&given);
	strv_free(&changed);
	app_close(&app);
	return r;
}

int cmd_domains_add(int argc, char **argv) { return app_command(argc, argv, OP_ADD); }
int cmd_domains_remove(int argc, char **argv) { return app_command(argc, argv, OP_REMOVE); }
int cmd_domains_set(int argc, char **argv) { return app_command(argc, argv, OP_SET); }
int cmd_domains_clear(int argc, char **argv) { return app_command(argc, argv, OP_CLEAR); }
int cmd_domains_reset(int argc, char **argv) { return app_command(argc, argv, OP_RESET); }

/* domains:enable|disable [--all|APP], as Dokku's domains_enable/_disable. */
static int toggle_one(const char *name, bool enable)
{
	struct app app;
	struct berr err;
	bool changed, had_vhosts = false;
	int rc;

	if (app_open(name, 0, &app, &err) < 0)
		return cmd_fail_app(name, &err);
	rc = enable ? domains_enable(&app, &changed, &err)
		    : domains_disable(&app, &changed, &had_vhosts, &err);
	if (rc < 0) {
		app_close(&app);
		return cmd_fail("%s", err.msg);
	}
	if (!changed)
		ui_step("Domains (VHOST) support is already %s for app (%s)",
			enable ? "enabled" : "disabled", app.name);
	else if (!enable && had_vhosts)
		ui_step("App virtual host support disabled");
	if (changed && !enable && !routes_app_own_ports(&app.settings)) {
		unsigned cp = routes_app_port(&app.settings, 0);

		ui_warn("%s has no http port but the router's: it gets no traffic until ports:add %s http:PORT:%u",
			app.name, app.name, cp ? cp : 5000);
	}
	app_close(&app);
	return 0;
}

static int toggle_command(int argc, char **argv, bool enable)
{
	bool all = false;
	const struct opt opts[] = { { "--all", OPT_BOOL, &all }, { NULL, 0, NULL } };
	struct strv apps = { 0 };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), r = 0;

	if (n < 0)
		return 1;
	if (all && n > 0)
		return cmd_fail("Specify either --all or an app, not both");
	if (!all && n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (n > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if (all && app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!all)
		strv_push(&apps, pos[0]);
	for (size_t i = 0; i < apps.n && r == 0; i++)
		r = toggle_one(apps.v[i], enable);
	strv_free(&apps);
	if (r == 0)
		refresh_router();
	return r;
}

int cmd_domains_enable(int argc, char **argv) { return toggle_command(argc, argv, true); }
int cmd_domains_disable(int argc, char **argv) { return toggle_command(argc, argv, false); }

static int global_command(int argc, char **argv, enum app_op op)
{
	struct strv given = { 0 }, changed = { 0 };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos), r = 0, rc;

	if (n < 0)
		return 1;
	if (op != OP_CLEAR && n < 1)
		return cmd_fail("Please specify a domain name. Usage: %s %s <domain> [<domain> ...]",
				cmd_name, argv[0]);
	if (op == OP_CLEAR && n > 0)
		return cmd_fail("Unexpected argument(s): %s", pos[0]);
	if ((r = check_all(n, pos, 0, &given)) != 0)
		goto out;
	if (op == OP_CLEAR)
		ui_step_q("Clearing global domains");
	rc = op == OP_ADD      ? domains_global_add(&given, &changed, &err)
	     : op == OP_REMOVE ? domains_global_remove(&given, &changed, &err)
	     : op == OP_SET    ? domains_global_set(&given, &err)
			       : domains_global_clear(&err);
	if (rc < 0) {
		r = cmd_fail("%s", err.msg);
		goto out;
	}
	for (size_t i = 0; op == OP_ADD && i < given.n; i++) {
		if (has(&changed, given.v[i]))
			ui_step("Added %s", given.v[i]);
		else
			ui_step("Skipping %s: already added", given.v[i]);
	}
	for (size_t i = 0; op == OP_REMOVE && i < given.n; i++)
		ui_step("Removed %s", given.v[i]);
	if (op == OP_SET) {
		autofree char *list = joined(&given);

		ui_step("Set %s", list);
	}
	refresh_router();
out:
	strv_free(&given);
	strv_free(&changed);
	return r;
}

int cmd_domains_add_global(int argc, char **argv) { return global_command(argc, argv, OP_ADD); }
int cmd_domains_remove_global(int argc, char **argv) { return global_command(argc, argv, OP_REMOVE); }
int cmd_domains_set_global(int argc, char **argv) { return global_command(argc, argv, OP_SET); }
int cmd_domains_clear_global(int argc, char **argv) { return global_command(argc, argv, OP_CLEAR); }

static int report_one(const char *name, const char *info_flag, const char *format)
{
	struct strv global = { 0 }, vhosts = { 0 };
	autofree char *global_list = NULL, *app_list_text = NULL;
	struct berr err;
	struct app app;
	int r;

	if (domains_global_list(&global, &err) < 0)
		return cmd_fail("%s", err.msg);
	global_list = joined(&global);
	/* Enabled: a global domain that names a host is set (Dokku's test). */
	const char *global_enabled = global.n ? "true" : "false";
	strv_free(&global);
	if (!name) {
		struct report_row rows[] = {
			{ "--domains-global-enabled", global_enabled },
			{ "--domains-global-vhosts", global_list },
		};

		return report_print("--global", "domains", rows, ARRAY_SIZE(rows), info_flag, format);
	}
	if (app_open(name, 0, &app, &err) < 0)
		return cmd_fail_app(name, &err);
	if (domains_app_vhosts(app.name, &app.settings, &vhosts, &err) < 0) {
		app_close(&app);
		return cmd_fail("%s", err.msg);
	}
	app_list_text = joined(&vhosts);
	strv_free(&vhosts);
	struct report_row rows[] = {
		{ "--domains-app-enabled", app.settings.vhost_disabled ? "false" : "true" },
		{ "--domains-app-vhosts", app_list_text },
		{ "--domains-global-enabled", global_enabled },
		{ "--domains-global-vhosts", global_list },
	};
	r = report_print(name, "domains", rows, ARRAY_SIZE(rows), info_flag, format);
	app_close(&app);
	return r;
}

int cmd_domains_report(int argc, char **argv)
{
	return report_command(argc, argv, true, report_one);
}
