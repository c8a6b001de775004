/* tree_copy.c - copy a described tree into a new layer with *at() calls that never
 * follow symlinks: for a build's upper directory on another filesystem and for
 * `stacks:import NAME DIR` of a plain root filesystem. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "images/internal.h"

int open_beneath(int rootfd, const char *path, bool create, struct berr *err)
{
	autofree char *copy = xstrdup(path);
	char *save = NULL;
	int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return berr_sys(err, "open the layer root");
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;
		bool made = false;

		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			close(fd);
			return berr_fail(err, "%s: '..' is not allowed", path);
		}
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
				berr_sys(err, "create directory %s", path);
				close(fd);
				return -1;
			}
			made = true;
			next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		close(fd);
		if (next < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				return berr_fail(err, "%s: a component is a symlink or not a directory", path);
			return berr_sys(err, "open directory %s", path);
		}
		if (made && fchmod(next, 0755) < 0) {
			close(next);
			return berr_sys(err, "create directory %s", path);
		}
		fd = next;
	}
	return fd;
}

int open_file_beneath(int srcfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, srcfd, path, &how, sizeof(how));
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c - 'a' + 10;
}

/* fd: the entry itself (a regular file or directory). */
int set_entry_xattrs(int fd, const struct tree_entry *e, struct berr *err)
{
	for (size_t off = 0; off < e->xattrs_len;) {
		const char *name = e->xattrs + off;
		const char *hex = name + strlen(name) + 1;
		size_t n = strlen(hex) / 2;
		autofree unsigned char *value = xmalloc(n ? n : 1);

		for (size_t i = 0; i < n; i++)
			value[i] = (unsigned char)(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
		if (fsetxattr(fd, name, value, n, 0) < 0)
			return berr_sys(err, "set xattr %s on %s", name, e->path);
		off = (size_t)(hex - e->xattrs) + 2 * n + 1;
	}
	if (e->opaque && fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return berr_sys(err, "mark %s opaque", e->path);
	return 0;
}

static int set_owner_mode_time(int fd, const struct tree_entry *e, struct berr *err)
{
	struct timespec times[2] = { { e->mtime, 0 }, { e->mtime, 0 } };

	/* chown first: it clears setuid and setgid bits. */
	if (fchown(fd, e->uid, e->gid) < 0 || fchmod(fd, e->mode) < 0)
		return berr_sys(err, "set owner and mode of %s", e->path);
	if (set_entry_xattrs(fd, e, err) < 0)
		return -1;
	if (futimens(fd, times) < 0)
		return berr_sys(err, "set the time of %s", e->path);
	return 0;
}

static int copy_file_data(int srcfd, int pfd, const char *name, const struct tree_entry *e,
			  char *buf, struct digest_table *digests, struct berr *err)
{
	autoclose int in = open_file_beneath(srcfd, e->path);
	autoclose int out = -1;
	unsigned char digest[SHA256_LEN];
	struct sha256 h;
	uint64_t total = 0;

	if (in < 0)
		return berr_sys(err, "open %s", e->path);
	out = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return berr_sys(err, "create %s", e->path);
	sha256_init(&h);
	for (;;) {
		ssize_t n = read(in, buf, 1 << 17);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				sha256_free(&h);
				return berr_sys(err, "read %s", e->path);
			}
			break;
		}
		sha256_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				sha256_free(&h);
				return berr_sys(err, "write %s", e->path);
			}
			off += w;
		}
	}
	sha256_final(&h, digest);
	if (total != e->size)
		return berr_fail(err, "%s changed while berth copied it", e->path);
	digest_table_set(digests, e->path, digest);
	return set_owner_mode_time(out, e, err);
}

static int copy_entry(int srcfd, int dstfd, int pfd, const char *name, const struct tree_entry *e,
		      char *buf, struct digest_table *digests, struct berr *err)
{
	struct timespec times[2] = { { e->mtime, 0 }, { e->mtime, 0 } };

	switch (e->type) {
	case T_DIR:
		/* Mode, owner and times once its contents are in. */
		if (mkdirat(pfd, name, 0700) < 0)
			return berr_sys(err, "create directory %s", e->path);
		return 0;
	case T_FILE:
		return copy_file_data(srcfd, pfd, name, e, buf, digests, err);
	case T_SYMLINK:
		if (symlinkat(e->target, pfd, name) < 0 ||
		    fchownat(pfd, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    utimensat(pfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
			return berr_sys(err, "create symlink %s", e->path);
		return 0;
	case T_HARDLINK:
		if (linkat(dstfd, e->target, pfd, name, 0) < 0)
			return berr_sys(err, "link %s to %s", e->path, e->target);
		return 0;
	case T_WHITEOUT:
		if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
			return berr_sys(err, "create whiteout %s", e->path);
		return 0;
	case T_FIFO:
		if (mknodat(pfd, name, S_IFIFO | 0600, 0) < 0 ||
		    fchownat(pfd, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(pfd, name, e->mode, 0) < 0 ||
		    utimensat(pfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
			return berr_sys(err, "create fifo %s", e->path);
		return 0;
	}
	return berr_fail(err, "%s: unknown entry type", e->path);
}

int tree_copy(int srcfd, int dstfd, const struct tree *t, const char *what,
	      struct digest_table *digests, struct berr *err)
{
	autofree char *buf = xmalloc(1 << 17);
	autofree char *cached = NULL;
	autoclose int pfd = -1;

	/* Sorted by path, so a directory always comes before what it contains. */
	for (size_t i = 0; i < t->n; i++) {
		const struct tree_entry *e = &t->v[i];
		const char *slash = strrchr(e->path, '/');
		autofree char *parent = slash ? xstrndup(e->path, (size_t)(slash - e->path)) : xstrdup(".");

		if (!strcmp(e->path, "."))
			continue;
		if (!cached || strcmp(cached, parent)) {
			if (pfd >= 0)
				close(pfd);
			pfd = open_beneath(dstfd, parent, false, err);
			free(cached);
			cached = NULL;
			if (pfd < 0)
				return berr_prefix(err, "copy %s", what);
			cached = xstrdup(parent);
		}
		if (copy_entry(srcfd, dstfd, pfd, slash ? slash + 1 : e->path, e, buf, digests, err) < 0)
			return berr_prefix(err, "copy %s", what);
	}
	/* Directories last, deepest first: filling a directory changes its mtime. */
	for (size_t i = t->n; i-- > 0;) {
		const struct tree_entry *e = &t->v[i];
		autoclose int fd = -1;

		if (e->type != T_DIR)
			continue;
		fd = open_beneath(dstfd, e->path, false, err);
		if (fd < 0 || set_owner_mode_time(fd, e, err) < 0)
			return berr_prefix(err, "copy %s", what);
	}
	return 0;
}

int images_tree_copy(const char *src, const char *dst, struct berr *err)
{
	autoclose int sfd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
	autoclose int dfd = -1;
	struct digest_table *digests = NULL;
	struct tree t = { 0 };
	int r;

	if (sfd < 0)
		return errno == ENOTDIR || errno == ENOENT ? berr_fail(err, "%s is not a directory", src)
							   : berr_sys(err, "open %s", src);
	if (mkdir(dst, 0755) < 0)
		return berr_sys(err, "create %s", dst);
	dfd = open(dst, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return berr_sys(err, "open %s", dst);
	digests = digest_table_new();
	r = tree_walk(sfd, src, 0, &t, err);
	if (r == 0)
		r = tree_copy(sfd, dfd, &t, src, digests, err);
	tree_free(&t);
	digest_table_free(digests);
	return r;
}
