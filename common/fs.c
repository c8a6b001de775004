/* fs.c - see fs.h. */
#include "common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

int mkdir_p(const char *path, mode_t mode, struct berr *err)
{
	autofree char *p = xstrdup(path);
	struct stat st;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;

		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return berr_sys(err, "create directory %s", p);
		if (saved == '\0')
			break;
		*s = saved;
	}
	if (stat(p, &st) < 0)
		return berr_sys(err, "create directory %s", p);
	if (!S_ISDIR(st.st_mode))
		return berr_fail(err, "create directory %s: a file of that name is in the way", p);
	return 0;
}

static int rm_rf_children(int dfd, dev_t dev, const char *what, struct berr *err);

int rm_rf_at(int dirfd, const char *name, struct berr *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return berr_sys(err, "remove %s", name);
	}
	if (S_ISDIR(st.st_mode)) {
		autoclose int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0)
			return berr_sys(err, "remove %s", name);
		if (rm_rf_children(steal_fd(&fd), st.st_dev, name, err) < 0)
			return -1;
		if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return berr_sys(err, "remove directory %s", name);
		return 0;
	}
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return berr_sys(err, "remove %s", name);
	return 0;
}

/* Takes ownership of dfd. Stays on one filesystem: a mount point below is an error
 * rather than something to empty (it may be a bind mount of someone's data). */
static int rm_rf_children(int dfd, dev_t dev, const char *what, struct berr *err)
{
	autoclosedir DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		return berr_sys(err, "remove %s", what);
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return berr_sys(err, "remove %s/%s", what, de->d_name);
		}
		if (S_ISDIR(st.st_mode) && st.st_dev != dev)
			return berr_fail(err, "remove %s/%s: a filesystem is mounted there", what,
					 de->d_name);
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd(d), de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (fd < 0)
				return berr_sys(err, "remove %s/%s", what, de->d_name);
			if (rm_rf_children(fd, dev, de->d_name, err) < 0)
				return -1;
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
				return berr_sys(err, "remove directory %s/%s", what, de->d_name);
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			return berr_sys(err, "remove %s/%s", what, de->d_name);
		}
	}
	return 0;
}

int rm_rf(const char *path, struct berr *err)
{
	if (rm_rf_at(AT_FDCWD, path, err) < 0)
		return berr_prefix(err, "remove %s", path);
	return 0;
}

static int fsync_parent_at(int dirfd, const char *path)
{
	autofree char *copy = xstrdup(path);
	autoclose int fd = openat(dirfd, dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	return fsync(fd);
}

int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
			 struct berr *err)
{
	autofree char *tmp = xasprintf("%s.tmp.%d", path, getpid());
	autoclose int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
				  mode);
	const char *p = data;

	if (fd < 0)
		return berr_sys(err, "write %s", tmp);
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			berr_sys(err, "write %s", path);
			unlinkat(dirfd, tmp, 0);
			return -1;
		}
		p += n;
		len -= n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		berr_sys(err, "write %s", path);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (renameat(dirfd, tmp, dirfd, path) < 0) {
		berr_sys(err, "rename %s to %s", tmp, path);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (fsync_parent_at(dirfd, path) < 0)
		return berr_sys(err, "sync directory of %s", path);
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct berr *err)
{
	return write_file_atomic_at(AT_FDCWD, path, data, len, mode, err);
}

int write_all(int fd, const void *data, size_t len, const char *what, struct berr *err)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_sys(err, "write %s", what);
		if (n == 0)
			return berr_fail(err, "write %s: no space written", what);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file_at(int dirfd, const char *name, const char *data, struct berr *err)
{
	autoclose int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(data);
	ssize_t n;

	if (fd < 0)
		return berr_sys(err, "open %s", name);
	n = write(fd, data, len);
	if (n < 0)
		return berr_sys(err, "write '%s' to %s", data, name);
	if ((size_t)n != len)
		return berr_fail(err, "write '%s' to %s: short write", data, name);
	return 0;
}

int write_file(const char *path, const char *data, struct berr *err)
{
	return write_file_at(AT_FDCWD, path, data, err);
}

int read_fd_max(int fd, size_t max, char **out, size_t *len, struct berr *err)
{
	size_t cap = 4096, n = 0;
	autofree char *buf = xmalloc(cap);

	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return berr_sys(err, "read");
		if (r == 0)
			break;
		n += r;
		if (n > max)
			return berr_fail(err, "larger than %zu bytes", max);
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = steal_ptr(buf);
	return 0;
}

