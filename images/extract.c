/* extract.c - berth's one archive extractor: a layer tarball into a new layer
 * (stacks:import, OCI and docker-save layers) and an app's source archive into a
 * build directory (build/).
 *
 * libarchive only reads. berth writes every entry itself with *at() calls relative
 * to directory descriptors opened beneath the destination without following
 * symlinks (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so an entry can never
 * land outside it, and nothing depends on or changes the process's working
 * directory or umask (the daemon runs several of these at once). Each entry is
 * checked first so that errors name it: no absolute paths or "..", hard links only
 * to what is already inside, no device nodes; layers keep owners, modes, xattrs and
 * turn OCI whiteouts into overlayfs ones, sources are owned by the build user and
 * lose set-id bits. The model (model.c) records what is on disk as it is written:
 * it decides replacements without a stat, and for layers it is the description the
 * layer id is computed from. Directories get their final mode, owner, xattrs and
 * time at the end, once nothing more is written into them. Every layer file's
 * sha256 is computed on a second thread while its bytes pass (hasher.c). */
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

#define SOURCE_MAX_BYTES (4ull << 30)
#define SOURCE_MAX_FILE_BYTES (1ull << 30)

struct extractor {
	struct archive *in;
	const char *what;
	bool source;               /* an app source rather than a layer */
	uid_t uid;                 /* source: the owner of everything */
	gid_t gid;
	uid_t euid;                /* files are created owned by these */
	gid_t egid;
	int umask;                 /* the process's, to know when fchmod is needed; -1 unknown */
	int rootfd;
	struct model model;        /* what has been written */
	char *parent;              /* the last parent directory opened, and its fd */
	int parentfd;
	struct hasher *hasher;     /* layers only */
	uint64_t total, max_total, max_file;
	size_t entries;
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

	if (!a)
		xalloc_failed(0);
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

/* A message about one entry: "ubuntu.tar: archive entry usr/bin/x: ..." for
 * layers, "source archive entry 'app.py': ..." for sources. */
static int entry_fail(struct extractor *x, const char *raw, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int entry_fail(struct extractor *x, const char *raw, int errnum, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errnum)
		return x->source ? berr_errno(x->err, errnum, "source archive entry '%s': %s", raw, msg)
				 : berr_errno(x->err, errnum, "%s: archive entry %s: %s", x->what, raw, msg);
	return x->source ? berr_fail(x->err, "source archive entry '%s': %s", raw, msg)
			 : berr_fail(x->err, "%s: archive entry %s: %s", x->what, raw, msg);
}

/* Dokku's words for a hostile source archive (plugins/common/archive-functions),
 * then the entry: " !     Archive contains entries with absolute paths: '/etc/x'". */
static int source_refuse(struct extractor *x, const char *what, const char *detail)
{
	return berr_fail(x->err, "Archive contains %s: %s", what, detail);
}

/* Whether symlink path's target, read from the link's directory, climbs above the
 * root: "a/l" -> "../../x" does, "a/l" -> "../x" does not. Lexical, as the
 * archive is read; nothing is ever written through a symlink anyway. */
static bool link_climbs_out(const char *path, const char *target)
{
	long depth = 0;
	const char *p;

	for (p = path; (p = strchr(p, '/')); p++)
		depth++;
	for (p = target; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return false;
}

/* Writing through symlink p: for a source, Dokku's words when the link leads out. */
static int through_symlink(struct extractor *x, const char *raw, const char *p,
			   const struct tree_entry *e)
{
	const char *t = e->target ? e->target : "";
	autofree char *detail = xasprintf("'%s' -> '%s' (entry '%s')", p, t, raw);

	if (x->source && t[0] == '/')
		return source_refuse(x, "symlinks with absolute targets", detail);
	if (x->source && link_climbs_out(p, t))
		return source_refuse(x, "symlinks pointing outside extraction directory", detail);
	return entry_fail(x, raw, 0, "%s is a symlink: nothing is written through symlinks", p);
}

static int read_umask(void)
{
	autofclose FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned m;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &m) == 1)
			return (int)m;
	return -1;
}

