/* import.c - `stacks:import NAME FILE|DIR|-`: what the source is, and turning it
 * into layers and a stack.
 *
 * A tar stream is told apart by its first entry: an image archive (OCI layout or
 * docker save) starts with oci-layout, index.json, manifest.json, blobs/ or a
 * 64-hex-digit directory; anything else is a root filesystem and is extracted as it
 * streams. An image archive is unpacked to scratch space first, because its
 * manifest may come after the layers; stdin is copied there while it is peeked at.
 * Failure at any point leaves no temp layer, no new layer and no stack. */
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

#define READ_BLOCK (1 << 20)

/* ---- raw byte sources for libarchive: hashing and copying what passes ---- */

static la_ssize_t raw_read(struct archive *a, void *arg, const void **out)
{
	struct raw_reader *r = arg;

	for (;;) {
		ssize_t n = read(r->fd, r->buf, READ_BLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			archive_set_error(a, errno, "read");
			return -1;
		}
		if (r->hash)
			sha256_update(&r->h, r->buf, (size_t)n);
		if (r->tee_fd >= 0 && n > 0) {
			for (ssize_t off = 0; off < n;) {
				ssize_t w = write(r->tee_fd, r->buf + off, (size_t)(n - off));

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					archive_set_error(a, errno, "copy the input to scratch space");
					return -1;
				}
				off += w;
			}
		}
		r->bytes += (uint64_t)n;
		*out = r->buf;
		return n;
	}
}

void raw_reader_init(struct raw_reader *r, int fd, bool hash)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->tee_fd = -1;
	r->hash = hash;
	r->buf = xmalloc(READ_BLOCK);
	if (hash)
		sha256_init(&r->h);
}

struct archive *raw_reader_open(struct raw_reader *r, const char *what, struct berr *err)
{
	struct archive *a = layer_reader_new();

