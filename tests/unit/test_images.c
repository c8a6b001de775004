/* Unit tests for images/: path cleaning, the path map, the hasher, layer ids,
 * references, stack removal and garbage collection. Needs root (layers keep
 * owners) and busybox-static; each test gets its own BERTH_ROOT. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "images/images.h"
#include "images/internal.h"
#include "tests/unit/unit.h"

static char root_dir[64];

static void fresh_root(void)
{
	struct berr err;

	if (root_dir[0])
		rm_rf(root_dir, &err);
	snprintf(root_dir, sizeof(root_dir), "/tmp/berth-unit-images.XXXXXX");
	if (!mkdtemp(root_dir))
		abort();
	setenv("BERTH_ROOT", root_dir, 1);
}

__attribute__((destructor)) static void remove_root(void)
{
	struct berr err;

	if (root_dir[0])
		rm_rf(root_dir, &err);
}

TEST(path_clean_normalises_and_refuses_escapes)
{
	char *out = NULL;
	const char *why;

	CHECK(path_clean("./usr//bin/", &out, &why) == 0);
	CHECK_STR(out, "usr/bin");
	free(out);
	CHECK(path_clean("./", &out, &why) == 0);
	CHECK_STR(out, ".");
	free(out);
	CHECK(path_clean("a/./b", &out, &why) == 0);
	CHECK_STR(out, "a/b");
	free(out);
	CHECK(path_clean("/etc/passwd", &out, &why) < 0);
	CHECK_STR(why, "absolute path");
	CHECK(path_clean("a/../../b", &out, &why) < 0);
	CHECK(path_clean("..", &out, &why) < 0);
	CHECK(path_clean("a/..b", &out, &why) == 0);  /* a name, not a parent */
	free(out);
}

TEST(xattrs_kept_are_user_and_capabilities_but_not_overlay_metadata)
{
	CHECK(xattr_kept("user.mime_type"));
	CHECK(xattr_kept("security.capability"));
	CHECK(!xattr_kept("user.overlay.redirect"));
	CHECK(!xattr_kept("user.overlay.opaque"));
	CHECK(!xattr_kept("trusted.overlay.opaque"));
	CHECK(!xattr_kept("security.selinux"));
}

TEST(pathmap_stores_finds_deletes_and_grows)
{
	struct pathmap *m = pathmap_new();
	uintptr_t v = 0;
	char key[32];

	for (uintptr_t i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "usr/lib/f%lu", (unsigned long)i);
		pathmap_put(m, key, i);
	}
	CHECK(pathmap_get(m, "usr/lib/f4321", &v) && v == 4321);
	pathmap_del(m, "usr/lib/f4321");
	CHECK(!pathmap_get(m, "usr/lib/f4321", &v));
	pathmap_put(m, "usr/lib/f4321", 7);
	CHECK(pathmap_get(m, "usr/lib/f4321", &v) && v == 7);
	CHECK(!pathmap_get(m, "usr/lib/f5000", NULL));
	pathmap_free(m);
}

TEST(hasher_digests_match_sha256_of_each_file)
{
	struct hasher *h = hasher_start();
	const unsigned char (*d)[SHA256_LEN];
	unsigned char want[3][SHA256_LEN];
	size_t big = 9u << 20, n;
	char *data = malloc(big);
	struct sha256 s;

	for (size_t i = 0; i < big; i++)
		data[i] = (char)(i * 7);
	/* A small file, a file larger than the ring, a sparse one (hole of zeros). */
	hasher_begin(h);
	hasher_data(h, "hello", 5);
	hasher_end(h);
	hasher_begin(h);
	hasher_data(h, data, big);
	hasher_end(h);
	hasher_begin(h);
	hasher_zeros(h, 100000);
	hasher_data(h, "x", 1);
	hasher_end(h);
	n = hasher_finish(h, &d);
	CHECK(n == 3);
	sha256_init(&s);
	sha256_update(&s, "hello", 5);
	sha256_final(&s, want[0]);
	sha256_init(&s);
	sha256_update(&s, data, big);
	sha256_final(&s, want[1]);
	memset(data, 0, 100000);
	data[100000] = 'x';
	sha256_init(&s);
	sha256_update(&s, data, 100001);
	sha256_final(&s, want[2]);
	for (size_t i = 0; i < 3 && n == 3; i++)
		CHECK(!memcmp(d[i], want[i], SHA256_LEN));
	hasher_free(h);
	free(data);
}

static int write_tree(const char *dir, const char *mtime_file)
{
	char path[256];
	struct timespec t[2] = { { 1700000000, 0 }, { 1700000000, 0 } };

	snprintf(path, sizeof(path), "%s/etc", dir);
	if (mkdir(dir, 0755) < 0 || mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/etc/%s", dir, mtime_file);
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "x\n", 2) != 2)
		return -1;
	futimens(fd, t);
	close(fd);
	snprintf(path, sizeof(path), "%s/etc", dir);
	utimensat(AT_FDCWD, path, t, 0);
	return utimensat(AT_FDCWD, dir, t, 0);
}

