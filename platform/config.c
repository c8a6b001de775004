/* config.c - an app's config vars, kept as a JSON object in config.json. */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/jsonfile.h"
#include "platform/platform.h"

int config_load(const char *app, struct strv *env, struct berr *err)
{
	autofree char *path = app_path(app, "config.json");
	const char *key;
	json_t *obj, *v;

	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (!obj)
		return 0;
	if (!json_is_object(obj)) {
		json_decref(obj);
		return berr_fail(err, "%s: expected a JSON object", path);
	}
	json_object_foreach(obj, key, v)
		if (json_is_string(v))
			strv_setenv(env, key, json_string_value(v));
	json_decref(obj);
	strv_sort(env);
	return 0;
}

int config_save(const char *app, const struct strv *env, struct berr *err)
{
	autofree char *path = app_path(app, "config.json");
	json_t *obj = json_object();
	int r;

	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr(env->v[i], '=');
		autofree char *key = NULL;

		if (!eq)
			continue;
		key = xstrndup(env->v[i], eq - env->v[i]);
		json_object_set_new(obj, key, json_string(eq + 1));
	}
	r = json_file_save(path, obj, err);
	json_decref(obj);
	return r;
}
