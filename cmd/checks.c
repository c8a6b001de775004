/* checks.c - checks:disable|enable|skip|set|report|run with Dokku's output,
 * flags and exit codes. The checks themselves run in the daemon during a deploy
 * (platform/rollout.c); checks:run runs them here against running processes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/checks.h"
#include "platform/daemon.h"
#include "platform/platform.h"

/* The arguments checks:disable|enable|skip|run take, APP [process-type(s)]:
 * 0, or the exit status after Dokku's message. */
static int app_and_types(int argc, char **argv)
{
	struct berr err = { 0 };

	if (argc < 2)
		return cmd_fail("Please specify an app to run the command on");
	if (argc > 3)
		return cmd_fail("Unexpected argument(s): %s", argv[3]);
	if (app_require(argv[1], &err) < 0)
		return cmd_fail_app(argv[1], &err);
	return 0;
}

/* checks:disable|enable|skip <app> [process-type(s)] */
static int checks_mode(int argc, char **argv, const char *mode)
{
	struct berr err = { 0 };
	const char *types;
	int r;

	if ((r = app_and_types(argc, argv)) != 0)
		return r;
	types = argc == 3 && strcmp(argv[2], "_all_") ? argv[2] : NULL;
	if (checks_set_mode(argv[1], mode, types, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!strcmp(mode, "disable"))
		types ? ui_step("Disabling zero downtime for app's (%s) proctypes (%s)", argv[1], types)
		      : ui_step("Disabling zero downtime for app (%s)", argv[1]);
	else if (!strcmp(mode, "skip"))
		types ? ui_step("Skipping zero downtime for app's (%s) proctypes (%s)", argv[1], types)
		      : ui_step("Skipping zero downtime for app (%s)", argv[1]);
	else
		types ? ui_step("Enabling zero downtime for app's (%s) proctypes (%s)", argv[1], types)
		      : ui_step("Enabling zero downtime for app's (%s)", argv[1]);
	return 0;
}

int cmd_checks_disable(int argc, char **argv)
{
	return checks_mode(argc, argv, "disable");
}

int cmd_checks_enable(int argc, char **argv)
{
	return checks_mode(argc, argv, "enable");
}

int cmd_checks_skip(int argc, char **argv)
{
	return checks_mode(argc, argv, "skip");
}

/* checks:set [--global|<app>] <key> [<value>] */
int cmd_checks_set(int argc, char **argv)
{
	struct berr err = { 0 };
	bool global;

	if (argc < 2)
		return cmd_fail("Please specify an app to run the command on");
	global = !strcmp(argv[1], "--global");
	if (!global && app_require(argv[1], &err) < 0)
		return cmd_fail_app(argv[1], &err);
	if (argc < 3 || !*argv[2])
		return cmd_fail("No key specified");
	if (argc > 4)
		return cmd_fail("Unexpected argument(s): %s", argv[4]);
	if (checks_property_set(global ? NULL : argv[1], argv[2], argc == 4 && *argv[3] ? argv[3] : NULL,
				&err) < 0)
		return cmd_fail("%s", err.msg);
	if (argc == 4 && *argv[3])
		ui_header_q("Setting %s to %s", argv[2], argv[3]);
	else
		ui_header_q("Unsetting %s", argv[2]);
	return 0;
}

static int checks_report_one(const char *app, const char *info_flag, const char *format)
{
	struct checks_settings s = { 0 };
	struct berr err = { 0 };
	autofree char *global = checks_global_get("wait-to-retire");
	char computed[16];
	struct report_row rows[5];
	size_t n = 0;
	int r;

	if (app && (app_require(app, &err) < 0 || checks_settings_load(app, &s, &err) < 0))
		return cmd_fail_app(app, &err);
	snprintf(computed, sizeof(computed), "%u",
		 app ? checks_wait_to_retire(app)
		     : global ? (unsigned)strtoul(global, NULL, 10) : CHECKS_DEFAULT_WAIT_TO_RETIRE);
	if (app) {
		rows[n++] = (struct report_row){ "--checks-disabled-list", s.disabled ? s.disabled : "none" };
		rows[n++] = (struct report_row){ "--checks-skipped-list", s.skipped ? s.skipped : "none" };
	}
	rows[n++] = (struct report_row){ "--checks-computed-wait-to-retire", computed };
	rows[n++] = (struct report_row){ "--checks-global-wait-to-retire", global ? global : "" };
	if (app)
		rows[n++] = (struct report_row){ "--checks-wait-to-retire",
						 s.wait_to_retire ? s.wait_to_retire : "" };
	r = report_print(app ? app : "global", "checks", rows, n, info_flag, format);
	checks_settings_free(&s);
	return r;
}

/* checks:report [<app>|--global] [<flag>] [--format json] */
int cmd_checks_report(int argc, char **argv)
{
	return report_command(argc, argv, true, checks_report_one);
}

/* The checks of one running process, as a deploy runs them. */
static int run_process(const char *app, const struct release *rel, const struct proc_record *p,
		       const char *host)
{
	struct checks cs = { 0 };
	struct berr err = { 0 };
	long long up = p->started ? (long long)time(NULL) - p->started : 0;
	int failed = 0;

	ui_step("Running checks for app (%s.%s.%u)", app, p->type, p->index);
	if (checks_for(rel->healthchecks, p->type, CHECK_STARTUP, checks_default_wait(), &cs, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!cs.n)
		ui_detail("No checks are defined for %s: it is running", p->type);
	for (size_t i = 0; i < cs.n; i++) {
		autofree char *desc = check_describe(&cs.v[i]);
		autofree char *why = NULL;

		ui_detail("Running healthcheck %s", desc);
		if (check_run_blocking(&cs.v[i], p->addr, host, up, &why) == 0) {
			ui_detail("Healthcheck succeeded name='%s'", cs.v[i].name);
			continue;
		}
		ui_error("Failure in name='%s': %s", cs.v[i].name, why);
		failed++;
	}
	checks_free(&cs);
	if (failed) {
		ui_error("Could not start due to %d failed checks (%s.%u)", failed, p->type, p->index);
		return 1;
	}
	ui_detail("All checks successful (%s.%u)", p->type, p->index);
	return 0;
}

/* checks:run <app> [process-type(s)|TYPE.N,...] */
int cmd_checks_run(int argc, char **argv)
{
	struct berr err = { 0 };
	struct release rel = { 0 };
	struct app_settings as = { 0 };
	struct checks_settings cs = { 0 };
	struct strv vhosts = { 0 };
	struct proc_record *recs = NULL;
	size_t n = 0;
	char list[512];
	char *save = NULL;
	int r = 0;

	if ((r = app_and_types(argc, argv)) != 0)
		return r;
	const char *app = argv[1];

	if (release_current(app, &rel, &err) < 0 || app_settings_load(app, &as, &err) < 0 ||
	    checks_settings_load(app, &cs, &err) < 0 || proc_records_list(app, &recs, &n, &err) < 0) {
		r = cmd_fail_app(app, &err);
		goto out;
	}
	domains_app_vhosts(app, &as, &vhosts, &err);
	ui_step("Running pre-flight checks");
	snprintf(list, sizeof(list), "%s", argc == 3 ? argv[2] : "_all_");
	for (char *w = strtok_r(list, ",", &save); w && !r; w = strtok_r(NULL, ",", &save)) {
		char *dot = strchr(w, '.');
		unsigned index = dot ? (unsigned)strtoul(dot + 1, NULL, 10) : 0;
		bool all = !strcmp(w, "_all_"), found = false;

		if (dot)
			*dot = 0;
		for (size_t i = 0; i < n && !r; i++) {
			const struct proc_record *p = &recs[i];

			if (!all && strcmp(p->type, w))
				continue;
			if (index && p->index != index)
				continue;
			found = true;
			if (checks_type_disabled(&cs, p->type)) {
				ui_step("Zero downtime is disabled for app (%s.%s). Skipping checks", app, p->type);
				continue;
			}
			if (!p->pid) {
				r = cmd_fail("%s.%u of %s is not running (%s)", p->type, p->index, app, p->state);
				break;
			}
			r = run_process(app, &rel, p, vhosts.n ? vhosts.v[0] : NULL);
		}
		if (!found && !r) {
			if (index)
				r = cmd_fail("Invalid container index specified (%s.%s.%u)", app, w, index);
			else if (!all)
				r = cmd_fail("Invalid process type specified (%s.%s)", app, w);
		}
	}
out:
	proc_records_free(recs, n);
	strv_free(&vhosts);
	checks_settings_free(&cs);
	app_settings_free(&as);
	release_free(&rel);
	return r;
}
