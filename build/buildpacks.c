/* buildpacks.c - finding the shipped buildpacks and fetching any other.
 *
 * A buildpack is named by a shipped name ("python"), a directory, a file:// URL
 * (directory, git repository or .tgz), an https git URL with an optional "#ref"
 * (cloned with libgit2) or an http(s) .tgz/.tar.gz URL (downloaded with libcurl,
 * unpacked with libarchive).
 *
 * Who may name what: the operator (buildpacks:set/add on the host) anything; the
 * app's owner (.buildpacks, BUILDPACK_URL) only URLs and shipped names, since a
 * local path would be copied by root into the owner's build container. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/cleanup.h"
#include "common/download.h"
#include "common/fetch_guard.h"
#include "common/fs.h"

int buildpacks_shipped_dir(char **dir, struct berr *err)
{
	const char *env = getenv("BERTH_BUILDPACKS");
	char exe[4096];
	ssize_t n;

	if (env && *env) {
		if (!is_dir(env))
			return berr_fail(err, "BERTH_BUILDPACKS %s is not a directory", env);
		*dir = xstrdup(env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return berr_sys(err, "find berth's own path");
	exe[n] = '\0';
	/* Installed, builds run in PREFIX/lib/berth/berth-full (or berth-daemon)
	 * next to PREFIX/lib/berth/buildpacks; PREFIX/bin/berth finds them in
	 * ../lib/berth. Source tree: bin/berth* -> build/buildpacks. */
	const char *bindir = dirname(exe);
	const char *const candidates[] = { "buildpacks", "../lib/berth/buildpacks",
					   "../build/buildpacks" };
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		autofree char *p = xasprintf("%s/%s", bindir, candidates[i]);

		if (is_dir(p)) {
			*dir = realpath(p, NULL);
			if (!*dir)
				return berr_sys(err, "resolve %s", p);
			return 0;
		}
	}
	return berr_fail(err, "cannot find berth's buildpacks next to %s (set BERTH_BUILDPACKS)", exe);
}

int buildpacks_shipped(struct strv *names, struct berr *err)
{
	autofree char *dir = NULL;
	autofree char *order = NULL;
	autofree char *text = NULL;
	char *save = NULL;

	if (buildpacks_shipped_dir(&dir, err) < 0)
		return -1;
	order = xasprintf("%s/order", dir);
	if (read_file(order, &text, NULL, err) < 0)
		return -1;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line && *line != '#')
			strv_push(names, line);
	return 0;
}

