/* repo_gc.c - repo:gc: an app's repo.git compacted, with libgit2 (berth-full
 * only; no git binary needed).
 *
 * What `git gc` does, in the order that never loses an object a ref or a push
 * in progress needs: every object reachable from a ref (and a detached HEAD)
 * goes into one new pack, written and fsynced first; then an old pack goes
 * when each of its objects is in the new one, else its other objects are
 * written loose first (git's repack -A); a loose object goes when the new pack
 * has it, or when nothing reaches it and it is older than two weeks (git's
 * gc.pruneExpire). Objects a push is receiving are either in a pack the walk
 * did not see (left alone) or loose and new (kept). One gc per repository at
 * a time: a flock on the repository's directory. Refs are left as they are. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "platform/internal.h"

#define PRUNE_EXPIRE_SECONDS (14 * 24 * 3600)

static int git_fail(struct berr *err, const char *what, const char *app)
{
	const git_error *e = git_error_last();

	return berr_fail(err, "repo:gc %s: %s: %s", app, what,
			 e && e->message ? e->message : "libgit2 error");
}

/* A ref's object into the pack: annotated tags (each level) as themselves,
 * commits through the walk, trees and blobs with what they hold. */
static int add_target(git_repository *repo, git_packbuilder *pb, git_revwalk *walk,
		      const git_oid *oid)
{
	git_object *obj = NULL;
	git_oid next;
	int r = 0;

	for (int depth = 0; depth < 64; depth++) {
		if (git_object_lookup(&obj, repo, oid, GIT_OBJECT_ANY) < 0)
			return -1;
		switch (git_object_type(obj)) {
		case GIT_OBJECT_TAG:
			git_oid_cpy(&next, git_tag_target_id((git_tag *)obj));
			r = git_packbuilder_insert(pb, git_object_id(obj), NULL);
			git_object_free(obj);
			if (r < 0)
				return -1;
			oid = &next;  /* the tag's target, in the next round */
			continue;
		case GIT_OBJECT_COMMIT:
			r = git_revwalk_push(walk, git_object_id(obj));
			break;
		case GIT_OBJECT_TREE:
			r = git_packbuilder_insert_tree(pb, git_object_id(obj));
			break;
		default:
			r = git_packbuilder_insert(pb, git_object_id(obj), NULL);
			break;
		}
		git_object_free(obj);
		return r;
	}
	return 0;
}

static int add_reachable(git_repository *repo, git_packbuilder *pb, struct berr *err,
			 const char *app)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	git_revwalk *walk = NULL;
	int r = -1;

	if (git_revwalk_new(&walk, repo) < 0 || git_reference_iterator_new(&it, repo) < 0)
		goto out;
	while ((r = git_reference_next(&ref, it)) == 0) {
		git_reference *direct = NULL;
		int rr = git_reference_resolve(&direct, ref);

		git_reference_free(ref);
		/* A symbolic ref to nothing (HEAD of an empty repository). */
		if (rr == GIT_ENOTFOUND)
			continue;
		if (rr < 0)
			goto out;
		rr = add_target(repo, pb, walk, git_reference_target(direct));
		git_reference_free(direct);
		if (rr < 0)
			goto out;
	}
	if (r != GIT_ITEROVER)
		goto out;
	if (git_repository_head_detached(repo) == 1) {
		git_reference *head = NULL;

		if (git_repository_head(&head, repo) < 0)
			goto out;
		r = add_target(repo, pb, walk, git_reference_target(head));
		git_reference_free(head);
		if (r < 0)
			goto out;
	}
	r = git_packbuilder_insert_walk(pb, walk);
out:
	if (r < 0)
		git_fail(err, "find the reachable objects", app);
	git_reference_iterator_free(it);
	git_revwalk_free(walk);
	return r < 0 ? -1 : 0;
}

static int odb_of_pack(const char *idx, git_odb **odb)
{
	git_odb_backend *be = NULL;

	if (git_odb_new(odb) < 0)
		return -1;
	if (git_odb_backend_one_pack(&be, idx) < 0 || git_odb_add_backend(*odb, be, 1) < 0) {
		if (be)
			be->free(be);
		git_odb_free(*odb);
		*odb = NULL;
		return -1;
	}
	return 0;
}

struct explode {
	git_odb *from, *into, *loose;
	int failed;
	size_t written;
};

/* Each object of an old pack the new one lacks is written loose. */
static int explode_one(const git_oid *oid, void *payload)
{
	struct explode *x = payload;
	git_odb_object *obj = NULL;
	git_oid written;

	if (git_odb_exists(x->into, oid))
		return 0;
	if (git_odb_read(&obj, x->from, oid) < 0 ||
	    git_odb_write(&written, x->loose, git_odb_object_data(obj), git_odb_object_size(obj),
			  git_odb_object_type(obj)) < 0) {
		git_odb_object_free(obj);
		x->failed = 1;
		return -1;
	}
	git_odb_object_free(obj);
	x->written++;
	return 0;
}

static void remove_pack_files(const char *packdir, const char *base)
{
	static const char *const exts[] = { ".pack", ".rev", ".bitmap", ".mtimes", ".idx" };

	/* The .idx last: without it, git and libgit2 ignore the rest. */
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		autofree char *p = xasprintf("%s/%s%s", packdir, base, exts[i]);

		unlink(p);
	}
}

/* The old packs: removed when the new one holds each of their objects, after
 * writing loose what it does not. */
