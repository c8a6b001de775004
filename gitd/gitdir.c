/* gitdir.c - keep-git-dir: a .git beside a checkout, as Dokku's build context
 * has one when `git:set APP keep-git-dir true`. A repository (not bare) at
 * DIR/.git whose branch is at the deployed commit, holding every object that
 * commit reaches (one pack made from the app's repository) and an index of its
 * tree, so that `git status`, `git log` and `git rev-parse HEAD` work in the
 * app's processes. Everything in it is owned by the build user, as the
 * checkout is. */
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "gitd/internal.h"

struct pack_sink {
	git_odb_writepack *wp;
	git_indexer_progress stats;
};

static int pack_chunk(void *buf, size_t size, void *payload)
{
	struct pack_sink *s = payload;

	return s->wp->append(s->wp, buf, size, &s->stats);
}

/* Every object commit reaches, from src into dst, as one pack. */
static int copy_objects(git_repository *src, git_repository *dst, const git_oid *commit,
			struct berr *err)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	git_odb *odb = NULL;
	struct pack_sink s = { 0 };
	int r = -1;

	if (git_packbuilder_new(&pb, src) < 0 || git_revwalk_new(&walk, src) < 0 ||
	    git_revwalk_push(walk, commit) < 0 || git_packbuilder_insert_walk(pb, walk) < 0) {
		gitd_git_fail(err, "pack the history of the deployed commit");
		goto out;
	}
	if (git_repository_odb(&odb, dst) < 0 || git_odb_write_pack(&s.wp, odb, NULL, NULL) < 0) {
		gitd_git_fail(err, "write a pack into .git");
		goto out;
	}
	if (git_packbuilder_foreach(pb, pack_chunk, &s) < 0 || s.wp->commit(s.wp, &s.stats) < 0) {
		gitd_git_fail(err, "write a pack into .git");
		goto out;
	}
	r = 0;
out:
	if (s.wp)
		s.wp->free(s.wp);
	git_odb_free(odb);
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return r;
}

static uid_t own_uid;
static gid_t own_gid;

static int own_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(path, own_uid, own_gid) < 0 ? -1 : 0;
}

int gitd_write_git_dir(git_repository *src, const git_oid *commit, const char *branch,
		       const char *dir, uid_t uid, gid_t gid, struct berr *err)
{
	git_repository_init_options opts;
	git_repository *dst = NULL;
	git_reference *ref = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_index *index = NULL;
	autofree char *head = xasprintf("refs/heads/%s", branch);
	autofree char *gitdir = xasprintf("%s/.git", dir);
	int validate = 1, r = -1;

	/* A pushed tree never holds ".git" (checkout.c refuses the name), so
	 * this is a new directory, not something the push put there. */
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = branch;
	/* dir is the build user's, not ours: libgit2 would refuse to work in it
	 * (safe.directory). It is the layer berth is writing, so that check is
	 * off for this repository only (put back before returning). */
	git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &validate);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (git_repository_init_ext(&dst, dir, &opts) < 0) {
		gitd_git_fail(err, "create %s", gitdir);
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, validate);
		return -1;
	}
	if (copy_objects(src, dst, commit, err) < 0)
		goto out;
	if (git_reference_create(&ref, dst, head, commit, 1, "berth: deployed") < 0 ||
	    git_commit_lookup(&c, dst, commit) < 0 || git_commit_tree(&tree, c) < 0 ||
	    git_repository_index(&index, dst) < 0 || git_index_read_tree(index, tree) < 0 ||
	    git_index_write(index) < 0) {
		gitd_git_fail(err, "set up %s at %s", gitdir, head);
		goto out;
	}
	own_uid = uid;
	own_gid = gid;
	if (nftw(gitdir, own_entry, 16, FTW_PHYS) != 0) {
		berr_sys(err, "give %s to the build user", gitdir);
		goto out;
	}
	r = 0;
out:
	git_index_free(index);
	git_tree_free(tree);
	git_commit_free(c);
	git_reference_free(ref);
	git_repository_free(dst);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, validate);
	return r;
}
