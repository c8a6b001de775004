/* extract.c - one layer tarball into a new layer, in one pass.
 *
 * libarchive writes the entries with its secure flags (no absolute paths, no "..",
 * never through a symlink) after berth has checked each one itself so that errors
 * name the entry: hard links must point at something already in this layer, device
 * nodes are refused, xattrs are limited to what a layer may carry. OCI whiteouts are
 * turned into overlayfs ones by berth (mknodat/fsetxattr on directories opened
 * without following symlinks). Every file's sha256 is computed while its bytes pass
 * through, for the layer id (tree.c).
 *
 * libarchive's disk writer works relative to the current directory, so this file
 * changes the working directory while it extracts and restores it afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
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

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"

/* Numeric ids as the archive gives them (no name lookup is installed): layers are
 * stored in container id space. No device nodes: extract_entry refuses them. */
#define EXTRACT_FLAGS (ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | \
		       ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
		       ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

struct extractor {
	struct archive *in, *disk;
	const char *what;
	int rootfd;
	struct model model;        /* what has been written */
	struct pathmap *verified;  /* directories libarchive has checked for symlinks */
	int flags;                 /* libarchive's options for the current entry */
	char *last_parent;         /* the last parent found in verified */
	bool root_set;             /* the archive has a "./" entry: */
	mode_t root_mode;
	uid_t root_uid;
	gid_t root_gid;
	time_t root_mtime;
	struct hasher *hasher;
	struct berr *err;
};

int archive_fail(struct archive *a, struct berr *err, const char *fmt, ...)
{
	char prefix[512];
	const char *msg = archive_error_string(a);
	int e = archive_errno(a);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (!msg)
		msg = "unknown archive error";
	/* libarchive's messages for failed syscalls ("Write failed") lack the reason. */
	if (e > 0 && e != EILSEQ && e != EINVAL && !strstr(msg, strerror(e)))
		return berr_fail(err, "%s: %s: %s", prefix, msg, strerror(e));
	return berr_fail(err, "%s: %s", prefix, msg);
}

struct archive *layer_reader_new(void)
{
	struct archive *a = archive_read_new();

	if (!a) {
		fputs(" !     berth: out of memory\n", stderr);
		abort();
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_empty(a);
	return a;
}

/* "./usr//bin/" -> "usr/bin", "" and "./" -> "."; refuses absolute paths and "..". */
int path_clean(const char *in, char **out, const char **why)
{
	size_t len = strlen(in);
	char *res = xmalloc(len + 2), *w = res;
	const char *p = in;

	if (in[0] == '/') {
		*why = "absolute path";
		free(res);
		return -1;
	}
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			*why = "path contains '..'";
			free(res);
			return -1;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (w != res)
				*w++ = '/';
			memcpy(w, p, n);
			w += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (w == res)
		*w++ = '.';
	*w = '\0';
	*out = res;
	return 0;
}

/* libarchive's ARCHIVE_EXTRACT_SECURE_SYMLINKS opens and stats every component of
 * every entry's path (its own cache was removed), which doubled import times. So
 * berth remembers the directories libarchive has already checked (it is the only
 * writer of this temp dir) and asks for the check only when an entry's parent is
 * not among them. Directories and hard links are always checked; anything that
 * could replace a remembered directory forgets them all. */
static void secure_flags_for(struct extractor *x, const char *path, bool dir_or_link)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash ? (size_t)(slash - path) : 1;
	int flags = EXTRACT_FLAGS;

	if (!dir_or_link && pathmap_get(x->verified, path, NULL)) {
		pathmap_free(x->verified);
		x->verified = pathmap_new();
		free(x->last_parent);
		x->last_parent = NULL;
	}
	if (!dir_or_link) {
		/* Entries come directory by directory: most share the last one's parent. */
		bool same = x->last_parent && strlen(x->last_parent) == plen &&
			    !memcmp(x->last_parent, slash ? path : ".", plen);

		if (!same) {
			char *parent = slash ? xstrndup(path, plen) : xstrdup(".");

			free(x->last_parent);
			x->last_parent = NULL;
			if (pathmap_get(x->verified, parent, NULL))
				x->last_parent = parent;
			else
				free(parent);
		}
		if (x->last_parent)
			flags &= ~ARCHIVE_EXTRACT_SECURE_SYMLINKS;
	}
	if (flags != x->flags) {
		archive_write_disk_set_options(x->disk, flags);
		x->flags = flags;
	}
}

