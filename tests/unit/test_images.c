/* Unit tests for images/: path cleaning, the path map, the hasher, layer ids,
 * references, stack removal and garbage collection. Needs root (layers keep
 * owners) and busybox-static; each test gets its own BERTH_ROOT. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "images/images.h"
#include "images/internal.h"
#include "tests/unit/unit.h"

static void fresh_root(void)
{
	unit_fresh_root("images");
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
	struct berr err = { 0 };
	struct strv ids = { 0 };

	fresh_root();
	snprintf(a, sizeof(a), "%s/a", unit_root_dir);
	snprintf(b, sizeof(b), "%s/b", unit_root_dir);
	snprintf(c, sizeof(c), "%s/c", unit_root_dir);
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
	struct berr err = { 0 };
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
	struct berr err = { 0 };
	uint64_t bytes;

	fresh_root();
	snprintf(dir, sizeof(dir), "%s/up", unit_root_dir);
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
	struct berr err = { 0 };
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

/* ---- app sources through the one extractor ---- */

struct tar_spec {
	const char *path;
	mode_t type;        /* AE_IFREG, AE_IFDIR, AE_IFLNK; 0 with link: a hard link */
	mode_t perm;
	const char *data;   /* file content, or the link target */
	int64_t size;       /* declared size when data is NULL (sparse, huge) */
	const char *link;   /* hard link target */
};

