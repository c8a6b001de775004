/* ps.c - ps:scale, ps:start, ps:stop, ps:restart, ps:restore, ps:set, ps:report
 * with Dokku's flags and output. Changes go to the daemon; reports read the
 * daemon's records and the cgroups and work without it. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "common/ui.h"
#include "platform/daemon.h"
#include "platform/platform.h"
#include "runtime/runtime.h"

static int request(json_t *req, const char *app)
{
	struct berr err;
	json_t *reply;
	int r = daemon_request(req, &reply, &err);

	json_decref(req);
	if (r < 0)
		return app ? cmd_fail_app(app, &err) : cmd_fail("%s", err.msg);
	json_decref(reply);
	return 0;
}

static int formation_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* As Dokku: sorted by type; "web:  1" (the "type:" padded to 5), or JSON. */
static int show_formation(const char *app, const char *format)
{
	struct app_settings s;
	struct berr err;
	json_t *arr;

	if (strcmp(format, "stdout") && strcmp(format, "json"))
		return cmd_fail("Invalid --format value specified: %s (json or stdout)", format);
	if (app_require(app, &err) < 0 || app_settings_load(app, &s, &err) < 0)
		return cmd_fail_app(app, &err);
	qsort(s.formation.v, s.formation.n, sizeof(char *), formation_cmp);
	if (!strcmp(format, "json")) {
		char *text;

		arr = json_array();
		for (size_t i = 0; i < s.formation.n; i++) {
			const char *eq = strchr(s.formation.v[i], '=');
			autofree char *type = xstrndup(s.formation.v[i], eq - s.formation.v[i]);

			json_array_append_new(arr, json_pack("{s:s, s:I}", "process_type", type, "quantity",
							     (json_int_t)strtoll(eq + 1, NULL, 10)));
		}
		text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(text ? text : "[]");
		free(text);
		json_decref(arr);
		app_settings_free(&s);
		return 0;
	}
	ui_step_q("Scaling for %s", app);
	if (!ui_quiet)
		printf("proctype: qty\n--------: ---\n");
	for (size_t i = 0; i < s.formation.n; i++) {
		const char *eq = strchr(s.formation.v[i], '=');
		autofree char *label = xasprintf("%.*s:", (int)(eq - s.formation.v[i]), s.formation.v[i]);

		printf("%-5s %s\n", label, eq + 1);
	}
	app_settings_free(&s);
	return 0;
}

/* ps:scale APP [TYPE=N ...] */
int cmd_ps_scale(int argc, char **argv)
{
	bool skip_deploy = false;
	const char *format = "stdout";
	const struct opt opts[] = {
		{ "--skip-deploy", OPT_BOOL, &skip_deploy },
		{ "--format", OPT_STR, &format },
		{ NULL, 0, NULL },
	};
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);
	struct berr err;
	json_t *pairs;

	if (n < 0)
		return 1;
	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (n == 1)
		return show_formation(pos[0], format);
	pairs = json_array();
	for (int i = 1; i < n; i++) {
		if (!strchr(pos[i], '='))
			return json_decref(pairs), cmd_fail("Invalid scale pair '%s': use TYPE=COUNT", pos[i]);
		json_array_append_new(pairs, json_string(pos[i]));
		const char *eq = strchr(pos[i], '=');

		ui_step("Scaling %s processes: %.*s to %s", pos[0], (int)(eq - pos[i]), pos[i], eq + 1);
	}
	return request(json_pack("{s:s, s:s, s:o}", "op", "scale", "app", pos[0], "pairs", pairs),
		       pos[0]);
}

/* The [--all|APP] [PROCESS] of ps:start|stop|restart: the app exists and
 * PROCESS is a type of its active release. Returns how many of pos are set, or
 * -1 with *status the exit status (said). */
