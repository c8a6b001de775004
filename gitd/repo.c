/* repo.c - an app's bare repository: opening, creating, and a tar of a tree. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fetch_guard.h"
#include "common/fs.h"
#include "gitd/internal.h"

static void libgit2_init_once(void)
{
	git_libgit2_init();
	/* git:sync fetches from a URL an app's owner chose. */
	fetch_guard_git_register();
	/* Pushed data is durable before a ref names it. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
}

void gitd_libgit2_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, libgit2_init_once);
}

int gitd_git_fail(struct berr *err, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return berr_fail(err, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

int gitd_repo_arg(const struct gitd_hooks *hooks, const char *arg, char **app, struct berr *err)
{
	const char *p = arg;
	autofree char *name = NULL;
	size_t len;

	/* scp-style "host:app" arrives as 'app', ssh://host/app as '/app', and
	 * ssh://host/~/app as '~/app'; ".git" is optional as on any git host. */
	if (str_has_prefix(p, "~/"))
		p += 2;
	else if (p[0] == '/')
		p += 1;
	name = xstrdup(p);
	len = strlen(name);
	if (str_has_suffix(name, ".git"))
		name[len - 4] = '\0';
	if (!name[0] || strchr(name, '/'))
		return berr_fail(err, "'%s' is not an app's repository: use APP, APP.git or /APP", arg);
	if (hooks->app_check(hooks->ctx, name, err) < 0)
		return berr_prefix(err, "'%s' is not an app's repository", arg);
	*app = steal_ptr(name);
	return 0;
}

int gitd_repo_open(const struct gitd_hooks *h, const char *app, git_repository **repo,
		   struct berr *err)
{
	autofree char *path = NULL;

	gitd_libgit2_init();
	*repo = NULL;
	if (!h->app_exists(h->ctx, app))
		return 0;
	path = h->repo_path(h->ctx, app);
	if (!is_dir(path))
		return 0;
	if (git_repository_open_bare(repo, path) < 0)
		return gitd_git_fail(err, "open the repository of %s (%s)", app, path);
	return 0;
}

int gitd_repo_open_or_init(const struct gitd_hooks *h, const char *app, const char *head_branch,
			   git_repository **repo, struct berr *err)
{
	git_repository_init_options opts;
	autofree char *path = NULL;
	autofree char *head = NULL;

	if (gitd_repo_open(h, app, repo, err) < 0)
		return -1;
	if (*repo)
		return 0;
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	path = h->repo_path(h->ctx, app);
	head = xasprintf("refs/heads/%s", head_branch ? head_branch : "main");
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
		     GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = head;
	opts.description = "berth app repository";
	if (git_repository_init_ext(repo, path, &opts) < 0)
		return gitd_git_fail(err, "create the repository of %s (%s)", app, path);
	return 0;
}

struct tar_walk {
	git_repository *repo;
	struct archive *a;
	struct berr *err;
	int failed;
};

static int tar_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	struct tar_walk *t = payload;
	git_filemode_t mode = git_tree_entry_filemode(entry);
	autofree char *path = xasprintf("%s%s", root, git_tree_entry_name(entry));
	struct archive_entry *ae;
	git_blob *blob = NULL;
	int r = 0;

	if (mode == GIT_FILEMODE_COMMIT)
		return 0;  /* submodules are not fetched: their directory stays empty */
	ae = archive_entry_new();
	archive_entry_set_pathname(ae, path);
	archive_entry_set_mtime(ae, 0, 0);
	if (mode == GIT_FILEMODE_TREE) {
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_perm(ae, 0755);
		if (archive_write_header(t->a, ae) != ARCHIVE_OK)
			goto archive_fail;
		archive_entry_free(ae);
		return 0;
	}
	if (git_blob_lookup(&blob, t->repo, git_tree_entry_id(entry)) < 0) {
		gitd_git_fail(t->err, "read %s", path);
		goto fail;
	}
	if (mode == GIT_FILEMODE_LINK) {
		autofree char *target = xstrndup(git_blob_rawcontent(blob),
						 (size_t)git_blob_rawsize(blob));

		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_perm(ae, 0777);
		archive_entry_set_symlink(ae, target);
		if (archive_write_header(t->a, ae) != ARCHIVE_OK)
			goto archive_fail;
	} else {
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
		archive_entry_set_size(ae, (la_int64_t)git_blob_rawsize(blob));
		if (archive_write_header(t->a, ae) != ARCHIVE_OK ||
		    archive_write_data(t->a, git_blob_rawcontent(blob),
				       (size_t)git_blob_rawsize(blob)) < 0)
			goto archive_fail;
	}
	goto out;
archive_fail:
	berr_fail(t->err, "write %s to the source archive: %s", path, archive_error_string(t->a));
fail:
	t->failed = 1;
	r = -1;
out:
	git_blob_free(blob);
	archive_entry_free(ae);
	return r;
}

int gitd_tree_tar(git_repository *repo, const git_oid *commit_id, int *fd, struct berr *err)
{
	autoclose int tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	struct tar_walk t = { .repo = repo, .err = err };
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int r = -1;

	if (tmp < 0)
		return berr_sys(err, "temporary file for the source archive");
	if (git_commit_lookup(&commit, repo, commit_id) < 0 || git_commit_tree(&tree, commit) < 0) {
		gitd_git_fail(err, "read commit %s", git_oid_tostr_s(commit_id));
		goto out;
	}
	t.a = archive_write_new();
	archive_write_set_format_pax_restricted(t.a);
	if (archive_write_open_fd(t.a, tmp) != ARCHIVE_OK) {
		berr_fail(err, "source archive: %s", archive_error_string(t.a));
		goto out;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, tar_entry, &t) < 0) {
		if (!t.failed)
			gitd_git_fail(err, "walk the tree of %s", git_oid_tostr_s(commit_id));
		goto out;
	}
	if (archive_write_close(t.a) != ARCHIVE_OK) {
		berr_fail(err, "source archive: %s", archive_error_string(t.a));
		goto out;
	}
	if (lseek(tmp, 0, SEEK_SET) < 0) {
		berr_sys(err, "rewind the source archive");
		goto out;
	}
	*fd = steal_fd(&tmp);
	r = 0;
out:
	if (t.a)
		archive_write_free(t.a);
	git_tree_free(tree);
	git_commit_free(commit);
	return r;
}
