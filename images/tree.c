/* tree.c - the canonical description of a layer and the id that follows from it.
 *
 * A layer's id is the sha256 of a serialisation of every entry, sorted by path:
 * type, permission bits, owner, mtime (seconds), size and content digest, symlink
 * target, the first path of a hard-linked inode, opaque flag and kept xattrs. It is
 * computed from the tree on disk, so the same tree gets the same id whether it came
 * as a tarball (in any entry order), as a directory, or as a build's upper layer.
 * Content digests of files written while extracting come from a table filled in the
 * same pass, so an import reads each byte once. */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "images/internal.h"

/* ---- digest table: path -> content digest ---- */

struct digest_table {
	struct pathmap *map;          /* path -> index in digests */
	unsigned char (*digests)[SHA256_LEN];
	size_t n, cap;
};

struct digest_table *digest_table_new(void)
{
	struct digest_table *t = xcalloc(1, sizeof(*t));

	t->map = pathmap_new();
	return t;
}

void digest_table_set(struct digest_table *t, const char *path, const unsigned char d[SHA256_LEN])
{
	uintptr_t i;

	if (!pathmap_get(t->map, path, &i)) {
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 1024;
			t->digests = xrealloc(t->digests, t->cap * SHA256_LEN);
		}
		i = t->n++;
		pathmap_put(t->map, path, i);
	}
	memcpy(t->digests[i], d, SHA256_LEN);
}

void digest_table_forget(struct digest_table *t, const char *path)
{
	pathmap_del(t->map, path);
}

const unsigned char *digest_table_get(struct digest_table *t, const char *path)
{
	uintptr_t i;

	if (!t || !pathmap_get(t->map, path, &i))
		return NULL;
	return t->digests[i];
}

void digest_table_free(struct digest_table *t)
{
	if (!t)
		return;
	pathmap_free(t->map);
	free(t->digests);
	free(t);
}

/* ---- xattrs ---- */

bool xattr_kept(const char *name)
{
	/* user.overlay.* is overlayfs' own metadata (berth mounts with userxattr): an
	 * image must not be able to forge redirects or origins. */
	if (str_has_prefix(name, "user."))
		return !str_has_prefix(name, "user.overlay.");
	return !strcmp(name, "security.capability");
}

static bool xattr_overlay_private(const char *name)
{
	return (str_has_prefix(name, "user.overlay.") || str_has_prefix(name, "trusted.overlay.")) &&
	       strcmp(name, OPAQUE_XATTR) != 0;
}

static int pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xattr_pair *)a)->name, ((const struct xattr_pair *)b)->name);
}

#ifndef SYS_listxattrat
#define SYS_listxattrat 465  /* Linux 6.13; one number on every architecture */
#endif

/* listxattrat(2) where the kernel has it: resolving /proc/self/fd/N/name for each
 * of 20,000 files costs more than the rest of the walk. */
static ssize_t list_at(int dfd, const char *name, const char *procpath, char *buf, size_t cap)
{
	static bool no_listxattrat;

	if (!no_listxattrat) {
		long n = syscall(SYS_listxattrat, dfd, name, AT_SYMLINK_NOFOLLOW, buf, cap);

		if (n >= 0 || errno != ENOSYS)
			return n;
		no_listxattrat = true;
	}
	return llistxattr(procpath, buf, cap);
}

static ssize_t xattr_list(int dfd, const char *name, const char *procpath, char **out)
{
	size_t cap = 256;

	for (;;) {
		char *buf = xmalloc(cap);
		ssize_t n = list_at(dfd, name, procpath, buf, cap);

		if (n >= 0) {
			*out = buf;
			return n;
		}
		free(buf);
		if (errno != ERANGE)
			return errno == ENOTSUP ? 0 : -1;
		cap *= 4;
	}
}

void xattrs_encode(struct xattr_pair *pairs, size_t n, struct tree_entry *e)
{
	size_t len = 0;
	char *p;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		len += strlen(pairs[i].name) + strlen(pairs[i].hex) + 2;
	qsort(pairs, n, sizeof(*pairs), pair_cmp);
	e->xattrs = p = xmalloc(len);
	for (size_t i = 0; i < n; i++) {
		size_t a = strlen(pairs[i].name) + 1, b = strlen(pairs[i].hex) + 1;

		memcpy(p, pairs[i].name, a);
		memcpy(p + a, pairs[i].hex, b);
		p += a + b;
	}
	e->xattrs_len = len;
}