int read_fd(int fd, char **out, size_t *len, struct berr *err)
{
	return read_fd_max(fd, SIZE_MAX, out, len, err);
}

int read_file_at(int dirfd, const char *name, char **out, size_t *len, struct berr *err)
{
	autoclose int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return berr_sys(err, "open %s", name);
	if (read_fd(fd, out, len, err) < 0)
		return berr_prefix(err, "%s", name);
	return 0;
}

int read_file(const char *path, char **out, size_t *len, struct berr *err)
{
	return read_file_at(AT_FDCWD, path, out, len, err);
}

int copy_file(const char *src, const char *dst, mode_t mode, struct berr *err)
{
	autoclose int in = open(src, O_RDONLY | O_CLOEXEC);
	autoclose int out = -1;
	char buf[65536];

	if (in < 0)
		return berr_sys(err, "open %s", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (out < 0)
		return berr_sys(err, "create %s", dst);
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return berr_sys(err, "read %s", src);
		if (r == 0)
			break;
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, r - off);

			if (w < 0)
				return berr_sys(err, "write %s", dst);
			off += w;
		}
	}
	if (fchmod(out, mode) < 0)
		return berr_sys(err, "chmod %s", dst);
	return 0;
}

int openat_beneath(int dirfd, const char *path, int flags, struct berr *err)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	if (fd >= 0)
		return fd;
	/* openat2's answers to a symlink on the way and to a way out. */
	if (errno == ELOOP)
		return berr_sys(err, "%s is a symbolic link or lies behind one; berth follows none here",
				path);
	if (errno == EXDEV)
		return berr_sys(err, "%s leaves its directory", path);
	return berr_sys(err, "open %s", path);
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

int read_file_beneath(int dirfd, const char *path, const char *what, size_t max, char **out,
		      size_t *len, struct berr *err)
{
	/* O_PATH first: the type is checked before anything is opened for reading,
	 * which would block on a FIFO or act on a device. */
	autoclose int pfd = openat_beneath(dirfd, path, O_PATH, err);
	autoclose int fd = -1;
	char self[64];
	struct stat st;

	if (pfd < 0) {
		if (err->errnum == ENOENT)
			return 0;
		return berr_prefix(err, "%s", what);
	}
	if (fstat(pfd, &st) < 0)
		return berr_sys(err, "%s", what);
	if (!S_ISREG(st.st_mode))
		return berr_fail(err, "%s is %s; berth reads it only as a regular file", what,
				 file_kind(st.st_mode));
	if ((uint64_t)st.st_size > max)
		return berr_fail(err, "%s is larger than %zu bytes", what, max);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return berr_sys(err, "open %s", what);
	if (read_fd_max(fd, max, out, len, err) < 0)
		return berr_prefix(err, "%s", what);
	return 1;
}

int workdir_create(const char *parent, const char *what, char **path, int *lockfd,
		   struct berr *err)
{
	if (mkdir_p(parent, 0700, err) < 0)
		return -1;
	if (chmod(parent, 0700) < 0)
		return berr_sys(err, "make %s root-only", parent);
	for (int tries = 0; tries < 100; tries++) {
		autofree char *tmpl = xasprintf("%s/work-%s-XXXXXX", parent, what);
		autoclose int fd = -1;
		struct stat st;

		if (!mkdtemp(tmpl))
			return berr_sys(err, "create %s", tmpl);
		fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0)
			return berr_sys(err, "lock %s", tmpl);
		/* Between mkdtemp and flock a cleaner may take it for a leftover. */
		if (st.st_nlink == 0)
			continue;
		*path = steal_ptr(tmpl);
		*lockfd = steal_fd(&fd);
		return 0;
	}
	return berr_fail(err, "create a work directory in %s: it was removed each time", parent);
}

void workdir_remove_stale(const char *parent)
{
	autoclosedir DIR *d = opendir(parent);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		autoclose int fd = -1;
		struct berr ignored;

		if (strncmp(de->d_name, "work-", 5))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* A lock nobody holds: its maker and every child it forked are gone. */
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		rm_rf_at(dirfd(d), de->d_name, &ignored);
	}
}

int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
