/* Unit tests for build/: Procfile and bin/release parsing. */
#include <stdlib.h>

#include "build/build.h"
#include "build/internal.h"
#include "tests/unit/unit.h"

TEST(procfile_parses_types_and_commands)
{
	struct proctypes pt;
	struct berr err;

	CHECK(procfile_parse("web: ./server --port $PORT\nworker:bin/worker\n", &pt, &err) == 0);
	CHECK(pt.n == 2);
	CHECK_STR(proctypes_get(&pt, "web"), "./server --port $PORT");
	CHECK_STR(proctypes_get(&pt, "worker"), "bin/worker");
	proctypes_free(&pt);
}

TEST(procfile_comments_blank_lines_and_crlf)
{
	struct proctypes pt;
	struct berr err;
	const char *text = "# a comment\r\n\r\n// another\r\n  web: run-me  # trailing\r\n"
			   "clock-1_x: tick // every second\r\nurl: curl http://x/#frag\r\n";

	CHECK(procfile_parse(text, &pt, &err) == 0);
	CHECK(pt.n == 3);
	CHECK_STR(proctypes_get(&pt, "web"), "run-me");
	CHECK_STR(proctypes_get(&pt, "clock-1_x"), "tick");
	/* No whitespace before '#': part of the command. */
	CHECK_STR(proctypes_get(&pt, "url"), "curl http://x/#frag");
	proctypes_free(&pt);
}

TEST(procfile_duplicate_type_names_both_lines)
{
	struct proctypes pt;
	struct berr err;

	CHECK(procfile_parse("web: a\n\nweb: b\n", &pt, &err) < 0);
	CHECK(strstr(err.msg, "line 3") && strstr(err.msg, "duplicate process type 'web'") &&
	      strstr(err.msg, "line 1"));
}

TEST(procfile_rejects_malformed_lines)
{
	struct proctypes pt;
	struct berr err;

	CHECK(procfile_parse("web: ok\nthis is not a process\n", &pt, &err) < 0);
	CHECK(strstr(err.msg, "line 2") != NULL);
	CHECK(procfile_parse("we b: x\n", &pt, &err) < 0);
	CHECK(procfile_parse("web:\n", &pt, &err) < 0);
	CHECK(strstr(err.msg, "no command") != NULL);
	CHECK(procfile_parse("web: # only a comment\n", &pt, &err) < 0);
	CHECK(procfile_parse("w.b: x\n", &pt, &err) < 0);
}

TEST(procfile_empty_is_empty)
{
	struct proctypes pt;
	struct berr err;

	CHECK(procfile_parse("", &pt, &err) == 0 && pt.n == 0);
	CHECK(procfile_parse("# nothing\n", &pt, &err) == 0 && pt.n == 0);
}

TEST(release_yaml_reads_process_types_and_config)
{
	const char *y = "---\naddons: []\nconfig_vars:\n  PATH: /app/bin:/usr/bin\n  LANG: C.UTF-8\n"
			"default_process_types:\n  web: ./bin/web -p $PORT\n  worker: ./w\n";
	struct buildpack_release rel;
	struct berr err;

	CHECK(release_yaml_parse(y, strlen(y), &rel, &err) == 0);
	CHECK_STR(proctypes_get(&rel.default_process_types, "web"), "./bin/web -p $PORT");
	CHECK(rel.default_process_types.n == 2);
	CHECK_STR(strv_getenv(&rel.config_vars, "PATH"), "/app/bin:/usr/bin");
	CHECK_STR(strv_getenv(&rel.config_vars, "LANG"), "C.UTF-8");
	buildpack_release_free(&rel);
}

TEST(release_yaml_empty_and_bad)
{
	struct buildpack_release rel;
	struct berr err;

	CHECK(release_yaml_parse("", 0, &rel, &err) == 0 && rel.default_process_types.n == 0);
	buildpack_release_free(&rel);
	CHECK(release_yaml_parse("--- {}\n", 7, &rel, &err) == 0);
	buildpack_release_free(&rel);
	CHECK(release_yaml_parse("default_process_types: [a, b]\n", 30, &rel, &err) < 0);
	CHECK(release_yaml_parse("a: [unclosed\n", 13, &rel, &err) < 0);
	CHECK(strstr(err.msg, "bad YAML") != NULL);
	CHECK(release_yaml_parse("config_vars:\n  1BAD: x\n", 23, &rel, &err) < 0);
}

TEST(release_yaml_process_type_names_follow_the_procfile_rules)
{
	const char *bad[] = {
		"default_process_types:\n  \"../x=1 y\\nz\": echo\n",
		"default_process_types:\n  \"a b\": echo\n",
		"default_process_types:\n  \"\": echo\n",
		"default_process_types:\n  \"w/eb\": echo\n",
	};
	struct buildpack_release rel;
	struct berr err = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(release_yaml_parse(bad[i], strlen(bad[i]), &rel, &err) < 0);
		CHECK(strstr(err.msg, "process type name") != NULL);
		CHECK(strstr(err.msg, "..") == NULL);
	}
	CHECK(release_yaml_parse("default_process_types:\n  web-2_x: run\n", 38, &rel, &err) == 0);
	CHECK_STR(proctypes_get(&rel.default_process_types, "web-2_x"), "run");
	buildpack_release_free(&rel);
}

TEST(untrusted_buildpack_specs_are_urls_or_shipped_names)
{
	const char *ok[] = { "https://github.com/heroku/heroku-buildpack-ruby.git#v1",
			     "http://example.com/bp.tgz", "python", "static", "my_pack-1.0" };
	const char *bad[] = { "/var/lib/berth/apps/x", "file:///etc", "..", ".", ".hidden",
			      "../../etc", "a/b", "ssh://host/x", "git@github.com:a/b", "" };
	struct berr err = { 0 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(buildpack_spec_check_untrusted(ok[i], "test", &err) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(buildpack_spec_check_untrusted(bad[i], "where", &err) < 0);
		CHECK(strstr(err.msg, "where: ") == err.msg);
	}
}

TEST(buildpack_short_names_are_plain)
{
	char *n = buildpack_short_name("https://x/a b$(id)`.git");

	CHECK_STR(n, "a-b--id--");
	free(n);
}
