/* buildpacks.c - buildpacks:add|set|remove|clear|list|report|set-property with
 * Dokku's flags and output; the list rules are platform's (buildpack_list.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "images/images.h"
#include "platform/platform.h"

static int parse_index(const char *text, size_t *index)
{
	uint64_t n = 0;
	struct berr err;

	*index = 0;
	if (!text)
		return 0;
	if (parse_uint(text, 1000000, &n, &err) < 0)
		return cmd_fail("--index must be a positive number, not '%s'", text);
	*index = (size_t)n;
	return 0;
}

static int add_or_set(int argc, char **argv, bool add)
{
	const char *index_text = NULL;
	bool replace = false;
	const struct opt opts[] = {
		{ "--index", OPT_STR, &index_text },
		{ add ? "" : "--replace", OPT_BOOL, &replace },
		{ NULL, 0, NULL },
	};
	struct app app;
	struct strv urls = { 0 };
	struct berr err;
	size_t index;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), r;

	if (n < 0 || parse_index(index_text, &index) != 0)
		return 1;
	if ((r = cmd_open_app(n, pos, &app)) != 0)
		return r;
	if (replace && index_text)
		r = cmd_fail("The --index flag cannot be used with --replace");
	else if (replace && n < 2)
		r = cmd_fail("Must specify at least one buildpack, use buildpacks:clear to remove all buildpacks");
	else if (!replace && n > 2)
		r = cmd_fail(add ? "Too many arguments: add one buildpack at a time"
				 : "Setting multiple buildpacks requires the --replace flag");
	else if (n < 2)
		r = cmd_fail("Must specify a buildpack");
	/* Every buildpack is checked before the list changes. */
	for (int i = 1; r == 0 && i < n; i++) {
		char *url;

		if (buildpack_url_normalize(pos[i], &url, &err) < 0)
			r = cmd_fail("%s", err.msg);
		else
			strv_push_owned(&urls, url);
	}
	if (r == 0) {
		int rc = replace ? buildpacks_replace(&app, &urls, &err)
			 : add	 ? buildpacks_add(&app, urls.v[0], index, &err)
				 : buildpacks_set(&app, urls.v[0], index, &err);

		if (rc < 0)
			r = cmd_fail("%s", err.msg);
	}
	strv_free(&urls);
	app_close(&app);
	return r;
}

int cmd_buildpacks_set(int argc, char **argv)
{
	return add_or_set(argc, argv, false);
}

int cmd_buildpacks_add(int argc, char **argv)
{
	return add_or_set(argc, argv, true);
}

int cmd_buildpacks_remove(int argc, char **argv)
{
	const char *index_text = NULL;
	const struct opt opts[] = { { "--index", OPT_STR, &index_text }, { NULL, 0, NULL } };
	struct app app;
	struct berr err;
	autofree char *url = NULL;
	autofree char *removed = NULL;
	size_t index;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), r;

	if (n < 0 || parse_index(index_text, &index) != 0)
		return 1;
	if ((r = cmd_open_app(n, pos, &app)) != 0)
		return r;
	if (n > 2 || (n == 2 && index_text))
		r = cmd_fail("Please choose either index or Buildpack, but not both");
	else if (n < 2 && !index)
		r = cmd_fail("Must specify a buildpack to remove, either by index or URL");
	if (r == 0 && n == 2 && buildpack_url_normalize(pos[1], &url, &err) < 0)
		url = xstrdup(pos[1]);  /* a listed entry that no longer checks out */
	if (r == 0 && buildpacks_remove(&app, url, index, &removed, &err) < 0)
		r = cmd_fail("%s", err.msg);
	if (r == 0)
		ui_step_q("Removing %s", removed);
	app_close(&app);
	return r;
}

int cmd_buildpacks_clear(int argc, char **argv)
{
	struct app app;
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos), r;

	if (n < 0)
		return 1;
	if (n > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if ((r = cmd_open_app(n, pos, &app)) != 0)
		return r;
	if (buildpacks_clear(&app, &err) < 0)
		r = cmd_fail("%s", err.msg);
	app_close(&app);
	return r;
}

int cmd_buildpacks_list(int argc, char **argv)
{
	struct app app;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos), r;

	if (n < 0)
		return 1;
	if (n > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if ((r = cmd_open_app(n, pos, &app)) != 0)
		return r;
	ui_step_q("%s buildpack urls", app.name);
	for (size_t i = 0; i < app.settings.buildpacks.n; i++)
		ui_detail("%s", app.settings.buildpacks.v[i]);
	app_close(&app);
	return 0;
}

static int report_one(const char *name, const char *info_flag, const char *format)
{
	autofree char *global = NULL;
	autofree char *computed = NULL;
	autofree char *list = NULL;
	struct berr err;
	struct app app;
	int r;

	if (global_setting_get("stack", &global, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!name) {
		struct report_row rows[] = { { "--buildpacks-global-stack", global } };

		return report_print("--global", "buildpacks", rows, ARRAY_SIZE(rows), info_flag, format);
	}
	if (app_open(name, 0, &app, &err) < 0)
		return cmd_fail_app(name, &err);
	/* What a deploy would build on; empty when no stack can be chosen yet. */
	if (app_stack(&app.settings, &computed, &err) < 0)
		computed = NULL;
	list = xstrdup("");
	for (size_t i = 0; i < app.settings.buildpacks.n; i++) {
		char *next = xasprintf("%s%s%s", list, i ? "," : "", app.settings.buildpacks.v[i]);

		free(list);
		list = next;
	}
	struct report_row rows[] = {
		{ "--buildpacks-computed-stack", computed },
		{ "--buildpacks-global-stack", global },
		{ "--buildpacks-list", list },
		{ "--buildpacks-stack", app.settings.stack },
	};
	r = report_print(name, "buildpacks", rows, ARRAY_SIZE(rows), info_flag, format);
	app_close(&app);
	return r;
}

int cmd_buildpacks_report(int argc, char **argv)
{
	return report_command(argc, argv, true, report_one);
}

/* buildpacks:set-property [--global|APP] stack [NAME] (no NAME: clear). */
int cmd_buildpacks_set_property(int argc, char **argv)
{
	bool global = false;
	const struct opt opts[] = { { "--global", OPT_BOOL, &global }, { NULL, 0, NULL } };
	struct app app;
	struct berr err;
	const char *value;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), r = 0, first;

	if (n < 0)
		return 1;
	first = global ? 0 : 1;
	if (n < first + 1 || n > first + 2)
		return cmd_fail("Usage: berth buildpacks:set-property [--global|<app>] stack [<stack>]");
	if (strcmp(pos[first], "stack"))
		return cmd_fail("Invalid property specified, valid properties include: stack");
	value = n == first + 2 && *pos[first + 1] ? pos[first + 1] : NULL;
	if (!global && app_open(pos[0], 0, &app, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (value && !stack_exists(value))
		ui_warn("Stack %s does not exist yet: create or import it before the next deploy (see 'berth stacks:list')",
			value);
	if (buildpacks_set_stack(global ? NULL : &app, value, &err) < 0)
		r = cmd_fail("%s", err.msg);
	if (!global)
		app_close(&app);
	return r;
}
