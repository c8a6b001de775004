/* Unit tests for the daemon's pure parts: restart policies, stopped types, slot
 * records on disk. */
#include <stdlib.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "platform/daemon.h"
#include "tests/unit/unit.h"

TEST(restart_policies_parse_as_dokku_names_them)
{
	struct ps_settings s = { 0 };
	struct berr err;
	char buf[32];
	const char *good[] = { "no", "always", "unless-stopped", "on-failure", "on-failure:10",
			       "on-failure:1" };
	const char *bad[] = { "", "sometimes", "on-failure:", "on-failure:-1", "on-failure:x",
			      "always:3", "no:1", "on-failure:99999999999", "ON-FAILURE" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(ps_policy_parse(good[i], &s, &err) == 0);
		CHECK_STR(ps_policy_text(&s, buf), good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ps_policy_parse(bad[i], &s, &err) < 0);
	CHECK(ps_policy_parse("on-failure:3", &s, &err) == 0);
	CHECK(s.policy == RESTART_ON_FAILURE && s.max_retries == 3);
	CHECK(ps_policy_parse("sometimes", &s, &err) < 0);
	CHECK(strstr(err.msg, "sometimes") != NULL);
}

TEST(a_type_is_stopped_by_the_app_or_by_itself)
{
	struct ps_settings s = { 0 };

	strcpy(s.stopped_types, "worker clock");
	CHECK(ps_type_stopped(&s, "worker"));
	CHECK(ps_type_stopped(&s, "clock"));
	CHECK(!ps_type_stopped(&s, "web"));
	CHECK(!ps_type_stopped(&s, "work"));
	s.stopped = true;
	CHECK(ps_type_stopped(&s, "web"));
}

TEST(slot_records_round_trip_and_list_in_order)
{
	char dir[] = "/tmp/berth-unit-daemon.XXXXXX";
	struct proc_record a = { .app = "app", .type = "web", .index = 2, .id = "app.web.2",
				 .state = "running", .pid = 42, .started = 7, .restarts = 3,
				 .exit_code = -1, .release = 5, .addr = "10.0.0.2:5000" };
	struct proc_record b = { .app = "app", .type = "web", .index = 10, .state = "crashed",
				 .exit_code = 3 };
	struct proc_record c = { .app = "app", .type = "clock", .index = 1, .state = "backoff",
				 .exit_code = 1, .log_error = "full" };
	struct proc_record *v;
	size_t n;
	struct berr err;

	CHECK(mkdtemp(dir) != NULL);
	setenv("BERTH_RUN", dir, 1);
	CHECK(proc_record_save(&a, &err) == 0);
	CHECK(proc_record_save(&b, &err) == 0);
	CHECK(proc_record_save(&c, &err) == 0);
	CHECK(proc_records_list("app", &v, &n, &err) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(v[0].type, "clock");
		CHECK_STR(v[0].log_error, "full");
		CHECK(v[1].index == 2 && v[2].index == 10);  /* by number, not text */
		CHECK_STR(v[1].id, "app.web.2");
		CHECK_STR(v[1].addr, "10.0.0.2:5000");
		CHECK(v[1].pid == 42 && v[1].restarts == 3 && v[1].release == 5 && v[1].exit_code == -1);
		CHECK(v[2].id == NULL && v[2].exit_code == 3);
	}
	proc_records_free(v, n);
	proc_record_remove(&a);
	proc_record_remove(&b);
	proc_record_remove(&c);
	CHECK(proc_records_list("app", &v, &n, &err) == 0 && n == 0);
	proc_records_free(v, n);
	CHECK(proc_records_list("none", &v, &n, &err) == 0 && n == 0);
	rm_rf(dir, &err);
}
