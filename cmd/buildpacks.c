/* buildpacks.c - buildpacks:set|add|remove|list|clear and buildpacks:set-property. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "images/images.h"
#include "platform/platform.h"

/* Parse "[--index N] APP [URL]"; index is 1-based, 0 when absent. */
static int parse_index_args(int argc, char **argv, size_t *index, const char **app,
			    const char **url)
{
	int i = 1;
	uint64_t n = 0;
	struct berr err;

	*index = 0;
	if (i < argc && !strcmp(argv[i], "--index")) {
		if (i + 1 >= argc || parse_uint(argv[i + 1], 1000, &n, &err) < 0 || n == 0)
			return -1;
		*index = (size_t)n;
		i += 2;
	}
	if (argc - i < 1 || argc - i > 2)
		return -1;
	*app = argv[i];
	*url = argc - i == 2 ? argv[i + 1] : NULL;
	return 0;
}

static int load(const char *app, struct app_settings *s, struct berr *err)
{
	if (app_require(app, err) < 0)
		return -1;
	return app_settings_load(app, s, err);
}

static void insert_at(struct strv *sv, size_t index, const char *value)
{
	strv_push(sv, value);
	if (index == 0 || index > sv->n)
		return;
	char *v = sv->v[sv->n - 1];
	memmove(&sv->v[index], &sv->v[index - 1], (sv->n - index) * sizeof(char *));
	sv->v[index - 1] = v;
}

static int change_buildpacks(int argc, char **argv, bool replace_at_index)
{
	struct app_settings s;
	struct berr err;
	const char *app, *url;
	size_t index;

	if (parse_index_args(argc, argv, &index, &app, &url) < 0 || !url)
		return cmd_fail("Usage: berth %s [--index N] APP BUILDPACK", argv[0]);
	if (load(app, &s, &err) < 0)
		return cmd_fail("%s", err.msg);
	for (size_t i = 0; i < s.buildpacks.n; i++)
		if (!strcmp(s.buildpacks.v[i], url) && !replace_at_index) {
			app_settings_free(&s);
			return cmd_fail("The buildpack %s is already set on %s", url, app);
		}
	if (replace_at_index) {
		/* buildpacks:set replaces the entry at the index (default: the first). */
		size_t at = index ? index : 1;

		if (at <= s.buildpacks.n) {
			free(s.buildpacks.v[at - 1]);
			s.buildpacks.v[at - 1] = xstrdup(url);
		} else {
			strv_push(&s.buildpacks, url);
		}
	} else {
		insert_at(&s.buildpacks, index, url);
	}
	if (app_settings_save(app, &s, &err) < 0) {
		app_settings_free(&s);
		return cmd_fail("%s", err.msg);
	}
	app_settings_free(&s);
	return 0;
}

int cmd_buildpacks_set(int argc, char **argv)
{
	return change_buildpacks(argc, argv, true);
}

int cmd_buildpacks_add(int argc, char **argv)
{
	return change_buildpacks(argc, argv, false);
}

int cmd_buildpacks_remove(int argc, char **argv)
{
	struct app_settings s;
	struct strv kept = { 0 };
	struct berr err;
	bool found = false;

	if (argc != 3)
		return cmd_fail("Usage: berth buildpacks:remove APP BUILDPACK");
	if (load(argv[1], &s, &err) < 0)
		return cmd_fail("%s", err.msg);
	for (size_t i = 0; i < s.buildpacks.n; i++) {
		if (!strcmp(s.buildpacks.v[i], argv[2]))
			found = true;
		else
			strv_push(&kept, s.buildpacks.v[i]);
	}
	strv_free(&s.buildpacks);
	s.buildpacks = kept;
	if (!found) {
		app_settings_free(&s);
		return cmd_fail("The buildpack %s is not set on %s", argv[2], argv[1]);
	}
	if (app_settings_save(argv[1], &s, &err) < 0) {
		app_settings_free(&s);
		return cmd_fail("%s", err.msg);
	}
	app_settings_free(&s);
	return 0;
}

int cmd_buildpacks_clear(int argc, char **argv)
{
	struct app_settings s;
	struct berr err;

	if (argc != 2)
		return cmd_fail("Usage: berth buildpacks:clear APP");
	if (load(argv[1], &s, &err) < 0)
		return cmd_fail("%s", err.msg);
	strv_free(&s.buildpacks);
	if (app_settings_save(argv[1], &s, &err) < 0) {
		app_settings_free(&s);
		return cmd_fail("%s", err.msg);
	}
	app_settings_free(&s);
	return 0;
}

int cmd_buildpacks_list(int argc, char **argv)
{
	struct app_settings s;
	struct berr err;

	if (argc != 2)
		return cmd_fail("Usage: berth buildpacks:list APP");
	if (load(argv[1], &s, &err) < 0)
		return cmd_fail("%s", err.msg);
	ui_header("%s buildpack urls", argv[1]);
	for (size_t i = 0; i < s.buildpacks.n; i++)
		ui_detail("%s", s.buildpacks.v[i]);
	app_settings_free(&s);
	return 0;
}

/* buildpacks:set-property [--global|APP] stack NAME (no NAME: clear). */
int cmd_buildpacks_set_property(int argc, char **argv)
{
	struct app_settings s;
	struct berr err;
	const char *value = argc == 4 ? argv[3] : NULL;

	if ((argc != 3 && argc != 4) || strcmp(argv[2], "stack"))
		return cmd_fail("Usage: berth buildpacks:set-property [--global|APP] stack [STACK]");
	if (value && !stack_exists(value))
		return cmd_fail("Stack %s does not exist; see 'berth stacks:list'", value);
	if (!strcmp(argv[1], "--global")) {
		if (global_setting_set("stack", value, &err) < 0)
			return cmd_fail("%s", err.msg);
		return 0;
	}
	if (load(argv[1], &s, &err) < 0)
		return cmd_fail("%s", err.msg);
	free(s.stack);
	s.stack = value ? xstrdup(value) : NULL;
	if (app_settings_save(argv[1], &s, &err) < 0) {
		app_settings_free(&s);
		return cmd_fail("%s", err.msg);
	}
	app_settings_free(&s);
	return 0;
}