/* After libarchive checked (or created) path's parents, and path when it is a
 * directory, they are real directories. */
static void remember_verified(struct extractor *x, const char *path, bool dir)
{
	autofree char *p = xstrdup(path);
	char *slash;

	if (!(x->flags & ARCHIVE_EXTRACT_SECURE_SYMLINKS))
		return;
	pathmap_put(x->verified, ".", 0);
	if (dir)
		pathmap_put(x->verified, p, 0);
	while ((slash = strrchr(p, '/'))) {
		*slash = '\0';
		if (pathmap_get(x->verified, p, NULL))
			break;
		pathmap_put(x->verified, p, 0);
	}
}

static int extract_whiteout(struct extractor *x, const char *path, const char *base)
{
	autofree char *parent = base == path ? xstrdup(".") : xstrndup(path, base - path - 1);
	autoclose int pfd = open_beneath(x->rootfd, parent, true, x->err);
	const char *name = base + strlen(WHITEOUT_PREFIX);

	if (pfd < 0)
		return berr_prefix(x->err, "%s: archive entry %s", x->what, path);
	if (!strcmp(base, OPAQUE_MARKER)) {
		if (fsetxattr(pfd, OPAQUE_XATTR, "y", 1, 0) < 0)
			return berr_sys(x->err, "%s: archive entry %s: mark %s opaque", x->what, path, parent);
		/* The directory is read back from disk at the end; make sure it is known. */
		if (!model_get(&x->model, parent))
			model_put(&x->model, parent, T_DIR)->implied = true;
		return 0;
	}
	/* Other ".wh..wh." names are aufs bookkeeping, not content. */
	if (str_has_prefix(base, WHITEOUT_PREFIX WHITEOUT_PREFIX))
		return 0;
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return berr_fail(x->err, "%s: archive entry %s: not a valid whiteout", x->what, path);
	if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0) {
		if (errno == EEXIST)
			return berr_fail(x->err, "%s: archive entry %s: whiteout for %s, which this layer also contains",
					 x->what, path, name);
		return berr_sys(x->err, "%s: archive entry %s: create whiteout", x->what, path);
	}
	{
		autofree char *target = !strcmp(parent, ".") ? xstrdup(name) : xasprintf("%s/%s", parent, name);

		model_put(&x->model, target, T_WHITEOUT);
	}
	return 0;
}

/* A hard link may only name something already extracted into this layer, reached
 * without symlinks: otherwise link(2) would pull in a file from outside. */
static int check_hardlink(struct extractor *x, struct archive_entry *e, const char *path)
{
	const char *raw = archive_entry_hardlink(e);
	autofree char *target = NULL;
	const char *why;
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st;
	int fd;

	if (path_clean(raw, &target, &why) < 0)
		return berr_fail(x->err, "%s: archive entry %s: hard link to %s: %s", x->what, path, raw, why);
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
		return berr_fail(x->err, "%s: archive entry %s: hard link with data", x->what, path);
	fd = (int)syscall(SYS_openat2, x->rootfd, target, &how, sizeof(how));
	if (fd < 0)
		return berr_fail(x->err, "%s: archive entry %s: hard link to %s, which is not in this layer",
				 x->what, path, raw);
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return berr_fail(x->err, "%s: archive entry %s: hard link to directory %s", x->what, path, raw);
	}
	close(fd);
	archive_entry_copy_hardlink(e, target);
	return 0;
}

static void filter_xattrs(struct archive_entry *e)
{
	struct { char *name; void *value; size_t size; } kept[64];
	size_t n = 0;
	const char *name;
	const void *value;
	size_t size;

	if (archive_entry_xattr_reset(e) == 0)
		return;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (xattr_kept(name) && n < ARRAY_SIZE(kept)) {
			kept[n].name = xstrdup(name);
			kept[n].value = xmalloc(size ? size : 1);
			memcpy(kept[n].value, value, size);
			kept[n].size = size;
			n++;
		}
	archive_entry_xattr_clear(e);
	for (size_t i = 0; i < n; i++) {
		archive_entry_xattr_add_entry(e, kept[i].name, kept[i].value, kept[i].size);
		free(kept[i].name);
		free(kept[i].value);
	}
}

