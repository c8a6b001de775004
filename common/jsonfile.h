/* jsonfile.h - state files as JSON (jansson), written atomically. */
#ifndef BERTH_COMMON_JSONFILE_H
#define BERTH_COMMON_JSONFILE_H

#include <jansson.h>

#include "common/err.h"

/* Load path; a missing file gives *out = NULL and returns 0. */
int json_file_load(const char *path, json_t **out, struct berr *err);
/* Write obj to path atomically (temp file, fsync, rename), keys sorted. */
int json_file_save(const char *path, const json_t *obj, struct berr *err);
/* The same, path relative to dirfd (which may be O_PATH). */
int json_file_save_at(int dirfd, const char *path, const json_t *obj, struct berr *err);
/* One string key of the object in path (made when missing) set, or removed
 * when value is NULL; the caller holds whatever lock the file needs. */
int json_file_set_str(const char *path, const char *key, const char *value, struct berr *err);

/* Arrays of strings: strv -> new JSON array; JSON array (or null/missing) ->
 * appended to sv, -1 when it holds anything but strings. */
#include "common/util.h"
json_t *strv_to_json(const struct strv *sv);
int json_to_strv(const json_t *a, struct strv *sv);

/* Small getters that tolerate missing keys. */
const char *json_get_str(const json_t *obj, const char *key);
json_int_t json_get_int(const json_t *obj, const char *key, json_int_t fallback);

#endif