static ssize_t xattr_get(const char *path, const char *name, char **out)
{
	ssize_t n = lgetxattr(path, name, NULL, 0);

	if (n < 0)
		return -1;
	*out = xmalloc((size_t)n + 1);
	n = lgetxattr(path, name, *out, (size_t)n);
	if (n < 0) {
		free(*out);
		*out = NULL;
	}
	return n;
}

/* Read an entry's xattrs through /proc/self/fd/<dir>/<name>: there is no
 * listxattrat() in glibc, and the path never leaves the directory we hold. */
static int read_xattrs(int dfd, const char *name, const char *relpath, bool sanitize,
		       struct tree_entry *e, struct berr *err)
{
	char path[64 + NAME_MAX];
	autofree char *list = NULL;
	struct xattr_pair *pairs = NULL;
	size_t np = 0;
	ssize_t n;
	int r = -1;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	n = xattr_list(dfd, name, path, &list);
	if (n < 0)
		return berr_sys(err, "list xattrs of %s", relpath);
	for (char *x = list; x < list + n; x += strlen(x) + 1) {
		autofree char *value = NULL;
		ssize_t vn;

		if (!strcmp(x, "user.overlay.metacopy")) {
			berr_fail(err, "%s has only metadata (overlayfs metacopy); its data is in a lower layer", relpath);
			goto out;
		}
		if (!strcmp(x, "user.overlay.redirect")) {
			berr_fail(err, "%s is a renamed directory (overlayfs redirect_dir) and cannot become a layer", relpath);
			goto out;
		}
		if (sanitize && xattr_overlay_private(x)) {
			if (lremovexattr(path, x) < 0 && errno != ENODATA) {
				berr_sys(err, "remove xattr %s of %s", x, relpath);
				goto out;
			}
			continue;
		}
		if (strcmp(x, OPAQUE_XATTR) && !xattr_kept(x))
			continue;
		vn = xattr_get(path, x, &value);
		if (vn < 0) {
			if (errno == ENODATA)
				continue;
			berr_sys(err, "read xattr %s of %s", x, relpath);
			goto out;
		}
		if (!strcmp(x, OPAQUE_XATTR)) {
			e->opaque = vn == 1 && value[0] == 'y';
			continue;
		}
		pairs = xrealloc(pairs, (np + 1) * sizeof(*pairs));
		pairs[np].name = x;
		pairs[np].hex = xmalloc(2 * (size_t)vn + 1);
		hex_encode((unsigned char *)value, (size_t)vn, pairs[np].hex);
		np++;
	}
	xattrs_encode(pairs, np, e);
	r = 0;
out:
	for (size_t i = 0; i < np; i++)
		free(pairs[i].hex);
	free(pairs);
	return r;
}

/* ---- walking ---- */

struct walker {
	int flags;
	uid_t uid;   /* TREE_OWN */
	gid_t gid;
	const char *what;
	struct tree *t;
	dev_t dev;
	struct berr *err;
};

static struct tree_entry *tree_add(struct tree *t, char *path, const struct stat *st)
{
	struct tree_entry *e;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtime = st->st_mtim.tv_sec;
	e->ino = st->st_ino;
	e->nlink = (uint32_t)st->st_nlink;
	return e;
}

static int walk_dir(struct walker *w, int dfd, const char *rel);

