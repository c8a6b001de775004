/* export.c - a stack as an OCI image archive: a tar holding an OCI image layout
 * (oci-layout, index.json, blobs/sha256/...) and a docker-load manifest.json, so
 * skopeo, umoci, podman and `docker load` all read it.
 *
 * Each layer becomes an uncompressed layer tar written from the layer's canonical
 * description (tree.c): entries sorted by path, numeric owners, whiteouts as
 * .wh.NAME, opaque directories as .wh..wh..opq, kept xattrs as pax headers. The
 * same layer always gives the same bytes, so its digest (also its diff_id) and size
 * are computed once, cached in layers/<id>/export.json, and the blob is streamed
 * straight into the archive. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/jsonfile.h"
#include "common/fs.h"
#include "images/internal.h"

#define MT_LAYOUT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"

/* Where the bytes of a layer tar go: counted and hashed, and/or written into the
 * outer archive. */
struct sink {
	struct sha256 h;
	bool hash;
	uint64_t bytes;
	struct archive *outer;  /* NULL: only count and hash */
	struct berr *err;
};

static la_ssize_t sink_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct sink *s = arg;

	if (s->hash)
		sha256_update(&s->h, buf, len);
	if (s->outer && archive_write_data(s->outer, buf, len) != (la_ssize_t)len) {
		archive_set_error(a, archive_errno(s->outer), "%s", archive_error_string(s->outer));
		return -1;
	}
	s->bytes += len;
	return (la_ssize_t)len;
}

static int hex_nibble(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static void add_xattrs(struct archive_entry *ae, const struct tree_entry *e)
{
	for (size_t off = 0; off < e->xattrs_len;) {
		const char *name = e->xattrs + off;
		const char *hex = name + strlen(name) + 1;
		size_t n = strlen(hex) / 2;
		autofree unsigned char *v = xmalloc(n ? n : 1);

		for (size_t i = 0; i < n; i++)
			v[i] = (unsigned char)(hex_nibble(hex[2 * i]) << 4 | hex_nibble(hex[2 * i + 1]));
		archive_entry_xattr_add_entry(ae, name, v, n);
		off = (size_t)(hex - e->xattrs) + 2 * n + 1;
	}
}

static char *tar_name(const struct tree_entry *e)
{
	if (!strcmp(e->path, "."))
		return xstrdup("./");
	return e->type == T_DIR ? xasprintf("%s/", e->path) : xstrdup(e->path);
}

/* A whiteout or opaque marker: an empty file with fixed metadata. */
static int write_marker(struct archive *a, const char *name, const char *what, struct berr *err)
{
	struct archive_entry *ae = archive_entry_new();
	int r;

	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, 0);
	archive_entry_set_mtime(ae, 0, 0);
	r = archive_write_header(a, ae);
	archive_entry_free(ae);
	if (r < ARCHIVE_OK)
		return archive_fail(a, err, "%s: %s", what, name);
	return 0;
}

static int write_file_data(struct archive *a, int rootfd, const struct tree_entry *e, char *buf,
			   const char *what, struct berr *err)
{
	autoclose int fd = open_file_beneath(rootfd, e->path);
	uint64_t total = 0;

	if (fd < 0)
		return berr_sys(err, "%s: open %s", what, e->path);
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 17);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_sys(err, "%s: read %s", what, e->path);
		if (n == 0)
			break;
		if (total + (uint64_t)n > e->size)
			break;
		if (archive_write_data(a, buf, (size_t)n) != n)
			return archive_fail(a, err, "%s: %s", what, e->path);
		total += (uint64_t)n;
	}
	if (total != e->size)
		return berr_fail(err, "%s: %s changed size while berth exported it", what, e->path);
	return 0;
}

