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

static int show_formation(const char *app)
{
	struct app_settings s;
	struct berr err;

	if (app_require(app, &err) < 0 || app_settings_load(app, &s, &err) < 0)
		return cmd_fail_app(app, &err);
	ui_header("Scaling for %s", app);
	printf("proctype: qty\n--------: ---\n");
	for (size_t i = 0; i < s.formation.n; i++) {
		const char *eq = strchr(s.formation.v[i], '=');

		printf("%.*s: %s\n", (int)(eq - s.formation.v[i]), s.formation.v[i], eq + 1);
	}
	app_settings_free(&s);
	return 0;
}

/* ps:scale APP [TYPE=N ...] */
int cmd_ps_scale(int argc, char **argv)
{
	bool skip_deploy = false;
	const struct opt opts[] = { { "--skip-deploy", OPT_BOOL, &skip_deploy }, { NULL, 0, NULL } };
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
		return show_formation(pos[0]);
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

/* ps:start|stop|restart [--all|APP] [PROCESS] */
static int ps_change(int argc, char **argv, const char *op, const char *verb)
{
	bool all = false;
	const char *parallel = NULL;
	const struct opt opts[] = {
		{ "--all", OPT_BOOL, &all },
		{ "--parallel", OPT_STR, &parallel },
		{ NULL, 0, NULL },
	};
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);
	struct berr err;
	json_t *req;

	if (n < 0)
		return 1;
	if (all && n > 1)
		return cmd_fail("Specify either --all or an app, not both");
	if (!all && n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (n > (all ? 0 : 2))
		return cmd_fail("Unexpected argument(s): %s", pos[all ? 0 : 2]);
	if (!all && app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (!all && n == 2) {
		struct release rel;
		bool known;

		if (release_current(pos[0], &rel, &err) < 0)
			return cmd_fail_app(pos[0], &err);
		known = proctypes_get(&rel.procs, pos[1]) != NULL;
		release_free(&rel);
		if (!known)
			return cmd_fail("%s is not a process type of %s", pos[1], pos[0]);
	}
	req = json_pack("{s:s}", "op", op);
	if (all)
		json_object_set_new(req, "all", json_true());
	else
		json_object_set_new(req, "app", json_string(pos[0]));
	if (!all && n == 2)
		json_object_set_new(req, "type", json_string(pos[1]));
	ui_step("%s %s", verb, all ? "all apps" : pos[0]);
	/* Vars stored with config:set --no-restart go live with a restart of the
	 * app: a release of them, whose rollout restarts its processes. */
	if (!all && n == 1 && !strcmp(op, "restart") && release_config_pending(pos[0])) {
		unsigned v;

		fflush(stdout);
		if (app_config_release(pos[0], NULL, ui_sink(), &v, &err) < 0) {
			json_decref(req);
			return cmd_fail_app(pos[0], &err);
		}
	}
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

int cmd_ps_restart(int argc, char **argv)
{
	return ps_change(argc, argv, "restart", "Restarting");
}

int cmd_ps_restore(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cmd_fail("Usage: berth ps:restore");
	ui_step("Restoring apps that were running");
	return request(json_pack("{s:s}", "op", "restore"), NULL);
}

/* ps:set APP restart-policy|stop-timeout-seconds [VALUE] */
int cmd_ps_set(int argc, char **argv)
{
	struct berr err;

	if (argc < 3 || argc > 4)
		return cmd_fail("Usage: berth ps:set <app> restart-policy|stop-timeout-seconds [<value>]");
	if (app_require(argv[1], &err) < 0)
		return cmd_fail_app(argv[1], &err);
	if (ps_set(argv[1], argv[2], argc == 4 ? argv[3] : NULL, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (argc == 4)
		ui_step("Setting %s to %s", argv[2], argv[3]);
	else
		ui_step("Unsetting %s", argv[2]);
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
	int r;

	if (app_require(app, &err) < 0 || ps_settings_load(app, &ps, &err) < 0 ||
	    release_current(app, &rel, &err) < 0)
		return cmd_fail_app(app, &err);
	if (proc_records_list(app, &recs, &n, &err) < 0) {
		release_free(&rel);
		return cmd_fail("%s", err.msg);
	}
	rows = xcalloc(n + 8, sizeof(*rows));
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
	rows[nrows++] = (struct report_row){ "--ps-restart-policy", ps_policy_text(&ps, policy) };
	rows[nrows++] = (struct report_row){ "--ps-stop-timeout-seconds", timeout };
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
	return report_command(argc, argv, false, ps_report_one);
}
