/* Unit tests for the rules of app processes' settings: resource values and
 * process types (resource.c), storage specs and host paths (storage.c). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "platform/internal.h"
#include "tests/unit/unit.h"

TEST(resource_values_have_sane_bounds)
{
	struct berr err;
	const char *good[][2] = { { "memory", "6m" }, { "memory", "512mb" }, { "memory", "1g" },
				  { "cpu", "0.01" }, { "cpu", "1.5" }, { "cpu", "1024" },
				  { "pids", "2" }, { "pids", "4194304" } };
	const char *bad[][2] = { { "memory", "5m" }, { "memory", "512" }, { "memory", "2p" },
				 { "memory", "" }, { "memory", "-1m" }, { "cpu", "0" },
				 { "cpu", "1025" }, { "cpu", "inf" }, { "cpu", "1.5x" },
				 { "pids", "1" }, { "pids", "4194305" }, { "pids", "-5" },
				 { "swap", "1g" } };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(resource_value_check(good[i][0], good[i][1], &err) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(resource_value_check(bad[i][0], bad[i][1], &err) < 0);
	CHECK(resource_type_check("_default", &err) == 0);
	CHECK(resource_type_check("web-2_x", &err) == 0);
	CHECK(resource_type_check("../web", &err) < 0);
	CHECK(resource_type_check("", &err) < 0);
}

TEST(resources_apply_per_type_over_the_default)
{
	struct app_settings s = { 0 };
	struct runtime_spec spec;
	struct berr err;

	strv_push(&s.resources, "_default.memory=64m");
	strv_push(&s.resources, "_default.pids=50");
	strv_push(&s.resources, "web.pids=70");
	strv_push(&s.resources, "web.cpu=0.5");
	runtime_spec_init(&spec);
	CHECK(resource_apply(&s, "web", &spec, &err) == 0);
	CHECK(spec.memory_max == 64ULL << 20);
	CHECK(spec.pids_max == 70);
	CHECK(spec.cpu_quota_us == 50000 && spec.cpu_period_us == 100000);
	runtime_spec_init(&spec);
	CHECK(resource_apply(&s, "worker", &spec, &err) == 0);
	CHECK(spec.pids_max == 50 && spec.cpu_quota_us == 0);
	strv_remove_at(&s.resources, 0);
	CHECK(s.resources.n == 3 && s.resources.v[3] == NULL);
	CHECK_STR(s.resources.v[0], "_default.pids=50");
	app_settings_free(&s);
}

TEST(storage_specs)
{
	struct runtime_bind b;
	struct berr err;
	const char *bad[] = { "/a", "/a:", "/a:rel", "/a:/", "/a:/b/../c", "/a:/b/./c", "/a:/b//c",
			      "/a:/b/", "/a:/b:rx", "/a:/b:ro:x" };

	CHECK(storage_parse("/h:/c", &b, &err) == 0);
	CHECK_STR(b.src, "/h");
	CHECK_STR(b.dst, "/c");
	CHECK(!b.ro);
	free(b.src);
	free(b.dst);
	CHECK(storage_parse("/h:/c/d:ro", &b, &err) == 0);
	CHECK(b.ro);
	free(b.src);
	free(b.dst);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(storage_parse(bad[i], &b, &err) < 0);
		if (storage_parse(bad[i], &b, &err) == 0) {
			free(b.src);
			free(b.dst);
		}
	}
}

TEST(storage_host_paths_stay_under_the_root_without_symlinks)
{
	char tmpl[] = "/tmp/berth-unit-storage.XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct berr err;

	CHECK(dir != NULL);
	if (!dir)
		return;
	autofree char *root = xasprintf("%s/root", dir);
	autofree char *data = xasprintf("%s/root/data", dir);
	autofree char *link = xasprintf("%s/root/link", dir);
	autofree char *via = xasprintf("%s/root/link/data", dir);
	autofree char *dotdot = xasprintf("%s/root/data/../data", dir);
	autofree char *outside = xasprintf("%s/outside", dir);

	setenv("BERTH_STORAGE_ROOT", root, 1);
	CHECK(storage_host_check(data, &err) < 0);  /* no root yet */
	CHECK(mkdir(root, 0755) == 0 && mkdir(data, 0755) == 0 && mkdir(outside, 0755) == 0);
	CHECK(symlink(root, link) == 0);
	CHECK(storage_host_check(data, &err) == 0);
	CHECK(storage_host_check(root, &err) < 0);
	CHECK(storage_host_check(outside, &err) < 0);
	CHECK(storage_host_check(via, &err) < 0);
	CHECK(storage_host_check(link, &err) < 0);
	CHECK(storage_host_check(dotdot, &err) < 0);
	unlink(link);
	rmdir(data);
	rmdir(root);
	rmdir(outside);
	rmdir(dir);
	unsetenv("BERTH_STORAGE_ROOT");
}
