/* logs.c - `berth logs APP [-t] [-n N] [-p PROCESS] [-q]`: the files the daemon
 * writes, read without it (platform/logs_reader.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/daemon.h"
#include "platform/platform.h"

static void print_line(const char *line, void *ctx)
{
	(void)ctx;
	puts(line);
	fflush(stdout);
}

int cmd_logs(int argc, char **argv)
{
	bool tail = false, quiet = false;
	const char *num = NULL, *proc = NULL;
	const struct opt opts[] = {
		{ "-t", OPT_BOOL, &tail },
		{ "--tail", OPT_BOOL, &tail },
		{ "-q", OPT_BOOL, &quiet },
		{ "--quiet", OPT_BOOL, &quiet },
		{ "-n", OPT_STR, &num },
		{ "--num", OPT_STR, &num },
		{ "-p", OPT_STR, &proc },
		{ "--ps", OPT_STR, &proc },
		{ NULL, 0, NULL },
	};
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);
	struct logs_query q = { .n = 100 };
	struct berr err;
	uint64_t v;

	if (n < 0)
		return 1;
	if (n != 1)
		return cmd_fail(n ? "Unexpected argument(s): %s" : "Please specify an app to run the command on%s",
				n ? pos[1] : "");
	if (num && parse_uint(num, 1000000000, &v, &err) < 0)
		return cmd_fail("-n %s: a number of lines", num);
	if (num)
		q.n = (unsigned long)v;
	if (proc) {
		for (const char *c = proc; *c; c++)
			if (!(*c == '.' || *c == '-' || *c == '_' || (*c >= '0' && *c <= '9') ||
			      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
				return cmd_fail("-p %s: not a process type (web) or process (web.1)", proc);
	}
	q.app = pos[0];
	q.proc = proc;
	q.follow = tail;
	q.quiet = quiet;
	if (logs_show(&q, print_line, NULL, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	return 0;
}

/* logs:failed [--all|APP]: Dokku's "APP failed deploy logs" (the output of the
 * app's last failed deploy), then the logs of its processes that failed
 * (crashed or backing off), the last 100 lines of each. */
static int logs_failed_one(const char *app)
{
	struct proc_record *recs;
	autofree char *deploy_log = NULL;
	size_t n;
	struct berr err;
	bool any = false;

	if (logs_failed_deploy(app, &deploy_log, &err) < 0)
		return cmd_fail("%s", err.msg);
	ui_header_q("%s failed deploy logs", app);
	if (deploy_log) {
		fputs(deploy_log, stdout);
		fflush(stdout);
	} else {
		ui_warn("No failed deploy found");
	}
	if (proc_records_list(app, &recs, &n, &err) < 0)
		return cmd_fail("%s", err.msg);
	for (size_t i = 0; i < n; i++) {
		char proc[128];
		struct logs_query q = { .app = app, .proc = proc, .n = 100 };

		if (strcmp(recs[i].state, "crashed") && strcmp(recs[i].state, "backoff"))
			continue;
		any = true;
		snprintf(proc, sizeof(proc), "%s.%u", recs[i].type, recs[i].index);
		ui_header("%s %s (%s, exit code %d, %u restarts)", app, proc, recs[i].state,
			  recs[i].exit_code, recs[i].restarts);
		if (logs_show(&q, print_line, NULL, &err) < 0) {
			proc_records_free(recs, n);
			return cmd_fail("%s", err.msg);
		}
	}
	proc_records_free(recs, n);
	if (!any)
		ui_step("No failed processes for %s", app);
	return 0;
}

int cmd_logs_failed(int argc, char **argv)
{
	bool all = false;
	const struct opt opts[] = { { "--all", OPT_BOOL, &all }, { NULL, 0, NULL } };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);
	struct strv apps = { 0 };
	struct berr err;
	int r = 0;

	if (n < 0)
		return 1;
	if (all ? n != 0 : n != 1)
		return cmd_fail(all ? "Specify either --all or an app, not both"
				    : "Please specify an app to run the command on");
	if (!all) {
		if (app_require(pos[0], &err) < 0)
			return cmd_fail_app(pos[0], &err);
		return logs_failed_one(pos[0]);
	}
	/* As Dokku's RunCommandAgainstAllAppsSerially. */
	if (app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!apps.n)
		ui_warn("You haven't deployed any applications yet");
	for (size_t i = 0; i < apps.n; i++) {
		ui_step("Running logs:failed against app %s", apps.v[i]);
		if (logs_failed_one(apps.v[i]) != 0)
			r = 1;
	}
	strv_free(&apps);
	return r;
}

/* logs:set (APP|--global) max-size [VALUE] */
int cmd_logs_set(int argc, char **argv)
{
	struct set_args a;
	struct berr err;
	int r = set_args_parse(argc, argv, "max-size [<value>]", &a);

	if (r)
		return r;
	if (logs_set(a.app, a.key, a.value, &err) < 0)
		return cmd_fail("%s", err.msg);
	set_args_said(&a);
	return 0;
}

/* logs:report: Dokku's max-size rows (the app's, the global one, the one
 * applied); Vector's rows are not berth's. */
static int logs_report_one(const char *app, const char *info_flag, const char *format)
{
	autofree char *own = NULL;
	autofree char *global = logs_setting_get(NULL, "max-size");
	struct berr err;

	if (app && app_require(app, &err) < 0)
		return cmd_fail_app(app, &err);
	own = app ? logs_setting_get(app, "max-size") : NULL;
	const char *computed = own ? own : global ? global : "10m";
	const struct report_row rows[] = {
		{ "--logs-computed-max-size", computed },
		{ "--logs-global-max-size", global },
		{ "--logs-max-size", own },
	};

	/* --global has no app row */
	return report_print(app ? app : "--global", "logs", rows, app ? 3 : 2, info_flag, format);
}

int cmd_logs_report(int argc, char **argv)
{
	return report_command(argc, argv, true, logs_report_one);
}
