/* source.c - unpack an app's source archive, refusing anything hostile.
 *
 * libarchive reads any tar (and zip) with any compression it detects. Entries are
 * written relative to the destination with libarchive's secure extraction: no
 * absolute paths, no "..", no writing through symlinks, and hard link targets are
 * held to the same rules. Device nodes, fifos and sockets are refused. Every file
 * is owned by the build user and loses set-id bits. An archive whose only entry at
 * the top is one directory (what GitHub and `git archive --prefix` make) can be
 * unwrapped. On any error the destination is removed again. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/cleanup.h"
#include "common/fs.h"

static int extract_entries(struct archive *in, struct archive *out, uid_t uid, gid_t gid,
			   size_t *count, struct berr *err)
{
	struct archive_entry *entry;
	int r;

	while ((r = archive_read_next_header(in, &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(entry);
		mode_t type = archive_entry_filetype(entry);

		if (!name || !*name)
			return berr_fail(err, "source archive has an entry without a name");
		if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
			return berr_fail(err, "source archive entry '%s' is a device, fifo or socket; only files, directories and links are allowed",
					 name);
		archive_entry_set_uid(entry, uid);
		archive_entry_set_gid(entry, gid);
		archive_entry_set_perm(entry, archive_entry_perm(entry) & 0777);
		r = archive_write_header(out, entry);
		if (r < ARCHIVE_WARN)
			return berr_fail(err, "source archive entry '%s': %s", name,
					 archive_error_string(out));
		if (archive_entry_size(entry) > 0 && type == AE_IFREG) {
			const void *buf;
			size_t len;
			la_int64_t off;

			while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
				if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
					return berr_fail(err, "source archive entry '%s': %s", name,
							 archive_error_string(out));
			if (r != ARCHIVE_EOF)
				return berr_fail(err, "source archive entry '%s': %s", name,
						 archive_error_string(in));
		}
		if (archive_write_finish_entry(out) < ARCHIVE_WARN)
			return berr_fail(err, "source archive entry '%s': %s", name,
					 archive_error_string(out));
		(*count)++;
	}
	if (r != ARCHIVE_EOF)
		return berr_fail(err, "source archive is damaged: %s", archive_error_string(in));
	return 0;
}

/* If dir holds exactly one entry, a directory (holding `marker`, when given),
 * move its children up. */
static int unwrap_single_dir(const char *dir, const char *marker, struct berr *err)
{
	autoclosedir DIR *d = opendir(dir);
	autofree char *only = NULL;
	autofree char *inner = NULL;
	autofree char *aside = NULL;
	struct dirent *de;
	struct stat st;

	if (!d)
		return berr_sys(err, "open %s", dir);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (only)
			return 0;
		only = xstrdup(de->d_name);
	}
	if (!only)
		return 0;
	inner = xasprintf("%s/%s", dir, only);
	if (lstat(inner, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (marker) {
		autofree char *m = xasprintf("%s/%s", inner, marker);

		if (!path_exists(m))
			return 0;
	}
	/* dir/only -> dir.unwrap, then dir.unwrap becomes dir. */
	aside = xasprintf("%s.unwrap", dir);
	if (rename(inner, aside) < 0 || rmdir(dir) < 0 || rename(aside, dir) < 0)
		return berr_sys(err, "unwrap %s", inner);
	return 0;
}

int source_extract(int fd, const char *dest, uid_t uid, gid_t gid, enum unwrap unwrap,
		   struct berr *err)
{
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	autoclose int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct berr ignored;
	size_t count = 0;
	int r = -1;

	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	archive_read_support_format_zip(in);
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
				       ARCHIVE_EXTRACT_SECURE_NODOTDOT |
				       ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
				       ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
				       ARCHIVE_EXTRACT_TIME);
	if (mkdir(dest, 0755) < 0 || lchown(dest, uid, gid) < 0) {
		berr_sys(err, "create %s", dest);
		goto out;
	}
	if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK) {
		berr_fail(err, "source archive: %s", archive_error_string(in));
		goto out;
	}
	/* Secure extraction refuses absolute names, so entries are written relative
	 * to the destination as working directory. */
	if (cwd < 0 || chdir(dest) < 0) {
		berr_sys(err, "enter %s", dest);
		goto out;
	}
	r = extract_entries(in, out, uid, gid, &count, err);
	if (archive_write_close(out) != ARCHIVE_OK && r == 0)
		r = berr_fail(err, "source archive: %s", archive_error_string(out));
	if (fchdir(cwd) < 0 && r == 0)
		r = berr_sys(err, "return to the working directory");
	if (r == 0 && count == 0)
		r = berr_fail(err, "source archive is empty");
	if (r == 0 && unwrap != UNWRAP_NEVER)
		r = unwrap_single_dir(dest, unwrap == UNWRAP_BUILDPACK ? "bin" : NULL, err);
out:
	archive_read_free(in);
	archive_write_free(out);
	if (r < 0)
		rm_rf(dest, &ignored);
	return r;
}
