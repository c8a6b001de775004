/* fs.h - file and directory helpers: atomic state files, recursive create/remove
 * that never follow symlinks, and small reads/writes of kernel files. */
#ifndef BERTH_COMMON_FS_H
#define BERTH_COMMON_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

/* mkdir -p; existing directories are fine, anything else in the way is an error. */
int mkdir_p(const char *path, mode_t mode, struct berr *err);

/* rm -rf of path; never follows symlinks, crosses no mount points. Missing is fine. */
int rm_rf(const char *path, struct berr *err);
/* Same, for the entry name inside the open directory dirfd. */
int rm_rf_at(int dirfd, const char *name, struct berr *err);

/* Write a whole file atomically: temp file in the same directory, fsync, rename,
 * fsync of the directory. Readers see the old or the new content, never a part. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct berr *err);
/* The same, path relative to dirfd (which may be O_PATH). */
int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
			 struct berr *err);

/* Write all of data to fd (retrying short writes); errors name what. */
int write_all(int fd, const void *data, size_t len, const char *what, struct berr *err);

/* Write data to an existing file in one write(2) (procfs, cgroupfs). */
int write_file(const char *path, const char *data, struct berr *err);
int write_file_at(int dirfd, const char *name, const char *data, struct berr *err);

/* Read a whole file into a NUL-terminated buffer the caller frees. */
int read_file(const char *path, char **out, size_t *len, struct berr *err);
int read_fd(int fd, char **out, size_t *len, struct berr *err);
/* Same, failing ("larger than MAX bytes") rather than reading more than max. */
int read_fd_max(int fd, size_t max, char **out, size_t *len, struct berr *err);
int read_file_at(int dirfd, const char *name, char **out, size_t *len, struct berr *err);

/* Copy a regular file's content (new file, mode kept). */
int copy_file(const char *src, const char *dst, mode_t mode, struct berr *err);

/* Files that someone else controls (an app's source, what a buildpack left).
 *
 * openat_beneath: openat2() of path below dirfd that follows no symlink and never
 * leaves dirfd ("..", absolute names); O_CLOEXEC is added. Errors name path. */
int openat_beneath(int dirfd, const char *path, int flags, struct berr *err);
/* Read path below dirfd: no symlink followed, a regular file only (a FIFO, device
 * or socket is refused without being opened for reading, so it cannot block), at
 * most max bytes. Returns 1 with *out set (NUL-terminated), 0 when there is no
 * such file, -1 with err naming the file as what (e.g. "Procfile"). */
int read_file_beneath(int dirfd, const char *path, const char *what, size_t max, char **out,
		      size_t *len, struct berr *err);

/* Work directories that say whether their maker lives.
 *
 * workdir_create makes <parent>/work-<what>-XXXXXX (parent and directory 0700,
 * root's) and holds a flock on it through *lockfd; the lock lives while the
 * descriptor is open in the maker or a child it forked. workdir_remove_stale
 * removes every work-* directory of parent whose lock nobody holds: leftovers of
 * killed makers. Live ones are never touched. */
int workdir_create(const char *parent, const char *what, char **path, int *lockfd,
		   struct berr *err);
void workdir_remove_stale(const char *parent);

int path_exists(const char *path);
int is_dir(const char *path);

#endif
