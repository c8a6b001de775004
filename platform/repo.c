/* repo.c - repo:purge-cache: the app's build cache ($BERTH_ROOT/apps/<app>/cache,
 * the build container's /tmp/cache) emptied, so that the next build starts
 * clean. Under the deploy lock: a build that runs keeps its cache until it
 * ends (the purge is refused meanwhile, with the lock's message). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "platform/internal.h"

int app_cache_purge(const char *app, bool *done, uint64_t *bytes, struct berr *err)
{
	autofree char *dir = NULL;
	autoclose int lock = -1;
	autoclose int fd = -1;
	autoclosedir DIR *d = NULL;
	struct dirent *e;

	*done = false;
	*bytes = 0;
	if (app_require(app, err) < 0 || app_deploy_lock_take(app, 0, NULL, &lock, err) < 0)
		return -1;
	dir = app_path(app, "cache");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : berr_sys(err, "open the build cache %s", dir);
	*bytes = path_disk_bytes(dir);
	/* The directory stays, with its owner (the build user) and mode. */
	d = fdopendir(dup(fd));
	if (!d)
		return berr_sys(err, "read the build cache %s", dir);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (rm_rf_at(fd, e->d_name, err) < 0)
			return berr_prefix(err, "purge the build cache of %s", app);
		*done = true;
	}
	return 0;
}
