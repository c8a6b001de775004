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

/* Write data to an existing file in one write(2) (procfs, cgroupfs). */
int write_file(const char *path, const char *data, struct berr *err);
int write_file_at(int dirfd, const char *name, const char *data, struct berr *err);

/* Read a whole file into a NUL-terminated buffer the caller frees. */
int read_file(const char *path, char **out, size_t *len, struct berr *err);
int read_fd(int fd, char **out, size_t *len, struct berr *err);
int read_file_at(int dirfd, const char *name, char **out, size_t *len, struct berr *err);

/* Copy a regular file's content (new file, mode kept). */
int copy_file(const char *src, const char *dst, mode_t mode, struct berr *err);

int path_exists(const char *path);
int is_dir(const char *path);

#endif