	if (archive_read_open(a, r, NULL, raw_read, NULL) != ARCHIVE_OK) {
		archive_fail(a, err, "%s", what);
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Read what libarchive left (tar padding after the end marker) into the digest. */
int raw_reader_drain(struct raw_reader *r, const char *what, struct berr *err)
{
	for (;;) {
		ssize_t n = read(r->fd, r->buf, READ_BLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_sys(err, "read %s", what);
		if (n == 0)
			return 0;
		if (r->hash)
			sha256_update(&r->h, r->buf, (size_t)n);
		if (r->tee_fd >= 0 && write(r->tee_fd, r->buf, (size_t)n) != n)
			return berr_sys(err, "copy %s to scratch space", what);
		r->bytes += (uint64_t)n;
	}
}

void raw_reader_release(struct raw_reader *r)
{
	if (r->hash && r->h.ctx)
		sha256_free(&r->h);
	free(r->buf);
	r->buf = NULL;
}

/* ---- the import ---- */

static bool image_marker(const char *raw)
{
	autofree char *first = NULL;
	const char *p = raw;

	while (str_has_prefix(p, "./"))
		p += 2;
	first = xstrndup(p, strcspn(p, "/"));
	if (!strcmp(first, "oci-layout") || !strcmp(first, "index.json") ||
	    !strcmp(first, "manifest.json") || !strcmp(first, "repositories") ||
	    !strcmp(first, "blobs"))
		return true;
	if (str_has_suffix(first, ".json"))
		first[strlen(first) - 5] = '\0';
	return is_layer_id(first);
}

void importer_fail_cleanup(struct importer *im)
{
	for (size_t i = 0; i < im->layers.n; i++) {
		bool created = false;

		for (size_t k = 0; k < im->created.n; k++)
			created |= !strcmp(im->created.v[k], im->layers.v[i]);
		if (created)
			layer_rollback(im->lease, im->layers.v[i]);
	}
}

/* After a layer is extracted into t: move it into the store, note it. */
int importer_add_layer(struct importer *im, struct layer_tmp *t, struct tree *described,
		       struct digest_table *known, const char *label)
{
	char id[LAYER_ID_HEX + 1], human[32];
	autofree char *origin = xasprintf("stacks:import %s (%s)", im->source, label);
	struct layer_info info;
	struct berr ignored = { 0 };
	bool created;

	if (layer_tmp_finish(t, described, known, 0, origin, im->lease, id, &created, im->err) < 0)
		return -1;
	strv_push(&im->layers, id);
	if (created)
		strv_push(&im->created, id);
	human[0] = '\0';
	if (layer_info_load(id, &info, &ignored) == 0) {
		images_format_size(info.size, human);
		layer_info_release(&info);
	}
	progress_say(im->progress, "%s: %.12s, %s, %s", label, id, human,
		     created ? "new" : "already stored");
	return 0;
}

static int import_rootfs_stream(struct importer *im, struct archive *a, struct archive_entry *first)
{
	struct extract_source src = { .ar = a, .first = first, .what = im->source };
	struct tree described = { 0 };
	struct layer_tmp t;
	int r;

	progress_say(im->progress, "root filesystem tarball");
	if (layer_tmp_create(&t, im->err) < 0)
		return -1;
	if (extract_layer(&src, &t, &described, im->err) < 0) {
		layer_tmp_discard(&t);
		return -1;
	}
	r = importer_add_layer(im, &t, &described, NULL, "root filesystem");
	tree_free(&described);
	return r;
}

static int import_rootfs_dir(struct importer *im, const char *dir)
{
	struct digest_table *known = digest_table_new();
	autoclose int sfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct tree tree = { 0 };
	struct layer_tmp t = { .rootfd = -1 };
	int r = -1;

	progress_say(im->progress, "root filesystem directory");
	if (sfd < 0) {
		berr_sys(im->err, "open %s", dir);
		goto out;
	}
	if (tree_walk(sfd, dir, 0, &tree, im->err) < 0 || layer_tmp_create(&t, im->err) < 0)
		goto out;
	if (tree_copy(sfd, t.rootfd, &tree, dir, known, im->err) < 0) {
		layer_tmp_discard(&t);
		goto out;
	}
	r = importer_add_layer(im, &t, NULL, known, "root filesystem");
out:
	tree_free(&tree);
	digest_table_free(known);
	return r;
}

/* Unpack an image archive (OCI layout or docker save as a tar) into the scratch
 * directory dirfd, with *at() calls that never follow symlinks. */
static int unpack_entry(struct importer *im, struct archive *a, struct archive_entry *e, int dirfd)
{
	const char *raw = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	autofree char *path = NULL, *parent = NULL;
	autoclose int pfd = -1, fd = -1;
	const char *why, *name;

	if (!raw)
		return berr_fail(im->err, "%s: an archive entry has no name", im->source);
	if (path_clean(raw, &path, &why) < 0)
		return berr_fail(im->err, "%s: archive entry %s: %s", im->source, raw, why);
	if ((type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) || archive_entry_hardlink(e))
		return berr_fail(im->err, "%s: archive entry %s: an image archive holds only files, directories and symlinks",
				 im->source, raw);
	if (type == AE_IFDIR) {
		fd = open_beneath(dirfd, path, true, im->err);
		return fd < 0 ? berr_prefix(im->err, "%s: archive entry %s", im->source, raw) : 0;
	}
	name = strrchr(path, '/');
	parent = name ? xstrndup(path, (size_t)(name - path)) : xstrdup(".");
	name = name ? name + 1 : path;
	pfd = open_beneath(dirfd, parent, true, im->err);
	if (pfd < 0)
		return berr_prefix(im->err, "%s: archive entry %s", im->source, raw);
	if (type == AE_IFLNK) {
		/* docker save links repeated layers; they are opened beneath the
		 * scratch directory later, so a link out of it leads nowhere. */
		if (symlinkat(archive_entry_symlink(e), pfd, name) < 0)
			return berr_sys(im->err, "%s: archive entry %s", im->source, raw);
		return 0;
	}
	fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr_sys(im->err, "%s: archive entry %s", im->source, raw);
	if (archive_read_data_into_fd(a, fd) < ARCHIVE_OK)
		return archive_fail(a, im->err, "%s: archive entry %s", im->source, raw);
	return 0;
}

static int unpack_image_archive(struct importer *im, int fd, int dirfd)
{
	struct raw_reader rr;
	struct archive *a;
	struct archive_entry *e;
	int r = -1;

	raw_reader_init(&rr, fd, false);
	a = raw_reader_open(&rr, im->source, im->err);
	if (!a) {
		raw_reader_release(&rr);
		return -1;
	}
	for (;;) {
		int h = archive_read_next_header(a, &e);

		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN) {
			archive_fail(a, im->err, "%s", im->source);
			goto out;
		}
		if (unpack_entry(im, a, e, dirfd) < 0)
			goto out;
	}
	r = 0;
out:
	archive_read_free(a);
	raw_reader_release(&rr);
	return r;
}

/* Scratch space for an import: tmp/import-<pid>-XXXXXX (gc removes it if we die). */
static int scratch_create(struct importer *im)
{
	autofree char *tmpl = store_path("tmp/import-%d-XXXXXX", (int)getpid());

	if (!mkdtemp(tmpl))
		return berr_sys(im->err, "create scratch directory %s", tmpl);
	im->scratch = steal_ptr(tmpl);
	return 0;
}

static int copy_rest(int in, int out, const char *what, struct berr *err)
{
	autofree char *buf = xmalloc(READ_BLOCK);

	for (;;) {
		ssize_t n = read(in, buf, READ_BLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_sys(err, "read %s", what);
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return berr_sys(err, "copy %s to scratch space", what);
			off += w;
		}
	}
}

/* A tar stream: peek at the first entry, then extract it as a root filesystem or
 * unpack it as an image archive and import that. */
static int import_stream(struct importer *im, int fd, bool seekable)
{
	struct raw_reader rr;
	struct archive *a;
	struct archive_entry *e = NULL;
	autoclose int spool = -1;
	autofree char *spool_path = NULL;
	autofree char *image_dir = NULL;
	autoclose int image_fd = -1;
	int h, r = -1;

	raw_reader_init(&rr, fd, false);
	if (!seekable) {
		if (scratch_create(im) < 0)
			goto out_rr;
		spool_path = xasprintf("%s/stdin.tar", im->scratch);
		spool = open(spool_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (spool < 0) {
			berr_sys(im->err, "create %s", spool_path);
			goto out_rr;
		}
		rr.tee_fd = spool;
	}
	a = raw_reader_open(&rr, im->source, im->err);
	if (!a)
		goto out_rr;
	h = archive_read_next_header(a, &e);
	if (h == ARCHIVE_EOF) {
		berr_fail(im->err, "%s is an empty archive: there is nothing to import", im->source);
		goto out;
	}
	if (h < ARCHIVE_WARN) {
		archive_fail(a, im->err, "%s is not a tar archive that berth can read", im->source);
		goto out;
	}
	if (!image_marker(archive_entry_pathname(e) ? archive_entry_pathname(e) : "")) {
		/* A root filesystem: no need to keep a copy of the stream. */
		rr.tee_fd = -1;
		if (spool_path)
			unlink(spool_path);
		r = import_rootfs_stream(im, a, e);
		goto out;
	}
	if (!im->scratch && scratch_create(im) < 0)
		goto out;
	if (spool >= 0) {
		rr.tee_fd = -1;
		if (copy_rest(fd, spool, im->source, im->err) < 0)
			goto out;
		fd = spool;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		berr_sys(im->err, "rewind %s", im->source);
		goto out;
	}
	image_dir = xasprintf("%s/image", im->scratch);
	if (mkdir(image_dir, 0700) < 0 ||
	    (image_fd = open(image_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		berr_sys(im->err, "create %s", image_dir);
		goto out;
	}
	if (unpack_image_archive(im, fd, image_fd) < 0)
		goto out;
	r = import_layout(im, image_fd, true);
out:
	archive_read_free(a);
out_rr:
	raw_reader_release(&rr);
	return r;
}

int stack_import(const char *name, const char *src, const struct images_progress *progress,
		 struct berr *err)
{
	struct importer im = { .name = name, .source = src, .progress = progress, .err = err };
	struct stack_record rec = { 0 };
	struct berr ignored = { 0 };
	struct stat st;
	int r = -1;

	if (stack_name_available(name, err) < 0)
		return -1;
	if (images_lease_begin(&im.lease, err) < 0)
		return -1;
	if (!strcmp(src, "-")) {
		im.source = "stdin";
		r = import_stream(&im, 0, false);
	} else if (stat(src, &st) < 0) {
		r = berr_sys(err, "%s", src);
	} else if (S_ISDIR(st.st_mode)) {
		autoclose int dfd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0)
			r = berr_sys(err, "open %s", src);
		else if (faccessat(dfd, "oci-layout", F_OK, 0) == 0 || faccessat(dfd, "index.json", F_OK, 0) == 0 ||
			 faccessat(dfd, "manifest.json", F_OK, 0) == 0)
			r = import_layout(&im, dfd, false);
		else
			r = import_rootfs_dir(&im, src);
	} else {
		autoclose int fd = open(src, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			r = berr_sys(err, "open %s", src);
		else
			r = import_stream(&im, fd, S_ISREG(st.st_mode));
	}
	if (r == 0) {
		rec.name = (char *)name;
		rec.layers = im.layers;
		rec.config = im.config;
		rec.created = now_rfc3339();
		rec.origin = xasprintf("stacks:import %s", im.source);
		r = stack_save(&rec, err);
		free(rec.created);
		free(rec.origin);
	}
	if (r < 0)
		importer_fail_cleanup(&im);
	if (im.scratch)
		rm_rf(im.scratch, &ignored);
	free(im.scratch);
	strv_free(&im.layers);
	strv_free(&im.created);
	stack_config_release(&im.config);
	images_lease_end(im.lease);
	return r;
}
