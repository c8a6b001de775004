/* checkout.c - write a commit's tree into a directory: the source of a push's
 * deploy, without a tar in between; or, when the directory is a layer over the
 * checkout of an earlier tree, only what changed since that tree.
 *
 * The tree came from the pusher, so it is checked as an archive would be: each
 * entry is one plain name (not "", ".", "..", ".git", nothing with '/'), files are
 * created new (O_EXCL, O_NOFOLLOW) beneath directories made here, symlinks are
 * made but never followed, the depth is bounded, and the total and per-file
 * sizes are bounded as an unpacked source archive's are
 * (BERTH_SOURCE_MAX_BYTES, BERTH_SOURCE_MAX_FILE_BYTES). Submodules are not
 * fetched: their path stays absent, as in the archive berth made before.
 *
 * The changes from a base tree are written as overlayfs reads a layer (see
 * images/chain.c): a new or changed file, link or submodule-turned-file is
 * written; a deleted entry becomes a whiteout (character device 0:0); a
 * directory that is new or replaces a non-directory is written whole and made
 * opaque; a directory in both trees is descended into. Two trees compare entry
 * by entry on their object ids, so an unchanged directory costs nothing however
 * big it is. The label of a checkout, "git tree <oid> bytes <n>", is what a
 * later push names as its base: the tree it holds and its size, which the
 * bound on the total needs.
 *
 * A chain of such layers is flattened now and then (build/ asks for the whole
 * tree): files the base tree has unchanged are then hard-linked from the base
 * layers (found as overlayfs would) instead of written again, so flattening
 * stores directories and changed files only. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "gitd/internal.h"
#include "images/images.h"

/* Deeper trees are refused: each level holds a directory descriptor. */
#define CHECKOUT_MAX_DEPTH 128

struct checkout {
	git_repository *repo;
	git_odb *odb;
	const char *commit;
	uid_t uid;
	gid_t gid;
	bool chown;                /* entries need uid:gid (not this process's own) */
	uint64_t total;            /* bytes of regular files in the new tree */
	uint64_t written;          /* bytes written by this checkout */
	uint64_t max_total, max_file;
	size_t nlayers;            /* base layers to link unchanged files from */
	size_t linked;             /* files linked instead of written */
	struct berr *err;
};

static bool name_ok(const char *name)
{
	return name[0] && strcmp(name, ".") && strcmp(name, "..") && strcasecmp(name, ".git") &&
	       !strchr(name, '/');
}

static int own(struct checkout *co, int dirfd, const char *name, int fd, const char *path)
{
	int r;

	if (!co->chown)
		return 0;
	r = fd >= 0 ? fchown(fd, co->uid, co->gid)
		    : fchownat(dirfd, name, co->uid, co->gid, AT_SYMLINK_NOFOLLOW);
	return r < 0 ? berr_sys(co->err, "set the owner of %s", path) : 0;
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
			r = own(co, dirfd, name, -1, path);
		goto out;
	}
	co->total += size;
	co->written += size;
	if (co->max_file && size > co->max_file) {
		berr_fail(co->err, "commit %.12s: %s is bigger than BERTH_SOURCE_MAX_FILE_BYTES allows",
			  co->commit, path);
		goto out;
	}
	if (co->max_total && co->written > co->max_total) {
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
	r = own(co, dirfd, name, fd, path);
out:
	git_blob_free(blob);
	return r;
}

/* Make directory name (0755, owned) and open it; opaque hides lower layers. */
static int make_dir(struct checkout *co, int dirfd, const char *name, const char *path, bool opaque)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) < 0)
		return berr_sys(co->err, "create %s", path);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0755) < 0 || own(co, dirfd, name, fd, path) < 0 ||
	    (opaque && fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) < 0)) {
		if (fd >= 0)
			close(fd);
		return berr_sys(co->err, "create %s", path);
	}
	return fd;
}

static int write_tree(struct checkout *co, const git_tree *tree, const git_tree *old,
		      const int *lfds, int dirfd, const char *prefix, unsigned depth);

/* The directory name in each base layer (top first) as overlayfs would show
 * it: -1 where a layer lacks it or something above hides it. */
