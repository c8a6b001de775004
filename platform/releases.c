/* releases.c - release records: what a version of an app is made of.
 *
 * releases/vN.json holds one release; the file "current" names the active
 * version. A release is written whole before "current" may point at it, so a
 * crash mid-deploy leaves the previous release active. Each release records its
 * layers as image references so that images:gc keeps them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "images/images.h"
#include "platform/platform.h"

void release_free(struct release *r)
{
	free(r->created);
	free(r->description);
	free(r->stack);
	free(r->source_layer);
	free(r->source_version);
	free(r->build_key);
	free(r->healthchecks);
	strv_free(&r->layers);
	strv_free(&r->config);
	strv_free(&r->app_config);
	proctypes_free(&r->procs);
	memset(r, 0, sizeof(*r));
}

static char *release_file(const char *app, unsigned version)
{
	autofree char *sub = xasprintf("releases/v%u.json", version);

	return app_path(app, sub);
}

static char *ref_name(const char *app, unsigned version)
{
	return xasprintf("%s/v%u", app, version);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void set_str(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
}

/* KEY=VALUE pairs as a JSON object of strings. */
static json_t *env_to_json(const struct strv *env)
{
	json_t *obj = json_object();

	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr(env->v[i], '=');
		autofree char *key = eq ? xstrndup(env->v[i], eq - env->v[i]) : NULL;

		if (key)
			json_object_set_new(obj, key, json_string(eq + 1));
	}
	return obj;
}

static void env_from_json(json_t *obj, struct strv *env)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
		if (json_is_string(v))
			strv_setenv(env, key, json_string_value(v));
	strv_sort(env);
}

static json_t *release_to_json(const struct release *r)
{
	json_t *obj = json_object();
	json_t *layers = json_array();
	json_t *procs = json_object();

	json_object_set_new(obj, "version", json_integer(r->version));
	set_str(obj, "created", r->created);
	set_str(obj, "description", r->description);
	set_str(obj, "stack", r->stack);
	set_str(obj, "source_layer", r->source_layer);
	set_str(obj, "source_version", r->source_version);
	set_str(obj, "build_key", r->build_key);
	for (size_t i = 0; i < r->layers.n; i++)
		json_array_append_new(layers, json_string(r->layers.v[i]));
	for (size_t i = 0; i < r->procs.n; i++)
		json_object_set_new(procs, r->procs.v[i].name, json_string(r->procs.v[i].command));
	json_object_set_new(obj, "layers", layers);
	json_object_set_new(obj, "process_types", procs);
	json_object_set_new(obj, "config", env_to_json(&r->config));
	json_object_set_new(obj, "app_config", env_to_json(&r->app_config));
	if (r->healthchecks) {
		json_t *hc = json_loads(r->healthchecks, 0, NULL);

		if (hc)
			json_object_set_new(obj, "healthchecks", hc);
	}
	return obj;
}

int release_load(const char *app, unsigned version, struct release *r, struct berr *err)
{
	autofree char *path = release_file(app, version);
	json_t *obj, *v;
	const char *key;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (!obj)
		return berr_fail(err, "App %s has no release v%u", app, version);
	r->version = (unsigned)json_get_int(obj, "version", 0);
	r->created = dup_or_null(json_get_str(obj, "created"));
	r->description = dup_or_null(json_get_str(obj, "description"));
	r->stack = dup_or_null(json_get_str(obj, "stack"));
	r->source_layer = dup_or_null(json_get_str(obj, "source_layer"));
	r->source_version = dup_or_null(json_get_str(obj, "source_version"));
	r->build_key = dup_or_null(json_get_str(obj, "build_key"));
	json_array_foreach(json_object_get(obj, "layers"), i, v)
		if (json_is_string(v))
			strv_push(&r->layers, json_string_value(v));
	json_object_foreach(json_object_get(obj, "process_types"), key, v)
		if (json_is_string(v))
			proctypes_set(&r->procs, key, json_string_value(v));
	env_from_json(json_object_get(obj, "config"), &r->config);
	/* Records older than app_config ran with the config of their build. */
	env_from_json(json_object_get(obj, json_object_get(obj, "app_config") ? "app_config" : "config"),
		      &r->app_config);
	if (json_is_object(json_object_get(obj, "healthchecks")))
		r->healthchecks = json_dumps(json_object_get(obj, "healthchecks"),
					     JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	if (r->version != version || r->layers.n == 0) {
		release_free(r);
		return berr_fail(err, "%s: not a valid release record", path);
	}
	return 0;
}

static int current_version(const char *app, unsigned *version, struct berr *err)
{
	autofree char *path = app_path(app, "current");
	autofree char *text = NULL;
	uint64_t v;

	*version = 0;
	if (!path_exists(path))
		return 0;
	if (read_file(path, &text, NULL, err) < 0)
		return -1;
	text[strcspn(text, "\n")] = '\0';
	if (parse_uint(text, 1u << 30, &v, err) < 0)
		return berr_prefix(err, "%s", path);
	*version = (unsigned)v;
	return 0;
}

int release_current(const char *app, struct release *r, struct berr *err)
{
	unsigned v;

	memset(r, 0, sizeof(*r));
	if (current_version(app, &v, err) < 0)
		return -1;
	if (v == 0)
		return 0;
	return release_load(app, v, r, err);
}

/* The highest version recorded, active or not. */
static int last_version(const struct app *app, unsigned *last, struct berr *err)
{
	int fd = openat(app->dirfd, "releases", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	autoclosedir DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	*last = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return errno == ENOENT ? 0 : berr_sys(err, "list the releases of app %s", app->name);
	}
	while ((de = readdir(d))) {
		unsigned v;
		char tail[8];

		if (sscanf(de->d_name, "v%u.jso%1[n]", &v, tail) == 2 && v > *last)
			*last = v;
	}
	return 0;
}

int release_create(const struct app *app, struct release *r, struct berr *err)
{
	autofree char *name = NULL;
	autofree char *ref = NULL;
	char created[32];
	time_t now = time(NULL);
	struct tm tm;
	unsigned last;
	json_t *obj;
	int rc;

	if (last_version(app, &last, err) < 0)
		return -1;
	r->version = last + 1;
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	free(r->created);
	r->created = xstrdup(created);
	/* Reference the layers first: a release must never name a collected layer. */
	ref = ref_name(app->name, r->version);
	if (image_refs_set("release", ref, &r->layers, err) < 0)
		return -1;
	name = xasprintf("releases/v%u.json", r->version);
	obj = release_to_json(r);
	rc = json_file_save_at(app->dirfd, name, obj, err);
	json_decref(obj);
	if (rc < 0) {
		struct berr ignored = { 0 };

		berr_prefix(err, "app %s", app->name);
		image_refs_drop("release", ref, &ignored);
	}
	return rc;
}

int release_activate(const struct app *app, unsigned version, struct berr *err)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%u\n", version);

	if (write_file_atomic_at(app->dirfd, "current", text, (size_t)n, 0600, err) < 0)
		return berr_prefix(err, "app %s", app->name);
	return 0;
}

