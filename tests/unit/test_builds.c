/* Build records: Dokku's time and duration forms, ids, records as Dokku
 * writes them (read back, abandoned, reaped, pruned to the retention). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "platform/internal.h"
#include "unit.h"

TEST(durations_and_times_read_as_dokku_prints_them)
{
	const struct {
		long long s;
		const char *want;
	} cases[] = { { 0, "0s" }, { 59, "59s" }, { 74, "1m14s" }, { 3600, "1h0m0s" }, { 3723, "1h2m3s" } };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		autofree char *d = build_duration_format(cases[i].s);

		CHECK_STR(d, cases[i].want);
	}
	autofree char *t = build_time_format(1777557000);
	CHECK_STR(t, "2026-04-30T13:50:00Z");
}

TEST(ids_sort_by_time_and_name_files_safely)
{
	autofree char *a = build_id_new();
	struct timespec pause = { 0, 3 * 1000 * 1000 };
	autofree char *b = NULL;

	nanosleep(&pause, NULL);
	b = build_id_new();
	CHECK(strlen(a) == 14 && strlen(b) == 14);
	CHECK(strcmp(a, b) < 0);
	CHECK(strspn(a, "0123456789abcdefghijklmnopqrstuvwxyz") == 14);
	CHECK_STR(build_kind_of("git-hook"), "build");
	CHECK_STR(build_kind_of("ps:rebuild"), "build");
	CHECK_STR(build_kind_of("ps:restart"), "deploy");
	CHECK_STR(build_kind_of("config-redeploy"), "deploy");
}

static void write_record(const char *app, const char *id, const char *status, const char *started)
{
	autofree char *dir = app_path(app, "builds");
	autofree char *path = xasprintf("%s/%s.json", dir, id);
	autofree char *log = xasprintf("%s/%s.log", dir, id);
	autofree char *text = xasprintf("{\n  \"id\": \"%s\",\n  \"app\": \"%s\",\n  \"kind\": \"build\",\n"
					"  \"pid\": 99999,\n  \"started_at\": \"%s\",\n  \"status\": \"%s\",\n"
					"  \"source\": \"git-hook\"\n}\n",
					id, app, started, status);
	struct berr err;

	mkdir_p(dir, 0700, &err);
	write_file_atomic(path, text, strlen(text), 0600, &err);
	write_file_atomic(log, "", 0, 0600, &err);
}

TEST(records_as_dokku_writes_them_are_read_reaped_and_pruned)
{
	struct build_record *v = NULL;
	struct build_record b;
	struct berr err = { 0 };
	size_t n = 0, removed = 0;
	autofree char *log = NULL;

	unit_fresh_root("builds");
	CHECK(app_create("bapp", &err) == 0);
	write_record("bapp", "p1", "succeeded", "2026-04-30T13:50:00Z");
	write_record("bapp", "p2", "failed", "2026-04-30T13:51:00.123456789Z");
	write_record("bapp", "p3", "running", "2026-04-30T13:52:00Z");
	CHECK(builds_list("bapp", &v, &n, &err) == 0);
	CHECK(n == 3);
	if (n == 3) {
		/* newest first; a running record nobody deploys is abandoned */
		CHECK_STR(v[0].id, "p3");
		CHECK_STR(build_display_status(&v[0]), "abandoned");
		CHECK_STR(v[1].id, "p2");
		CHECK(v[1].started_at == 1777557060);
	}
	build_records_free(v, n);
	CHECK(build_load("bapp", "../config", &b, &err) < 0);
	CHECK_STR(err.msg, "No build record found for bapp/../config");
	CHECK(builds_set("bapp", "retention", "2", &err) == 0);
	CHECK(builds_retention("bapp") == 2);
	CHECK(builds_set("bapp", "retention", "0", &err) < 0);
	CHECK(builds_set("bapp", "keep", "3", &err) < 0);
	CHECK(builds_prune("bapp", &removed, &err) == 0);
	CHECK(removed == 1);
	CHECK(build_load("bapp", "p3", &b, &err) == 0);
	CHECK_STR(b.status, "failed");
	CHECK(b.has_exit_code && b.exit_code == -1 && b.finished_at > 0);
	build_record_free(&b);
	CHECK(build_load("bapp", "p1", &b, &err) < 0);
	log = build_log_path("bapp", "p1");
	CHECK(access(log, F_OK) < 0);
	CHECK(builds_set("bapp", "retention", NULL, &err) == 0);
	CHECK(builds_retention("bapp") == BUILDS_RETENTION_DEFAULT);
}