static int copy_data(struct extractor *x, struct archive_entry *e, const char *path)
{
	int64_t size = archive_entry_size(e), pos = 0;

	model_get(&x->model, path)->file_no = (int64_t)hasher_begin(x->hasher);
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(x->in, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_OK)
			return archive_fail(x->in, x->err, "%s: archive entry %s", x->what, path);
		/* Holes of sparse entries read as zeros, as they will from disk. */
		if (off > pos)
			hasher_zeros(x->hasher, (uint64_t)(off - pos));
		pos = off;
		if (archive_write_data_block(x->disk, buf, len, off) < ARCHIVE_OK)
			return archive_fail(x->disk, x->err, "%s: archive entry %s", x->what, path);
		hasher_data(x->hasher, buf, len);
		pos += (int64_t)len;
	}
	if (size > pos)
		hasher_zeros(x->hasher, (uint64_t)(size - pos));
	hasher_end(x->hasher);
	return 0;
}

/* "./": libarchive will not restore the metadata of the directory it extracts
 * into, so berth keeps it and applies it once everything is in. */
static int root_entry(struct extractor *x, struct archive_entry *e, const char *raw)
{
	if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e))
		return berr_fail(x->err, "%s: archive entry %s: the root of a layer must be a directory", x->what, raw);
	x->root_set = true;
	x->root_mode = archive_entry_perm(e) & 07777;
	x->root_uid = (uid_t)archive_entry_uid(e);
	x->root_gid = (gid_t)archive_entry_gid(e);
	x->root_mtime = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
	model_put(&x->model, ".", T_DIR);
	return 0;
}

static int apply_root(struct extractor *x)
{
	struct timespec times[2] = { { x->root_mtime, 0 }, { x->root_mtime, 0 } };
	autoclose int fd = openat(x->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (!x->root_set)
		return 0;
	if (fd < 0 || fchown(fd, x->root_uid, x->root_gid) < 0 || fchmod(fd, x->root_mode) < 0 ||
	    futimens(fd, times) < 0)
		return berr_sys(x->err, "%s: set the metadata of the layer root", x->what);
	return 0;
}

static char model_type(mode_t type)
{
	switch (type) {
	case AE_IFDIR: return T_DIR;
	case AE_IFLNK: return T_SYMLINK;
	case AE_IFIFO: return T_FIFO;
	default: return T_FILE;
	}
}

static int extract_entry(struct extractor *x, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);
	autofree char *path = NULL;
	const char *why, *base;
	mode_t type = archive_entry_filetype(e);

	if (!raw || !*raw)
		return berr_fail(x->err, "%s is damaged: an archive entry has no name", x->what);
	if (path_clean(raw, &path, &why) < 0)
		return berr_fail(x->err, "%s: archive entry %s: %s", x->what, raw, why);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (str_has_prefix(base, WHITEOUT_PREFIX))
		return extract_whiteout(x, path, base);
	if (archive_entry_hardlink(e)) {
		if (check_hardlink(x, e, path) < 0)
			return -1;
		/* GNU tar stores a path named twice as a link to itself: nothing to do. */
		if (!strcmp(archive_entry_hardlink(e), path))
			return 0;
	} else if (type == AE_IFCHR && archive_entry_rdev(e) == 0 && strcmp(path, ".")) {
		/* Already an overlayfs whiteout (some tools export layers so). */
		autofree char *wh = base == path ? xasprintf(WHITEOUT_PREFIX "%s", base)
			: xasprintf("%.*s/" WHITEOUT_PREFIX "%s", (int)(base - path - 1), path, base);

		return extract_whiteout(x, wh, strrchr(wh, '/') ? strrchr(wh, '/') + 1 : wh);
	} else if (type == AE_IFCHR || type == AE_IFBLK) {
		return berr_fail(x->err, "%s: archive entry %s: device nodes (%u,%u) are not allowed in layers",
				 x->what, raw, major(archive_entry_rdev(e)), minor(archive_entry_rdev(e)));
	} else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFIFO) {
		return berr_fail(x->err, "%s: archive entry %s: unsupported file type", x->what, raw);
	}
	if (type == AE_IFDIR && archive_entry_hardlink(e))
		return berr_fail(x->err, "%s: archive entry %s: hard link to a directory", x->what, raw);
	if (!strcmp(path, "."))
		return root_entry(x, e, raw);
	archive_entry_copy_pathname(e, path);
	archive_entry_acl_clear(e);
	filter_xattrs(e);
	/* Without a time libarchive would leave "now": same archive, other id. */
	if (!archive_entry_mtime_is_set(e))
		archive_entry_set_mtime(e, 0, 0);
	secure_flags_for(x, path, type == AE_IFDIR || archive_entry_hardlink(e));
	if (archive_write_header(x->disk, e) < ARCHIVE_OK)
		return archive_fail(x->disk, x->err, "%s: archive entry %s", x->what, raw);
	remember_verified(x, path, type == AE_IFDIR);
	if (archive_entry_hardlink(e)) {
		if (model_hardlink(&x->model, path, archive_entry_hardlink(e)) < 0)
			return berr_fail(x->err, "%s: archive entry %s: hard link to %s, which is not a file in this layer",
					 x->what, raw, archive_entry_hardlink(e));
	} else {
		struct tree_entry *m = model_put(&x->model, path, model_type(type));

		if (type != AE_IFDIR)
			model_from_archive(m, e);
		if (type == AE_IFREG && copy_data(x, e, path) < 0)
			return -1;
	}
	if (archive_write_finish_entry(x->disk) < ARCHIVE_OK)
		return archive_fail(x->disk, x->err, "%s: archive entry %s", x->what, raw);
	return 0;
}

