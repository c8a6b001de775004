/* layout.c - image layouts: an OCI image layout (oci-layout, index.json, blobs/) and
 * a docker-save directory (manifest.json, a config, layer tars), unpacked or given
 * as a directory. Each image layer becomes one berth layer, bottom first; the image
 * config's Env, WorkingDir and User are kept for the stack.
 *
 * Everything is opened beneath the layout directory (a symlink may not lead out of
 * it), JSON is read with jansson, and every blob whose name is its digest is
 * checked against it while it streams (a docker-save layer.tar against the config's
 * diff_ids). */
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
#include "common/fs.h"
#include "images/internal.h"

#define MAX_JSON (16 << 20)

static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

static bool is_index_type(const char *t)
{
	return t && (!strcmp(t, "application/vnd.oci.image.index.v1+json") ||
		     !strcmp(t, "application/vnd.docker.distribution.manifest.list.v2+json"));
}

static int open_in_layout(int dirfd, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
}

static int layout_open_fail(struct importer *im, const char *rel, const char *hint)
{
	if (errno == ENOENT)
		return berr_fail(im->err, "%s: %s is missing%s", im->source, rel, hint ? hint : "");
	/* openat2's answer to a symlink or ".." that would leave the directory. */
	if (errno == EXDEV || errno == ELOOP)
		return berr_fail(im->err, "%s: %s leads out of the image (through a symlink)", im->source, rel);
	return berr_sys(im->err, "%s: open %s", im->source, rel);
}

static const char *host_arch(void)
{
	static const struct { const char *uname, *oci; } map[] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "armv7l", "arm" }, { "i686", "386" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "riscv64", "riscv64" },
	};
	static struct utsname u;

	uname(&u);
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(u.machine, map[i].uname))
			return map[i].oci;
	return u.machine;
}

/* Read a JSON file of the layout; when expect_hex is set it must hash to it. */
static json_t *read_json(struct importer *im, int dirfd, const char *rel, const char *expect_hex,
			 const char *hint)
{
	autoclose int fd = open_in_layout(dirfd, rel);
	autofree char *text = NULL;
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	json_error_t jerr;
	struct stat st;
	size_t len;
	json_t *o;

	if (fd < 0) {
		layout_open_fail(im, rel, hint);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_JSON) {
		berr_fail(im->err, "%s: %s is not a JSON file of at most 16 MB", im->source, rel);
		return NULL;
	}
	if (read_fd(fd, &text, &len, im->err) < 0) {
		berr_prefix(im->err, "%s: %s", im->source, rel);
		return NULL;
	}
	if (expect_hex) {
		struct sha256 h;

		sha256_init(&h);
		sha256_update(&h, text, len);
		sha256_final(&h, d);
		hex_encode(d, SHA256_LEN, hex);
		if (strcmp(hex, expect_hex)) {
			berr_fail(im->err, "%s: %s is corrupt: its sha256 is %s, not %s", im->source, rel, hex, expect_hex);
			return NULL;
		}
	}
	o = json_loadb(text, len, 0, &jerr);
	if (!o)
		berr_fail(im->err, "%s: %s is not valid JSON: %s (line %d)", im->source, rel, jerr.text, jerr.line);
	return o;
}

static char *blob_path(const char *hex)
{
	return xasprintf("blobs/sha256/%s", hex);
}

static const char *descriptor_hex(struct importer *im, json_t *desc, const char *what)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	const char *hex = digest_hex(digest);

	if (!hex)
		berr_fail(im->err, "%s: %s has %s digest '%s'; berth reads sha256 digests", im->source, what,
			  digest ? "an unsupported" : "no", digest ? digest : "");
	return hex;
}

static void apply_config(struct importer *im, json_t *image_config)
{
	json_t *c = json_object_get(image_config, "config"), *v;
	const char *s;
	size_t i;

	if (!json_is_object(c))
		return;
	json_array_foreach(json_object_get(c, "Env"), i, v)
		if (json_is_string(v) && strchr(json_string_value(v), '='))
			strv_push(&im->config.env, json_string_value(v));
	s = json_string_value(json_object_get(c, "WorkingDir"));
	if (s && *s)
		im->config.workdir = xstrdup(s);
	s = json_string_value(json_object_get(c, "User"));
	if (s && *s)
		im->config.user = xstrdup(s);
}

