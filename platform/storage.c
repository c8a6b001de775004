/* storage.c - persistent storage: host directories bound into an app's
 * containers (storage:mount, storage:unmount, storage:list).
 *
 * Only paths under the storage root the operator allowed (BERTH_STORAGE_ROOT,
 * default $BERTH_ROOT/storage) may be mounted, and only as they are: no "." or
 * ".." component and no symlink anywhere below the root (the path must be its
 * own realpath). Checked when mounted and again at every process start, so a
 * symlink put there later is refused too. Stored in the app's settings as
 * "/host:/container[:ro]"; release_spec() adds them as binds.
 * storage:ensure-directory makes a directory right under the root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/paths.h"
#include "platform/internal.h"

char *storage_root(void)
{
	const char *env = getenv("BERTH_STORAGE_ROOT");

	if (env && *env)
		return xstrdup(env);
	return xasprintf("%s/storage", berth_root());
}

/* Absolute, no empty, "." or ".." component, no ':' (the separator). */
static bool path_plain(const char *p)
{
	if (p[0] != '/' || strchr(p, ':'))
		return false;
	for (const char *c = p + 1; *c;) {
		size_t len = strcspn(c, "/");

		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && !strncmp(c, "..", 2)))
			return false;
		c += len;
		if (*c == '/' && *++c == '\0')
			return false;  /* trailing slash */
	}
	return true;
}

int storage_host_check(const char *host, struct berr *err)
{
	autofree char *root = storage_root();
	autofree char *root_real = NULL, *host_real = NULL;
	const char *tail = NULL;
	size_t n;

	if (!path_plain(host))
		return berr_fail(err, "Storage path %s must be an absolute path without '.', '..', '//' or ':'",
				 host);
	root_real = realpath(root, NULL);
	if (!root_real)
		return berr_sys(err, "storage root %s (BERTH_STORAGE_ROOT): create it to allow mounts under it",
				root);
	n = strlen(root);
	if (!strncmp(host, root, n) && host[n] == '/')
		tail = host + n;
	n = strlen(root_real);
	if (!tail && !strncmp(host, root_real, n) && host[n] == '/')
		tail = host + n;
	if (!tail || tail[1] == '\0')
		return berr_fail(err, "Storage path %s is outside %s, the directory allowed for storage (BERTH_STORAGE_ROOT)",
				 host, root);
	host_real = realpath(host, NULL);
	if (!host_real) {
		if (errno == ENOENT)
			return berr_fail(err, "Storage path %s does not exist; create it first", host);
		return berr_sys(err, "storage path %s", host);
	}
	/* Nothing below the root may be a symlink: the real path is the path. */
	if (strncmp(host_real, root_real, n) || strcmp(host_real + n, tail))
		return berr_fail(err, "Storage path %s goes through a symlink (to %s): refused", host,
				 host_real);
	return 0;
}

int storage_parse(const char *spec, struct runtime_bind *b, struct berr *err)
{
	autofree char *copy = xstrdup(spec);
	char *host = copy, *container = strchr(copy, ':'), *opt = NULL;

	memset(b, 0, sizeof(*b));
	if (!container)
		return berr_fail(err, "Storage path must be HOST_PATH:CONTAINER_PATH[:ro], not '%s'", spec);
	*container++ = '\0';
	if ((opt = strchr(container, ':'))) {
		*opt++ = '\0';
		if (strcmp(opt, "ro") && strcmp(opt, "rw"))
			return berr_fail(err, "Storage option '%s' in %s: use ro or rw", opt, spec);
	}
	if (!path_plain(container) || !strcmp(container, "/"))
		return berr_fail(err, "Container path %s must be an absolute path without '.' or '..' below /",
				 container);
	b->src = xstrdup(host);
	b->dst = xstrdup(container);
	b->ro = opt && !strcmp(opt, "ro");
	return 0;
}

static char *storage_canonical(const struct runtime_bind *b)
{
	return xasprintf("%s:%s%s", b->src, b->dst, b->ro ? ":ro" : "");
}

struct storage_edit {
	const struct runtime_bind *b;
	bool mount;
};

static int storage_edit(struct app_settings *s, void *ctx, struct berr *err)
{
	const struct storage_edit *e = ctx;
	autofree char *entry = storage_canonical(e->b);

	for (size_t i = 0; i < s->storage.n; i++) {
		struct runtime_bind old;
		struct berr ignored;
		bool same_dst = storage_parse(s->storage.v[i], &old, &ignored) == 0 &&
				!strcmp(old.dst, e->b->dst);
		bool same = same_dst && !strcmp(old.src, e->b->src);

		free(old.src);
		free(old.dst);
		if (e->mount && same_dst)
			return berr_fail(err, "Mount path already exists: %s is mounted on %s", s->storage.v[i],
					 e->b->dst);
		if (!e->mount && same) {
			strv_remove_at(&s->storage, i);
			return 0;
		}
	}
	if (!e->mount)
		return berr_fail(err, "Mount path does not exist: %s:%s", e->b->src, e->b->dst);
	strv_push(&s->storage, entry);
	return 0;
}

int storage_mount(struct app *app, const char *spec, struct berr *err)
{
	struct runtime_bind b;
	struct storage_edit e = { &b, true };
	int r;

	if (storage_parse(spec, &b, err) < 0)
		return -1;
	r = storage_host_check(b.src, err);
	if (r == 0)
		r = app_settings_edit(app, storage_edit, &e, err);
	free(b.src);
	free(b.dst);
	return r;
}

int storage_unmount(struct app *app, const char *spec, struct berr *err)
{
	struct runtime_bind b;
	struct storage_edit e = { &b, false };
	int r;

	if (storage_parse(spec, &b, err) < 0)
		return -1;
	r = app_settings_edit(app, storage_edit, &e, err);
	free(b.src);
	free(b.dst);
	return r;
}

int storage_apply(const struct app_settings *s, struct runtime_spec *spec, struct berr *err)
{
	for (size_t i = 0; i < s->storage.n; i++) {
		struct runtime_bind b;

		if (storage_parse(s->storage.v[i], &b, err) < 0)
			return -1;
		if (storage_host_check(b.src, err) < 0) {
			free(b.src);
			free(b.dst);
			return -1;
		}
		spec->binds = xrealloc(spec->binds, (spec->nbinds + 1) * sizeof(*spec->binds));
		spec->binds[spec->nbinds++] = b;
	}
	return 0;
}

int storage_ensure_directory(const char *name, long owner, char **path, struct berr *err)
{
	autofree char *root = storage_root();
	autoclose int rootfd = -1;
	autoclose int fd = -1;
	size_t len = strlen(name);

	*path = NULL;
	if (len == 0 || len > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len)
		return berr_fail(err, "Directory can only contain the following set of characters: [A-Za-z0-9_-] (at most 64)");
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berr_sys(err, "storage root %s (BERTH_STORAGE_ROOT): create it to allow mounts under it",
				root);
	if (mkdirat(rootfd, name, 0755) < 0 && errno != EEXIST)
		return berr_sys(err, "create %s/%s", root, name);
	/* O_NOFOLLOW: a symlink put there is not followed (nor chowned through) */
	fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return berr_fail(err, "%s/%s is not a directory (a symlink is not followed)", root, name);
	if (fd < 0)
		return berr_sys(err, "open %s/%s", root, name);
	if (owner >= 0 && fchown(fd, (uid_t)owner, (gid_t)owner) < 0)
		return berr_sys(err, "chown %s/%s to %ld", root, name, owner);
	*path = xasprintf("%s/%s", root, name);
	return 0;
}