static int walk_one(struct walker *w, DIR *d, const char *name, const char *rel, bool *removed)
{
	char *path = rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
	struct tree_entry *e;
	struct stat st;

	if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		berr_sys(w->err, "stat %s in %s", path, w->what);
		free(path);
		return -1;
	}
	if ((w->flags & TREE_DROP_GIT) && S_ISDIR(st.st_mode) && !strcmp(name, ".git")) {
		free(path);
		*removed = true;
		return rm_rf_at(dirfd(d), name, w->err);
	}
	if ((w->flags & TREE_OWN) && (st.st_uid != w->uid || st.st_gid != w->gid)) {
		/* chown clears set-id bits: read the mode again after it. */
		if (fchownat(dirfd(d), name, w->uid, w->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			berr_sys(w->err, "chown %s in %s", path, w->what);
			free(path);
			return -1;
		}
	}
	if (S_ISSOCK(st.st_mode) && (w->flags & TREE_SANITIZE)) {
		/* A socket a process left behind: tar has no way to carry it either. */
		free(path);
		*removed = true;
		return unlinkat(dirfd(d), name, 0) < 0 && errno != ENOENT
			       ? berr_sys(w->err, "remove socket %s", name) : 0;
	}
	if (S_ISBLK(st.st_mode) || (S_ISCHR(st.st_mode) && st.st_rdev != 0) || S_ISSOCK(st.st_mode)) {
		berr_fail(w->err, "%s in %s is a %s: layers may not contain device nodes or sockets",
			  path, w->what, S_ISSOCK(st.st_mode) ? "socket" : "device node");
		free(path);
		return -1;
	}
	e = tree_add(w->t, path, &st);
	if (S_ISDIR(st.st_mode)) {
		int fd;

		e->type = T_DIR;
		if (st.st_dev != w->dev)
			return berr_fail(w->err, "%s in %s is a mount point", path, w->what);
		if (read_xattrs(dirfd(d), name, path, w->flags & TREE_SANITIZE, e, w->err) < 0)
			return -1;
		fd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return berr_sys(w->err, "open %s in %s", path, w->what);
		/* e may move when the vector grows: keep the index. */
		size_t idx = (size_t)(e - w->t->v);
		int r = walk_dir(w, fd, path);

		if (r < 0)
			return -1;
		if (r > 0 && fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			w->t->v[idx].mtime = st.st_mtim.tv_sec;
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		e->type = T_FILE;
		e->size = (uint64_t)st.st_size;
		return read_xattrs(dirfd(d), name, path, w->flags & TREE_SANITIZE, e, w->err);
	}
	if (S_ISLNK(st.st_mode)) {
		char *target = xmalloc((size_t)st.st_size + 1);
		ssize_t n = readlinkat(dirfd(d), name, target, (size_t)st.st_size + 1);

		e->type = T_SYMLINK;
		e->target = target;
		if (n < 0 || n > st.st_size)
			return berr_sys(w->err, "read symlink %s in %s", path, w->what);
		target[n] = '\0';
		e->size = (uint64_t)n;
		return 0;
	}
	e->type = S_ISFIFO(st.st_mode) ? T_FIFO : T_WHITEOUT;
	return 0;
}

/* Takes dfd. Returns 1 when it removed something (the directory's mtime changed). */
static int walk_dir(struct walker *w, int dfd, const char *rel)
{
	autoclosedir DIR *d = fdopendir(dfd);
	struct dirent *de;
	bool removed = false;

	if (!d) {
		close(dfd);
		return berr_sys(w->err, "read directory %s in %s", rel[0] ? rel : ".", w->what);
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (walk_one(w, d, de->d_name, rel, &removed) < 0)
			return -1;
		errno = 0;
	}
	if (errno)
		return berr_sys(w->err, "read directory %s in %s", rel[0] ? rel : ".", w->what);
	return removed ? 1 : 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tree_entry *)a)->path, ((const struct tree_entry *)b)->path);
}

static int ino_cmp(const void *a, const void *b)
{
	const struct tree_entry *x = *(struct tree_entry *const *)a;
	const struct tree_entry *y = *(struct tree_entry *const *)b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Every inode with several names: the first name (in path order) keeps the entry,
 * the others become hard links to it. Whiteouts are exempt: overlayfs shares one
 * whiteout inode between many names, and each is its own whiteout. */
static void link_hardlinks(struct tree *t)
{
	struct tree_entry **multi = NULL;
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].nlink > 1 && t->v[i].type != T_DIR && t->v[i].type != T_WHITEOUT)
			n++;
	if (n < 2)
		return;
	multi = xmalloc(n * sizeof(*multi));
	n = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].nlink > 1 && t->v[i].type != T_DIR && t->v[i].type != T_WHITEOUT)
			multi[n++] = &t->v[i];
	qsort(multi, n, sizeof(*multi), ino_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (multi[i]->ino != multi[first]->ino) {
			first = i;
			continue;
		}
		free(multi[i]->target);
		multi[i]->type = T_HARDLINK;
		multi[i]->target = xstrdup(multi[first]->path);
	}
	free(multi);
}

