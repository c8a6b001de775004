/* admin.c - what git:set, git:report and git:sync need of a repository. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "gitd/internal.h"

int gitd_branch_check(const char *branch, struct berr *err)
{
	autofree char *ref = xasprintf("refs/heads/%s", branch);
	int valid = 0;

	gitd_libgit2_init();
	if (!branch[0] || git_reference_name_is_valid(&valid, ref) < 0 || !valid)
		return berr_fail(err, "'%s' is not a valid branch name", branch);
	return 0;
}

int gitd_set_head(const struct gitd_hooks *hooks, const char *app, const char *branch,
		  struct berr *err)
{
	git_repository *repo = NULL;
	autofree char *ref = xasprintf("refs/heads/%s", branch ? branch : "main");
	int r = 0;

	if (gitd_repo_open(hooks, app, &repo, err) < 0)
		return -1;
	if (repo && git_repository_set_head(repo, ref) < 0)
		r = gitd_git_fail(err, "point HEAD of %s's repository at %s", app, ref);
	git_repository_free(repo);
	return r;
}

int gitd_report(const struct gitd_hooks *hooks, const char *app, const char *branch,
		struct gitd_report *rep, struct berr *err)
{
	git_repository *repo = NULL;
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL;
	git_branch_t type;
	const char *names[2] = { branch, branch ? NULL : "master" };

	memset(rep, 0, sizeof(*rep));
	if (gitd_repo_open(hooks, app, &repo, err) < 0)
		return -1;
	if (!repo)
		return 0;
	rep->has_repo = true;
	if (!names[0])
		names[0] = "main";
	for (size_t i = 0; i < 2 && !rep->head[0] && names[i]; i++) {
		autofree char *name = xasprintf("refs/heads/%s", names[i]);
		git_oid id;

		if (git_reference_name_to_id(&id, repo, name) == 0) {
			autofree char *file = xasprintf("%s/%s", git_repository_path(repo), name);
			struct stat st;

			git_oid_tostr(rep->head, sizeof(rep->head), &id);
			if (stat(file, &st) == 0)
				snprintf(rep->updated_at, sizeof(rep->updated_at), "%lld",
					 (long long)st.st_mtime);
		}
	}
	if (git_branch_iterator_new(&it, repo, GIT_BRANCH_LOCAL) == 0) {
		while (git_branch_next(&ref, &type, it) == 0) {
			rep->branches++;
			git_reference_free(ref);
		}
		git_branch_iterator_free(it);
	}
	git_repository_free(repo);
	return 0;
}

int gitd_initialize(const struct gitd_hooks *hooks, const char *app, const char *branch,
		    struct berr *err)
{
	git_repository *repo = NULL;

	if (gitd_repo_open_or_init(hooks, app, branch, &repo, err) < 0)
		return -1;
	git_repository_free(repo);
	return 0;
}

#define SYNC_REF "refs/berth/sync"

int gitd_sync_fetch(const struct gitd_hooks *hooks, const char *app, const char *url,
		    const char *ref, char commit[41], struct berr *err)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_fetch_options fo;
	struct gitd_remote_auth auth;
	autofree char *spec = NULL;
	autofree char *branch = hooks->deploy_branch(hooks->ctx, app);
	char *specs[1];
	git_strarray refspecs = { specs, 1 };
	git_oid id;
	int r = -1;

	if (ref && (ref[0] == '-' || strchr(ref, ':') || strchr(ref, ' ')))
		return berr_fail(err, "'%s' is not a git ref", ref);
	if (gitd_repo_open_or_init(hooks, app, branch, &repo, err) < 0)
		return -1;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	gitd_remote_auth_init(&auth, url, &fo.callbacks);
	/* A branch or tag name, a full ref, or the remote's HEAD. */
	if (!ref)
		spec = xstrdup("+HEAD:" SYNC_REF);
	else if (str_has_prefix(ref, "refs/"))
		spec = xasprintf("+%s:" SYNC_REF, ref);
	else
		spec = xasprintf("+refs/heads/%s:" SYNC_REF, ref);
	specs[0] = spec;
	git_reference_remove(repo, SYNC_REF);  /* a previous sync's result */
	if (git_remote_create_anonymous(&remote, repo, url) < 0 ||
	    git_remote_fetch(remote, &refspecs, &fo, "git:sync") < 0) {
		if (auth.error)
			berr_fail(err, "fetch %s: %s", url, auth.error);
		else
			gitd_git_fail(err, "fetch %s%s%s", url, ref ? " " : "", ref ? ref : "");
		goto out;
	}
	if (git_reference_name_to_id(&id, repo, SYNC_REF) < 0 && ref &&
	    !str_has_prefix(ref, "refs/")) {
		/* Not a branch: try it as a tag. */
		free(spec);
		spec = xasprintf("+refs/tags/%s:" SYNC_REF, ref);
		specs[0] = spec;
		if (git_remote_fetch(remote, &refspecs, &fo, "git:sync") < 0) {
			if (auth.error)
				berr_fail(err, "fetch %s: %s", url, auth.error);
			else
				gitd_git_fail(err, "fetch %s %s", url, ref);
			goto out;
		}
	}
	if (git_reference_name_to_id(&id, repo, SYNC_REF) < 0) {
		berr_fail(err, "%s has no ref %s", url, ref ? ref : "HEAD");
		goto out;
	}
	{
		git_object *obj = NULL;

		if (git_object_lookup(&obj, repo, &id, GIT_OBJECT_ANY) == 0 &&
		    git_object_type(obj) == GIT_OBJECT_TAG) {
			git_object *peeled = NULL;

			if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
				git_oid_cpy(&id, git_object_id(peeled));
				git_object_free(peeled);
			}
		}
		git_object_free(obj);
	}
	git_oid_tostr(commit, 41, &id);
	r = 0;
out:
	gitd_remote_auth_free(&auth);
	git_reference_remove(repo, SYNC_REF);
	git_remote_free(remote);
	git_repository_free(repo);
	return r;
}

int gitd_update_branch(const struct gitd_hooks *hooks, const char *app, const char *branch,
		       const char *commit, struct berr *err)
{
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	autofree char *name = xasprintf("refs/heads/%s", branch ? branch : "main");
	git_oid id;
	int r = 0;

	if (gitd_repo_open(hooks, app, &repo, err) < 0)
		return -1;
	if (!repo)
		return berr_fail(err, "App %s has no repository", app);
	if (git_oid_fromstr(&id, commit) < 0 ||
	    git_reference_create(&ref, repo, name, &id, 1, "git:sync") < 0)
		r = gitd_git_fail(err, "move %s of %s to %s", name, app, commit);
	git_reference_free(ref);
	git_repository_free(repo);
	return r;
}