static int ps_target(int argc, char **argv, bool *all, char **pos, int *status)
{
	const char *parallel = NULL;
	const struct opt opts[] = {
		{ "--all", OPT_BOOL, all },
		{ "--parallel", OPT_STR, &parallel },
		{ NULL, 0, NULL },
	};
	int n = args_parse(argc, argv, opts, 0, pos);
	struct berr err;

	*status = 1;
	if (n < 0)
		return -1;
	if (*all && n > 1)
		return cmd_fail("Specify either --all or an app, not both"), -1;
	if (!*all && n < 1)
		return cmd_fail("Please specify an app to run the command on"), -1;
	if (n > (*all ? 0 : 2))
		return cmd_fail("Unexpected argument(s): %s", pos[*all ? 0 : 2]), -1;
	if (!*all && app_require(pos[0], &err) < 0)
		return *status = cmd_fail_app(pos[0], &err), -1;
	if (!*all && n == 2) {
		struct release rel;
		bool known;

		if (release_current(pos[0], &rel, &err) < 0)
			return *status = cmd_fail_app(pos[0], &err), -1;
		known = proctypes_get(&rel.procs, pos[1]) != NULL;
		release_free(&rel);
		if (!known)
			return cmd_fail("%s is not a process type of %s", pos[1], pos[0]), -1;
	}
	return n;
}

/* ps:start|stop [--all|APP] [PROCESS] */
static int ps_change(int argc, char **argv, const char *op, const char *verb)
{
	bool all = false;
	char *pos[argc + 1];
	int status, n = ps_target(argc, argv, &all, pos, &status);
	json_t *req;

	if (n < 0)
		return status;
	req = json_pack("{s:s}", "op", op);
	if (all)
		json_object_set_new(req, "all", json_true());
	else
		json_object_set_new(req, "app", json_string(pos[0]));
	if (!all && n == 2)
		json_object_set_new(req, "type", json_string(pos[1]));
	ui_step("%s %s", verb, all ? "all apps" : pos[0]);
	return request(req, all ? NULL : pos[0]);
}

int cmd_ps_start(int argc, char **argv)
{
	return ps_change(argc, argv, "start", "Starting");
}

int cmd_ps_stop(int argc, char **argv)
{
	return ps_change(argc, argv, "stop", "Stopping");
}

/* ps:restart [--all|APP] [PROCESS]: a zero-downtime rollout of the active
 * release (new processes, checks, switch, old ones retire) under the app's
 * deploy lock, as a deploy. */
int cmd_ps_restart(int argc, char **argv)
{
	bool all = false;
	char *pos[argc + 1];
	int status, n = ps_target(argc, argv, &all, pos, &status);
	struct strv apps = { 0 };
	struct berr err = { 0 };
	int r = 0;

	if (n < 0)
		return status;
	if (!daemon_running())
		return cmd_fail("berth daemon is not running (start it with `berth daemon` or "
				"`systemctl start berth`)");
	if (all) {
		if (app_list(&apps, &err) < 0)
			return cmd_fail("%s", err.msg);
	} else {
		strv_push(&apps, pos[0]);
	}
	for (size_t i = 0; i < apps.n; i++) {
		struct release rel;
		bool deployed = false;

		if (all && release_current(apps.v[i], &rel, &err) == 0) {
			deployed = rel.version != 0;
			release_free(&rel);
			if (!deployed)
				continue;
		}
		ui_step("Restarting %s", apps.v[i]);
		/* ps:start's effect too: a stopped app runs again. */
		if ((!all && n == 2 ? 0 : ps_set_stopped(apps.v[i], NULL, false, &err)) < 0 ||
		    app_restart(apps.v[i], !all && n == 2 ? pos[1] : NULL, ui_sink(), &err) < 0) {
			r = all ? (ui_error("%s: %s", apps.v[i], err.msg), 1) : cmd_fail_app(apps.v[i], &err);
			if (!all)
				break;
		}
	}
	strv_free(&apps);
	return r;
}

int cmd_ps_restore(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cmd_fail("Usage: berth ps:restore");
	ui_step("Restoring apps that were running");
	return request(json_pack("{s:s}", "op", "restore"), NULL);
}

/* ps:set (APP|--global) KEY [VALUE] */
int cmd_ps_set(int argc, char **argv)
{
	struct set_args a;
	struct berr err;
	int r = set_args_parse(argc, argv, "<key> [<value>]", &a);

	if (r)
		return r;
	if (ps_set(a.app, a.key, a.value, &err) < 0)
		return cmd_fail("%s", err.msg);
	set_args_said(&a);
	if (a.value && !strcmp(a.key, "dockerfile-start-cmd"))
		ui_warn("berth builds no Dockerfiles: dockerfile-start-cmd is kept and reported, "
			"and changes no process (start-cmd sets the command of buildpack apps)");
	return 0;
}