int tree_walk(int rootfd, const char *what, int flags, struct tree *t, struct berr *err)
{
	return tree_walk_owned(rootfd, what, flags, 0, 0, t, err);
}

int tree_walk_owned(int rootfd, const char *what, int flags, uid_t uid, gid_t gid, struct tree *t,
		    struct berr *err)
{
	struct walker w = { .flags = flags, .uid = uid, .gid = gid, .what = what, .t = t, .err = err };
	struct tree_entry *root;
	struct stat st;
	int fd;

	memset(t, 0, sizeof(*t));
	fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		berr_sys(err, "open %s", what);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	w.dev = st.st_dev;
	if ((flags & TREE_OWN) && (fchown(fd, uid, gid) < 0 || fstat(fd, &st) < 0)) {
		berr_sys(err, "chown %s", what);
		close(fd);
		return -1;
	}
	root = tree_add(t, xstrdup("."), &st);
	root->type = T_DIR;
	/* /proc/self/fd/<fd>/. is the root directory itself. */
	if (read_xattrs(fd, ".", ".", flags & TREE_SANITIZE, root, err) < 0) {
		close(fd);
		return -1;
	}
	switch (walk_dir(&w, fd, "")) {
	case -1:
		return -1;
	case 1:
		if (fstatat(rootfd, ".", &st, 0) == 0)
			t->v[0].mtime = st.st_mtim.tv_sec;
	}
	tree_finish(t);
	return 0;
}

void tree_finish(struct tree *t)
{
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), entry_cmp);
	link_hardlinks(t);
	t->bytes = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].type == T_FILE || t->v[i].type == T_SYMLINK)
			t->bytes += t->v[i].size;
}

void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].target);
		free(t->v[i].xattrs);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* ---- digests and the layer id ---- */

static int open_in_tree(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

#define HASH_BUF (1 << 17)

static int hash_file(int rootfd, const char *what, struct tree_entry *e, char *buf,
		     struct berr *err)
{
	autoclose int fd = open_in_tree(rootfd, e->path);
	struct sha256 h;
	uint64_t total = 0;

	if (fd < 0)
		return berr_sys(err, "open %s in %s", e->path, what);
	sha256_init(&h);
	for (;;) {
		ssize_t n = read(fd, buf, HASH_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sha256_free(&h);
			return berr_sys(err, "read %s in %s", e->path, what);
		}
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	sha256_final(&h, e->digest);
	if (total != e->size)
		return berr_fail(err, "%s in %s changed while berth read it", e->path, what);
	e->have_digest = true;
	return 0;
}

static struct tree_entry *tree_find(struct tree *t, const char *path)
{
	struct tree_entry key = { .path = (char *)path };

	return t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), entry_cmp) : NULL;
}

/* Digests known from extraction: a file's own, or one of its other names'. When
 * two names of an inode disagree, trust neither and read the file. */
static void digests_from_table(struct tree *t, struct digest_table *known, bool *suspect)
{
	for (size_t i = 0; i < t->n; i++) {
		struct tree_entry *e = &t->v[i];
		const unsigned char *d = digest_table_get(known, e->path);

		if (!d || (e->type != T_FILE && e->type != T_HARDLINK))
			continue;
		if (e->type == T_HARDLINK) {
			e = tree_find(t, e->target);
			if (!e || e->type != T_FILE)
				continue;
		}
		if (!e->have_digest) {
			memcpy(e->digest, d, SHA256_LEN);
			e->have_digest = true;
		} else if (memcmp(e->digest, d, SHA256_LEN)) {
			suspect[e - t->v] = true;
		}
	}
}

/* One entry's record, appended to rec: NUL-separated fields by type. */
struct recbuf {
	char *p;
	size_t n, cap;
};