char *buildpack_short_name(const char *spec)
{
	autofree char *copy = xstrdup(spec);
	char *hash = strchr(copy, '#');
	char *base;
	size_t len;

	if (hash)
		*hash = '\0';
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	base = strrchr(copy, '/');
	base = base ? base + 1 : copy;
	len = strlen(base);
	if (len > 4 && !strcmp(base + len - 4, ".git"))
		base[len - 4] = '\0';
	else if (len > 4 && !strcmp(base + len - 4, ".tgz"))
		base[len - 4] = '\0';
	else if (len > 7 && !strcmp(base + len - 7, ".tar.gz"))
		base[len - 7] = '\0';
	/* It becomes a directory name in the build script: plain characters only. */
	for (char *p = base; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			*p = '-';
	return xstrdup(*base ? base : "buildpack");
}

/* A shipped buildpack's name: a plain directory name of build/buildpacks. */
static bool shipped_name_valid(const char *spec)
{
	if (!*spec || *spec == '.')
		return false;
	for (const char *p = spec; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return false;
	return true;
}

int buildpack_spec_check_untrusted(const char *spec, const char *where, struct berr *err)
{
	if (str_has_prefix(spec, "https://") || str_has_prefix(spec, "http://") ||
	    shipped_name_valid(spec))
		return 0;
	return berr_fail(err, "%s: '%s' is not a buildpack URL or a shipped buildpack's name; local buildpacks can only be set by the operator on the host (berth buildpacks:set)",
			 where, spec);
}

static int extract_tarball(int fd, const char *dest, const char *what, struct berr *err)
{
	/* The same hostile-archive rules as app sources; owner fixed later. */
	if (source_extract(fd, dest, 0, 0, UNWRAP_BUILDPACK, err) < 0)
		return berr_prefix(err, "buildpack %s", what);
	return 0;
}

static int download_tarball(const char *url, const char *dest, struct berr *err)
{
	autoclose int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return berr_sys(err, "temporary file for %s", url);
	if (download_to_fd(url, fd, err) < 0)
		return berr_prefix(err, "buildpack");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berr_sys(err, "rewind download of %s", url);
	return extract_tarball(fd, dest, url, err);
}

static int git_fail(struct berr *err, const char *what, const char *url)
{
	const git_error *e = git_error_last();

	return berr_fail(err, "%s %s: %s", what, url, e && e->message ? e->message : "libgit2 error");
}

/* Clone url (optionally "#ref": branch, tag or commit) into dest with libgit2. */
static int git_clone_ref(const char *spec, const char *dest, struct berr *err)
{
	autofree char *url = xstrdup(spec);
	char *ref = strchr(url, '#');
	git_repository *repo = NULL;
	git_object *target = NULL;
	git_clone_options opts;
	git_checkout_options co;
	int r = -1;

	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	if (ref)
		*ref++ = '\0';
	git_libgit2_init();
	/* The URL may be an app owner's choice: never this host (fetch_guard.h). */
	fetch_guard_git_register();
	if (git_clone(&repo, url, dest, &opts) < 0) {
		git_fail(err, "clone buildpack", url);
		goto out;
	}
	if (ref && *ref) {
		if (git_revparse_single(&target, repo, ref) < 0) {
			autofree char *remote_ref = xasprintf("origin/%s", ref);

			if (git_revparse_single(&target, repo, remote_ref) < 0) {
				git_fail(err, "find ref in buildpack", spec);
				goto out;
			}
		}
		co.checkout_strategy = GIT_CHECKOUT_FORCE;
		if (git_checkout_tree(repo, target, &co) < 0 ||
		    git_repository_set_head_detached(repo, git_object_id(target)) < 0) {
			git_fail(err, "check out buildpack", spec);
			goto out;
		}
	}
	r = 0;
out:
	git_object_free(target);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return r;
}

static bool is_tarball_name(const char *s)
{
	autofree char *copy = xstrdup(s);
	char *hash = strchr(copy, '#');

	if (hash)
		*hash = '\0';
	return str_has_suffix(copy, ".tgz") || str_has_suffix(copy, ".tar.gz") ||
	       str_has_suffix(copy, ".tar");
}

static bool is_bare_repo(const char *path)
{
	git_repository *repo = NULL;
	bool bare;

	git_libgit2_init();
	bare = git_repository_open_bare(&repo, path) == 0;
	git_repository_free(repo);
	git_libgit2_shutdown();
	return bare;
}

static int fetch_local(const char *path, const char *spec, const char *dest, struct berr *err)
{
	autofree char *gitdir = xasprintf("%s/.git", path);
	struct stat st;

	if (stat(path, &st) < 0)
		return berr_sys(err, "buildpack %s", spec);
	if (S_ISREG(st.st_mode)) {
		autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return berr_sys(err, "buildpack %s", spec);
		return extract_tarball(fd, dest, spec, err);
	}
	if (!S_ISDIR(st.st_mode))
		return berr_fail(err, "buildpack %s is neither a directory nor a tarball", spec);
	/* A bare repository, or a work tree named with a #ref, is cloned. */
	if (is_bare_repo(path) || (strchr(spec, '#') && is_dir(gitdir))) {
		const char *hash = strchr(spec, '#');
		autofree char *url = xasprintf("%s%s", path, hash ? hash : "");

		return git_clone_ref(url, dest, err);
	}
	return tree_copy_plain(path, dest, err);
}

int buildpack_fetch(const char *spec, const char *dest, struct berr *err)
{
	if (str_has_prefix(spec, "https://") || str_has_prefix(spec, "http://")) {
		if (is_tarball_name(spec))
			return download_tarball(spec, dest, err);
		return git_clone_ref(spec, dest, err);
	}
	if (str_has_prefix(spec, "file://")) {
		autofree char *path = xstrdup(spec + strlen("file://"));
		char *hash = strchr(path, '#');

		if (hash)
			*hash = '\0';
		if (!path_exists(path))
			return berr_fail(err, "buildpack %s: %s does not exist", spec, path);
		return fetch_local(path, spec, dest, err);
	}
	if (spec[0] == '/')
		return fetch_local(spec, spec, dest, err);
	if (shipped_name_valid(spec)) {
		autofree char *dir = NULL;
		autofree char *path = NULL;

		if (buildpacks_shipped_dir(&dir, err) < 0)
			return -1;
		path = xasprintf("%s/%s", dir, spec);
		if (!is_dir(path))
			return berr_fail(err, "no shipped buildpack named '%s'", spec);
		return tree_copy_plain(path, dest, err);
	}
	return berr_fail(err, "buildpack '%s': use a shipped name, a directory, a file:// URL, an https git URL (with #ref) or a .tgz URL",
			 spec);
}
