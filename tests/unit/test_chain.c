/* Unit tests for images/chain.c: layers over layers (ids covering the parent,
 * chains, verify), the merged-tree lookup overlayfs would do, and gc keeping
 * what a kept layer sits on. Needs root (whiteouts are device nodes). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/fs.h"
#include "images/images.h"
#include "tests/unit/unit.h"

static void fresh_root(void)
{
	unit_fresh_root("chain");
}

static void put(const char *dir, const char *rel, char type)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	switch (type) {
	case 'd':
		mkdir(path, 0755);
		break;
	case 'o':
		mkdir(path, 0755);
		setxattr(path, "user.overlay.opaque", "y", 1, 0);
		break;
	case 'w':
		mknod(path, S_IFCHR | 0600, makedev(0, 0));
		break;
	default:
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			if (write(fd, rel, strlen(rel)) < 0)
				abort();
			close(fd);
		}
	}
}

/* Which layer (0 bottom) the merged tree of dirs takes path from; -1: absent. */
static int found_in(const struct strv *dirs, const char *path)
{
	struct berr err = { 0 };
	size_t at = 0;
	int r = layers_find(dirs, path, &at, &err);

	return r < 0 ? -2 : r == 0 ? -1 : (int)at;
}

TEST(layers_find_reads_whiteouts_opaque_dirs_and_replaced_types_as_overlayfs)
{
	char base[] = "/tmp/berth-unit-find.XXXXXX";
	char l0[128], l1[128], l2[128];
	struct strv dirs = { 0 };
	struct berr err = { 0 };

	if (!mkdtemp(base))
		abort();
	snprintf(l0, sizeof(l0), "%s/0", base);
	snprintf(l1, sizeof(l1), "%s/1", base);
	snprintf(l2, sizeof(l2), "%s/2", base);
	put(base, "0", 'd'), put(base, "1", 'd'), put(base, "2", 'd');
	put(l0, "a", 'd'), put(l0, "a/keep", 'f'), put(l0, "a/gone", 'f'), put(l0, "d", 'd'),
		put(l0, "d/x", 'f'), put(l0, "f", 'f'), put(l0, "o", 'd'), put(l0, "o/old", 'f');
	/* 1: a/gone deleted, d becomes a file, f a directory (opaque), o emptied. */
	put(l1, "a", 'd'), put(l1, "a/gone", 'w'), put(l1, "d", 'f'), put(l1, "f", 'o'),
		put(l1, "f/in", 'f'), put(l1, "o", 'o');
	/* 2: a/gone comes back, a/keep changes. */
	put(l2, "a", 'd'), put(l2, "a/gone", 'f'), put(l2, "a/keep", 'f');
	strv_push(&dirs, l0);
	strv_push(&dirs, l1);
	strv_push(&dirs, l2);
	CHECK(found_in(&dirs, "a/keep") == 2);
	CHECK(found_in(&dirs, "a/gone") == 2);
	CHECK(found_in(&dirs, "d") == 1);
	CHECK(found_in(&dirs, "d/x") == -1);
	CHECK(found_in(&dirs, "f/in") == 1);
	CHECK(found_in(&dirs, "o/old") == -1);
	CHECK(found_in(&dirs, "nothing") == -1);
	dirs.n = 2;  /* without layer 2: a/gone is deleted */
	CHECK(found_in(&dirs, "a/gone") == -1);
	CHECK(found_in(&dirs, "a/keep") == 0);
	dirs.n = 3;
	strv_free(&dirs);
	rm_rf(base, &err);
}

TEST(a_layer_over_a_parent_has_an_id_covering_the_parent_and_verifies)
{
	char a[128], b[128], c[128], ida[LAYER_ID_HEX + 1], idb[LAYER_ID_HEX + 1],
		idc[LAYER_ID_HEX + 1];
	struct strv chain = { 0 };
	struct layer_info info;
	struct berr err = { 0 };
	bool ok = false;

	fresh_root();
	snprintf(a, sizeof(a), "%s/a", unit_root_dir);
	snprintf(b, sizeof(b), "%s/b", unit_root_dir);
	snprintf(c, sizeof(c), "%s/c", unit_root_dir);
	put(unit_root_dir, "a", 'd'), put(a, "x", 'f');
	put(unit_root_dir, "b", 'd'), put(b, "y", 'f'), put(b, "x", 'w');
	put(unit_root_dir, "c", 'd'), put(c, "y", 'f'), put(c, "x", 'w');
	CHECK(layer_commit_dir(a, "a", ida, &err) == 0);
	CHECK(layer_commit_dir_on(b, "b", ida, NULL, idb, &err) == 0);
	/* The same changes without the parent: another layer. */
	CHECK(layer_commit_dir(c, "c", idc, &err) == 0);
	CHECK(strcmp(idb, idc) != 0);
	CHECK(layer_chain(idb, &chain, &err) == 0 && chain.n == 2);
	CHECK(chain.n == 2 && !strcmp(chain.v[0], ida) && !strcmp(chain.v[1], idb));
	CHECK(layer_verify(idb, &ok, &err) == 0 && ok);
	CHECK(layer_info_load(idb, &info, &err) == 0);
	CHECK_STR(info.parent, ida);
	layer_info_release(&info);
	strv_free(&chain);
	/* A parent that is not in the store is refused. */
	put(unit_root_dir, "b", 'd');
	CHECK(layer_commit_dir_on(b, "b", "0000000000000000000000000000000000000000000000000000000000000000",
				  NULL, idb, &err) < 0);
}

TEST(gc_keeps_the_layers_a_kept_layer_sits_on)
{
	char a[128], b[128], ida[LAYER_ID_HEX + 1], idb[LAYER_ID_HEX + 1];
	struct images_lease *la = NULL, *lb = NULL;
	struct strv freed = { 0 };
	struct berr err = { 0 };
	uint64_t bytes;

	fresh_root();
	snprintf(a, sizeof(a), "%s/a", unit_root_dir);
	snprintf(b, sizeof(b), "%s/b", unit_root_dir);
	put(unit_root_dir, "a", 'd'), put(a, "x", 'f');
	put(unit_root_dir, "b", 'd'), put(b, "y", 'f');
	CHECK(images_lease_begin(&la, &err) == 0 && images_lease_begin(&lb, &err) == 0);
	CHECK(layer_commit_dir_leased(a, "a", la, ida, &err) == 0);
	CHECK(layer_commit_dir_on(b, "b", ida, lb, idb, &err) == 0);
	/* a is neither referenced nor leased any more; b, leased, sits on it. */
	images_lease_end(la);
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 0);
	CHECK(layer_exists(ida) && layer_exists(idb));
	/* Referenced instead of leased: the same. */
	{
		struct strv ids = { 0 };

		strv_push(&ids, idb);
		CHECK(image_refs_set("release", "app/v1", &ids, &err) == 0);
		strv_free(&ids);
	}
	images_lease_end(lb);
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 0);
	CHECK(image_refs_drop("release", "app/v1", &err) == 0);
	CHECK(images_gc(NULL, &freed, &bytes, &err) == 0 && freed.n == 2);
	strv_free(&freed);
}