/* A cgroup v2 file of the container's group, or NULL. */
static char *cgroup_read(const char *id, const char *file)
{
	struct runtime_container c;
	struct berr err;
	autofree char *text = NULL;
	size_t len;

	if (runtime_open(id, &c, &err) < 0)
		return NULL;
	autoclose int fd = openat(c.cgroup_fd, file, O_RDONLY | O_CLOEXEC);

	runtime_release(&c);
	if (fd < 0 || read_fd(fd, &text, &len, &err) < 0)
		return NULL;
	return steal_ptr(text);
}

static char *proc_usage(const struct proc_record *p, char **cpu)
{
	autofree char *mem = p->id ? cgroup_read(p->id, "memory.current") : NULL;
	autofree char *stat = p->id ? cgroup_read(p->id, "cpu.stat") : NULL;
	const char *u = stat ? strstr(stat, "usage_usec ") : NULL;

	*cpu = u ? xasprintf("%.2fs", strtoull(u + 11, NULL, 10) / 1e6) : xstrdup("n/a");
	if (!mem)
		return xstrdup("n/a");
	return xasprintf("%.1fMB", strtoull(mem, NULL, 10) / 1048576.0);
}

/* ps:report --global: the global values and what an app without its own gets. */
static int ps_report_global(const char *info_flag, const char *format)
{
	autofree char *policy = ps_global_get("restart-policy");
	autofree char *timeout = ps_global_get("stop-timeout-seconds");
	autofree char *procfile = ps_global_get("procfile-path");
	autofree char *skip = ps_global_get("skip-deploy");
	autofree char *computed_procfile = ps_procfile_path(NULL);
	struct ps_settings ps;
	char computed_policy[32], computed_timeout[16];

	ps_settings_global(&ps);
	snprintf(computed_timeout, sizeof(computed_timeout), "%u", ps.stop_timeout);
	const struct report_row rows[] = {
		{ "--ps-computed-procfile-path", computed_procfile },
		{ "--ps-computed-restart-policy", ps_policy_text(&ps, computed_policy) },
		{ "--ps-computed-skip-deploy", ps_skip_deploy(NULL) ? "true" : "false" },
		{ "--ps-computed-stop-timeout-seconds", computed_timeout },
		{ "--ps-global-procfile-path", procfile },
		{ "--ps-global-restart-policy", policy },
		{ "--ps-global-skip-deploy", skip },
		{ "--ps-global-stop-timeout-seconds", timeout },
	};

	return report_print("--global", "ps", rows, ARRAY_SIZE(rows), info_flag, format);
}

