/* Unit tests for common/: sizes, numbers, words, string vectors, errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "tests/unit/unit.h"

TEST(parse_size_accepts_units_as_docker_does)
{
	struct berr err = { 0 };
	uint64_t v = 0;

	CHECK(parse_size("512m", &v, &err) == 0 && v == 512ULL << 20);
	CHECK(parse_size("1g", &v, &err) == 0 && v == 1ULL << 30);
	CHECK(parse_size("1GB", &v, &err) == 0 && v == 1ULL << 30);
	CHECK(parse_size("64k", &v, &err) == 0 && v == 64 << 10);
	CHECK(parse_size("4096", &v, &err) == 0 && v == 4096);
}

TEST(parse_size_rejects_junk_with_a_message)
{
	struct berr err = { 0 };
	uint64_t v = 7;
	const char *bad[] = { "", "m", "-1m", "12q", "1.5g", "0", "99999999999999999999g", " 5m" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse_size(bad[i], &v, &err) < 0);
		CHECK(strstr(err.msg, "bad size") != NULL);
	}
	CHECK(v == 7);
}

TEST(parse_uint_bounds)
{
	struct berr err = { 0 };
	uint64_t v;

	CHECK(parse_uint("65535", 65535, &v, &err) == 0 && v == 65535);
	CHECK(parse_uint("65536", 65535, &v, &err) < 0);
	CHECK(parse_uint("+1", 10, &v, &err) < 0);
	CHECK(parse_uint("1x", 10, &v, &err) < 0);
}

/* Every rejection says what was wrong, starting from a zeroed error. */
TEST(parse_rejections_always_fill_the_message)
{
	const char *bad[] = { "", "x", "+1", "1x", "99999999999999999999999", "65536" };
	uint64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct berr err = { 0 };

		CHECK(parse_uint(bad[i], 65535, &v, &err) < 0 && err.msg[0]);
	}
	{
		struct berr err = { 0 };

		CHECK(parse_uint(NULL, 1, &v, &err) < 0 && err.msg[0]);
	}
}

TEST(str_word_in_matches_whole_words)
{
	CHECK(str_word_in("cpuset cpu io memory", "cpu"));
	CHECK(str_word_in("cpuset io\n", "io"));
	CHECK(!str_word_in("cpuset io memory", "cpu"));
	CHECK(!str_word_in("hugetlb", "memory"));
}

TEST(strv_setenv_replaces)
{
	struct strv env = { 0 };

	strv_setenv(&env, "A", "1");
	strv_setenv(&env, "AB", "2");
	strv_setenv(&env, "A", "3");
	CHECK(env.n == 2);
	CHECK_STR(strv_getenv(&env, "A"), "3");
	CHECK_STR(strv_getenv(&env, "AB"), "2");
	CHECK(strv_getenv(&env, "B") == NULL);
	CHECK(env.v[env.n] == NULL);
	strv_free(&env);
}

TEST(berr_messages_name_the_object)
{
	struct berr err = { 0 };

	errno = ENOENT;
	CHECK(berr_sys(&err, "open %s", "/x") == -1);
	CHECK_STR(err.msg, "open /x: No such file or directory");
	berr_prefix(&err, "layer %s", "a");
	CHECK_STR(err.msg, "layer a: open /x: No such file or directory");
}