static int open_dir_beneath(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

static void forget_parent(struct extractor *x)
{
	if (x->parentfd >= 0)
		close(x->parentfd);
	x->parentfd = -1;
	free(x->parent);
	x->parent = NULL;
}

/* A directory the archive did not name (yet): fixed metadata, so that the same
 * archive always gives the same layer: 0755, mtime 0, root (a source: its owner). */
static void model_implied_dir(struct extractor *x, const char *path)
{
	struct tree_entry *d = model_put(&x->model, path, T_DIR);

	d->implied = true;
	d->mode = 0755;
	d->uid = x->source ? x->uid : 0;
	d->gid = x->source ? x->gid : 0;
	d->mtime = 0;
}

/* Component by component, guided by the model: missing directories are made,
 * anything else in the way is refused with its name. */
static int make_parents(struct extractor *x, const char *dir, const char *raw)
{
	autofree char *p = xstrdup(dir);
	autoclose int fd = openat(x->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *c = p;

	if (fd < 0)
		return entry_fail(x, raw, errno, "open the destination");
	for (;;) {
		char *slash = strchr(c, '/');
		struct tree_entry *e;
		int next;

		if (slash)
			*slash = '\0';
		e = model_get(&x->model, p);
		if (e && e->type == T_SYMLINK)
			return through_symlink(x, raw, p, e);
		if (e && e->type != T_DIR)
			return entry_fail(x, raw, 0, "%s is not a directory", p);
		if (!e) {
			if (mkdirat(fd, c, 0700) < 0)
				return entry_fail(x, raw, errno, "create directory %s", p);
			model_implied_dir(x, p);
		}
		next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return entry_fail(x, raw, errno, "open directory %s", p);
		close(fd);
		fd = next;
		if (!slash)
			break;
		*slash = '/';
		c = slash + 1;
	}
	x->parentfd = steal_fd(&fd);
	return 0;
}

/* The directory that will hold path's entry; borrowed, valid until the next call. */
static int parent_dir(struct extractor *x, const char *dir, const char *raw)
{
	struct tree_entry *e;

	if (x->parent && !strcmp(x->parent, dir))
		return x->parentfd;
	forget_parent(x);
	e = model_get(&x->model, dir);
	/* Entries come directory by directory: one openat2 finds most parents. */
	if (e && e->type == T_DIR)
		x->parentfd = open_dir_beneath(x->rootfd, dir, O_PATH);
	if (x->parentfd < 0 && make_parents(x, dir, raw) < 0)
		return -1;
	x->parent = xstrdup(dir);
	return x->parentfd;
}

static void split_path(const char *path, char **dir, const char **name)
{
	const char *slash = strrchr(path, '/');

	*dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	*name = slash ? slash + 1 : path;
}

/* Before writing path: what is there goes, as tar replaces it. Returns 1 when a
 * directory is there and a directory is coming (kept, its metadata updated). */
static int make_room(struct extractor *x, int pfd, const char *path, const char *name,
		     bool dir, const char *raw)
{
	struct tree_entry *e = model_get(&x->model, path);

	if (!e)
		return 0;
	if (e->type == T_DIR) {
		if (dir)
			return 1;
		if (unlinkat(pfd, name, AT_REMOVEDIR) < 0)
			return entry_fail(x, raw, errno == ENOTEMPTY ? 0 : errno,
					  errno == ENOTEMPTY ? "replaces the directory %s, which is not empty"
							     : "replace the directory %s", path);
		/* A cached parent may be (inside) what was removed. */
		forget_parent(x);
		model_remove(&x->model, path);
		return 0;
	}
	if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
		return entry_fail(x, raw, errno, "replace %s", path);
	model_remove(&x->model, path);
	return 0;
}

static int extract_whiteout(struct extractor *x, const char *path, const char *base, const char *raw)
{
	autofree char *parent = base == path ? xstrdup(".") : xstrndup(path, (size_t)(base - path - 1));
	const char *name = base + strlen(WHITEOUT_PREFIX);
	autofree char *target = NULL;
	int pfd;

	/* Other ".wh..wh." names are aufs bookkeeping, not content. */
	if (strcmp(base, OPAQUE_MARKER) && str_has_prefix(base, WHITEOUT_PREFIX WHITEOUT_PREFIX))
		return 0;
	pfd = parent_dir(x, parent, raw);
	if (pfd < 0)
		return -1;
	if (!strcmp(base, OPAQUE_MARKER)) {
		/* Set on disk with the directory's other metadata, at the end. */
		model_get(&x->model, parent)->opaque = true;
		return 0;
	}
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return entry_fail(x, raw, 0, "not a valid whiteout");
	target = !strcmp(parent, ".") ? xstrdup(name) : xasprintf("%s/%s", parent, name);
	if (model_get(&x->model, target))
		return entry_fail(x, raw, 0, "whiteout for %s, which this layer also contains", name);
	if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
		return entry_fail(x, raw, errno, "create whiteout");
	model_put(&x->model, target, T_WHITEOUT);
	return 0;
}

/* A hard link may only name something already extracted here, reached without
 * symlinks: otherwise link(2) would pull in a file from outside. */
static int check_hardlink(struct extractor *x, struct archive_entry *e, const char *raw,
			  char **target)
{
	const char *link = archive_entry_hardlink(e);
	const char *why;
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st;
	autoclose int fd = -1;

	if (path_clean(link, target, &why) < 0)
		return entry_fail(x, raw, 0, "hard link to %s: %s", link, why);
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
		return entry_fail(x, raw, 0, "hard link with data");
	fd = (int)syscall(SYS_openat2, x->rootfd, *target, &how, sizeof(how));
	if (fd < 0)
		return entry_fail(x, raw, 0, "hard link to %s, which is not in this %s", link,
				  x->source ? "archive" : "layer");
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode))
		return entry_fail(x, raw, 0, "hard link to directory %s", link);
	return 0;
}