/* Directories the archive did not name (parents of named entries, made by
 * libarchive or for whiteouts) get fixed metadata, so the same archive always
 * gives the same layer id: 0755, root, mtime 0. */
int extract_layer(struct extract_source *src, struct layer_tmp *t, struct tree *out,
		  struct berr *err)
{
	struct extractor x = { .in = src->ar, .what = src->what, .rootfd = t->rootfd, .err = err };
	autoclose int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct archive_entry *e = src->first;
	const unsigned char (*digests)[SHA256_LEN];
	size_t ndigests;
	mode_t old_umask;
	int r = -1;

	if (cwd < 0)
		return berr_sys(err, "open the current directory");
	/* libarchive makes missing parent directories with the umask it sees now. */
	old_umask = umask(022);
	x.disk = archive_write_disk_new();
	umask(old_umask);
	if (!x.disk) {
		fputs(" !     berth: out of memory\n", stderr);
		abort();
	}
	x.flags = EXTRACT_FLAGS;
	archive_write_disk_set_options(x.disk, x.flags);
	x.hasher = hasher_start();
	x.verified = pathmap_new();
	model_init(&x.model);
	if (fchdir(t->rootfd) < 0) {
		berr_sys(err, "enter %s", t->root);
		goto out;
	}
	for (;;) {
		if (!e) {
			int rr = archive_read_next_header(src->ar, &e);

			if (rr == ARCHIVE_EOF)
				break;
			if (rr < ARCHIVE_WARN) {
				archive_fail(src->ar, err, "%s", src->what);
				goto out;
			}
		}
		if (extract_entry(&x, e) < 0)
			goto out;
		e = NULL;
	}
	/* Directory times and modes are applied here, after their contents. */
	if (archive_write_close(x.disk) < ARCHIVE_OK) {
		archive_fail(x.disk, err, "%s", src->what);
		goto out;
	}
	if (apply_root(&x) < 0)
		goto out;
	ndigests = hasher_finish(x.hasher, &digests);
	if (model_finish(&x.model, t->rootfd, digests, ndigests, out, err) < 0) {
		berr_prefix(err, "%s", src->what);
		goto out;
	}
	r = 0;
out:
	if (fchdir(cwd) < 0 && r == 0)
		r = berr_sys(err, "return to the working directory");
	archive_write_free(x.disk);
	model_release(&x.model);
	pathmap_free(x.verified);
	hasher_free(x.hasher);
	free(x.last_parent);
	return r;
}
