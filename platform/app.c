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
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "images/images.h"
#include "platform/internal.h"

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

int platform_flock_at(int dirfd, const char *name, int *fd, struct berr *err)
{
	int lock = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (lock < 0)
		return berr_sys(err, "open lock %s", name);
	while (flock(lock, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(lock);
			return berr_sys(err, "lock %s", name);
		}
	}
	*fd = lock;
	return 0;
}

int app_lock(struct app *app, struct berr *err)
{
	autofree char *dir = NULL;
	struct stat held, now;
	int fd;

	if (app->lock_fd >= 0)
		return 0;
	/* An O_PATH directory fd is enough for openat(). */
	if (platform_flock_at(app->dirfd, STATE_LOCK, &fd, err) < 0)
		return berr_prefix(err, "app %s", app->name);
	/* apps:destroy renames the directory away under this lock: once it is
	 * ours, the directory we opened must still be the app's. */
	dir = app_path(app->name, NULL);
	if (fstat(app->dirfd, &held) < 0 || stat(dir, &now) < 0 || held.st_ino != now.st_ino ||
	    held.st_dev != now.st_dev) {
		close(fd);
		return berr_fail(err, "App %s does not exist", app->name);
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

int app_settings_edit(struct app *app,
		      int (*edit)(struct app_settings *s, void *ctx, struct berr *err), void *ctx,
		      struct berr *err)
{
	bool took = app->lock_fd < 0;
	struct app_settings fresh;
	int r;

	if (took && app_lock(app, err) < 0)
		return -1;
	/* Read again under the lock: what app_open() read may be stale. */
	r = app_settings_load(app->name, &fresh, err);
	if (r == 0) {
		app_settings_free(&app->settings);
		app->settings = fresh;
		r = edit(&app->settings, ctx, err);
	}
	if (r == 0)
		r = app_save(app, err);
	if (took)
		app_unlock(app);
	return r;
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

int app_remove_files(const char *name, struct berr *err)
{
	struct app app;
	autofree char *dir = NULL;
	autofree char *grave = NULL;
	struct berr ignored;

	if (app_open(name, APP_LOCKED, &app, err) < 0)
		return -1;
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

int app_json_set(const char *app, const char *file, const char *key, const char *value,
		 struct berr *err)
{
	autofree char *path = NULL;
	struct app a;
	int r;

	if (app_open(app, APP_LOCKED, &a, err) < 0)
		return -1;
	path = app_path(app, file);
	r = json_file_set_str(path, key, value, err);
	app_close(&a);
	return r;
}

char *app_json_get(const char *app, const char *file, const char *key)
{
	autofree char *path = app_path(app, file);
	struct berr ignored;
	json_t *obj;
	const char *v;
	char *out = NULL;

	if (json_file_load(path, &obj, &ignored) < 0 || !obj)
		return NULL;
	if ((v = json_get_str(obj, key)) && *v)
		out = xstrdup(v);
	json_decref(obj);
	return out;
}

