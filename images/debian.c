/* debian.c - `stacks:create debian`: a Debian root filesystem made by debootstrap
 * (minbase), for apps that need real packages (python3, nodejs, ...).
 *
 * debootstrap runs in a private mount namespace (it mounts /proc and /sys in its
 * target; those mounts die with it, even when it fails) into scratch space on the
 * store's filesystem, so the finished tree is renamed into the layer store rather
 * than copied. Device nodes it made in /dev and the package caches are dropped: the
 * runtime gives each container its own /dev, and caches only make the layer big. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "images/internal.h"

#define DEFAULT_SUITE "bookworm"
#define DEFAULT_MIRROR "http://deb.debian.org/debian"

static const char *find_debootstrap(void)
{
	static const char *const paths[] = { "/usr/sbin/debootstrap", "/sbin/debootstrap", "/usr/bin/debootstrap" };
	const char *env = getenv("BERTH_DEBOOTSTRAP");  /* tests use a stand-in */

	if (env && *env)
		return access(env, X_OK) == 0 ? env : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

static int check_options(const char *suite, const char *include, const char *mirror, struct berr *err)
{
	if (!*suite || strspn(suite, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(suite))
		return berr_fail(err, "--suite '%s': use a Debian suite name such as bookworm", suite);
	if (include && (!*include || strspn(include, "abcdefghijklmnopqrstuvwxyz0123456789.+-,") != strlen(include)))
		return berr_fail(err, "--include '%s': use package names separated by commas", include);
	if (!str_has_prefix(mirror, "http://") && !str_has_prefix(mirror, "https://") &&
	    !str_has_prefix(mirror, "file:///"))
		return berr_fail(err, "--mirror '%s': use an http://, https:// or file:/// URL", mirror);
	return 0;
}

struct run_log {
	const struct images_progress *progress;
	char *last_error;   /* debootstrap's last "E: " line */
};

static void log_line(void *arg, const char *line)
{
	struct run_log *l = arg;

	if (str_has_prefix(line, "E: ")) {
		free(l->last_error);
		l->last_error = xstrdup(line + 3);
	}
	progress_say(l->progress, "%s", line);
}

/* Empty dir_name inside root without following symlinks. */
static void empty_dir(const char *root, const char *dir_name)
{
	autofree char *path = xasprintf("%s/%s", root, dir_name);
	autoclosedir DIR *d = opendir(path);
	struct dirent *de;
	struct berr ignored = { 0 };

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "partial") &&
		    strcmp(de->d_name, "lock"))
			rm_rf_at(dirfd(d), de->d_name, &ignored);
}

/* The runtime's default user (1000) gets a name and a home, as in the busybox stack. */
static int add_app_user(const char *root, struct berr *err)
{
	autofree char *passwd = xasprintf("%s/etc/passwd", root);
	autofree char *group = xasprintf("%s/etc/group", root);
	autofree char *home = xasprintf("%s/home/app", root);
	autofree char *text = NULL;
	autofree char *more = NULL;

	if (read_file(passwd, &text, NULL, err) < 0)
		return -1;
	if (strstr(text, ":x:1000:"))
		return 0;
	more = xasprintf("%sapp:x:1000:1000:app:/home/app:/bin/sh\n", text);
	if (write_file_atomic(passwd, more, strlen(more), 0644, err) < 0)
		return -1;
	free(text);
	free(more);
	text = more = NULL;
	if (read_file(group, &text, NULL, err) < 0)
		return -1;
	more = xasprintf("%sapp:x:1000:\n", text);
	if (write_file_atomic(group, more, strlen(more), 0644, err) < 0)
		return -1;
	if (mkdir_p(home, 0755, err) < 0)
		return -1;
	if (lchown(home, 1000, 1000) < 0)
		return berr_sys(err, "create %s", home);
	return 0;
}

int stack_create_debian(const char *name, const struct debian_options *opts,
			const struct images_progress *progress, struct berr *err)
{
	const char *suite = opts->suite ? opts->suite : DEFAULT_SUITE;
	const char *mirror = opts->mirror ? opts->mirror : DEFAULT_MIRROR;
	struct run_log log = { .progress = progress };
	struct stack_record rec = { 0 };
	autofree char *scratch = NULL, *target = NULL, *include = NULL, *origin = NULL;
	const char *debootstrap;
	char id[LAYER_ID_HEX + 1];
	struct images_lease *lease = NULL;
	struct berr ignored = { 0 };
	int r = -1;

	if (stack_name_available(name, err) < 0 || check_options(suite, opts->include, mirror, err) < 0)
		return -1;
	debootstrap = find_debootstrap();
	if (!debootstrap)
		return berr_fail(err, "debootstrap is not installed; install it with 'apt-get install debootstrap'");
	if (store_mkdirs(err) < 0)
		return -1;
	scratch = store_path("tmp/debian-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(scratch))
		return berr_sys(err, "create scratch directory %s", scratch);
	target = xasprintf("%s/rootfs", scratch);
	progress_say(progress, "debootstrap --variant=minbase %s from %s", suite, mirror);
	{
		char *argv[8];
		int n = 0;

		argv[n++] = (char *)debootstrap;
		argv[n++] = "--variant=minbase";
		if (opts->include) {
			include = xasprintf("--include=%s", opts->include);
			argv[n++] = include;
		}
		argv[n++] = (char *)suite;
		argv[n++] = target;
		argv[n++] = (char *)mirror;
		argv[n] = NULL;
		if (spawn_lines(argv, SPAWN_STDERR | SPAWN_PRIVATE_MOUNTS, log_line, &log, err) < 0) {
			if (log.last_error && (strstr(log.last_error, "release file") || strstr(log.last_error, "download") ||
					       strstr(log.last_error, "Release")))
				berr_fail(err, "no Debian mirror reachable at %s (%s); pass --mirror URL of one that is",
					  mirror, log.last_error);
			else if (log.last_error)
				berr_fail(err, "debootstrap %s from %s failed: %s", suite, mirror, log.last_error);
			goto out;
		}
	}
	empty_dir(target, "dev");
	empty_dir(target, "var/cache/apt/archives");
	empty_dir(target, "var/lib/apt/lists");
	if (add_app_user(target, err) < 0)
		goto out;
	origin = xasprintf("stacks:create debian %s (minbase%s%s) from %s", suite, opts->include ? ", " : "",
			   opts->include ? opts->include : "", mirror);
	if (images_lease_begin(&lease, err) < 0 ||
	    layer_commit_dir_leased(target, origin, lease, id, err) < 0)
		goto out;
	rec.name = (char *)name;
	strv_push(&rec.layers, id);
	strv_setenv(&rec.config.env, "PATH", STACK_DEFAULT_PATH);
	rec.created = now_rfc3339();
	rec.origin = origin;
	r = stack_save(&rec, err);
	free(rec.created);
	strv_free(&rec.layers);
	strv_free(&rec.config.env);
	if (r == 0)
		progress_say(progress, "layer %.12s", id);
out:
	images_lease_end(lease);
	rm_rf(scratch, &ignored);
	free(log.last_error);
	return r;
}
