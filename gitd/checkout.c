/* checkout.c - write a commit's tree into a directory: the source of a push's
 * deploy, without a tar in between.
 *
 * The tree came from the pusher, so it is checked as an archive would be: each
 * entry is one plain name (not "", ".", "..", ".git", nothing with '/'), files are
 * created new (O_EXCL, O_NOFOLLOW) beneath directories made here, symlinks are
 * made but never followed, the depth is bounded, and the total and per-file
 * sizes are bounded as an unpacked source archive's are
 * (BERTH_SOURCE_MAX_BYTES, BERTH_SOURCE_MAX_FILE_BYTES). Submodules are not
 * fetched: their path stays absent, as in the archive berth made before. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "gitd/internal.h"
#include "images/images.h"

/* Deeper trees are refused: each level holds a directory descriptor. */
#define CHECKOUT_MAX_DEPTH 128

struct checkout {
	git_repository *repo;
	const char *commit;
	uint64_t total, max_total, max_file;
	struct berr *err;
};

static bool name_ok(const char *name)
{
	return name[0] && strcmp(name, ".") && strcmp(name, "..") && strcasecmp(name, ".git") &&
	       !strchr(name, '/');
}

static int write_blob(struct checkout *co, int dirfd, const char *name, const char *path,
		      const git_tree_entry *e)
{
	git_filemode_t mode = git_tree_entry_filemode(e);
	git_blob *blob = NULL;
	autoclose int fd = -1;
	uint64_t size;
	int r = -1;

	if (git_blob_lookup(&blob, co->repo, git_tree_entry_id(e)) < 0)
		return gitd_git_fail(co->err, "commit %.12s: read %s", co->commit, path);
	size = (uint64_t)git_blob_rawsize(blob);
	if (mode == GIT_FILEMODE_LINK) {
		autofree char *target = xstrndup(git_blob_rawcontent(blob), (size_t)size);

		if (strlen(target) != size || size == 0 || size >= 4096)
			berr_fail(co->err, "commit %.12s: %s is not a valid symbolic link", co->commit, path);
		else if (symlinkat(target, dirfd, name) < 0)
			berr_sys(co->err, "create %s", path);
		else
			r = 0;
		goto out;
	}
	co->total += size;
	if (co->max_file && size > co->max_file) {
		berr_fail(co->err, "commit %.12s: %s is bigger than BERTH_SOURCE_MAX_FILE_BYTES allows",
			  co->commit, path);
		goto out;
	}
	if (co->max_total && co->total > co->max_total) {
		berr_fail(co->err, "commit %.12s: the source is bigger than BERTH_SOURCE_MAX_BYTES allows (at %s)",
			  co->commit, path);
		goto out;
	}
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		berr_sys(co->err, "create %s", path);
		goto out;
	}
	if (write_all(fd, git_blob_rawcontent(blob), (size_t)size, path, co->err) < 0)
		goto out;
	/* Modes as git checks files out, whatever the umask. */
	if (fchmod(fd, mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644) < 0) {
		berr_sys(co->err, "set the mode of %s", path);
		goto out;
	}
	r = 0;
out:
	git_blob_free(blob);
	return r;
}

static int write_tree(struct checkout *co, const git_tree *tree, int dirfd, const char *prefix,
		      unsigned depth)
{
	size_t n = git_tree_entrycount(tree);

	if (depth > CHECKOUT_MAX_DEPTH)
		return berr_fail(co->err, "commit %.12s: %s is nested more than %d directories deep",
				 co->commit, prefix, CHECKOUT_MAX_DEPTH);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		autofree char *path = xasprintf("%s%s", prefix, name);

		if (!name_ok(name))
			return berr_fail(co->err, "commit %.12s: '%s' is not a file name berth checks out",
					 co->commit, path);
		if (mode == GIT_FILEMODE_COMMIT)
			continue;
		if (mode == GIT_FILEMODE_TREE) {
			autofree char *sub_prefix = xasprintf("%s/", path);
			autoclose int sub = -1;
			git_tree *subtree = NULL;
			int r;

			if (mkdirat(dirfd, name, 0755) < 0)
				return berr_sys(co->err, "create %s", path);
			sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 || fchmod(sub, 0755) < 0)
				return berr_sys(co->err, "open %s", path);
			if (git_tree_lookup(&subtree, co->repo, git_tree_entry_id(e)) < 0)
				return gitd_git_fail(co->err, "commit %.12s: read %s", co->commit, path);
			r = write_tree(co, subtree, sub, sub_prefix, depth + 1);
			git_tree_free(subtree);
			if (r < 0)
				return -1;
			continue;
		}
		if (write_blob(co, dirfd, name, path, e) < 0)
			return -1;
	}
	return 0;
}

int gitd_checkout(git_repository *repo, const git_oid *commit_id, const char *dir,
		  struct berr *err)
{
	char sha[GIT_OID_HEXSZ + 1];
	struct checkout co = { .repo = repo, .commit = sha, .err = err };
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	autoclose int dirfd = -1;
	int r = -1;

	git_oid_tostr(sha, sizeof(sha), commit_id);
	if (images_source_limits(&co.max_total, &co.max_file, err) < 0)
		return -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return berr_sys(err, "create %s", dir);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return berr_sys(err, "open %s", dir);
	if (git_commit_lookup(&commit, repo, commit_id) < 0 || git_commit_tree(&tree, commit) < 0) {
		gitd_git_fail(err, "read commit %s", sha);
		goto out;
	}
	r = write_tree(&co, tree, dirfd, "", 0);
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return r;
}