/* A tar of specs in a memfd, rewound. */
static int make_tar(const struct tar_spec *specs, size_t n)
{
	int fd = memfd_create("tar", MFD_CLOEXEC);
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_open_fd(a, fd);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		const struct tar_spec *s = &specs[i];

		archive_entry_set_pathname(e, s->path);
		archive_entry_set_perm(e, s->perm);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (s->link) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, s->link);
		} else {
			archive_entry_set_filetype(e, s->type);
		}
		if (s->type == AE_IFLNK)
			archive_entry_set_symlink(e, s->data);
		if (s->type == AE_IFREG && !s->link)
			archive_entry_set_size(e, s->data ? (int64_t)strlen(s->data) : s->size);
		archive_write_header(a, e);
		if (s->type == AE_IFREG && s->data)
			archive_write_data(a, s->data, strlen(s->data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Unpack specs into a fresh dir under unit_root_dir; returns the unpacker's result. */
static int unpack(const struct tar_spec *specs, size_t n, char *dir, size_t dirlen, struct berr *err)
{
	int fd = make_tar(specs, n), dfd, r;
	size_t entries = 0;

	snprintf(dir, dirlen, "%s/src", unit_root_dir);
	mkdir(dir, 0755);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = archive_unpack_source(fd, dfd, 1000, 1000, &entries, err);
	close(dfd);
	close(fd);
	return r;
}

TEST(source_unpack_owns_everything_drops_set_id_bits_and_ignores_the_umask)
{
	const struct tar_spec specs[] = {
		{ "app/run", AE_IFREG, 04755, "#!/bin/sh\n", 0, NULL },
		{ "app", AE_IFDIR, 0700, NULL, 0, NULL },
		{ "deep/er/file", AE_IFREG, 0644, "x", 0, NULL },
		{ "link", AE_IFLNK, 0777, "app/run", 0, NULL },
		{ "hard", AE_IFREG, 0644, NULL, 0, "deep/er/file" },
	};
	struct berr err = { 0 };
	char dir[128], path[256], cwd[256] = "", after[256] = "";
	struct stat st;
	mode_t old;

	fresh_root();
	/* Nothing depends on or changes the caller's umask or working directory. */
	old = umask(0077);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(unpack(specs, ARRAY_SIZE(specs), dir, sizeof(dir), &err) == 0);
	CHECK(umask(old) == 0077);
	CHECK(getcwd(after, sizeof(after)) != NULL);
	CHECK_STR(cwd, after);
	snprintf(path, sizeof(path), "%s/deep/er/file", dir);
	CHECK(lstat(path, &st) == 0 && (st.st_mode & 07777) == 0644);
	snprintf(path, sizeof(path), "%s/app/run", dir);
	CHECK(lstat(path, &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000);
	CHECK((st.st_mode & 07777) == 0755);
	CHECK(st.st_mtime == 1700000000);
	snprintf(path, sizeof(path), "%s/app", dir);
	CHECK(lstat(path, &st) == 0 && (st.st_mode & 07777) == 0700 && st.st_uid == 1000);
	snprintf(path, sizeof(path), "%s/deep/er", dir);
	CHECK(lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 1000 && (st.st_mode & 07777) == 0755);
	snprintf(path, sizeof(path), "%s/link", dir);
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid == 1000);
	snprintf(path, sizeof(path), "%s/hard", dir);
	CHECK(lstat(path, &st) == 0 && st.st_nlink == 2);
}

TEST(source_unpack_refuses_writing_through_a_symlink_and_names_the_entry)
{
	const struct tar_spec specs[] = {
		{ "out", AE_IFLNK, 0777, "/tmp", 0, NULL },
		{ "out/planted-by-unit-test", AE_IFREG, 0644, "x", 0, NULL },
	};
	struct berr err = { 0 };
	char dir[128];

	fresh_root();
	CHECK(unpack(specs, ARRAY_SIZE(specs), dir, sizeof(dir), &err) < 0);
	CHECK(strstr(err.msg, "Archive contains symlinks with absolute targets: 'out' -> '/tmp'") != NULL);
	CHECK(strstr(err.msg, "(entry 'out/planted-by-unit-test')") != NULL);
	CHECK(access("/tmp/planted-by-unit-test", F_OK) < 0);
}

TEST(source_unpack_bounds_each_file_and_the_whole)
{
	const struct tar_spec sparse[] = { { "huge", AE_IFREG, 0644, NULL, 8ll << 30, NULL } };
	const struct tar_spec two[] = {
		{ "a", AE_IFREG, 0644, "0123456789", 0, NULL },
		{ "b", AE_IFREG, 0644, "0123456789", 0, NULL },
	};
	struct berr err = { 0 };
	char dir[128];

	fresh_root();
	/* A declared 8 GiB (holes cost nothing in the archive): refused at the header. */
	CHECK(unpack(sparse, ARRAY_SIZE(sparse), dir, sizeof(dir), &err) < 0);
	CHECK(strstr(err.msg, "'huge'") != NULL && strstr(err.msg, "BERTH_SOURCE_MAX_FILE_BYTES") != NULL);
	fresh_root();
	setenv("BERTH_SOURCE_MAX_BYTES", "15", 1);
	memset(&err, 0, sizeof(err));
	CHECK(unpack(two, ARRAY_SIZE(two), dir, sizeof(dir), &err) < 0);
	CHECK(strstr(err.msg, "'b'") != NULL && strstr(err.msg, "BERTH_SOURCE_MAX_BYTES") != NULL);
	setenv("BERTH_SOURCE_MAX_BYTES", "lots", 1);
	fresh_root();
	memset(&err, 0, sizeof(err));
	CHECK(unpack(two, ARRAY_SIZE(two), dir, sizeof(dir), &err) < 0);
	CHECK(strstr(err.msg, "BERTH_SOURCE_MAX_BYTES") != NULL);
	unsetenv("BERTH_SOURCE_MAX_BYTES");
	fresh_root();
	CHECK(unpack(two, ARRAY_SIZE(two), dir, sizeof(dir), &err) == 0);
}

TEST(tree_digest_follows_content_not_times)
{
	char a[128], b[128], path[256], h1[LAYER_ID_HEX + 1], h2[LAYER_ID_HEX + 1], h3[LAYER_ID_HEX + 1];
	struct berr err = { 0 };
	struct timespec t[2] = { { 5, 0 }, { 5, 0 } };

	fresh_root();
	snprintf(a, sizeof(a), "%s/a", unit_root_dir);
	snprintf(b, sizeof(b), "%s/b", unit_root_dir);
	CHECK(write_tree(a, "one") == 0);
	snprintf(path, sizeof(path), "%s/.git", a);
	CHECK(mkdir(path, 0755) == 0);
	CHECK(images_tree_copy(a, b, &err) == 0);
	snprintf(path, sizeof(path), "%s/etc/one", b);
	CHECK(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(images_tree_digest(a, TREE_OWN | TREE_DROP_GIT, 1000, 1000, h1, &err) == 0);
	CHECK(images_tree_digest(b, TREE_OWN | TREE_DROP_GIT, 1000, 1000, h2, &err) == 0);
	CHECK_STR(h1, h2);
	snprintf(path, sizeof(path), "%s/.git", b);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	CHECK(lstat(path, &(struct stat){ 0 }) < 0);
	snprintf(path, sizeof(path), "%s/etc/one", b);
	CHECK(write_file(path, "two", &err) == 0);
	CHECK(images_tree_digest(b, TREE_OWN, 1000, 1000, h3, &err) == 0);
	CHECK(strcmp(h1, h3) != 0);
}

/* Every failure fills the message (err starts zeroed, as everywhere in images/). */
TEST(images_failures_always_say_what_failed)
{
	struct layer_info li;
	struct stack_info si;
	struct strv ids = { 0 };
	char hex[LAYER_ID_HEX + 1], dst[128];
	bool ok;

	fresh_root();
	snprintf(dst, sizeof(dst), "%s/copy", unit_root_dir);
#define FAILS_WITH_MESSAGE(call)                                        \
	do {                                                            \
		struct berr e_ = { 0 };                                 \
		CHECK((call) < 0);                                      \
		if (!e_.msg[0])                                         \
			fprintf(stderr, "# no message from %s\n", #call); \
		CHECK(e_.msg[0] != '\0');                              \
	} while (0)
	FAILS_WITH_MESSAGE(layer_info_load("0000000000000000000000000000000000000000000000000000000000000000", &li, &e_));
	FAILS_WITH_MESSAGE(layer_verify("0000000000000000000000000000000000000000000000000000000000000000", &ok, &e_));
	FAILS_WITH_MESSAGE(stack_info_load("nosuch", &si, &e_));
	FAILS_WITH_MESSAGE(stack_remove("nosuch", false, &e_));
	FAILS_WITH_MESSAGE(stack_import("Bad Name", "/nonexistent", NULL, &e_));
	FAILS_WITH_MESSAGE(stack_import("fine", "/nonexistent", NULL, &e_));
	FAILS_WITH_MESSAGE(image_refs_set("Bad", "x", &ids, &e_));
	FAILS_WITH_MESSAGE(image_export_stack("nosuch", "-", &e_));
	FAILS_WITH_MESSAGE(images_tree_digest("/nonexistent", 0, 0, 0, hex, &e_));
	FAILS_WITH_MESSAGE(images_tree_copy("/nonexistent", dst, &e_));
	FAILS_WITH_MESSAGE(images_tree_copy("/etc", "/nonexistent/dir", &e_));
	FAILS_WITH_MESSAGE(layer_commit_dir("/nonexistent", "test", hex, &e_));
	{
		int fd = memfd_create("garbage", MFD_CLOEXEC), dfd = open(unit_root_dir, O_PATH | O_DIRECTORY);
		size_t n;

		CHECK(write(fd, "garbage, not an archive", 23) == 23 && lseek(fd, 0, SEEK_SET) == 0);
		FAILS_WITH_MESSAGE(archive_unpack_source(fd, dfd, 0, 0, &n, &e_));
		close(fd);
		close(dfd);
	}
}

/* ---- leases: owned by an operation, alive while its holder's lock is ---- */

static int count_leases(void)
{
	char dir[128];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/leases", unit_root_dir);
	d = opendir(dir);
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

TEST(an_operation_lease_holds_its_layers_until_it_ends)
{
	char dir[128], id[LAYER_ID_HEX + 1];
	struct strv freed = { 0 };
	struct images_lease *lease = NULL;
	struct berr err = { 0 };
	uint64_t bytes;

	fresh_root();
	snprintf(dir, sizeof(dir), "%s/up", unit_root_dir);
	CHECK(write_tree(dir, "f") == 0);
	CHECK(images_lease_begin(&lease, &err) == 0);
	CHECK(layer_commit_dir_leased(dir, "build", lease, id, &err) == 0);
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 0);
	CHECK(layer_leased(id));
	images_lease_end(lease);
	CHECK(count_leases() == 0);
	CHECK(!layer_leased(id));
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 1);
	strv_free(&freed);
}

TEST(a_dead_holders_lease_is_told_by_its_free_lock_not_its_pid)
{
	char dir[128], id[LAYER_ID_HEX + 1], path[256];
	struct strv freed = { 0 };
	struct berr err = { 0 };
	uint64_t bytes;
	int status = -1, fd;
	pid_t pid;

	fresh_root();
	snprintf(dir, sizeof(dir), "%s/up", unit_root_dir);
	CHECK(write_tree(dir, "f") == 0);
	/* A maker that dies between commit and reference. */
	pid = fork();
	if (pid == 0) {
		struct images_lease *lease;

		if (images_lease_begin(&lease, &err) < 0 || layer_commit_dir_leased(dir, "build", lease, id, &err) < 0)
			_exit(1);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
	CHECK(count_leases() == 1);
	/* A lease named after a pid that is alive (ours) means nothing either. */
	snprintf(path, sizeof(path), "%s/leases/%064d.%d", unit_root_dir, 0, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 1);
	CHECK(count_leases() == 0);
	strv_free(&freed);
}