/* One layer blob: extract while hashing the raw bytes, check the digests, store. */
static int import_blob(struct importer *im, int dirfd, const char *rel, const char *blob_hex,
		       const char *diff_hex, size_t i, size_t n)
{
	autofree char *label = xasprintf("layer %zu of %zu", i + 1, n);
	autofree char *what = xasprintf("%s: %s (%s)", im->source, label, rel);
	struct tree described = { 0 };
	struct extract_source src = { .what = what };
	struct layer_tmp t = { .rootfd = -1 };
	struct raw_reader rr;
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	autoclose int fd = open_in_layout(dirfd, rel);
	int r = -1;

	if (fd < 0)
		return layout_open_fail(im, rel, NULL);
	raw_reader_init(&rr, fd, true);
	src.ar = raw_reader_open(&rr, what, im->err);
	if (!src.ar)
		goto out;
	if (layer_tmp_create(&t, im->err) < 0 || extract_layer(&src, &t, &described, im->err) < 0 ||
	    raw_reader_drain(&rr, what, im->err) < 0)
		goto out;
	sha256_final(&rr.h, d);
	hex_encode(d, SHA256_LEN, hex);
	if (blob_hex && strcmp(hex, blob_hex)) {
		berr_fail(im->err, "%s is corrupt: its sha256 is %s, not %s", what, hex, blob_hex);
		goto out;
	}
	/* Only an uncompressed layer's own digest is its diff_id. */
	if (diff_hex && archive_filter_count(src.ar) == 1 && strcmp(hex, diff_hex)) {
		berr_fail(im->err, "%s is corrupt: its sha256 is %s, the image config says %s", what, hex, diff_hex);
		goto out;
	}
	r = importer_add_layer(im, &t, &described, NULL, label);
out:
	if (r < 0)
		layer_tmp_discard(&t);
	if (src.ar)
		archive_read_free(src.ar);
	raw_reader_release(&rr);
	tree_free(&described);
	return r;
}

static bool platform_matches(json_t *desc)
{
	json_t *p = json_object_get(desc, "platform");
	const char *os, *arch;

	if (!json_is_object(p))
		return true;
	os = json_string_value(json_object_get(p, "os"));
	arch = json_string_value(json_object_get(p, "architecture"));
	return (!os || !strcmp(os, "linux")) && (!arch || !strcmp(arch, host_arch()));
}

/* From an index (index.json or a nested one), the image manifest for this host. */
static json_t *resolve_manifest(struct importer *im, int dirfd, json_t *index, int depth)
{
	json_t *list = json_object_get(index, "manifests"), *desc = NULL, *v;
	const char *hex, *type;
	autofree char *rel = NULL;
	json_t *m;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0) {
		berr_fail(im->err, "%s: the image index lists no images", im->source);
		return NULL;
	}
	json_array_foreach(list, i, v)
		if (!desc && platform_matches(v))
			desc = v;
	if (!desc) {
		berr_fail(im->err, "%s: no image for linux/%s in this image index", im->source, host_arch());
		return NULL;
	}
	if (json_array_size(list) > 1) {
		const char *ref = json_string_value(json_object_get(json_object_get(desc, "annotations"),
								    "org.opencontainers.image.ref.name"));

		progress_say(im->progress, "the index lists %zu images; importing %s", json_array_size(list),
			     ref ? ref : "the first for this host");
	}
	hex = descriptor_hex(im, desc, "an image index entry");
	if (!hex)
		return NULL;
	rel = blob_path(hex);
	m = read_json(im, dirfd, rel, hex, " (the image manifest)");
	if (!m)
		return NULL;
	type = json_string_value(json_object_get(desc, "mediaType"));
	if (!type)
		type = json_string_value(json_object_get(m, "mediaType"));
	if (is_index_type(type) || (!type && json_is_array(json_object_get(m, "manifests")))) {
		json_t *inner = NULL;

		if (depth < 4)
			inner = resolve_manifest(im, dirfd, m, depth + 1);
		else
			berr_fail(im->err, "%s: image indexes nested too deeply", im->source);
		json_decref(m);
		return inner;
	}
	return m;
}