/* Set the xattrs a layer keeps (none for sources) on fd. */
static int set_archive_xattrs(struct extractor *x, int fd, struct archive_entry *e, const char *raw)
{
	const char *name;
	const void *value;
	size_t size;

	if (x->source || archive_entry_xattr_reset(e) == 0)
		return 0;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (xattr_kept(name) && fsetxattr(fd, name, value, size, 0) < 0)
			return entry_fail(x, raw, errno, "set xattr %s", name);
	return 0;
}

static bool needs_chmod(struct extractor *x, uint32_t mode)
{
	return (mode & 07000) || x->umask < 0 || (mode & (uint32_t)x->umask);
}

static int check_size(struct extractor *x, const char *raw, uint64_t file_end, uint64_t added)
{
	char a[32], b[32];

	if (x->max_file && file_end > x->max_file) {
		images_format_size(x->max_file, b);
		return entry_fail(x, raw, 0, "a file of more than %s unpacked; set BERTH_SOURCE_MAX_FILE_BYTES to allow more", b);
	}
	x->total += added;
	if (x->max_total && x->total > x->max_total) {
		images_format_size(x->total, a);
		images_format_size(x->max_total, b);
		return entry_fail(x, raw, 0, "the archive unpacks to more than %s (%s so far); set BERTH_SOURCE_MAX_BYTES to allow more",
				  b, a);
	}
	return 0;
}

/* Data blocks to fd at their offsets; holes stay holes (and hash as zeros). */
static int write_data(struct extractor *x, int fd, struct archive_entry *e, const char *raw)
{
	uint64_t size = archive_entry_size_is_set(e) ? (uint64_t)archive_entry_size(e) : 0, end = 0;

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(x->in, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_OK)
			return x->source ? archive_fail(x->in, x->err, "source archive entry '%s'", raw)
					 : archive_fail(x->in, x->err, "%s: archive entry %s", x->what, raw);
		if (off < 0 || (uint64_t)off < end)
			return entry_fail(x, raw, 0, "data blocks out of order");
		/* Sizes an archive does not declare (zip streams) are counted as they come. */
		if ((uint64_t)off + len > size &&
		    check_size(x, raw, (uint64_t)off + len, (uint64_t)off + len - (size > end ? size : end)) < 0)
			return -1;
		if (x->hasher) {
			hasher_zeros(x->hasher, (uint64_t)off - end);
			hasher_data(x->hasher, buf, len);
		}
		for (size_t done = 0; done < len;) {
			ssize_t w = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return entry_fail(x, raw, errno, "write");
			done += (size_t)w;
		}
		end = (uint64_t)off + len;
		if (end > size)
			size = end;
	}
	if (size > end) {
		if (ftruncate(fd, (off_t)size) < 0)
			return entry_fail(x, raw, errno, "write");
		if (x->hasher)
			hasher_zeros(x->hasher, size - end);
	}
	return 0;
}

