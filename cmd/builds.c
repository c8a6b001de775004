/* builds.c - Dokku's builds:*: the record every deploy leaves (platform/builds.c),
 * listed, shown, followed, canceled, pruned; builds:set retention, builds:report. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/platform.h"

static bool format_ok(const char *format)
{
	if (!strcmp(format, "stdout") || !strcmp(format, "json"))
		return true;
	cmd_fail("Invalid format specified, supported formats: json, stdout");
	return false;
}

static long long record_duration(const struct build_record *b)
{
	long long end = b->finished_at ? b->finished_at : (long long)time(NULL);

	return end > b->started_at ? end - b->started_at : 0;
}

/* Dokku's JSON view of a record: its fields, then display_status, duration and
 * log_path. */
static json_t *record_json(const struct build_record *b)
{
	autofree char *started = build_time_format(b->started_at);
	autofree char *duration = build_duration_format(record_duration(b));
	autofree char *log = build_log_path(b->app, b->id);
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(b->id));
	json_object_set_new(o, "app", json_string(b->app));
	json_object_set_new(o, "kind", json_string(b->kind));
	json_object_set_new(o, "pid", json_integer(b->pid));
	json_object_set_new(o, "started_at", json_string(started));
	if (b->finished_at) {
		autofree char *finished = build_time_format(b->finished_at);

		json_object_set_new(o, "finished_at", json_string(finished));
	}
	json_object_set_new(o, "status", json_string(b->status));
	json_object_set_new(o, "source", json_string(b->source));
	if (b->has_exit_code)
		json_object_set_new(o, "exit_code", json_integer(b->exit_code));
	json_object_set_new(o, "display_status", json_string(build_display_status(b)));
	json_object_set_new(o, "duration", json_string(duration));
	json_object_set_new(o, "log_path", json_string(log));
	return o;
}

static void json_print(json_t *v)
{
	autofree char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	puts(text ? text : "null");
	json_decref(v);
}

/* Columns as Dokku's columnize lays them out: each padded to its widest cell,
 * two spaces between, the last one not padded. cells holds rows * cols. */
static void print_table(const struct strv *cells, size_t cols)
{
	size_t width[8] = { 0 };

	for (size_t i = 0; i < cells->n; i++)
		if (strlen(cells->v[i]) > width[i % cols])
			width[i % cols] = strlen(cells->v[i]);
	for (size_t i = 0; i < cells->n; i++) {
		size_t c = i % cols;

		if (c + 1 < cols)
			printf("%-*s  ", (int)width[c], cells->v[i]);
		else
			printf("%s\n", cells->v[i]);
	}
}

static void push_row(struct strv *cells, const struct build_record *b, bool with_app)
{
	autofree char *started = build_time_format(b->started_at);

	if (with_app)
		strv_push(cells, b->app);
	strv_push(cells, b->id);
	strv_push(cells, b->kind);
	if (!with_app)
		strv_push(cells, build_display_status(b));
	strv_push_owned(cells, xasprintf("%lld", b->pid));
	strv_push(cells, b->source);
	strv_push(cells, started);
	if (!with_app)
		strv_push_owned(cells, build_duration_format(record_duration(b)));
}

static bool record_matches(const struct build_record *b, const char *kind, const char *status)
{
	return (!kind || !strcmp(b->kind, kind)) && (!status || !strcmp(build_display_status(b), status));
}

/* Without an app: the builds running on the host (records that say running,
 * abandoned ones too, as Dokku lists them). */
