/* builder.c - what builder:set stores (Dokku's builder plugin): the app's
 * properties in its builder.json, the global ones as "builder-KEY" in
 * $BERTH_ROOT/settings.json; and what a deploy makes of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/jsonfile.h"
#include "platform/daemon.h"
#include "platform/platform.h"

/* Dokku's builders. berth has one, Heroku-style buildpacks ("herokuish"); the
 * others may be stored (an app moved from Dokku keeps its setting) and fail
 * its deploy. */
static const char *const builder_names[] = {
	"dockerfile", "herokuish", "lambda", "nixpacks", "null", "pack", "railpack",
};

static int check_selected(const char *value, struct berr *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(builder_names); i++)
		if (!strcmp(value, builder_names[i]))
			return 0;
	return berr_fail(err, "Invalid selected builder '%s': herokuish (berth's buildpacks), or one "
			 "of Dokku's other builders dockerfile, lambda, nixpacks, null, pack, railpack "
			 "(stored; a deploy with them fails)", value);
}

/* Relative to the source's root, inside it: the rule procfile-path follows. */
static int check_build_dir(const char *value, struct berr *err)
{
	struct berr ignored;

	if (ps_procfile_path_check(value, &ignored) < 0)
		return berr_fail(err, "Invalid build-dir '%s': a directory's path relative to the "
				 "source's root (letters, digits, '.', '_', '-', '/'; no '..')", value);
	return 0;
}

static int check_bool(const char *value, struct berr *err)
{
	if (strcmp(value, "true") && strcmp(value, "false"))
		return berr_fail(err, "Invalid skip-cleanup value '%s': true or false", value);
	return 0;
}

static const struct {
	const char *name;
	int (*check)(const char *value, struct berr *err);
} builder_properties[] = {
	{ "build-dir", check_build_dir },
	{ "selected", check_selected },
	{ "skip-cleanup", check_bool },
};

int builder_set(const char *app, const char *key, const char *value, struct berr *err)
{
	int (*check)(const char *, struct berr *) = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(builder_properties); i++)
		if (!strcmp(builder_properties[i].name, key))
			check = builder_properties[i].check;
	if (!check)
		return berr_fail(err, "Invalid property specified, valid properties include: build-dir, "
				 "selected, skip-cleanup");
	if (value && check(value, err) < 0)
		return -1;
	if (!app) {
		autofree char *name = xasprintf("builder-%s", key);

		return global_setting_set(name, value, err);
	}
	return app_json_set(app, "builder.json", key, value, err);
}

char *builder_property_get(const char *app, const char *key)
{
	struct berr ignored;
	char *out = NULL;

	if (!app) {
		autofree char *name = xasprintf("builder-%s", key);

		if (global_setting_get(name, &out, &ignored) < 0)
			return NULL;
		return out;
	}
	return app_json_get(app, "builder.json", key);
}

char *builder_computed(const char *app, const char *key)
{
	char *v = app ? builder_property_get(app, key) : NULL;

	if (!v)
		v = builder_property_get(NULL, key);
	if (!v && !strcmp(key, "skip-cleanup"))
		v = xstrdup("false");
	return v;
}

int builder_deploy_settings(const char *app, char **build_dir, struct berr *err)
{
	autofree char *selected = builder_computed(app, "selected");

	*build_dir = NULL;
	/* Empty (unset here and globally) is Dokku's detection; berth's only
	 * builder is what it detects. */
	if (selected && strcmp(selected, "herokuish"))
		return berr_fail(err, "App %s has builder '%s' selected (builder:set %s selected): berth "
				 "builds with buildpacks only (herokuish)", app, selected, app);
	*build_dir = builder_computed(app, "build-dir");
	/* A value written by hand that does not pass fails the deploy. */
	if (*build_dir && check_build_dir(*build_dir, err) < 0) {
		free(*build_dir);
		*build_dir = NULL;
		return -1;
	}
	return 0;
}

bool builder_skip_cleanup(const char *app)
{
	autofree char *v = builder_computed(app, "skip-cleanup");

	return !strcmp(v, "true");
}
