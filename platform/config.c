/* config.c - config vars: an app's in apps/<app>/config.json, the global ones
 * in $BERTH_ROOT/config.json, each a JSON object of strings (mode 0600: they
 * are often secrets). Every edit is load-modify-save under a lock, so that
 * concurrent config:set calls of distinct keys all land. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "platform/internal.h"

static char *config_file(const char *app)
{
	if (!app)
		return xasprintf("%s/config.json", berth_root());
	return app_path(app, "config.json");
}

int config_key_check(const char *key, struct berr *err)
{
	bool ok = key && (*key == '_' || (*key >= 'a' && *key <= 'z') || (*key >= 'A' && *key <= 'Z'));

	for (const char *p = key; ok && *p; p++)
		ok = *p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		     (*p >= '0' && *p <= '9');
	if (!ok)
		return berr_fail(err, "Invalid key name: '%s'", key ? key : "");
	return 0;
}

int config_value_check(const char *key, const char *value, size_t len, struct berr *err)
{
	json_t *s;

	if (memchr(value, '\0', len))
		return berr_fail(err, "Invalid value for key '%s': it contains a NUL byte, which an environment variable cannot hold",
				 key);
	/* jansson takes only UTF-8; it is also how the value will be stored. */
	s = json_stringn(value, len);
	if (!s)
		return berr_fail(err, "Invalid value for key '%s': not valid UTF-8, and berth stores config vars as UTF-8 text",
				 key);
	json_decref(s);
	return 0;
}

int config_load(const char *app, struct strv *env, struct berr *err)
{
	autofree char *path = config_file(app);
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
	autofree char *path = config_file(app);
	autofree char *text = NULL;
	json_t *obj = json_object();
	int r = 0;

	if (!app && mkdir_p(berth_root(), 0755, err) < 0) {
		json_decref(obj);
		return -1;
	}
	for (size_t i = 0; i < env->n && r == 0; i++) {
		const char *eq = strchr(env->v[i], '=');
		autofree char *key = NULL;
		json_t *s;

		if (!eq)
			continue;
		key = xstrndup(env->v[i], eq - env->v[i]);
		s = json_string(eq + 1);
		if (!s)
			r = config_value_check(key, eq + 1, strlen(eq + 1), err);
		else
			json_object_set_new(obj, key, s);
	}
	if (r == 0)
		text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(obj);
	if (r < 0)
		return -1;
	if (!text)
		return berr_fail(err, "write %s: cannot encode JSON", path);
	return write_file_atomic(path, text, strlen(text), 0600, err);
}

int config_load_merged(const char *app, struct strv *env, struct berr *err)
{
	struct strv own = { 0 };

	if (config_load(NULL, env, err) < 0 || config_load(app, &own, err) < 0) {
		strv_free(&own);
		return -1;
	}
	for (size_t i = 0; i < own.n; i++) {
		const char *eq = strchr(own.v[i], '=');
		autofree char *key = xstrndup(own.v[i], eq - own.v[i]);

		strv_setenv(env, key, eq + 1);
	}
	strv_free(&own);
	strv_sort(env);
	return 0;
}

/* The lock an edit holds: the app's state lock, or config.lock for the global
 * vars. Returns the fd to close (-1 when app was already locked by the caller). */
static int edit_lock(struct app *app, bool *took, int *global_fd, struct berr *err)
{
	autoclose int root = -1;

	*took = false;
	*global_fd = -1;
	if (app) {
		if (app->lock_fd >= 0)
			return 0;
		*took = true;
		return app_lock(app, err);
	}
	if (mkdir_p(berth_root(), 0755, err) < 0)
		return -1;
	root = open(berth_root(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return berr_sys(err, "open %s", berth_root());
	return platform_flock_at(root, "config.lock", global_fd, err);
}

static void edit_unlock(struct app *app, bool took, int global_fd)
{
	if (took)
		app_unlock(app);
	if (global_fd >= 0)
		close(global_fd);
}

/* Load, let edit() change the vars, save when it says so; all under the lock. */
static int config_edit(struct app *app, int (*edit)(struct strv *env, void *ctx, bool *changed,
						    struct berr *err),
		       void *ctx, struct berr *err)
{
	const char *name = app ? app->name : NULL;
	struct strv env = { 0 };
	bool took, changed = false;
	int global_fd, r;

	if (edit_lock(app, &took, &global_fd, err) < 0)
		return -1;
	r = config_load(name, &env, err);
	if (r == 0)
		r = edit(&env, ctx, &changed, err);
	if (r == 0 && changed)
		r = config_save(name, &env, err);
	edit_unlock(app, took, global_fd);
	strv_free(&env);
	return r;
}

struct set_ctx {
	const struct strv *pairs;
	bool replace;
};

static int check_pairs(const struct strv *pairs, struct berr *err)
{
	for (size_t i = 0; i < pairs->n; i++) {
		const char *eq = strchr(pairs->v[i], '=');
		autofree char *key = eq ? xstrndup(pairs->v[i], eq - pairs->v[i]) : NULL;

		if (!eq)
			return berr_fail(err, "Invalid env pair: %s", pairs->v[i]);
		if (config_key_check(key, err) < 0 ||
		    config_value_check(key, eq + 1, strlen(eq + 1), err) < 0)
			return -1;
	}
	return 0;
}

static int set_edit(struct strv *env, void *ctx, bool *changed, struct berr *err)
{
	struct set_ctx *c = ctx;

	(void)err;
	if (c->replace) {
		strv_free(env);
		*changed = true;
	}
	for (size_t i = 0; i < c->pairs->n; i++) {
		const char *eq = strchr(c->pairs->v[i], '=');
		autofree char *key = xstrndup(c->pairs->v[i], eq - c->pairs->v[i]);

		strv_setenv(env, key, eq + 1);
		*changed = true;
	}
	strv_sort(env);
	return 0;
}

int config_set(struct app *app, const struct strv *pairs, bool replace, struct berr *err)
{
	struct set_ctx c = { pairs, replace };

	if (check_pairs(pairs, err) < 0)
		return -1;
	return config_edit(app, set_edit, &c, err);
}

struct unset_ctx {
	const struct strv *keys;  /* NULL: all */
	struct strv *removed;
};

static int unset_edit(struct strv *env, void *ctx, bool *changed, struct berr *err)
{
	struct unset_ctx *c = ctx;
	struct strv kept = { 0 };

	(void)err;
	for (size_t i = 0; i < env->n; i++) {
		size_t klen = strcspn(env->v[i], "=");
		bool drop = !c->keys;

		for (size_t k = 0; c->keys && k < c->keys->n && !drop; k++)
			drop = strlen(c->keys->v[k]) == klen && !strncmp(env->v[i], c->keys->v[k], klen);
		if (drop) {
			if (c->removed)
				strv_push_owned(c->removed, xstrndup(env->v[i], klen));
			*changed = true;
		} else {
			strv_push(&kept, env->v[i]);
		}
	}
	strv_free(env);
	*env = kept;
	return 0;
}

int config_unset(struct app *app, const struct strv *keys, struct strv *removed,
		 struct berr *err)
{
	struct unset_ctx c = { keys, removed };

	for (size_t i = 0; i < keys->n; i++)
		if (config_key_check(keys->v[i], err) < 0)
			return -1;
	return config_edit(app, unset_edit, &c, err);
}

int config_clear(struct app *app, struct strv *removed, struct berr *err)
{
	struct unset_ctx c = { NULL, removed };

	return config_edit(app, unset_edit, &c, err);
}