static int list_running(const char *format, const char *kind, const char *status)
{
	struct strv apps = { 0 }, cells = { 0 };
	struct build_record *all = NULL;
	size_t nall = 0;
	struct berr err;

	if (app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	for (size_t i = 0; i < apps.n; i++) {
		struct build_record *v;
		size_t n;

		if (builds_list(apps.v[i], &v, &n, &err) < 0) {
			ui_warn("Could not read builds for %s: %s", apps.v[i], err.msg);
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			if (strcmp(v[j].status, "running") || !record_matches(&v[j], kind, status)) {
				build_record_free(&v[j]);
				continue;
			}
			all = xrealloc(all, (nall + 1) * sizeof(*all));
			all[nall++] = v[j];
		}
		free(v);
	}
	strv_free(&apps);
	if (!strcmp(format, "json")) {
		json_t *a = json_array();

		for (size_t i = 0; i < nall; i++)
			json_array_append_new(a, record_json(&all[i]));
		json_print(a);
	} else if (!nall) {
		puts("No builds currently running");
	} else {
		const char *head[] = { "App", "Build ID", "Kind", "PID", "Source", "Started" };

		for (size_t i = 0; i < ARRAY_SIZE(head); i++)
			strv_push(&cells, head[i]);
		for (size_t i = 0; i < nall; i++)
			push_row(&cells, &all[i], true);
		print_table(&cells, ARRAY_SIZE(head));
		strv_free(&cells);
	}
	build_records_free(all, nall);
	return 0;
}

int cmd_builds_list(int argc, char **argv)
{
	const char *format = "stdout", *kind = NULL, *status = NULL;
	const struct opt opts[] = {
		{ "--format", OPT_STR, &format },
		{ "--kind", OPT_STR, &kind },
		{ "--status", OPT_STR, &status },
		{ NULL, 0, NULL },
	};
	struct strv cells = { 0 };
	struct build_record *v;
	struct berr err;
	size_t n, shown = 0, live = 0, cap;
	char *pos[argc + 1];
	int np = args_parse(argc, argv, opts, 0, pos);

	if (np < 0)
		return 1;
	if (!format_ok(format))
		return 1;
	if (kind && strcmp(kind, "build") && strcmp(kind, "deploy"))
		return cmd_fail("Invalid --kind value \"%s\" (allowed: build, deploy)", kind);
	if (status && !str_word_in("running succeeded failed canceled abandoned", status))
		return cmd_fail("Invalid --status value \"%s\" (allowed: running, succeeded, failed, canceled, abandoned)",
				status);
	if (np > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if (np == 0)
		return list_running(format, kind, status);
	if (builds_list(pos[0], &v, &n, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	/* The live one first, then newest first; unfiltered, as many finished
	 * ones as the retention keeps. */
	for (size_t i = 0; i < n; i++)
		if (v[i].live) {
			struct build_record t = v[i];

			memmove(&v[1], &v[0], i * sizeof(*v));
			v[0] = t;
			live++;
		}
	cap = !kind && !status ? live + builds_retention(pos[0]) : n;
	if (!strcmp(format, "json")) {
		json_t *a = json_array();

		for (size_t i = 0; i < n && shown < cap; i++)
			if (record_matches(&v[i], kind, status)) {
				json_array_append_new(a, record_json(&v[i]));
				shown++;
			}
		json_print(a);
		build_records_free(v, n);
		return 0;
	}
	const char *head[] = { "Build ID", "Kind", "Status", "PID", "Source", "Started", "Duration" };

	for (size_t i = 0; i < ARRAY_SIZE(head); i++)
		strv_push(&cells, head[i]);
	for (size_t i = 0; i < n && shown < cap; i++)
		if (record_matches(&v[i], kind, status)) {
			push_row(&cells, &v[i], false);
			shown++;
		}
	if (shown)
		print_table(&cells, ARRAY_SIZE(head));
	else
		puts("No builds recorded for this app");
	strv_free(&cells);
	build_records_free(v, n);
	return 0;
}

int cmd_builds_info(int argc, char **argv)
{
	const char *format = "stdout";
	const struct opt opts[] = { { "--format", OPT_STR, &format }, { NULL, 0, NULL } };
	struct strv cells = { 0 };
	struct build_record b;
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);

	if (n < 0 || !format_ok(format))
		return 1;
	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (n < 2)
		return cmd_fail("Please specify a build id");
	if (n > 2)
		return cmd_fail("Unexpected argument(s): %s", pos[2]);
	if (build_load(pos[0], pos[1], &b, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (!strcmp(format, "json")) {
		json_print(record_json(&b));
		build_record_free(&b);
		return 0;
	}
	strv_push(&cells, "Build ID:");
	strv_push(&cells, b.id);
	strv_push(&cells, "App:");
	strv_push(&cells, b.app);
	strv_push(&cells, "Kind:");
	strv_push(&cells, b.kind);
	strv_push(&cells, "Status:");
	strv_push(&cells, build_display_status(&b));
	strv_push(&cells, "PID:");
	strv_push_owned(&cells, xasprintf("%lld", b.pid));
	strv_push(&cells, "Source:");
	strv_push(&cells, b.source);
	strv_push(&cells, "Started:");
	strv_push_owned(&cells, build_time_format(b.started_at));
	if (b.finished_at) {
		strv_push(&cells, "Finished:");
		strv_push_owned(&cells, build_time_format(b.finished_at));
	}
	strv_push(&cells, "Duration:");
	strv_push_owned(&cells, build_duration_format(record_duration(&b)));
	if (b.has_exit_code) {
		strv_push(&cells, "Exit Code:");
		strv_push_owned(&cells, xasprintf("%d", b.exit_code));
	}
	strv_push(&cells, "Log:");
	strv_push_owned(&cells, build_log_path(pos[0], b.id));
	print_table(&cells, 2);
	strv_free(&cells);
	build_record_free(&b);
	return 0;
}

static int write_out(const char *data, size_t len, void *ctx)
{
	(void)ctx;
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
		return -1;
	return 0;
}

int cmd_builds_output(int argc, char **argv)
{
	char *pos[argc + 1];
	int n = args_app(argc, argv, NULL, 2, pos);
	autofree char *current = NULL;
	const char *id;
	struct berr err;

	if (n < 0)
		return -n;
	id = n == 2 ? pos[1] : "current";
	if (!strcmp(id, "current")) {
		if (!builds_live(pos[0], &current)) {
			ui_step("App not currently deploying");
			return 0;
		}
		id = current;
	}
	if (build_output(pos[0], id, write_out, NULL, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	return 0;
}

int cmd_builds_cancel(int argc, char **argv)
{
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos);
	struct berr err;

	if (n < 0)
		return 1;
	if (n != 1)
		return cmd_fail(n ? "Unexpected argument(s): %s" : "Please specify an app to run the command on%s",
				n ? pos[1] : "");
	if (builds_cancel(pos[0], ui_sink(), &err) < 0)
		return cmd_fail_app(pos[0], &err);
	return 0;
}

int cmd_builds_prune(int argc, char **argv)
{
	bool all = false, all_apps = false;
	const struct opt opts[] = {
		{ "--all-apps", OPT_BOOL, &all_apps },
		{ "--all", OPT_BOOL, &all },
		{ NULL, 0, NULL },
	};
	struct strv apps = { 0 };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);

	if (n < 0)
		return 1;
	all = all || all_apps;
	if (all ? n != 0 : n != 1)
		return cmd_fail(all ? "Specify either --all-apps or an app, not both"
				    : n ? "Unexpected argument(s): %s" : "Please specify an app to run the command on%s",
				n > 1 ? pos[1] : "");
	if (!all) {
		if (builds_prune(pos[0], NULL, &err) < 0)
			return cmd_fail_app(pos[0], &err);
		return 0;
	}
	if (app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!apps.n)
		ui_warn("You haven't deployed any applications yet");
	for (size_t i = 0; i < apps.n; i++)
		if (builds_prune(apps.v[i], NULL, &err) < 0)
			ui_warn("Prune failed for %s: %s", apps.v[i], err.msg);
	strv_free(&apps);
	return 0;
}

int cmd_builds_set(int argc, char **argv)
{
	struct set_args a;
	struct berr err;
	int r = set_args_parse(argc, argv, "retention [<value>]", &a);

	if (r)
		return r;
	if (builds_set(a.app, a.key, a.value, &err) < 0)
		return cmd_fail("%s", err.msg);
	set_args_said(&a);
	return 0;
}

/* builds:report: the newest build's fields and the retention settings. */
static int builds_report_one(const char *app, const char *info_flag, const char *format)
{
	autofree char *global = builds_setting_get(NULL, "retention");
	autofree char *own = NULL;
	autofree char *computed = NULL;
	autofree char *pid = NULL, *started = NULL, *finished = NULL, *code = NULL;
	struct build_record *v = NULL;
	struct berr err;
	size_t n = 0;
	int r;

	if (!app) {
		const struct report_row rows[] = { { "--builds-global-retention", global } };

		return report_print("--global", "builds", rows, ARRAY_SIZE(rows), info_flag, format);
	}
	if (builds_list(app, &v, &n, &err) < 0)
		return cmd_fail_app(app, &err);
	own = builds_setting_get(app, "retention");
	computed = xasprintf("%u", builds_retention(app));
	if (n) {
		pid = xasprintf("%lld", v[0].pid);
		started = build_time_format(v[0].started_at);
		finished = v[0].finished_at ? build_time_format(v[0].finished_at) : NULL;
		code = v[0].has_exit_code ? xasprintf("%d", v[0].exit_code) : NULL;
	}
	const struct report_row rows[] = {
		{ "--build-id", n ? v[0].id : NULL },
		{ "--build-kind", n ? v[0].kind : NULL },
		{ "--build-status", n ? build_display_status(&v[0]) : NULL },
		{ "--build-pid", pid },
		{ "--build-source", n ? v[0].source : NULL },
		{ "--build-started-at", started },
		{ "--build-finished-at", finished },
		{ "--build-exit-code", code },
		{ "--builds-retention", own },
		{ "--builds-global-retention", global },
		{ "--builds-computed-retention", computed },
	};

	r = report_print(app, "builds", rows, ARRAY_SIZE(rows), info_flag, format);
	build_records_free(v, n);
	return r;
}

int cmd_builds_report(int argc, char **argv)
{
	return report_command(argc, argv, true, builds_report_one);
}