static int write_entry(struct archive *a, int rootfd, const struct tree_entry *e, char *buf,
		       const char *what, struct berr *err)
{
	autofree char *name = NULL;
	struct archive_entry *ae;
	int r;

	if (e->type == T_WHITEOUT) {
		const char *slash = strrchr(e->path, '/');
		autofree char *marker = slash ? xasprintf("%.*s/.wh.%s", (int)(slash - e->path), e->path, slash + 1)
					      : xasprintf(".wh.%s", e->path);

		return write_marker(a, marker, what, err);
	}
	name = tar_name(e);
	ae = archive_entry_new();
	archive_entry_set_pathname(ae, name);
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	archive_entry_set_mtime(ae, e->mtime, 0);
	switch (e->type) {
	case T_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_perm(ae, e->mode);
		add_xattrs(ae, e);
		break;
	case T_FILE:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, e->mode);
		archive_entry_set_size(ae, (la_int64_t)e->size);
		add_xattrs(ae, e);
		break;
	case T_SYMLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_perm(ae, 0777);
		archive_entry_set_symlink(ae, e->target);
		break;
	case T_HARDLINK:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_hardlink(ae, e->target);
		archive_entry_set_size(ae, 0);
		break;
	case T_FIFO:
		archive_entry_set_filetype(ae, AE_IFIFO);
		archive_entry_set_perm(ae, e->mode);
		break;
	}
	r = archive_write_header(a, ae);
	archive_entry_free(ae);
	if (r < ARCHIVE_OK)
		return archive_fail(a, err, "%s: %s", what, e->path);
	if (e->type == T_FILE && e->size > 0 && write_file_data(a, rootfd, e, buf, what, err) < 0)
		return -1;
	if (e->type == T_DIR && e->opaque) {
		autofree char *marker = !strcmp(e->path, ".") ? xstrdup(".wh..wh..opq")
							       : xasprintf("%s/.wh..wh..opq", e->path);

		return write_marker(a, marker, what, err);
	}
	return 0;
}

/* Serialise layer id as a tar into s. */
static int layer_tar(const char *id, struct sink *s, struct berr *err)
{
	autofree char *root = layer_path(id);
	autofree char *what = xasprintf("layer %.12s", id);
	autofree char *buf = xmalloc(1 << 17);
	autoclose int rootfd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct tree tree = { 0 };
	struct archive *a;
	int r = -1;

	if (rootfd < 0)
		return berr_sys(err, "open %s", root);
	if (tree_walk(rootfd, root, 0, &tree, err) < 0) {
		tree_free(&tree);
		return -1;
	}
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_none(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open(a, s, NULL, sink_write, NULL) != ARCHIVE_OK) {
		archive_fail(a, err, "%s", what);
		goto out;
	}
	for (size_t i = 0; i < tree.n; i++)
		if (write_entry(a, rootfd, &tree.v[i], buf, what, err) < 0)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		archive_fail(a, err, "%s", what);
		goto out;
	}
	r = 0;
out:
	archive_write_free(a);
	tree_free(&tree);
	return r;
}

/* The layer tar's sha256 and size, from the cache or by writing it once. */
static int layer_tar_digest(const char *id, char hex[2 * SHA256_LEN + 1], uint64_t *size,
			    struct berr *err)
{
	autofree char *cache = store_path("layers/%s/export.json", id);
	unsigned char d[SHA256_LEN];
	struct sink s = { .hash = true, .err = err };
	json_t *o = json_load_file(cache, 0, NULL);
	const char *cached = json_string_value(json_object_get(o, "diff_id"));
	autofree char *text = NULL;

	if (digest_hex(cached) && json_is_integer(json_object_get(o, "size"))) {
		snprintf(hex, 2 * SHA256_LEN + 1, "%s", digest_hex(cached));
		*size = (uint64_t)json_integer_value(json_object_get(o, "size"));
		json_decref(o);
		return 0;
	}
	json_decref(o);
	sha256_init(&s.h);
	if (layer_tar(id, &s, err) < 0) {
		sha256_free(&s.h);
		return -1;
	}
	sha256_final(&s.h, d);
	hex_encode(d, SHA256_LEN, hex);
	*size = s.bytes;
	o = json_pack("{s:s+, s:I}", "diff_id", "sha256:", hex, "size", (json_int_t)s.bytes);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	/* Only a cache: a failure to keep it costs time next export, nothing else. */
	write_file_atomic(cache, text, strlen(text), 0644, &(struct berr){ 0 });
	return 0;
}

struct blob {
	char hex[2 * SHA256_LEN + 1];
	char *json;     /* content for JSON blobs; NULL for layers */
	uint64_t size;
	const char *layer;
};

