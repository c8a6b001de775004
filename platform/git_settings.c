/* git_settings.c - the git:set properties besides deploy-branch (which lives in
 * settings.json with the app's other settings): keep-git-dir, rev-env-var,
 * source-image, archive-max-size and archive-max-files. An app's are in
 * $BERTH_ROOT/apps/APP/git.json, the global ones in $BERTH_ROOT/settings.json as
 * "git-KEY". A key that is present with an empty value is not the same as one
 * that is absent: rev-env-var "" turns the variable off (Dokku's rule). */
#include <string.h>

#include "common/cleanup.h"
#include "common/jsonfile.h"
#include "platform/platform.h"

static const char *const keys[] = {
	"archive-max-files", "archive-max-size", "keep-git-dir", "rev-env-var", "source-image",
};

bool git_property_known(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

int git_property_check(const char *key, const char *value, struct berr *err)
{
	uint64_t n;

	if (!git_property_known(key))
		return berr_fail(err, "Invalid key specified, valid keys include: archive-max-files, "
				      "archive-max-size, deploy-branch, keep-git-dir, rev-env-var, source-image");
	if (!value || !*value)
		return 0;
	if (!strcmp(key, "keep-git-dir") && strcmp(value, "true") && strcmp(value, "false"))
		return berr_fail(err, "Invalid keep-git-dir value %s: true or false", value);
	if (!strcmp(key, "rev-env-var") && config_key_check(value, err) < 0)
		return berr_prefix(err, "rev-env-var");
	if (str_has_prefix(key, "archive-max-") &&
	    (strspn(value, "0123456789") != strlen(value) ||
	     parse_uint(value, UINT64_MAX, &n, err) < 0 || n == 0))
		return berr_fail(err, "Invalid %s value %s: a whole number above 0%s", key, value,
				 !strcmp(key, "archive-max-size") ? " (bytes)" : "");
	return 0;
}

int git_property_get(const char *app, const char *key, char **value, struct berr *err)
{
	autofree char *path = NULL;
	autofree char *global = NULL;
	json_t *obj;
	const char *v;

	*value = NULL;
	if (!app) {
		global = xasprintf("git-%s", key);
		return global_setting_get(global, value, err);
	}
	path = app_path(app, "git.json");
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (obj && (v = json_get_str(obj, key)))
		*value = xstrdup(v);
	json_decref(obj);
	return 0;
}

int git_property_set(const char *app, const char *key, const char *value, struct berr *err)
{
	autofree char *global = NULL;

	if (git_property_check(key, value, err) < 0)
		return -1;
	/* An empty rev-env-var is kept (the variable is off); any other empty
	 * value removes the key. */
	if (value && !*value && strcmp(key, "rev-env-var"))
		value = NULL;
	if (!app) {
		global = xasprintf("git-%s", key);
		return global_setting_set(global, value, err);
	}
	return app_json_set(app, "git.json", key, value, err);
}

int git_property_computed(const char *app, const char *key, const char *fallback, char **value,
			  struct berr *err)
{
	if (app && git_property_get(app, key, value, err) < 0)
		return -1;
	/* Only rev-env-var is ever kept empty: "" is a value there. */
	if (app && *value)
		return 0;
	if (git_property_get(NULL, key, value, err) < 0)
		return -1;
	if (*value)
		return 0;
	*value = fallback ? xstrdup(fallback) : NULL;
	return 0;
}

char *git_rev_env_var(const char *app)
{
	char *name = NULL;
	struct berr ignored;

	if (git_property_computed(app, "rev-env-var", GIT_REV_ENV_VAR_DEFAULT, &name, &ignored) < 0)
		return xstrdup(GIT_REV_ENV_VAR_DEFAULT);
	if (name && !*name) {
		free(name);
		return NULL;
	}
	return name;
}

static int limit(const char *app, const char *key, uint64_t def, uint64_t *out, struct berr *err)
{
	autofree char *v = NULL;

	*out = def;
	if (git_property_computed(app, key, NULL, &v, err) < 0)
		return -1;
	if (v && parse_uint(v, UINT64_MAX, out, err) < 0)
		return berr_prefix(err, "git property %s", key);
	return 0;
}

int git_archive_limits(const char *app, struct git_archive_limits *l, struct berr *err)
{
	if (limit(app, "archive-max-size", GIT_ARCHIVE_MAX_SIZE_DEFAULT, &l->max_bytes, err) < 0 ||
	    limit(app, "archive-max-files", GIT_ARCHIVE_MAX_FILES_DEFAULT, &l->max_files, err) < 0)
		return -1;
	return 0;
}
