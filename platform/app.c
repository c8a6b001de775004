/* app.c - the app handle: open an app once, hold its state lock around a
 * read-modify-write of its state, and destroy it.
 *
 * The state lock (flock on state.lock in the app's directory) guards config.json
 * and settings.json. It is separate from deploy.lock, which a build holds for
 * minutes: config:set never waits for a build, only for another short edit. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "images/images.h"
#include "platform/platform.h"

#define STATE_LOCK "state.lock"

int app_open(const char *name, int flags, struct app *app, struct berr *err)
{
	autofree char *dir = NULL;

	memset(app, 0, sizeof(*app));
	app->dirfd = app->lock_fd = -1;
	if (app_require(name, err) < 0)
		return -1;
	dir = app_path(name, NULL);
	app->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (app->dirfd < 0) {
		if (errno == ENOENT)
			return berr_fail(err, "App %s does not exist", name);
		return berr_sys(err, "open %s", dir);
	}
	app->name = xstrdup(name);
	if ((flags & APP_LOCKED) && app_lock(app, err) < 0)
		goto fail;
	/* Loaded after the lock is taken, so that what is saved under it is what
	 * was read under it. */
	if (app_settings_load(name, &app->settings, err) < 0)
		goto fail;
	return 0;
fail:
	app_close(app);
	return -1;
}

void app_close(struct app *app)
{
	app_unlock(app);
	if (app->dirfd >= 0)
		close(app->dirfd);
	app->dirfd = -1;
	free(app->name);
	app->name = NULL;
	app_settings_free(&app->settings);
}

int app_lock(struct app *app, struct berr *err)
{
	int fd;

	if (app->lock_fd >= 0)
		return 0;
	/* An O_PATH directory fd is enough for openat(). */
	fd = openat(app->dirfd, STATE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berr_sys(err, "open the state lock of app %s", app->name);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return berr_sys(err, "lock the state of app %s", app->name);
		}
	}
	app->lock_fd = fd;
	return 0;
}

void app_unlock(struct app *app)
{
	if (app->lock_fd >= 0)
		close(app->lock_fd);
	app->lock_fd = -1;
}

int app_save(struct app *app, struct berr *err)
{
	if (app->lock_fd < 0)
		return berr_fail(err, "app %s: settings saved without the state lock (a bug)", app->name);
	return app_settings_save(app->name, &app->settings, err);
}

/* Every release holds its layers through a "release" reference named APP/vN. */
static void drop_release_refs_in(const char *appdir, const char *app)
{
	autofree char *dir = xasprintf("%s/releases", appdir);
	autoclosedir DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		unsigned v;
		char tail;

		if (sscanf(e->d_name, "v%u.jso%c", &v, &tail) == 2 && tail == 'n') {
			autofree char *ref = xasprintf("%s/v%u", app, v);
			struct berr ignored;

			image_refs_drop("release", ref, &ignored);
		}
	}
}

int app_destroy(const char *name, struct berr *err)
{
	struct app app;
	autoclose int deploy = -1;
	autofree char *dir = NULL;
	autofree char *grave = NULL;
	struct berr ignored;

	if (app_open(name, APP_LOCKED, &app, err) < 0)
		return -1;
	/* Not while a deploy runs: it would write into a directory being removed. */
	if (app_lock_deploy(name, &deploy, err) < 0) {
		app_close(&app);
		return -1;
	}
	dir = app_path(name, NULL);
	grave = xasprintf("%s/apps/.destroy-%s.%d", berth_root(), name, (int)getpid());
	/* Renamed first: the app is gone at once and whole, then removed at leisure. */
	if (rename(dir, grave) < 0) {
		berr_sys(err, "remove %s", dir);
		app_close(&app);
		return -1;
	}
	app_close(&app);
	drop_release_refs_in(grave, name);
	image_refs_drop("deploy", name, &ignored);
	return rm_rf(grave, err);
}
