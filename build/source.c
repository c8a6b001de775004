/* source.c - unpack an app's source archive (or a buildpack's), refusing anything
 * hostile.
 *
 * The extracting itself is images/' one extractor (archive_unpack_source): any tar
 * or zip with any compression, nothing written outside the destination, only
 * files, directories and links, everything owned by the build user without set-id
 * bits, the unpacked size bounded. An archive whose only entry at the top is one
 * directory (what GitHub and `git archive --prefix` make) can be unwrapped. On any
 * error the destination is removed again. */
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
#include "images/images.h"

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
	autoclose int dfd = -1;
	struct berr ignored = { 0 };
	size_t count = 0;
	int r = -1;

	if (mkdir(dest, 0755) < 0)
		return berr_sys(err, "create %s", dest);
	dfd = open(dest, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fchownat(dfd, "", uid, gid, AT_EMPTY_PATH) < 0) {
		berr_sys(err, "create %s", dest);
		goto out;
	}
	r = archive_unpack_source(fd, dfd, uid, gid, &count, err);
	if (r == 0 && count == 0)
		r = berr_fail(err, "source archive is empty");
	if (r == 0 && unwrap != UNWRAP_NEVER)
		r = unwrap_single_dir(dest, unwrap == UNWRAP_BUILDPACK ? "bin" : NULL, err);
out:
	if (r < 0)
		rm_rf(dest, &ignored);
	return r;
}