static int ps_report_one(const char *app, const char *info_flag, const char *format)
{
	struct proc_record *recs;
	struct ps_settings ps;
	struct release rel;
	struct berr err;
	size_t n, running = 0;
	char policy[32], timeout[16], count[16];
	struct report_row *rows;
	size_t nrows = 0;
	struct strv owned = { 0 };
	autofree char *global_policy = ps_global_get("restart-policy");
	autofree char *global_timeout = ps_global_get("stop-timeout-seconds");
	autofree char *global_procfile = ps_global_get("procfile-path");
	autofree char *global_skip = ps_global_get("skip-deploy");
	autofree char *procfile = NULL, *computed_procfile = NULL, *skip = NULL;
	autofree char *start_cmd = NULL, *dockerfile_cmd = NULL;
	int r;

	if (!app)
		return ps_report_global(info_flag, format);
	if (app_require(app, &err) < 0 || ps_settings_load(app, &ps, &err) < 0 ||
	    release_current(app, &rel, &err) < 0)
		return cmd_fail_app(app, &err);
	if (proc_records_list(app, &recs, &n, &err) < 0) {
		release_free(&rel);
		return cmd_fail("%s", err.msg);
	}
	procfile = ps_property_get(app, "procfile-path");
	computed_procfile = ps_procfile_path(app);
	skip = ps_property_get(app, "skip-deploy");
	start_cmd = ps_property_get(app, "start-cmd");
	dockerfile_cmd = ps_property_get(app, "dockerfile-start-cmd");
	rows = xcalloc(n + 21, sizeof(*rows));
	for (size_t i = 0; i < n; i++) {
		const struct proc_record *p = &recs[i];
		autofree char *cpu = NULL;
		autofree char *mem = proc_usage(p, &cpu);
		long long up = p->started && p->pid ? (long long)time(NULL) - p->started : 0;
		char code[16];

		if (!strcmp(p->state, "running"))
			running++;
		snprintf(code, sizeof(code), "%d", p->exit_code);
		strv_push_owned(&owned, xasprintf("--status-%s-%u", p->type, p->index));
		strv_push_owned(&owned, xasprintf("%s (pid %lld, uptime %llds, restarts %u, exit code %s, "
						  "memory %s, cpu %s%s%s)", p->state, p->pid, up,
						  p->restarts, p->exit_code < 0 ? "-" : code, mem, cpu,
						  p->log_error ? ", log: " : "",
						  p->log_error ? p->log_error : ""));
	}
	for (size_t i = 0; i + 1 < owned.n; i += 2)
		rows[nrows++] = (struct report_row){ owned.v[i], owned.v[i + 1] };
	snprintf(timeout, sizeof(timeout), "%u", ps.stop_timeout);
	snprintf(count, sizeof(count), "%zu", n);
	rows[nrows++] = (struct report_row){ "--deployed", rel.version ? "true" : "false" };
	rows[nrows++] = (struct report_row){ "--processes", count };
	rows[nrows++] = (struct report_row){ "--ps-can-scale", "true" };
	/* Dokku's three of each: the app's (raw), the global one, the one applied. */
	rows[nrows++] = (struct report_row){ "--ps-restart-policy", ps.raw_policy };
	rows[nrows++] = (struct report_row){ "--ps-computed-restart-policy", ps_policy_text(&ps, policy) };
	rows[nrows++] = (struct report_row){ "--ps-global-restart-policy", global_policy };
	rows[nrows++] = (struct report_row){ "--ps-procfile-path", procfile };
	rows[nrows++] = (struct report_row){ "--ps-computed-procfile-path", computed_procfile };
	rows[nrows++] = (struct report_row){ "--ps-global-procfile-path", global_procfile };
	rows[nrows++] = (struct report_row){ "--ps-skip-deploy", skip };
	rows[nrows++] = (struct report_row){ "--ps-computed-skip-deploy",
					     ps_skip_deploy(app) ? "true" : "false" };
	rows[nrows++] = (struct report_row){ "--ps-global-skip-deploy", global_skip };
	/* Both apply to the app alone: the computed value is the app's. */
	rows[nrows++] = (struct report_row){ "--ps-start-cmd", start_cmd };
	rows[nrows++] = (struct report_row){ "--ps-computed-start-cmd", start_cmd };
	rows[nrows++] = (struct report_row){ "--ps-dockerfile-start-cmd", dockerfile_cmd };
	rows[nrows++] = (struct report_row){ "--ps-computed-dockerfile-start-cmd", dockerfile_cmd };
	rows[nrows++] = (struct report_row){ "--ps-stop-timeout-seconds", ps.raw_stop_timeout };
	rows[nrows++] = (struct report_row){ "--ps-computed-stop-timeout-seconds", timeout };
	rows[nrows++] = (struct report_row){ "--ps-global-stop-timeout-seconds", global_timeout };
	rows[nrows++] = (struct report_row){ "--restore", ps.stopped ? "false" : "true" };
	rows[nrows++] = (struct report_row){ "--running",
					     running == 0 ? "false" : running == n ? "true" : "mixed" };
	r = report_print(app, "ps", rows, nrows, info_flag, format);
	free(rows);
	strv_free(&owned);
	proc_records_free(recs, n);
	release_free(&rel);
	return r;
}

int cmd_ps_report(int argc, char **argv)
{
	return report_command(argc, argv, true, ps_report_one);
}
