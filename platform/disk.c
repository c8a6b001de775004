/* disk.c - what an app and the layer store take on disk (berth report): an
 * app's source repository, the layers of its releases, its build cache, its
 * logs; the store's layers, with those only stacks use, and those nothing uses
 * (images:gc removes them). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "images/images.h"
#include "platform/daemon.h"
#include "platform/internal.h"

/* Bytes the tree at dirfd/name takes on disk (its blocks), not following links. */
static uint64_t tree_bytes_at(int at, const char *name, int depth)
{
	struct stat st;
	uint64_t total;
	int fd;
	DIR *d;
	struct dirent *de;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	total = (uint64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode) || depth > 64)
		return total;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return total;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			total += tree_bytes_at(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return total;
}

uint64_t path_disk_bytes(const char *path)
{
	return tree_bytes_at(AT_FDCWD, path, 0);
}

/* The layers app's releases name that no stack has: its own (shared between
 * its releases, counted once). */
static int app_layers(const char *app, struct strv *ids, struct berr *err)
{
	autofree unsigned *v = NULL;
	size_t n;

	if (release_versions(app, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct release rel;
		struct berr ignored;

		if (release_load(app, v[i], &rel, &ignored) < 0)
			continue;
		for (size_t k = 0; k < rel.layers.n; k++)
			strv_push(ids, rel.layers.v[k]);
		release_free(&rel);
	}
	strv_sort(ids);
	/* Drop duplicates and stack layers (counted once, for the store). */
	for (size_t i = 0; i < ids->n;) {
		struct layer_info info;
		struct berr ignored;
		bool drop = i > 0 && !strcmp(ids->v[i], ids->v[i - 1]);

		if (!drop && layer_info_load(ids->v[i], &info, &ignored) == 0) {
			for (size_t u = 0; u < info.users.n && !drop; u++)
				drop = str_has_prefix(info.users.v[u], "stack:");
			layer_info_release(&info);
		}
		if (drop)
			strv_remove_at(ids, i);
		else
			i++;
	}
	return 0;
}

int app_disk_usage(const char *app, struct app_disk *u, struct berr *err)
{
	autofree char *repo = app_path(app, "repo.git");
	autofree char *cache = app_path(app, "cache");
	autofree char *dir = app_path(app, NULL);
	autofree char *logs = logs_dir(app);
	autofree unsigned *v = NULL;
	struct strv ids = { 0 };
	size_t n;

	memset(u, 0, sizeof(*u));
	if (app_require(app, err) < 0 || app_layers(app, &ids, err) < 0 ||
	    release_versions(app, &v, &n, err) < 0) {
		strv_free(&ids);
		return -1;
	}
	u->releases = n;
	u->source = path_disk_bytes(repo);
	u->cache = path_disk_bytes(cache);
	u->logs = path_disk_bytes(logs);
	u->state = path_disk_bytes(dir) - u->source - u->cache;
	for (size_t i = 0; i < ids.n; i++) {
		struct layer_info info;
		struct berr ignored;

		if (layer_info_load(ids.v[i], &info, &ignored) == 0) {
			u->layers += info.size;
			layer_info_release(&info);
		}
	}
	u->nlayers = ids.n;
	strv_free(&ids);
	return 0;
}

int store_disk_usage(struct store_disk *u, struct berr *err)
{
	struct strv ids = { 0 };

	memset(u, 0, sizeof(*u));
	if (layer_list(&ids, err) < 0)
		return -1;
	for (size_t i = 0; i < ids.n; i++) {
		struct layer_info info;
		struct berr ignored;
		bool stack = false;

		if (layer_info_load(ids.v[i], &info, &ignored) < 0)
			continue;
		for (size_t k = 0; k < info.users.n && !stack; k++)
			stack = str_has_prefix(info.users.v[k], "stack:");
		u->layers += info.size;
		u->nlayers++;
		if (stack) {
			u->stacks += info.size;
			u->nstacks++;
		} else if (info.users.n == 0 && !info.leased) {
			u->unused += info.size;
			u->nunused++;
		}
		layer_info_release(&info);
	}
	strv_free(&ids);
	return 0;
}
