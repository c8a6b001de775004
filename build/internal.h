/* internal.h - pieces of build/ shared between its files; not for other parts. */
#ifndef BERTH_BUILD_INTERNAL_H
#define BERTH_BUILD_INTERNAL_H

#include <sys/types.h>

#include "build/build.h"
#include "common/sha256.h"

/* source.c: unpack an archive read from fd into dest (created), files owned by
 * uid:gid, size bounded (images/' archive_unpack_source). A lone top-level directory is unwrapped for app sources (GitHub
 * tarballs), and for buildpacks only when it holds bin/. */
enum unwrap { UNWRAP_NEVER, UNWRAP_SOURCE, UNWRAP_BUILDPACK };
int source_extract(int fd, const char *dest, uid_t uid, gid_t gid, enum unwrap unwrap,
		   struct berr *err);

/* tree.c (images/' walker): chown every entry of the tree to uid:gid and feed its
 * content digest (names, types, modes, link targets, contents; not times) to h (h
 * may be NULL). Refuses device nodes. ".git" directories are removed first when
 * drop_git is set. */
int tree_own_and_hash(const char *dir, uid_t uid, gid_t gid, struct sha256 *h,
		      bool drop_git, struct berr *err);
/* Copy a tree from src to the new dir dst (images_tree_copy). */
int tree_copy_plain(const char *src, const char *dst, struct berr *err);

/* The most berth reads of a file the app's source or a buildpack controls
 * (Procfile, .buildpacks, bin/release output). */
#define BUILD_FILE_MAX (1u << 20)

/* procfile.c: a process type name by the Procfile's rules ([A-Za-z0-9_-]+). */
bool proctype_name_valid(const char *s, size_t len);

/* buildpacks.c */
/* Directory of the buildpacks berth ships. */
int buildpacks_shipped_dir(char **dir, struct berr *err);
/* The shipped buildpacks in detection order. */
int buildpacks_shipped(struct strv *names, struct berr *err);
/* Fetch a buildpack named by spec (shipped name, directory, file://, https git
 * URL with optional #ref, or a .tgz URL) into dest. */
/* May a buildpack named by the app's owner (.buildpacks, BUILDPACK_URL) be used?
 * Only URLs and shipped names: local paths are the operator's (buildpacks:set).
 * where names the origin in the error ("BUILDPACK_URL", ".buildpacks line 2"). */
int buildpack_spec_check_untrusted(const char *spec, const char *where, struct berr *err);
int buildpack_fetch(const char *spec, const char *dest, struct berr *err);
/* A short name for a buildpack spec: "heroku-buildpack-ruby", "python". */
char *buildpack_short_name(const char *spec);


/* script.c */
int build_select_buildpacks(const struct build_request *req, struct strv *specs, bool *detect,
			    struct berr *err);
char *build_script(const struct strv *dirs, bool detect, const char *procfile_path);

/* slug.c: turn the build container's kept upper into the build layer. */
int slug_commit(const char *upper, const char *work, const struct strv *config_vars,
		struct images_lease *lease, char id[LAYER_ID_HEX + 1], struct berr *err);

#endif