static int retire_old_packs(const char *objdir, const char *keep_base, git_odb *newodb,
			    git_odb *loose, struct repo_gc_stats *st, struct berr *err,
			    const char *app)
{
	autofree char *packdir = xasprintf("%s/pack", objdir);
	autoclosedir DIR *d = opendir(packdir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT ? 0 : berr_sys(err, "read %s", packdir);
	while ((e = readdir(d))) {
		autofree char *base = NULL;
		autofree char *idx = NULL;
		autofree char *keep = NULL;
		struct explode x = { 0 };

		if (!str_has_prefix(e->d_name, "pack-") || !str_has_suffix(e->d_name, ".idx"))
			continue;
		base = xstrndup(e->d_name, strlen(e->d_name) - strlen(".idx"));
		if (!strcmp(base, keep_base))
			continue;
		keep = xasprintf("%s/%s.keep", packdir, base);
		if (path_exists(keep))
			continue;
		idx = xasprintf("%s/%s", packdir, e->d_name);
		if (odb_of_pack(idx, &x.from) < 0)
			return git_fail(err, "open an old pack", app);
		x.into = newodb;
		x.loose = loose;
		git_odb_foreach(x.from, explode_one, &x);
		git_odb_free(x.from);
		if (x.failed)
			return git_fail(err, "keep the objects of an old pack", app);
		remove_pack_files(packdir, base);
		st->packs_removed++;
	}
	return 0;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

/* Loose objects the new pack holds, or that are unreachable and old. */
static void prune_loose(const char *objdir, git_odb *newodb, time_t now, struct repo_gc_stats *st)
{
	for (int i = 0; i < 256; i++) {
		char sub[3];
		autofree char *dir = NULL;
		autoclosedir DIR *d = NULL;
		struct dirent *e;

		snprintf(sub, sizeof(sub), "%02x", i);
		dir = xasprintf("%s/%s", objdir, sub);
		d = opendir(dir);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			char hex[GIT_OID_HEXSZ + 1];
			struct stat sb;
			git_oid oid;

			if (strlen(e->d_name) != GIT_OID_HEXSZ - 2 || !is_hex(e->d_name, GIT_OID_HEXSZ - 2))
				continue;
			memcpy(hex, sub, 2);
			memcpy(hex + 2, e->d_name, GIT_OID_HEXSZ - 2);
			hex[GIT_OID_HEXSZ] = '\0';
			if (git_oid_fromstr(&oid, hex) < 0 || fstatat(dirfd(d), e->d_name, &sb, 0) < 0)
				continue;
			if (git_odb_exists(newodb, &oid) || now - sb.st_mtime > PRUNE_EXPIRE_SECONDS) {
				if (unlinkat(dirfd(d), e->d_name, 0) == 0)
					st->loose_removed++;
			}
		}
		rmdir(dir);  /* only when empty */
	}
}

int app_repo_gc(const char *app, const struct sink *sink, bool *done, struct repo_gc_stats *st,
		struct berr *err)
{
	autofree char *path = NULL;
	autofree char *objdir = NULL;
	autofree char *packdir = NULL;
	autofree char *new_base = NULL;
	autofree char *new_idx = NULL;
	autoclose int lock = -1;
	git_repository *repo = NULL;
	git_packbuilder *pb = NULL;
	git_odb *newodb = NULL, *loose = NULL;
	git_odb_backend *loose_be = NULL;
	time_t now = time(NULL);
	int r = -1;

	*done = false;
	memset(st, 0, sizeof(*st));
	if (app_require(app, err) < 0)
		return -1;
	path = app_path(app, "repo.git");
	if (!is_dir(path))
		return 0;  /* never pushed */
	lock = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return berr_sys(err, "lock %s", path);
	objdir = xasprintf("%s/objects", path);
	packdir = xasprintf("%s/pack", objdir);
	st->bytes_before = path_disk_bytes(objdir);
	git_libgit2_init();
	/* The new pack is on disk before an old one goes. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if (git_repository_open_bare(&repo, path) < 0) {
		git_fail(err, "open the repository", app);
		goto out;
	}
	if (git_packbuilder_new(&pb, repo) < 0) {
		git_fail(err, "start a pack", app);
		goto out;
	}
	git_packbuilder_set_threads(pb, 0);
	if (add_reachable(repo, pb, err, app) < 0)
		goto out;
	st->objects = git_packbuilder_object_count(pb);
	if (st->objects == 0) {
		r = 0;  /* no refs: nothing to pack */
		goto out;
	}
	sink_step(sink, "Packing %zu objects of %s", st->objects, app);
	if (mkdir_p(packdir, 0755, err) < 0)
		goto out;
	if (git_packbuilder_write(pb, packdir, 0, NULL, NULL) < 0) {
		git_fail(err, "write the pack", app);
		goto out;
	}
	new_base = xasprintf("pack-%s", git_packbuilder_name(pb));
	new_idx = xasprintf("%s/%s.idx", packdir, new_base);
	if (odb_of_pack(new_idx, &newodb) < 0) {
		git_fail(err, "open the new pack", app);
		goto out;
	}
	if (git_odb_new(&loose) < 0 || git_odb_backend_loose(&loose_be, objdir, -1, 1, 0, 0) < 0) {
		git_fail(err, "open the loose objects", app);
		goto out;
	}
	if (git_odb_add_backend(loose, loose_be, 1) < 0) {
		loose_be->free(loose_be);
		git_fail(err, "open the loose objects", app);
		goto out;
	}
	if (retire_old_packs(objdir, new_base, newodb, loose, st, err, app) < 0)
		goto out;
	prune_loose(objdir, newodb, now, st);
	st->bytes_after = path_disk_bytes(objdir);
	*done = true;
	r = 0;
out:
	git_odb_free(loose);
	git_odb_free(newodb);
	git_packbuilder_free(pb);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return r;
}
