/* source.c - deploy_source(): every way a deploy's source comes in (an archive
 * on a descriptor, an archive URL, a tree a caller writes such as gitd's
 * checkout of a pushed commit), for git:from-archive, the git receiver and the
 * daemon alike. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/download.h"
#include "common/sha256.h"
#include "platform/internal.h"

/* Copy fd (a pipe maybe) into an anonymous temp file, hashing it on the way:
 * the digest names an archive that has no commit. More than max bytes (0: no
 * bound) stops the copy: an endless stdin does not fill /tmp. */
static int spool_fd(int in, uint64_t max, int *out, char digest[SHA256_HEX_LEN + 1],
		    struct berr *err)
{
	uint64_t total = 0;
	autoclose int tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	struct sha256 h;
	char buf[65536];
	ssize_t n;

	if (tmp < 0)
		return berr_sys(err, "temporary file for the archive");
	sha256_init(&h);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		total += (uint64_t)n;
		if (max && total > max) {
			sha256_free(&h);
			/* Dokku's words (git:set archive-max-size). */
			return berr_fail(err, "Archive exceeds maximum allowed size of %llu bytes",
					 (unsigned long long)max);
		}
		sha256_update(&h, buf, (size_t)n);
		if (write(tmp, buf, (size_t)n) != n) {
			sha256_free(&h);
			return berr_sys(err, "spool the archive");
		}
	}
	if (n < 0) {
		sha256_free(&h);
		return berr_sys(err, "read the archive");
	}
	sha256_final_hex(&h, digest);
	if (lseek(tmp, 0, SEEK_SET) < 0)
		return berr_sys(err, "rewind the archive");
	*out = steal_fd(&tmp);
	return 0;
}

static int download_url(const char *url, uint64_t max, int *out,
			char digest[SHA256_HEX_LEN + 1], struct berr *err)
{
	autoclose int tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (tmp < 0)
		return berr_sys(err, "temporary file for the archive");
	if (download_to_fd(url, tmp, err) < 0)
		return -1;
	if (lseek(tmp, 0, SEEK_SET) < 0)
		return berr_sys(err, "rewind the download");
	/* The spool hashes what was downloaded; the download itself is dropped. */
	return spool_fd(tmp, max, out, digest, err);
}

/* Dokku's archive-max-files: count the spooled archive's entries (headers
 * only; stops at max + 1) before anything is unpacked. An archive libarchive
 * cannot read passes: the extractor says what is wrong with it. */
static int check_entries(int fd, uint64_t max, struct berr *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	uint64_t n = 0;
	int r = 0;

	if (!a)
		xalloc_failed(0);
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK) {
		while (archive_read_next_header(a, &e) == ARCHIVE_OK && n <= max) {
			n++;
			if (archive_read_data_skip(a) != ARCHIVE_OK)
				break;
		}
	}
	archive_read_free(a);
	if (n > max)
		r = berr_fail(err, "Archive contains more than %llu entries which exceeds the maximum of %llu",
			      (unsigned long long)max, (unsigned long long)max);
	if (lseek(fd, 0, SEEK_SET) < 0 && r == 0)
		r = berr_sys(err, "rewind the archive");
	return r;
}

bool deploy_source_unchanged(const struct app *app, const char *version)
{
	struct release cur;
	struct strv config = { 0 };
	autofree char *stack = NULL;
	struct berr ignored;
	bool same;

	if (release_current(app->name, &cur, &ignored) < 0)
		return false;
	strv_sort(&cur.config);
	same = cur.version && cur.source_version && !strcmp(cur.source_version, version) &&
	       config_load_merged(app->name, &config, &ignored) == 0 && config.n == cur.config.n;
	for (size_t i = 0; same && i < config.n; i++)
		same = !strcmp(config.v[i], cur.config.v[i]);
	same = same && app_stack(&app->settings, &stack, &ignored) == 0 && cur.stack &&
	       !strcmp(stack, cur.stack);
	strv_free(&config);
	release_free(&cur);
	return same;
}

/* apps:report's deploy-source and deploy-source-metadata, as Dokku sets them
 * after each deploy. A failure to write them fails nothing: it is said. */
static void record_deploy_source(const char *app, const struct deploy_source *src,
				 const struct sink *sink)
{
	struct berr err = { 0 };

	if (apps_property_set(app, "deploy-source", src->deploy_kind, &err) < 0 ||
	    apps_property_set(app, "deploy-source-metadata",
			      src->deploy_meta && *src->deploy_meta ? src->deploy_meta : NULL, &err) < 0)
		sink_warn(sink, "deploy-source of %s not recorded: %s", app, err.msg);
}

int deploy_source(const char *name, const struct deploy_source *src, const struct sink *sink,
		  struct berr *err)
{
	struct deploy d;
	struct git_archive_limits limits;
	char digest[SHA256_HEX_LEN + 1];
	char layer[LAYER_ID_HEX + 1];
	autoclose int spooled = -1;
	autofree char *desc = NULL;
	const char *version = src->version;
	int fd = src->fd, r = -1;

	if (deploy_begin(name, src->source ? src->source
				  : src->kind == DEPLOY_TREE ? "git-hook" : "git:from-archive",
			 sink, &d, err) < 0)
		return -1;
	/* An archive from the user (not one a caller made, which has its
	 * version) is bounded as git:set archive-max-size|archive-max-files say. */
	if ((src->kind == DEPLOY_URL || (src->kind == DEPLOY_ARCHIVE && !version)) &&
	    git_archive_limits(name, &limits, err) < 0)
		goto out;
	if (src->kind == DEPLOY_URL) {
		if (download_url(src->url, limits.max_bytes, &spooled, digest, err) < 0 ||
		    check_entries(spooled, limits.max_files, err) < 0)
			goto out;
	} else if (src->kind == DEPLOY_ARCHIVE && !version) {
		if (spool_fd(src->fd, limits.max_bytes, &spooled, digest, err) < 0 ||
		    check_entries(spooled, limits.max_files, err) < 0)
			goto out;
	}
	if (spooled >= 0) {
		fd = spooled;
		if (!version)
			version = digest;
	}
	/* Dokku's "no changes" answer (git:from-archive): the archive is the
	 * active release's source and the config vars and stack it was built with
	 * are still the app's. (Dokku looks at the source alone; berth also
	 * rebuilds for a config var set with --no-restart. A buildpack change
	 * needs ps:rebuild, as in Dokku.) */
	if (src->skip_unchanged && version && deploy_source_unchanged(&d.app, version)) {
		sink_warn(d.sink, "No changes detected, skipping git commit");
		sink_warn(d.sink, "Call 'ps:rebuild' on app to rebuild the app from existing source");
		r = 0;
		goto out;
	}
	sink_step(d.sink, "Unpacking source");
	if (src->kind == DEPLOY_TREE) {
		struct release cur;
		struct berr ignored;

		/* The running release's source: a push writes only what changed. */
		if (release_current(name, &cur, &ignored) < 0)
			release_free(&cur);
		r = build_source_layer_from_tree(src->write_tree, src->ctx, cur.source_layer, d.lease,
						 layer, err);
		release_free(&cur);
	} else
		r = build_source_layer(fd, "source", d.lease, layer, err);
	if (r < 0)
		goto out;
	if (!version)
		version = layer;
	desc = xasprintf("Deploy %.12s", version);
	r = deploy_build(&d, layer, version, desc, err);
	if (r == 0 && src->deploy_kind)
		record_deploy_source(name, src, d.sink);
out:
	deploy_finish(&d, r);
	return r;
}
