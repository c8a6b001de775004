/* unit.h - a tiny unit test harness: TEST() functions, CHECK() assertions, and TAP-ish
 * "ok"/"not ok" lines that tests/run counts. */
#ifndef BERTH_TESTS_UNIT_H
#define BERTH_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"

struct unit_test {
	const char *name;
	void (*fn)(int *failed);
};

/* A fresh, empty $BERTH_ROOT under /tmp for the tests that touch the store (the
 * previous one removed); the last one goes when the test binary exits. */
static char unit_root_dir[64];

static inline void unit_fresh_root(const char *name)
{
	struct berr err = { 0 };

	if (unit_root_dir[0])
		rm_rf(unit_root_dir, &err);
	snprintf(unit_root_dir, sizeof(unit_root_dir), "/tmp/berth-unit-%s.XXXXXX", name);
	if (!mkdtemp(unit_root_dir))
		abort();
	setenv("BERTH_ROOT", unit_root_dir, 1);
}

__attribute__((destructor)) static inline void unit_remove_root(void)
{
	struct berr err = { 0 };

	if (unit_root_dir[0])
		rm_rf(unit_root_dir, &err);
}

#define UNIT_MAX 256
static struct unit_test unit_tests[UNIT_MAX];
static int unit_count;

#define TEST(name)                                                         \
	static void test_##name(int *failed);                              \
	__attribute__((constructor)) static void register_##name(void)     \
	{                                                                  \
		if (unit_count < UNIT_MAX)                                 \
			unit_tests[unit_count++] =                         \
				(struct unit_test){ #name, test_##name };  \
	}                                                                  \
	static void test_##name(int *failed)

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "# %s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                                \
			*failed = 1;                                             \
		}                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                               \
	do {                                                                          \
		const char *a_ = (a), *b_ = (b);                                      \
		if (!a_ || !b_ || strcmp(a_, b_)) {                                   \
			fprintf(stderr, "# %s:%d: '%s' != '%s'\n", __FILE__, __LINE__, \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)");              \
			*failed = 1;                                                  \
		}                                                                     \
	} while (0)

int main(int argc, char **argv)
{
	int bad = 0;

	for (int i = 0; i < unit_count; i++) {
		int failed = 0;

		if (argc > 1 && !strstr(unit_tests[i].name, argv[1]))
			continue;
		unit_tests[i].fn(&failed);
		printf("%s - %s\n", failed ? "not ok" : "ok", unit_tests[i].name);
		bad |= failed;
	}
	return bad;
}

#endif