static int write_file(struct extractor *x, int pfd, const char *name, struct tree_entry *m,
		      struct archive_entry *e, const char *raw)
{
	struct timespec times[2] = { { m->mtime, 0 }, { m->mtime, 0 } };
	autoclose int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				  m->mode & 0777);
	int r;

	if (fd < 0)
		return entry_fail(x, raw, errno, "create");
	if (x->max_file && check_size(x, raw, m->size, m->size) < 0)
		return -1;
	if (x->hasher)
		m->file_no = (int64_t)hasher_begin(x->hasher);
	r = write_data(x, fd, e, raw);
	if (x->hasher)
		hasher_end(x->hasher);
	if (r < 0)
		return -1;
	/* chown first: it clears set-id bits. */
	if ((m->uid != x->euid || m->gid != x->egid) && fchown(fd, m->uid, m->gid) < 0)
		return entry_fail(x, raw, errno, "set the owner");
	if (needs_chmod(x, m->mode) && fchmod(fd, m->mode) < 0)
		return entry_fail(x, raw, errno, "set the mode");
	if (set_archive_xattrs(x, fd, e, raw) < 0)
		return -1;
	if (futimens(fd, times) < 0)
		return entry_fail(x, raw, errno, "set the time");
	return 0;
}

static int write_other(struct extractor *x, int pfd, const char *name, const struct tree_entry *m,
		       const char *raw)
{
	struct timespec times[2] = { { m->mtime, 0 }, { m->mtime, 0 } };

	if (m->type == T_SYMLINK) {
		if (symlinkat(m->target, pfd, name) < 0)
			return entry_fail(x, raw, errno, "create symlink");
	} else if (mknodat(pfd, name, S_IFIFO | 0600, 0) < 0 || fchmodat(pfd, name, m->mode, 0) < 0) {
		return entry_fail(x, raw, errno, "create fifo");
	}
	if ((m->uid != x->euid || m->gid != x->egid) &&
	    fchownat(pfd, name, m->uid, m->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_fail(x, raw, errno, "set the owner");
	if (m->type == T_FIFO && (m->mode & 07000) && fchmodat(pfd, name, m->mode, 0) < 0)
		return entry_fail(x, raw, errno, "set the mode");
	if (utimensat(pfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_fail(x, raw, errno, "set the time");
	return 0;
}

/* Owner, mode and time as the archive says (a source's belong to the build user). */
static void entry_meta(struct extractor *x, struct tree_entry *m, struct archive_entry *e)
{
	model_from_archive(m, e);
	if (x->source) {
		m->uid = x->uid;
		m->gid = x->gid;
		m->mode &= 0777;
		free(m->xattrs);
		m->xattrs = NULL;
		m->xattrs_len = 0;
	}
}

/* "./": the destination itself. A layer keeps its metadata; a source's stays. */
static int root_entry(struct extractor *x, struct archive_entry *e, const char *raw)
{
	struct tree_entry *m;

	if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e))
		return entry_fail(x, raw, 0, "the root of a %s must be a directory", x->source ? "source" : "layer");
	if (x->source)
		return 0;
	m = model_get(&x->model, ".");
	if (!m)
		m = model_put(&x->model, ".", T_DIR);
	m->implied = false;
	entry_meta(x, m, e);
	return 0;
}

static int check_type(struct extractor *x, struct archive_entry *e, const char *raw)
{
	mode_t type = archive_entry_filetype(e);

	if (archive_entry_hardlink(e))
		return type == AE_IFDIR ? entry_fail(x, raw, 0, "hard link to a directory") : 0;
	if (x->source) {
		if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
			return berr_fail(x->err, "source archive entry '%s' is a device, fifo or socket; only files, directories and links are allowed",
					 raw);
		return 0;
	}
	if (type == AE_IFCHR || type == AE_IFBLK)
		return entry_fail(x, raw, 0, "device nodes (%u,%u) are not allowed in layers",
				  major(archive_entry_rdev(e)), minor(archive_entry_rdev(e)));
	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFIFO)
		return entry_fail(x, raw, 0, "unsupported file type");
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
	autofree char *path = NULL, *dir = NULL, *link = NULL;
	const char *why, *base, *name;
	mode_t type = archive_entry_filetype(e);
	struct tree_entry *m;
	int pfd, room;

	if (!raw || !*raw)
		return x->source ? berr_fail(x->err, "source archive has an entry without a name")
				 : berr_fail(x->err, "%s is damaged: an archive entry has no name", x->what);
	x->entries++;
	if (path_clean(raw, &path, &why) < 0) {
		autofree char *quoted = xasprintf("'%s'", raw);

		if (x->source)
			return source_refuse(x, raw[0] == '/' ? "entries with absolute paths"
							      : "entries with parent directory traversal",
					     quoted);
		return entry_fail(x, raw, 0, "%s", why);
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!x->source && str_has_prefix(base, WHITEOUT_PREFIX))
		return extract_whiteout(x, path, base, raw);
	if (!x->source && type == AE_IFCHR && archive_entry_rdev(e) == 0 && strcmp(path, ".") &&
	    !archive_entry_hardlink(e)) {
		/* Already an overlayfs whiteout (some tools export layers so). */
		autofree char *wh = base == path ? xasprintf(WHITEOUT_PREFIX "%s", base)
			: xasprintf("%.*s/" WHITEOUT_PREFIX "%s", (int)(base - path - 1), path, base);

		return extract_whiteout(x, wh, strrchr(wh, '/') ? strrchr(wh, '/') + 1 : wh, raw);
	}
	if (check_type(x, e, raw) < 0)
		return -1;
	if (!strcmp(path, "."))
		return root_entry(x, e, raw);
	if (archive_entry_hardlink(e)) {
		if (check_hardlink(x, e, raw, &link) < 0)
			return -1;
		/* GNU tar stores a path named twice as a link to itself: nothing to do. */
		if (!strcmp(link, path))
			return 0;
	}
	split_path(path, &dir, &name);
	pfd = parent_dir(x, dir, raw);
	if (pfd < 0)
		return -1;
	room = make_room(x, pfd, path, name, type == AE_IFDIR && !link, raw);
	if (room < 0)
		return -1;
	/* make_room may have closed a cached parent. */
	pfd = parent_dir(x, dir, raw);
	if (pfd < 0)
		return -1;
	if (link) {
		if (linkat(x->rootfd, link, pfd, name, 0) < 0)
			return entry_fail(x, raw, errno, "hard link to %s", link);
		if (model_hardlink(&x->model, path, link) < 0)
			return entry_fail(x, raw, 0, "hard link to %s, which is not a file here", link);
		return 0;
	}
	if (type == AE_IFDIR) {
		bool opaque = false;

		if (room == 1) {
			m = model_get(&x->model, path);
			opaque = m->opaque;
			free(m->xattrs);
			m->xattrs = NULL;
			m->xattrs_len = 0;
		} else {
			if (mkdirat(pfd, name, 0700) < 0)
				return entry_fail(x, raw, errno, "create directory");
			m = model_put(&x->model, path, T_DIR);
		}
		entry_meta(x, m, e);
		m->implied = false;
		m->opaque = opaque;
		return 0;
	}
	m = model_put(&x->model, path, model_type(type));
	entry_meta(x, m, e);
	if (type == AE_IFREG)
		return write_file(x, pfd, name, m, e, raw);
	return write_other(x, pfd, name, m, raw);
}

/* Mode, owner, xattrs and time of every directory, now that nothing more is
 * written into them (changing a child's metadata leaves its parent's mtime). */
static int finish_dirs(struct extractor *x)
{
	for (size_t i = 0; i < x->model.t.n; i++) {
		struct tree_entry *d = &x->model.t.v[i];
		struct timespec times[2] = { { d->mtime, 0 }, { d->mtime, 0 } };
		autoclose int fd = -1;

		if (d->type != T_DIR || (x->source && !strcmp(d->path, ".")))
			continue;
		fd = open_dir_beneath(x->rootfd, d->path, O_RDONLY);
		if (fd < 0)
			return x->source ? berr_sys(x->err, "source archive: open directory %s", d->path)
					 : berr_sys(x->err, "%s: open directory %s", x->what, d->path);
		if ((d->uid != x->euid || d->gid != x->egid) && fchown(fd, d->uid, d->gid) < 0)
			return berr_sys(x->err, "%s: set the owner of directory %s", x->what, d->path);
		if (fchmod(fd, d->mode) < 0)
			return berr_sys(x->err, "%s: set the mode of directory %s", x->what, d->path);
		if (set_entry_xattrs(fd, d, x->err) < 0)
			return berr_prefix(x->err, "%s", x->what);
		if (futimens(fd, times) < 0)
			return berr_sys(x->err, "%s: set the time of directory %s", x->what, d->path);
	}
	return 0;
}

static void extractor_init(struct extractor *x, struct archive *in, const char *what, int rootfd,
			   struct berr *err)
{
	memset(x, 0, sizeof(*x));
	x->in = in;
	x->what = what;
	x->rootfd = rootfd;
	x->parentfd = -1;
	x->euid = geteuid();
	x->egid = getegid();
	x->umask = read_umask();
	x->err = err;
	model_init(&x->model);
}

static void extractor_release(struct extractor *x)
{
	forget_parent(x);
	model_release(&x->model);
	hasher_free(x->hasher);
}

static int extract_all(struct extractor *x, struct archive_entry *e)
{
	if (!model_get(&x->model, "."))
		model_implied_dir(x, ".");
	for (;;) {
		if (!e) {
			int rr = archive_read_next_header(x->in, &e);

			if (rr == ARCHIVE_EOF)
				break;
			if (rr < ARCHIVE_WARN)
				return x->source ? archive_fail(x->in, x->err, "source archive is damaged")
						 : archive_fail(x->in, x->err, "%s", x->what);
		}
		if (extract_entry(x, e) < 0)
			return -1;
		e = NULL;
	}
	forget_parent(x);
	return finish_dirs(x);
}

int extract_layer(struct extract_source *src, struct layer_tmp *t, struct tree *out,
		  struct berr *err)
{
	struct extractor x;
	const unsigned char (*digests)[SHA256_LEN];
	size_t ndigests;
	int r = -1;

	extractor_init(&x, src->ar, src->what, t->rootfd, err);
	x.hasher = hasher_start();
	if (extract_all(&x, src->first) < 0)
		goto out;
	ndigests = hasher_finish(x.hasher, &digests);
	if (model_finish(&x.model, digests, ndigests, out) < 0) {
		berr_fail(err, "%s: a file's content was not hashed", src->what);
		goto out;
	}
	r = 0;
out:
	extractor_release(&x);
	return r;
}

static int limit_from_env(const char *name, uint64_t def, uint64_t *out, struct berr *err)
{
	const char *v = getenv(name);

	*out = def;
	if (!v || !*v)
		return 0;
	if (parse_size(v, out, err) < 0)
		return berr_prefix(err, "%s", name);
	return 0;
}

int images_source_limits(uint64_t *max_total, uint64_t *max_file, struct berr *err)
{
	if (limit_from_env("BERTH_SOURCE_MAX_BYTES", SOURCE_MAX_BYTES, max_total, err) < 0 ||
	    limit_from_env("BERTH_SOURCE_MAX_FILE_BYTES", SOURCE_MAX_FILE_BYTES, max_file, err) < 0)
		return -1;
	return 0;
}

int archive_unpack_source(int fd, int dirfd, uid_t uid, gid_t gid, size_t *entries,
			  struct berr *err)
{
	struct archive *in = archive_read_new();
	struct extractor x;
	int r = -1;

	if (!in)
		xalloc_failed(0);
	extractor_init(&x, in, "source archive", dirfd, err);
	x.source = true;
	x.uid = uid;
	x.gid = gid;
	if (images_source_limits(&x.max_total, &x.max_file, err) < 0)
		goto out;
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	archive_read_support_format_zip(in);
	if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK) {
		archive_fail(in, err, "source archive");
		goto out;
	}
	r = extract_all(&x, NULL);
	*entries = x.entries;
out:
	extractor_release(&x);
	archive_read_free(in);
	return r;
}
