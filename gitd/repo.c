/* repo.c - an app's bare repository: opening and creating it. */
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