static int import_oci(struct importer *im, int dirfd)
{
	json_t *layout = NULL, *index = NULL, *manifest = NULL, *config = NULL, *layers, *v;
	json_t *diff_ids;
	const char *hex, *ctype;
	autofree char *crel = NULL;
	size_t i, n;
	int r = -1;

	if (faccessat(dirfd, "oci-layout", F_OK, 0) == 0) {
		const char *version;

		layout = read_json(im, dirfd, "oci-layout", NULL, NULL);
		if (!layout)
			goto out;
		version = json_string_value(json_object_get(layout, "imageLayoutVersion"));
		if (!version || !str_has_prefix(version, "1.")) {
			berr_fail(im->err, "%s: OCI image layout version '%s' is not supported (1.x is)", im->source,
				  version ? version : "");
			goto out;
		}
	}
	index = read_json(im, dirfd, "index.json", NULL, " (an OCI image layout needs it)");
	if (!index || !(manifest = resolve_manifest(im, dirfd, index, 0)))
		goto out;
	hex = descriptor_hex(im, json_object_get(manifest, "config"), "the image config");
	if (!hex)
		goto out;
	ctype = json_string_value(json_object_get(json_object_get(manifest, "config"), "mediaType"));
	if (ctype && strcmp(ctype, "application/vnd.oci.image.config.v1+json") &&
	    strcmp(ctype, "application/vnd.docker.container.image.v1+json")) {
		berr_fail(im->err, "%s: config type %s: this is not a container image", im->source, ctype);
		goto out;
	}
	crel = blob_path(hex);
	config = read_json(im, dirfd, crel, hex, " (the image config)");
	if (!config)
		goto out;
	apply_config(im, config);
	diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	layers = json_object_get(manifest, "layers");
	n = json_array_size(layers);
	progress_say(im->progress, "OCI image, %zu layer%s", n, n == 1 ? "" : "s");
	json_array_foreach(layers, i, v) {
		const char *type = json_string_value(json_object_get(v, "mediaType"));
		const char *lhex = descriptor_hex(im, v, "a layer");
		autofree char *rel = NULL;
		bool known_type = !type;

		for (size_t k = 0; k < ARRAY_SIZE(layer_types) && !known_type; k++)
			known_type = !strcmp(type, layer_types[k]);
		if (!lhex)
			goto out;
		if (!known_type) {
			berr_fail(im->err, "%s: layer %zu has media type %s, which is not a filesystem layer berth can read",
				  im->source, i + 1, type);
			goto out;
		}
		rel = blob_path(lhex);
		if (import_blob(im, dirfd, rel, lhex, digest_hex(json_string_value(json_array_get(diff_ids, i))),
				i, n) < 0)
			goto out;
	}
	r = 0;
out:
	json_decref(layout);
	json_decref(index);
	json_decref(manifest);
	json_decref(config);
	return r;
}

/* "blobs/sha256/<hex>" or "<hex>.json": the digest its name promises, or NULL
 * ("<id>/layer.tar" of older docker saves promises none). */
static char *name_hex(const char *rel)
{
	autofree char *hex = NULL;

	if (str_has_prefix(rel, "blobs/sha256/") && is_layer_id(rel + 13))
		return xstrdup(rel + 13);
	if (!str_has_suffix(rel, ".json"))
		return NULL;
	hex = xstrndup(rel, strlen(rel) - 5);
	return is_layer_id(hex) ? steal_ptr(hex) : NULL;
}

static int import_docker(struct importer *im, int dirfd)
{
	json_t *manifest = read_json(im, dirfd, "manifest.json", NULL, " (a docker save archive needs it)");
	json_t *first, *config = NULL, *layers, *diff_ids, *v;
	const char *crel;
	autofree char *chex = NULL;
	size_t i, n;
	int r = -1;

	if (!manifest)
		return -1;
	first = json_array_get(manifest, 0);
	crel = json_string_value(json_object_get(first, "Config"));
	layers = json_object_get(first, "Layers");
	if (!crel || !json_is_array(layers)) {
		berr_fail(im->err, "%s: manifest.json names no image (Config and Layers)", im->source);
		goto out;
	}
	if (json_array_size(manifest) > 1)
		progress_say(im->progress, "manifest.json lists %zu images; importing the first", json_array_size(manifest));
	chex = name_hex(crel);
	config = read_json(im, dirfd, crel, chex, " (the image config)");
	if (!config)
		goto out;
	apply_config(im, config);
	diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	n = json_array_size(layers);
	progress_say(im->progress, "docker save archive, %zu layer%s", n, n == 1 ? "" : "s");
	json_array_foreach(layers, i, v) {
		const char *rel = json_string_value(v);
		autofree char *lhex = NULL;

		if (!rel) {
			berr_fail(im->err, "%s: manifest.json: layer %zu is not a path", im->source, i + 1);
			goto out;
		}
		lhex = name_hex(rel);
		if (import_blob(im, dirfd, rel, lhex, digest_hex(json_string_value(json_array_get(diff_ids, i))),
				i, n) < 0)
			goto out;
	}
	r = 0;
out:
	json_decref(manifest);
	json_decref(config);
	return r;
}

int import_layout(struct importer *im, int dirfd, bool from_archive)
{
	if (faccessat(dirfd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(dirfd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return import_oci(im, dirfd);
	if (faccessat(dirfd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return import_docker(im, dirfd);
	return berr_fail(im->err, "%s: an image %s without index.json or manifest.json: the manifest is missing",
			 im->source, from_archive ? "archive" : "directory");
}
