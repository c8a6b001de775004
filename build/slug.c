/* slug.c - the build layer: what the build container left in /app.
 *
 * The build container's writable layer (kept by the runtime) holds everything the
 * buildpacks wrote. Only /app becomes the build layer, as only the slug becomes a
 * Heroku release; /tmp and berth's mount points are dropped. The upper is content
 * the build controlled, so it is handled with *at() calls that never follow a
 * symlink out of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/cleanup.h"
#include "common/fs.h"

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

/* Open (creating if needed) directory name in dirfd, owned by the build user. A
 * whiteout in its place (the build deleted it) becomes an opaque directory. */
static int open_build_dir(int dirfd, const char *name, struct berr *err)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && is_whiteout(&st)) {
		if (unlinkat(dirfd, name, 0) < 0)
			return berr_sys(err, "replace whiteout %s", name);
		if (mkdirat(dirfd, name, 0755) < 0)
			return berr_sys(err, "create %s", name);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) < 0) {
			if (fd >= 0)
				close(fd);
			return berr_sys(err, "mark %s opaque", name);
		}
	} else {
		if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
			return berr_sys(err, "create %s", name);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return berr_sys(err, "%s is not a directory (the build replaced it)", name);
	}
	if (fchown(fd, BUILD_UID, BUILD_UID) < 0) {
		close(fd);
		return berr_sys(err, "chown %s", name);
	}
	return fd;
}

/* A value for `export K="..."`: $ stays live (Heroku's config_vars may say
 * "$HOME/bin"), while ", \ and ` are escaped. */
static char *sh_dquote(const char *v)
{
	char *out = xmalloc(strlen(v) * 2 + 1), *o = out;

	for (; *v; v++) {
		if (*v == '"' || *v == '\\' || *v == '`')
			*o++ = '\\';
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

static int write_config_vars(int appfd, const struct strv *vars, struct berr *err)
{
	autoclose int pd = open_build_dir(appfd, ".profile.d", err);
	autoclose int fd = -1;
	autofree char *text = xstrdup("# Default config vars from the buildpacks (bin/release).\n");
	struct stat st;

	if (pd < 0)
		return berr_prefix(err, "/app/.profile.d");
	if (fstatat(pd, "00_config_vars.sh", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
	    unlinkat(pd, "00_config_vars.sh", 0) < 0)
		return berr_sys(err, "replace /app/.profile.d/00_config_vars.sh");
	for (size_t i = 0; i < vars->n; i++) {
		const char *eq = strchr(vars->v[i], '=');
		autofree char *key = eq ? xstrndup(vars->v[i], eq - vars->v[i]) : NULL;
		autofree char *val = eq ? sh_dquote(eq + 1) : NULL;
		char *next;

		if (!key)
			continue;
		/* The app's own config wins over a buildpack's default. */
		next = xasprintf("%sexport %s=\"${%s:-%s}\"\n", text, key, key, val);
		free(text);
		text = next;
	}
	fd = openat(pd, "00_config_vars.sh", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return berr_sys(err, "create /app/.profile.d/00_config_vars.sh");
	if (write_all(fd, text, strlen(text), "/app/.profile.d/00_config_vars.sh", err) < 0)
		return -1;
	if (fchown(fd, BUILD_UID, BUILD_UID) < 0)
		return berr_sys(err, "chown /app/.profile.d/00_config_vars.sh");
	return 0;
}

int slug_commit(const char *upper, const char *work, const struct strv *config_vars,
		struct images_lease *lease, char id[LAYER_ID_HEX + 1], struct berr *err)
{
	autofree char *commit = xasprintf("%s/commit", work);
	autofree char *from = xasprintf("%s/app", upper);
	autofree char *to = xasprintf("%s/app", commit);
	struct stat st;

	if (mkdir(commit, 0755) < 0)
		return berr_sys(err, "create %s", commit);
	if (lstat(from, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return berr_fail(err, "the build replaced /app with something other than a directory");
		if (rename(from, to) < 0)
			return berr_sys(err, "move %s to %s", from, to);
	}
	if (config_vars->n) {
		autoclose int cfd = open(commit, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		autoclose int appfd = cfd < 0 ? -1 : open_build_dir(cfd, "app", err);

		if (cfd < 0)
			return berr_sys(err, "open %s", commit);
		if (appfd < 0 || write_config_vars(appfd, config_vars, err) < 0)
			return -1;
	}
	return lease ? layer_commit_dir_leased(commit, "build", lease, id, err)
		     : layer_commit_dir(commit, "build", id, err);
}