static void json_blob(struct blob *b, json_t *o)
{
	unsigned char d[SHA256_LEN];
	struct sha256 h;

	b->json = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	b->size = strlen(b->json);
	sha256_init(&h);
	sha256_update(&h, b->json, b->size);
	sha256_final(&h, d);
	hex_encode(d, SHA256_LEN, b->hex);
	json_decref(o);
}

static int outer_entry(struct archive *a, const char *name, bool dir, uint64_t size, struct berr *err)
{
	struct archive_entry *ae = archive_entry_new();
	int r;

	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ae, dir ? 0755 : 0644);
	archive_entry_set_size(ae, dir ? 0 : (la_int64_t)size);
	archive_entry_set_mtime(ae, 0, 0);
	r = archive_write_header(a, ae);
	archive_entry_free(ae);
	return r < ARCHIVE_OK ? archive_fail(a, err, "write %s", name) : 0;
}

static int outer_json(struct archive *a, const char *name, const char *text, struct berr *err)
{
	size_t len = strlen(text);

	if (outer_entry(a, name, false, len, err) < 0)
		return -1;
	if (archive_write_data(a, text, len) != (la_ssize_t)len)
		return archive_fail(a, err, "write %s", name);
	return 0;
}

static int write_blob(struct archive *a, const struct blob *b, struct berr *err)
{
	autofree char *name = xasprintf("blobs/sha256/%s", b->hex);
	struct sink s = { .outer = a, .err = err };

	if (outer_entry(a, name, false, b->size, err) < 0)
		return -1;
	if (b->json)
		return archive_write_data(a, b->json, b->size) == (la_ssize_t)b->size ? 0
			: archive_fail(a, err, "write %s", name);
	if (layer_tar(b->layer, &s, err) < 0)
		return -1;
	if (s.bytes != b->size)
		return berr_fail(err, "layer %s changed while berth exported it", b->layer);
	return 0;
}

static const char *oci_arch(void)
{
	static struct utsname u;

	uname(&u);
	if (!strcmp(u.machine, "x86_64"))
		return "amd64";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	return u.machine;
}

/* Config, manifest, index and docker manifest of the stack, as blobs and texts. */
static int build_image(const struct image_spec *rec, struct blob *layers, struct blob *config,
		       struct blob *manifest, char **index, char **docker, struct berr *err)
{
	json_t *diff_ids = json_array(), *history = json_array(), *ldescs = json_array();
	json_t *cfg, *dlayers = json_array();
	autofree char *tag = xasprintf("berth/%s:latest", rec->name);

	for (size_t i = 0; i < rec->layers->n; i++) {
		struct layer_info info;
		struct berr ignored = { 0 };
		autofree char *origin = NULL;

		layers[i].layer = rec->layers->v[i];
		if (layer_tar_digest(rec->layers->v[i], layers[i].hex, &layers[i].size, err) < 0) {
			json_decref(diff_ids);
			json_decref(history);
			json_decref(ldescs);
			json_decref(dlayers);
			return -1;
		}
		if (layer_info_load(rec->layers->v[i], &info, &ignored) == 0) {
			origin = xstrdup(info.origin);
			layer_info_release(&info);
		}
		json_array_append_new(diff_ids, json_pack("s+", "sha256:", layers[i].hex));
		json_array_append_new(history, json_pack("{s:s, s:s}", "created", rec->created, "created_by",
							 origin ? origin : "berth"));
		json_array_append_new(ldescs, json_pack("{s:s, s:s+, s:I}", "mediaType", MT_LAYER, "digest",
							"sha256:", layers[i].hex, "size", (json_int_t)layers[i].size));
		json_array_append_new(dlayers, json_pack("s+", "blobs/sha256/", layers[i].hex));
	}
	cfg = json_object();
	json_object_set_new(cfg, "Env", strv_to_json(&rec->config->env));
	if (rec->config->workdir)
		json_object_set_new(cfg, "WorkingDir", json_string(rec->config->workdir));
	if (rec->config->user)
		json_object_set_new(cfg, "User", json_string(rec->config->user));
	if (rec->cmd && rec->cmd->n)
		json_object_set_new(cfg, "Cmd", strv_to_json(rec->cmd));
	json_blob(config, json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:o}, s:o}", "created", rec->created,
				    "architecture", oci_arch(), "os", "linux", "config", cfg, "rootfs", "type",
				    "layers", "diff_ids", diff_ids, "history", history));
	json_blob(manifest, json_pack("{s:i, s:s, s:{s:s, s:s+, s:I}, s:o}", "schemaVersion", 2, "mediaType",
				      MT_LAYOUT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest", "sha256:",
				      config->hex, "size", (json_int_t)config->size, "layers", ldescs));
	{
		json_t *o = json_pack("{s:i, s:[{s:s, s:s+, s:I, s:{s:s, s:s}}]}", "schemaVersion", 2, "manifests",
				      "mediaType", MT_LAYOUT_MANIFEST, "digest", "sha256:", manifest->hex, "size",
				      (json_int_t)manifest->size, "annotations", "org.opencontainers.image.ref.name",
				      "latest", "io.containerd.image.name", tag);

		*index = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
		o = json_pack("[{s:s+, s:[s], s:o}]", "Config", "blobs/sha256/", config->hex, "RepoTags", tag,
			      "Layers", dlayers);
		*docker = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
	}
	return 0;
}

