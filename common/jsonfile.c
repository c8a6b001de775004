/* jsonfile.c - see jsonfile.h. */
#include "common/jsonfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"

int json_file_load(const char *path, json_t **out, struct berr *err)
{
	json_error_t jerr;
	json_t *obj = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	*out = NULL;
	if (!obj) {
		if (json_error_code(&jerr) == json_error_cannot_open_file && !path_exists(path))
			return 0;
		return berr_fail(err, "read %s: %s (line %d)", path, jerr.text, jerr.line);
	}
	*out = obj;
	return 0;
}

int json_file_save(const char *path, const json_t *obj, struct berr *err)
{
	return json_file_save_at(AT_FDCWD, path, obj, err);
}

int json_file_set_str(const char *path, const char *key, const char *value, struct berr *err)
{
	json_t *obj;
	int r;

	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (!obj)
		obj = json_object();
	if (value)
		json_object_set_new(obj, key, json_string(value));
	else
		json_object_del(obj, key);
	r = json_file_save(path, obj, err);
	json_decref(obj);
	return r;
}

int json_file_save_at(int dirfd, const char *path, const json_t *obj, struct berr *err)
{
	autofree char *text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	size_t len;

	if (!text)
		return berr_fail(err, "write %s: cannot encode JSON", path);
	len = strlen(text);
	text = realloc(text, len + 2);
	if (!text)
		return berr_fail(err, "write %s: out of memory", path);
	text[len] = '\n';
	text[len + 1] = '\0';
	/* State files (config vars are secrets) are root's alone. */
	return write_file_atomic_at(dirfd, path, text, len + 1, 0600, err);
}

const char *json_get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

json_int_t json_get_int(const json_t *obj, const char *key, json_int_t fallback)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : fallback;
}

json_t *strv_to_json(const struct strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

int json_to_strv(const json_t *a, struct strv *sv)
{
	size_t i;
	json_t *v;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return -1;
		strv_push(sv, json_string_value(v));
	}
	return 0;
}