TEST(layer_commit_dir_consumes_the_dir_and_stores_equal_content_once)
{
	char a[128], b[128], c[128], id1[LAYER_ID_HEX + 1], id2[LAYER_ID_HEX + 1], id3[LAYER_ID_HEX + 1];
	struct berr err;
	struct strv ids = { 0 };

	fresh_root();
	snprintf(a, sizeof(a), "%s/a", root_dir);
	snprintf(b, sizeof(b), "%s/b", root_dir);
	snprintf(c, sizeof(c), "%s/c", root_dir);
	CHECK(write_tree(a, "hosts") == 0 && write_tree(b, "hosts") == 0 && write_tree(c, "other") == 0);
	CHECK(layer_commit_dir(a, "test", id1, &err) == 0);
	CHECK(layer_commit_dir(b, "test", id2, &err) == 0);
	CHECK(layer_commit_dir(c, "test", id3, &err) == 0);
	CHECK_STR(id1, id2);
	CHECK(strcmp(id1, id3) != 0);
	CHECK(!path_exists(a) && !path_exists(b) && !path_exists(c));
	CHECK(layer_list(&ids, &err) == 0 && ids.n == 2);
	strv_free(&ids);
}

TEST(refs_protect_layers_from_gc_and_stacks_from_removal)
{
	struct strv ids = { 0 }, freed = { 0 }, missing = { 0 };
	struct layer_info info;
	struct berr err;
	uint64_t bytes;

	fresh_root();
	CHECK(stack_create_busybox("bb", NULL, &err) == 0);
	CHECK(stack_layer_ids("bb", &ids, &err) == 0 && ids.n == 1);
	strv_push(&missing, "0000000000000000000000000000000000000000000000000000000000000000");
	CHECK(image_refs_set("release", "myapp/v1", &missing, &err) < 0);
	CHECK(strstr(err.msg, "does not exist") != NULL);
	CHECK(image_refs_set("release", "myapp/v1", &ids, &err) == 0);
	CHECK(layer_info_load(ids.v[0], &info, &err) == 0);
	CHECK(info.users.n == 2);
	CHECK_STR(info.users.v[0], "release:myapp/v1");
	layer_info_release(&info);

	CHECK(stack_remove("bb", false, &err) < 0);
	CHECK(strstr(err.msg, "in use by release:myapp/v1") != NULL);
	CHECK(stack_remove("bb", true, &err) == 0);
	CHECK(!stack_exists("bb"));
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 0);
	CHECK(layer_exists(ids.v[0]));

	CHECK(image_refs_drop("release", "myapp/v1", &err) == 0);
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 1 && bytes > 1000000);
	CHECK(!layer_exists(ids.v[0]));
	strv_free(&ids);
	strv_free(&freed);
	strv_free(&missing);
}

TEST(a_committed_layer_is_leased_until_referenced)
{
	char dir[128], id[LAYER_ID_HEX + 1];
	struct strv freed = { 0 }, ids = { 0 };
	struct berr err;
	uint64_t bytes;

	fresh_root();
	snprintf(dir, sizeof(dir), "%s/up", root_dir);
	CHECK(write_tree(dir, "f") == 0);
	CHECK(layer_commit_dir(dir, "build", id, &err) == 0);
	/* A build between commit and recording its release: gc must not take it. */
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 0);
	strv_push(&ids, id);
	CHECK(image_refs_set("release", "app/v1", &ids, &err) == 0);
	CHECK(image_refs_drop("release", "app/v1", &err) == 0);
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 1);
	strv_free(&freed);
	strv_free(&ids);
}

TEST(stack_layer_dirs_and_config_describe_the_busybox_stack)
{
	struct strv dirs = { 0 };
	struct stack_config cfg = { 0 };
	struct berr err;
	char path[512];

	fresh_root();
	CHECK(stack_create_busybox("bb", NULL, &err) == 0);
	CHECK(stack_layer_dirs("bb", &dirs, &err) == 0 && dirs.n == 1);
	snprintf(path, sizeof(path), "%s/bin/busybox", dirs.n ? dirs.v[0] : "");
	CHECK(access(path, X_OK) == 0);
	CHECK(stack_config_load("bb", &cfg, &err) == 0);
	CHECK(strv_getenv(&cfg.env, "PATH") != NULL);
	CHECK(cfg.workdir == NULL && cfg.user == NULL);
	stack_config_release(&cfg);
	strv_free(&dirs);
	CHECK(stack_layer_dirs("nope", &dirs, &err) < 0);
	CHECK(strstr(err.msg, "stack nope does not exist") != NULL);
}