static void rec_add(struct recbuf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (b->n + len + 1 > b->cap) {
		b->cap = (b->n + len + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void rec_str(struct recbuf *b, const char *s)
{
	rec_add(b, s, strlen(s) + 1);
}

static void rec_num(struct recbuf *b, const char *fmt, unsigned long long v)
{
	char num[32];

	snprintf(num, sizeof(num), fmt, v);
	rec_str(b, num);
}

static void feed_entry(struct sha256 *h, struct recbuf *b, const struct tree_entry *e)
{
	char type[2] = { e->type, 0 }, head[32], hex[2 * SHA256_LEN + 1];

	b->n = 0;
	rec_str(b, e->path);
	rec_str(b, type);
	if (e->type == T_DIR || e->type == T_FILE || e->type == T_FIFO)
		rec_num(b, "%llo", e->mode);
	if (e->type != T_HARDLINK && e->type != T_WHITEOUT) {
		rec_num(b, "%llu", e->uid);
		rec_num(b, "%llu", e->gid);
		char mtime[32];

		snprintf(mtime, sizeof(mtime), "%lld", (long long)e->mtime);
		rec_str(b, mtime);
	}
	if (e->type == T_SYMLINK || e->type == T_HARDLINK)
		rec_str(b, e->target);
	if (e->type == T_FILE) {
		hex_encode(e->digest, SHA256_LEN, hex);
		rec_num(b, "%llu", e->size);
		rec_str(b, hex);
	}
	if (e->type == T_DIR)
		rec_str(b, e->opaque ? "opaque" : "");
	if (e->type == T_DIR || e->type == T_FILE) {
		size_t nx = 0;

		for (size_t off = 0; off < e->xattrs_len; off += strlen(e->xattrs + off) + 1)
			nx++;
		rec_num(b, "%llu", nx / 2);
		rec_add(b, e->xattrs, e->xattrs_len);
	}
	/* Length-prefixed: paths may contain any byte but NUL, records stay apart. */
	snprintf(head, sizeof(head), "%zu:", b->n);
	sha256_update(h, head, strlen(head));
	sha256_update(h, b->p, b->n);
}

int tree_digest(int rootfd, const char *what, struct tree *t, struct digest_table *known,
		char id[LAYER_ID_HEX + 1], struct berr *err)
{
	static const char version[] = "berth-layer-v1\n";
	autofree bool *suspect = xcalloc(t->n ? t->n : 1, sizeof(bool));
	autofree char *buf = NULL;
	struct recbuf rec = { 0 };
	unsigned char d[SHA256_LEN];
	struct sha256 h;

	if (known)
		digests_from_table(t, known, suspect);
	for (size_t i = 0; i < t->n; i++) {
		struct tree_entry *e = &t->v[i];

		if (e->type != T_FILE || (e->have_digest && !suspect[i]))
			continue;
		if (!buf)
			buf = xmalloc(HASH_BUF);
		if (hash_file(rootfd, what, e, buf, err) < 0)
			return -1;
	}
	sha256_init(&h);
	sha256_update(&h, version, sizeof(version) - 1);
	for (size_t i = 0; i < t->n; i++)
		feed_entry(&h, &rec, &t->v[i]);
	sha256_final(&h, d);
	free(rec.p);
	hex_encode(d, SHA256_LEN, id);
	return 0;
}

/* ---- for build/ ---- */

int images_tree_digest(const char *dir, int flags, uid_t uid, gid_t gid,
		       char hex[LAYER_ID_HEX + 1], struct berr *err)
{
	autoclose int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct tree t = { 0 };
	int r;

	if (fd < 0)
		return berr_sys(err, "open %s", dir);
	r = tree_walk_owned(fd, dir, flags & (TREE_OWN | TREE_DROP_GIT), uid, gid, &t, err);
	/* Contents, not times: a fresh copy of the same tree digests the same. */
	for (size_t i = 0; r == 0 && i < t.n; i++)
		t.v[i].mtime = 0;
	if (r == 0)
		r = tree_digest(fd, dir, &t, NULL, hex, err);
	tree_free(&t);
	return r;
}