static int *sub_layers(struct checkout *co, const int *lfds, const char *name, const char *path)
{
	int *sub = xcalloc(co->nlayers, sizeof(int));
	bool hidden = false;

	for (size_t i = 0; i < co->nlayers; i++) {
		struct stat st;
		char v[2];

		sub[i] = -1;
		if (hidden || lfds[i] < 0 || fstatat(lfds[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			hidden = true;
			continue;
		}
		sub[i] = openat(lfds[i], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub[i] < 0) {
			berr_sys(co->err, "open %s in a base layer", path);
			for (size_t k = 0; k < i; k++)
				if (sub[k] >= 0)
					close(sub[k]);
			free(sub);
			return NULL;
		}
		hidden = fgetxattr(sub[i], "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
	}
	return sub;
}

static void close_layers(struct checkout *co, int *fds)
{
	for (size_t i = 0; fds && i < co->nlayers; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

/* An unchanged file (same blob and mode in the base tree): hard-link the base
 * layers' copy instead of writing it again. 1 when linked, 0 when it has to be
 * written after all. Layers are never modified, so sharing an inode is safe. */
static int link_blob(struct checkout *co, const int *lfds, int dirfd, const char *name,
		     git_filemode_t mode)
{
	for (size_t i = 0; i < co->nlayers; i++) {
		struct stat st;

		if (lfds[i] < 0 || fstatat(lfds[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(st.st_mode) || st.st_uid != co->uid || st.st_gid != co->gid ||
		    (st.st_mode & 07777) != (mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755u : 0644u) ||
		    linkat(lfds[i], name, dirfd, name, 0) < 0)
			return 0;
		co->total += (uint64_t)st.st_size;
		co->linked++;
		return 1;
	}
	return 0;
}

static int write_subtree(struct checkout *co, const git_tree_entry *e, const git_tree_entry *o,
			 const int *lfds, int dirfd, const char *path, unsigned depth, bool opaque)
{
	autofree char *sub_prefix = xasprintf("%s/", path);
	const char *name = git_tree_entry_name(e);
	autoclose int sub = make_dir(co, dirfd, name, path, opaque);
	git_tree *subtree = NULL, *old = NULL;
	int *sublfds = NULL;
	int r = -1;

	if (sub < 0)
		return -1;
	if (git_tree_lookup(&subtree, co->repo, git_tree_entry_id(e)) < 0)
		return gitd_git_fail(co->err, "commit %.12s: read %s", co->commit, path);
	/* Files to link from: where the base tree has this directory too. */
	if (lfds && o && git_tree_entry_filemode(o) == GIT_FILEMODE_TREE &&
	    git_tree_lookup(&old, co->repo, git_tree_entry_id(o)) == 0) {
		sublfds = sub_layers(co, lfds, name, path);
		if (!sublfds)
			goto out;
	}
	r = write_tree(co, subtree, sublfds ? old : NULL, sublfds, sub, sub_prefix, depth + 1);
out:
	close_layers(co, sublfds);
	git_tree_free(old);
	git_tree_free(subtree);
	return r;
}

static int check_depth(struct checkout *co, const char *prefix, unsigned depth)
{
	if (depth > CHECKOUT_MAX_DEPTH)
		return berr_fail(co->err, "commit %.12s: %s is nested more than %d directories deep",
				 co->commit, prefix, CHECKOUT_MAX_DEPTH);
	return 0;
}

/* The whole tree; with old and lfds (the base tree at this directory and the
 * base layers' directories), unchanged files are linked from the base layers. */
static int write_tree(struct checkout *co, const git_tree *tree, const git_tree *old,
		      const int *lfds, int dirfd, const char *prefix, unsigned depth)
{
	size_t n = git_tree_entrycount(tree);

	if (check_depth(co, prefix, depth) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		autofree char *path = xasprintf("%s%s", prefix, name);

		if (!name_ok(name))
			return berr_fail(co->err, "commit %.12s: '%s' is not a file name berth checks out",
					 co->commit, path);
		const git_tree_entry *o = old ? git_tree_entry_byname(old, name) : NULL;
		int linked = 0;

		if (mode == GIT_FILEMODE_COMMIT)
			continue;
		if (mode == GIT_FILEMODE_TREE) {
			if (write_subtree(co, e, o, lfds, dirfd, path, depth, false) < 0)
				return -1;
			continue;
		}
		if (o && mode != GIT_FILEMODE_LINK && git_tree_entry_filemode(o) == mode &&
		    git_oid_equal(git_tree_entry_id(o), git_tree_entry_id(e)))
			linked = link_blob(co, lfds, dirfd, name, mode);
		if (!linked && write_blob(co, dirfd, name, path, e) < 0)
			return -1;
	}
	return 0;
}

/* ---- the changes from a base tree ---- */

/* Bytes of regular files that entry e held in the base tree: what leaves the
 * total when it is deleted or replaced. */
static int base_bytes(struct checkout *co, const git_tree_entry *e, unsigned depth, uint64_t *bytes)
{
	git_filemode_t mode = git_tree_entry_filemode(e);

	if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
		size_t len;
		git_object_t type;

		if (git_odb_read_header(&len, &type, co->odb, git_tree_entry_id(e)) < 0)
			return gitd_git_fail(co->err, "read base object %s", git_tree_entry_name(e));
		*bytes += len;
	} else if (mode == GIT_FILEMODE_TREE) {
		git_tree *t = NULL;
		int r = 0;

		if (depth > CHECKOUT_MAX_DEPTH)
			return berr_fail(co->err, "the base tree is nested too deep");
		if (git_tree_lookup(&t, co->repo, git_tree_entry_id(e)) < 0)
			return gitd_git_fail(co->err, "read base tree %s", git_tree_entry_name(e));
		for (size_t i = 0; r == 0 && i < git_tree_entrycount(t); i++)
			r = base_bytes(co, git_tree_entry_byindex(t, i), depth + 1, bytes);
		git_tree_free(t);
		return r;
	}
	return 0;
}

static int forget_base(struct checkout *co, const git_tree_entry *e, unsigned depth)
{
	uint64_t bytes = 0;

	if (base_bytes(co, e, depth, &bytes) < 0)
		return -1;
	co->total = co->total > bytes ? co->total - bytes : 0;
	return 0;
}

static int whiteout(struct checkout *co, int dirfd, const char *name, const char *path)
{
	if (mknodat(dirfd, name, S_IFCHR | 0600, makedev(0, 0)) < 0)
		return berr_sys(co->err, "record the deletion of %s", path);
	return own(co, dirfd, name, -1, path);
}

static bool is_tree(const git_tree_entry *e)
{
	return e && git_tree_entry_filemode(e) == GIT_FILEMODE_TREE;
}

static bool is_submodule(const git_tree_entry *e)
{
	return e && git_tree_entry_filemode(e) == GIT_FILEMODE_COMMIT;
}

static int diff_tree(struct checkout *co, const git_tree *old, const git_tree *new, int dirfd,
		     const char *prefix, unsigned depth)
{
	if (check_depth(co, prefix, depth) < 0)
		return -1;
	/* Gone from the new tree: a whiteout hides what the layers below hold. */
	for (size_t i = 0; i < git_tree_entrycount(old); i++) {
		const git_tree_entry *o = git_tree_entry_byindex(old, i);
		const char *name = git_tree_entry_name(o);
		autofree char *path = NULL;

		if (git_tree_entry_byname(new, name) || is_submodule(o))
			continue;
		path = xasprintf("%s%s", prefix, name);
		if (forget_base(co, o, depth) < 0 || whiteout(co, dirfd, name, path) < 0)
			return -1;
	}
	for (size_t i = 0; i < git_tree_entrycount(new); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(new, i);
		const char *name = git_tree_entry_name(e);
		const git_tree_entry *o = git_tree_entry_byname(old, name);
		autofree char *path = NULL;

		if (o && git_tree_entry_filemode(o) == git_tree_entry_filemode(e) &&
		    git_oid_equal(git_tree_entry_id(o), git_tree_entry_id(e)))
			continue;
		path = xasprintf("%s%s", prefix, name);
		if (!name_ok(name))
			return berr_fail(co->err, "commit %.12s: '%s' is not a file name berth checks out",
					 co->commit, path);
		if (is_tree(o) && is_tree(e)) {
			autofree char *sub_prefix = xasprintf("%s/", path);
			autoclose int sub = make_dir(co, dirfd, name, path, false);
			git_tree *a = NULL, *b = NULL;
			int r = -1;

			if (sub < 0)
				return -1;
			if (git_tree_lookup(&a, co->repo, git_tree_entry_id(o)) < 0 ||
			    git_tree_lookup(&b, co->repo, git_tree_entry_id(e)) < 0)
				gitd_git_fail(co->err, "commit %.12s: read %s", co->commit, path);
			else
				r = diff_tree(co, a, b, sub, sub_prefix, depth + 1);
			git_tree_free(a);
			git_tree_free(b);
			if (r < 0)
				return -1;
			continue;
		}
		if (o && forget_base(co, o, depth) < 0)
			return -1;
		if (is_submodule(e)) {
			/* Not checked out: whatever was there goes. */
			if (o && !is_submodule(o) && whiteout(co, dirfd, name, path) < 0)
				return -1;
			continue;
		}
		if (is_tree(e)) {
			/* New, or in place of a file: nothing below may show through. */
			if (write_subtree(co, e, NULL, NULL, dirfd, path, depth, o != NULL) < 0)
				return -1;
			continue;
		}
		if (write_blob(co, dirfd, name, path, e) < 0)
			return -1;
	}
	return 0;
}

/* The tree a base label names, when this repository has it, and its size. */
static git_tree *base_tree(git_repository *repo, const char *label, uint64_t *bytes)
{
	char hex[GIT_OID_HEXSZ + 1];
	unsigned long long n;
	git_tree *tree = NULL;
	git_oid oid;
	int end = 0;

	if (!label || sscanf(label, "git tree %40[0-9a-f] bytes %llu%n", hex, &n, &end) != 2 ||
	    label[end] || strlen(hex) != GIT_OID_HEXSZ || git_oid_fromstr(&oid, hex) < 0 ||
	    git_tree_lookup(&tree, repo, &oid) < 0)
		return NULL;
	*bytes = n;
	return tree;
}

/* The base layers' directories, top first (NULL when one cannot be opened:
 * then nothing is linked). */
static int *base_layers(struct checkout *co, const struct strv *dirs)
{
	int *fds = xcalloc(dirs->n, sizeof(int));

	co->nlayers = dirs->n;
	for (size_t i = 0; i < dirs->n; i++)
		fds[i] = -1;
	for (size_t i = 0; i < dirs->n; i++) {
		fds[i] = open(dirs->v[dirs->n - 1 - i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fds[i] < 0) {
			close_layers(co, fds);
			co->nlayers = 0;
			return NULL;
		}
	}
	return fds;
}

int gitd_checkout(git_repository *repo, const git_oid *commit_id, struct tree_request *req,
		  struct berr *err)
{
	char sha[GIT_OID_HEXSZ + 1], tree_hex[GIT_OID_HEXSZ + 1];
	struct checkout co = { .repo = repo, .commit = sha, .err = err, .uid = req->uid,
			       .gid = req->gid };
	git_commit *commit = NULL;
	git_tree *tree = NULL, *base = NULL;
	autoclose int dirfd = -1;
	int *lfds = NULL;
	int r = -1;

	req->delta = req->same = false;
	req->label = NULL;
	co.chown = req->uid != geteuid() || req->gid != getegid();
	git_oid_tostr(sha, sizeof(sha), commit_id);
	if (images_source_limits(&co.max_total, &co.max_file, err) < 0)
		return -1;
	if (mkdir(req->dir, 0755) < 0 && errno != EEXIST)
		return berr_sys(err, "create %s", req->dir);
	dirfd = open(req->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return berr_sys(err, "open %s", req->dir);
	if (git_commit_lookup(&commit, repo, commit_id) < 0 || git_commit_tree(&tree, commit) < 0) {
		gitd_git_fail(err, "read commit %s", sha);
		goto out;
	}
	git_oid_tostr(tree_hex, sizeof(tree_hex), git_tree_id(tree));
	base = base_tree(repo, req->base, &co.total);
	if (base && req->whole) {
		/* Flatten: the whole tree, unchanged files linked from the layers. */
		co.total = 0;
		if (req->base_dirs && req->base_dirs->n)
			lfds = base_layers(&co, req->base_dirs);
		if (write_tree(&co, tree, lfds ? base : NULL, lfds, dirfd, "", 0) < 0)
			goto out;
		if (co.max_total && co.total > co.max_total) {
			berr_fail(err, "commit %.12s: the source is bigger than BERTH_SOURCE_MAX_BYTES allows",
				  sha);
			goto out;
		}
	} else if (base && git_oid_equal(git_tree_id(base), git_tree_id(tree))) {
		req->same = true;
	} else if (base) {
		if (git_repository_odb(&co.odb, repo) < 0) {
			gitd_git_fail(err, "open the object database");
			goto out;
		}
		req->delta = true;
		if (diff_tree(&co, base, tree, dirfd, "", 0) < 0)
			goto out;
		if (co.max_total && co.total > co.max_total) {
			berr_fail(err, "commit %.12s: the source is bigger than BERTH_SOURCE_MAX_BYTES allows",
				  sha);
			goto out;
		}
	} else if (write_tree(&co, tree, NULL, NULL, dirfd, "", 0) < 0) {
		goto out;
	}
	req->label = xasprintf("git tree %s bytes %" PRIu64, tree_hex, co.total);
	r = 0;
out:
	close_layers(&co, lfds);
	git_odb_free(co.odb);
	git_tree_free(base);
	git_tree_free(tree);
	git_commit_free(commit);
	return r;
}