static int write_archive(int fd, const struct image_spec *rec, struct berr *err)
{
	size_t n = rec->layers->n;
	autofree struct blob *layers = xcalloc(n ? n : 1, sizeof(*layers));
	struct blob config = { 0 }, manifest = { 0 };
	autofree char *index = NULL, *docker = NULL;
	struct archive *a = NULL;
	int r = -1;

	if (build_image(rec, layers, &config, &manifest, &index, &docker, err) < 0)
		goto out;
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_none(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		archive_fail(a, err, "write the archive");
		goto out;
	}
	if (outer_json(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", err) < 0 ||
	    outer_entry(a, "blobs/", true, 0, err) < 0 || outer_entry(a, "blobs/sha256/", true, 0, err) < 0 ||
	    write_blob(a, &config, err) < 0 || write_blob(a, &manifest, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		/* A layer used twice is one blob. */
		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(layers[k].hex, layers[i].hex);
		if (!dup && write_blob(a, &layers[i], err) < 0)
			goto out;
	}
	if (outer_json(a, "index.json", index, err) < 0 || outer_json(a, "manifest.json", docker, err) < 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		archive_fail(a, err, "write the archive");
		goto out;
	}
	r = 0;
out:
	if (a)
		archive_write_free(a);
	free(config.json);
	free(manifest.json);
	return r;
}

int image_export(const struct image_spec *spec_in, const char *dest, struct berr *err)
{
	struct image_spec copy = *spec_in, *spec = &copy;
	autofree char *now = NULL;
	autofree char *tmp = NULL;
	autoclose int fd = -1;
	int r;

	if (!copy.created || !*copy.created)
		copy.created = now = now_rfc3339();
	for (size_t i = 0; i < spec->layers->n; i++)
		if (!layer_exists(spec->layers->v[i]))
			return berr_fail(err, "%s: layer %s is missing from the store", spec->name,
					 spec->layers->v[i]);
	if (!strcmp(dest, "-"))
		return write_archive(1, spec, err);
	/* Written next to dest, renamed over it when complete. */
	tmp = xasprintf("%s.tmp-%d", dest, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return berr_sys(err, "create %s", tmp);
	r = write_archive(fd, spec, err);
	if (r == 0 && fsync(fd) < 0)
		r = berr_sys(err, "write %s", dest);
	if (r == 0 && rename(tmp, dest) < 0)
		r = berr_sys(err, "rename %s to %s", tmp, dest);
	if (r < 0)
		unlink(tmp);
	return r;
}

int image_export_stack(const char *name, const char *dest, struct berr *err)
{
	struct stack_record rec;
	struct image_spec spec;
	int r;

	if (stack_load(name, &rec, err) < 0)
		return -1;
	spec = (struct image_spec){ .name = rec.name, .layers = &rec.layers, .config = &rec.config,
				    .cmd = NULL, .created = rec.created };
	r = image_export(&spec, dest, err);
	stack_record_release(&rec);
	return r;
}