int release_discard(const struct app *app, unsigned version, struct berr *err)
{
	autofree char *name = xasprintf("releases/v%u.json", version);
	autofree char *ref = ref_name(app->name, version);

	if (unlinkat(app->dirfd, name, 0) < 0 && errno != ENOENT)
		return berr_sys(err, "app %s: remove %s", app->name, name);
	return image_refs_drop("release", ref, err);
}

static void strv_copy(struct strv *dst, const struct strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		strv_push(dst, src->v[i]);
}

void release_copy_image(const struct release *src, struct release *dst)
{
	dst->stack = dup_or_null(src->stack);
	dst->source_layer = dup_or_null(src->source_layer);
	dst->source_version = dup_or_null(src->source_version);
	dst->build_key = dup_or_null(src->build_key);
	dst->healthchecks = dup_or_null(src->healthchecks);
	strv_copy(&dst->layers, &src->layers);
	strv_copy(&dst->config, &src->config);
	for (size_t i = 0; i < src->procs.n; i++)
		proctypes_set(&dst->procs, src->procs.v[i].name, src->procs.v[i].command);
}

static int version_cmp_desc(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

int release_versions(const char *app, unsigned **versions, size_t *n, struct berr *err)
{
	autofree char *dir = app_path(app, "releases");
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*versions = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : berr_sys(err, "list the releases of app %s", app);
	while ((de = readdir(d))) {
		unsigned v;
		char tail[8];

		if (sscanf(de->d_name, "v%u.jso%1[n]", &v, tail) != 2 || v == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*versions = xrealloc(*versions, cap * sizeof(**versions));
		}
		(*versions)[(*n)++] = v;
	}
	if (*n)
		qsort(*versions, *n, sizeof(**versions), version_cmp_desc);
	return 0;
}

unsigned releases_keep(const struct app *app)
{
	autofree char *global = NULL;
	struct berr ignored;
	uint64_t v;

	if (app && app->settings.releases_keep)
		return app->settings.releases_keep;
	if (global_setting_get("releases-keep", &global, &ignored) == 0 && global &&
	    parse_uint(global, RELEASES_KEEP_MAX, &v, &ignored) == 0 && v > 0)
		return (unsigned)v;
	return RELEASES_KEEP_DEFAULT;
}

int releases_prune(const struct app *app, unsigned keep, const unsigned *in_use, size_t n_in_use,
		   struct strv *dropped, struct berr *err)
{
	autofree unsigned *versions = NULL;
	unsigned current;
	size_t n;
	int r = 0;

	if (current_version(app->name, &current, err) < 0 ||
	    release_versions(app->name, &versions, &n, err) < 0)
		return -1;
	for (size_t i = keep; i < n && r == 0; i++) {
		bool used = versions[i] == current;

		for (size_t k = 0; k < n_in_use && !used; k++)
			used = in_use[k] == versions[i];
		if (used)
			continue;
		r = release_discard(app, versions[i], err);
		if (r == 0 && dropped)
			strv_push_owned(dropped, xasprintf("v%u", versions[i]));
	}
	return r;
}
