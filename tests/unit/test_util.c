/* Unit tests for common/: sizes, numbers, words, string vectors, errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
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

TEST(read_file_beneath_refuses_links_fifos_big_files_and_escapes)
{
	char dir[] = "/tmp/berth-unit-XXXXXX";
	struct berr err = { 0 };
	char *text = NULL, path[128];
	size_t len = 0;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/ok", dir);
	CHECK(write_file_atomic(path, "web: x\n", 7, 0600, &err) == 0);
	snprintf(path, sizeof(path), "%s/link", dir);
	CHECK(symlink("ok", path) == 0);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);

	CHECK(read_file_beneath(fd, "ok", "ok", 100, &text, &len, &err) == 1);
	CHECK_STR(text, "web: x\n");
	CHECK(len == 7);
	free(text);
	CHECK(read_file_beneath(fd, "missing", "missing", 100, &text, &len, &err) == 0);
	CHECK(read_file_beneath(fd, "link", "Procfile", 100, &text, &len, &err) < 0);
	CHECK(strstr(err.msg, "Procfile") == err.msg && strstr(err.msg, "symbolic link"));
	CHECK(read_file_beneath(fd, "fifo", "Procfile", 100, &text, &len, &err) < 0);
	CHECK(strstr(err.msg, "a FIFO") != NULL);
	CHECK(read_file_beneath(fd, "ok", "Procfile", 3, &text, &len, &err) < 0);
	CHECK(strstr(err.msg, "larger than 3 bytes") != NULL);
	CHECK(read_file_beneath(fd, "../etc/passwd", "x", 100, &text, &len, &err) < 0);
	CHECK(read_file_beneath(fd, "/etc/passwd", "x", 100, &text, &len, &err) < 0);
	CHECK(read_file_beneath(fd, ".", "x", 100, &text, &len, &err) < 0);
	CHECK(strstr(err.msg, "a directory") != NULL);
	close(fd);
	CHECK(rm_rf(dir, &err) == 0);
}

TEST(workdir_remove_stale_keeps_locked_dirs_only)
{
	char parent[] = "/tmp/berth-unit-XXXXXX";
	struct berr err = { 0 };
	char *live = NULL, *dead = NULL;
	int live_lock = -1, dead_lock = -1;
	struct stat st;

	CHECK(mkdtemp(parent) != NULL);
	CHECK(workdir_create(parent, "build", &live, &live_lock, &err) == 0);
	CHECK(workdir_create(parent, "build", &dead, &dead_lock, &err) == 0);
	CHECK(stat(parent, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(live, &st) == 0 && (st.st_mode & 0777) == 0700);
	close(dead_lock);
	workdir_remove_stale(parent);
	CHECK(access(live, F_OK) == 0);
	CHECK(access(dead, F_OK) < 0);
	close(live_lock);
	workdir_remove_stale(parent);
	CHECK(access(live, F_OK) < 0);
	free(live);
	free(dead);
	CHECK(rm_rf(parent, &err) == 0);
}
