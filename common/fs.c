/* fs.c - see fs.h. */
#include "common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static int fsync_parent(const char *path)
{
	autofree char *copy = xstrdup(path);
	autoclose int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	return fsync(fd);
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct berr *err)
{
	autofree char *tmp = xasprintf("%s.tmp.%d", path, getpid());
	autoclose int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	const char *p = data;

	if (fd < 0)
		return berr_sys(err, "write %s", tmp);
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			berr_sys(err, "write %s", path);
			unlink(tmp);
			return -1;
		}
		p += n;
		len -= n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		berr_sys(err, "write %s", path);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		berr_sys(err, "rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	if (fsync_parent(path) < 0)
		return berr_sys(err, "sync directory of %s", path);
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

int read_fd(int fd, char **out, size_t *len, struct berr *err)
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
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = steal_ptr(buf);
	return 0;
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
