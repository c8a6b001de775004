/* Unit tests for the rules platform/ keeps for the command line: app names,
 * config keys and values, envfiles, buildpack names. */
#include <stdlib.h>

#include "platform/platform.h"
#include "tests/unit/unit.h"

TEST(app_names_follow_dokku_with_dots)
{
	struct berr err;
	const char *good[] = { "a", "9lives", "app.example.com", "my-app-1", "a.", "a--b" };
	const char *bad[] = { "", "-a", ".a", "A", "a_b", "a/b", "a b", "a:latest",
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(app_name_check(good[i], &err) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(app_name_check(bad[i], &err) < 0);
}

TEST(config_keys_and_values)
{
	struct berr err;

	CHECK(config_key_check("_A1", &err) == 0);
	CHECK(config_key_check("aKey", &err) == 0);
	CHECK(config_key_check("1A", &err) < 0);
	CHECK_STR(err.msg, "Invalid key name: '1A'");
	CHECK(config_key_check("A-B", &err) < 0);
	CHECK(config_key_check("", &err) < 0);
	CHECK(config_value_check("K", "h\xc3\xa9", 3, &err) == 0);
	CHECK(config_value_check("K", "a\xff", 2, &err) < 0);
	CHECK(strstr(err.msg, "not valid UTF-8") != NULL);
	CHECK(config_value_check("K", "a\0b", 3, &err) < 0);
}

TEST(envfile_reads_dotenv_forms)
{
	const char text[] = "# comment\n"
			    "\n"
			    "export A=\"x\\ny \\\"q\\\" \\$z\"\n"
			    "B='single $x'\n"
			    "C=plain # note\n"
			    "D = spaced\n"
			    "E=\n"
			    "F=\"multi\nline\"\n"
			    "G=a#b\n";
	struct strv env = { 0 };
	struct berr err;

	CHECK(config_parse_envfile(text, sizeof(text) - 1, &env, &err) == 0);
	CHECK_STR(strv_getenv(&env, "A"), "x\ny \"q\" $z");
	CHECK_STR(strv_getenv(&env, "B"), "single $x");
	CHECK_STR(strv_getenv(&env, "C"), "plain");
	CHECK_STR(strv_getenv(&env, "D"), "spaced");
	CHECK_STR(strv_getenv(&env, "E"), "");
	CHECK_STR(strv_getenv(&env, "F"), "multi\nline");
	CHECK_STR(strv_getenv(&env, "G"), "a#b");
	CHECK(env.n == 7);
	strv_free(&env);
}

TEST(envfile_refuses_what_it_cannot_read)
{
	const char *bad[] = { "NOEQUALS\n", "1A=x\n", "A=\"open\n", "A='open\n" };
	struct strv env = { 0 };
	struct berr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(config_parse_envfile(bad[i], strlen(bad[i]), &env, &err) < 0);
		strv_free(&env);
	}
}

TEST(json_import_takes_an_object_of_strings)
{
	struct strv env = { 0 };
	struct berr err;
	const char *good = "{\"B\": \"2\", \"A\": \"1\"}";
	const char *bad[] = { "[]", "{\"A\": 1}", "{\"1A\": \"x\"}", "{" };

	CHECK(config_parse_json(good, strlen(good), &env, &err) == 0);
	CHECK(env.n == 2);
	CHECK_STR(env.v[0], "A=1");
	strv_free(&env);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(config_parse_json(bad[i], strlen(bad[i]), &env, &err) < 0);
		strv_free(&env);
	}
}

TEST(buildpack_names_as_dokku_takes_them)
{
	struct berr err;
	char *url = NULL;
	const char *kept[] = { "https://github.com/heroku/heroku-buildpack-ruby.git",
			       "https://github.com/heroku/heroku-buildpack-nodejs.git#v250",
			       "git@github.com:org/repo.git", "http://host/a/b.tgz",
			       "https://github.com/yespark/heroku-imagemagick-buildpack", "/tmp" };
	const char *bad[] = { "", "nodejs", "/nodejs-not-here", "http://nodejs", "https://host/a",
			      "ftp://host/a/b", "a b/c", "a/b/c" };

	CHECK(buildpack_url_normalize("heroku/nodejs", &url, &err) == 0);
	CHECK_STR(url, "https://github.com/heroku/heroku-buildpack-nodejs.git");
	free(url);
	CHECK(buildpack_url_normalize("heroku-community/apt", &url, &err) == 0);
	CHECK_STR(url, "https://github.com/heroku/heroku-buildpack-apt.git");
	free(url);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		CHECK(buildpack_url_normalize(kept[i], &url, &err) == 0);
		CHECK_STR(url, kept[i]);
		free(url);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(buildpack_url_normalize(bad[i], &url, &err) < 0);
		CHECK(url == NULL);
	}
	CHECK(buildpack_url_normalize("nodejs", &url, &err) < 0);
	CHECK_STR(err.msg, "Invalid buildpack specified: nodejs");
}
