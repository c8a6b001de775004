/* jsonfile.h - state files as JSON (jansson), written atomically. */
#ifndef BERTH_COMMON_JSONFILE_H
#define BERTH_COMMON_JSONFILE_H

#include <jansson.h>

#include "common/err.h"

/* Load path; a missing file gives *out = NULL and returns 0. */
int json_file_load(const char *path, json_t **out, struct berr *err);
/* Write obj to path atomically (temp file, fsync, rename), keys sorted. */
int json_file_save(const char *path, const json_t *obj, struct berr *err);

/* Small getters that tolerate missing keys. */
const char *json_get_str(const json_t *obj, const char *key);
json_int_t json_get_int(const json_t *obj, const char *key, json_int_t fallback);

#endif
