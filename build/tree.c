/* tree.c - walking, owning, hashing and copying directory trees with *at() calls
 * that never follow symlinks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/cleanup.h"
#include "common/fs.h"

static int hash_file(int dfd, const char *name, struct sha256 *h, struct berr *err)
{
	autoclose int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return berr_sys(err, "open %s", name);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(h, buf, (size_t)n);
	if (n < 0)
		return berr_sys(err, "read %s", name);
	return 0;
}

static int walk(int dfd, const char *rel, uid_t uid, gid_t gid, struct sha256 *h,
		bool drop_git, struct berr *err)
{
	struct dirent **names = NULL;
	int n, r = 0;
	autoclose int self = dup(dfd);
	autoclosedir DIR *d = self >= 0 ? fdopendir(self) : NULL;

	if (!d)
		return berr_sys(err, "open %s", rel);
	self = -1;
	n = scandirat(dirfd(d), ".", &names, NULL, alphasort);
	if (n < 0)
		return berr_sys(err, "list %s", rel);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		autofree char *path = NULL;
		struct stat st;

		if (r < 0 || !strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		path = xasprintf("%s%s%s", rel, *rel ? "/" : "", name);
		if (drop_git && !strcmp(name, ".git")) {
			r = rm_rf_at(dirfd(d), name, err);
			continue;
		}
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = berr_sys(err, "stat %s", path);
			continue;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
			r = berr_fail(err, "%s is a device, fifo or socket", path);
			continue;
		}
		if (fchownat(dirfd(d), name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
			r = berr_sys(err, "chown %s", path);
			continue;
		}
		if (h) {
			char meta[64];

			sha256_update_str(h, path);
			snprintf(meta, sizeof(meta), "%o", (unsigned)st.st_mode);
			sha256_update_str(h, meta);
		}
		if (S_ISDIR(st.st_mode)) {
			autoclose int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0)
				r = berr_sys(err, "open %s", path);
			else
				r = walk(sub, path, uid, gid, h, drop_git, err);
		} else if (S_ISLNK(st.st_mode) && h) {
			char target[4096];
			ssize_t len = readlinkat(dirfd(d), name, target, sizeof(target) - 1);

			if (len < 0)
				r = berr_sys(err, "readlink %s", path);
			else
				sha256_update(h, target, (size_t)len);
		} else if (S_ISREG(st.st_mode) && h) {
			r = hash_file(dirfd(d), name, h, err);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int tree_own_and_hash(const char *dir, uid_t uid, gid_t gid, struct sha256 *h,
		      bool drop_git, struct berr *err)
{
	autoclose int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return berr_sys(err, "open %s", dir);
	if (fchown(fd, uid, gid) < 0)
		return berr_sys(err, "chown %s", dir);
	if (walk(fd, "", uid, gid, h, drop_git, err) < 0)
		return berr_prefix(err, "%s", dir);
	return 0;
}

static int copy_at(int sdir, int ddir, const char *name, const char *path, struct berr *err);

static int copy_children(int sfd, int dfd, const char *path, struct berr *err)
{
	autoclosedir DIR *d = fdopendir(sfd);
	struct dirent *de;

	if (!d) {
		close(sfd);
		return berr_sys(err, "open %s", path);
	}
	while ((de = readdir(d))) {
		autofree char *sub = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (copy_at(dirfd(d), dfd, de->d_name, sub, err) < 0)
			return -1;
	}
	return 0;
}

static int copy_regular(int sdir, int ddir, const char *name, mode_t mode, const char *path,
			struct berr *err)
{
	autoclose int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	autoclose int out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				   mode & 0777);
	char buf[65536];
	ssize_t n;

	if (in < 0 || out < 0)
		return berr_sys(err, "copy %s", path);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0)
				return berr_sys(err, "copy %s", path);
			off += w;
		}
	if (n < 0 || fchmod(out, mode & 0777) < 0)
		return berr_sys(err, "copy %s", path);
	return 0;
}

static int copy_at(int sdir, int ddir, const char *name, const char *path, struct berr *err)
{
	struct stat st;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_sys(err, "stat %s", path);
	if (S_ISREG(st.st_mode))
		return copy_regular(sdir, ddir, name, st.st_mode, path, err);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t len = readlinkat(sdir, name, target, sizeof(target) - 1);

		if (len < 0)
			return berr_sys(err, "readlink %s", path);
		target[len] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return berr_sys(err, "copy %s", path);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		int sfd;
		autoclose int dfd = -1;

		if (mkdirat(ddir, name, st.st_mode & 0777) < 0)
			return berr_sys(err, "copy %s", path);
		sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		dfd = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 || dfd < 0) {
			if (sfd >= 0)
				close(sfd);
			return berr_sys(err, "copy %s", path);
		}
		return copy_children(sfd, dfd, path, err);
	}
	return berr_fail(err, "copy %s: a device, fifo or socket", path);
}

int tree_copy_plain(const char *src, const char *dst, struct berr *err)
{
	autofree char *parent = xstrdup(dst);
	char *slash = strrchr(parent, '/');
	autoclose int sdir = -1, ddir = -1;
	struct stat st;

	if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode))
		return berr_fail(err, "%s is not a directory", src);
	if (!slash)
		return berr_fail(err, "copy to %s: need an absolute path", dst);
	*slash = '\0';
	ddir = open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ddir < 0 || mkdirat(ddir, slash + 1, st.st_mode & 0777) < 0)
		return berr_sys(err, "create %s", dst);
	sdir = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	autoclose int dfd = openat(ddir, slash + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sdir < 0 || dfd < 0)
		return berr_sys(err, "copy %s", src);
	return copy_children(steal_fd(&sdir), dfd, src, err);
}
