/* builder.c - builder:set and builder:report with Dokku's flags and output.
 * berth has one builder, Heroku-style buildpacks ("herokuish"); build-dir
 * builds an app from a subdirectory of its source (a monorepo). */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/platform.h"

/* builder:set (APP|--global) KEY [VALUE] */
int cmd_builder_set(int argc, char **argv)
{
	struct set_args a;
	struct berr err;
	int r = set_args_parse(argc, argv, "<key> [<value>]", &a);

	if (r)
		return r;
	/* As Dokku: detected is what a build found; setting it changes nothing. */
	if (!strcmp(a.key, "detected")) {
		ui_warn("detected is a read-only property");
		return 0;
	}
	if (builder_set(a.app, a.key, a.value, &err) < 0)
		return cmd_fail("%s", err.msg);
	set_args_said(&a);
	return 0;
}

static int builder_report_one(const char *app, const char *info_flag, const char *format)
{
	autofree char *global_dir = builder_property_get(NULL, "build-dir");
	autofree char *global_selected = builder_property_get(NULL, "selected");
	autofree char *global_skip = builder_property_get(NULL, "skip-cleanup");
	autofree char *computed_skip = builder_computed(app, "skip-cleanup");
	autofree char *dir = NULL, *computed_dir = NULL, *selected = NULL, *computed_selected = NULL;
	autofree char *skip = NULL;
	struct release rel;
	struct berr err;
	bool deployed;

	if (!app) {
		const struct report_row rows[] = {
			{ "--builder-computed-skip-cleanup", computed_skip },
			{ "--builder-global-build-dir", global_dir },
			{ "--builder-global-selected", global_selected },
			{ "--builder-global-skip-cleanup", global_skip },
		};

		return report_print("--global", "builder", rows, ARRAY_SIZE(rows), info_flag, format);
	}
	if (app_require(app, &err) < 0 || release_current(app, &rel, &err) < 0)
		return cmd_fail_app(app, &err);
	deployed = rel.version != 0;
	release_free(&rel);
	dir = builder_property_get(app, "build-dir");
	computed_dir = builder_computed(app, "build-dir");
	selected = builder_property_get(app, "selected");
	computed_selected = builder_computed(app, "selected");
	skip = builder_property_get(app, "skip-cleanup");
	/* Dokku's three of each: the app's (raw), the global one, the one applied;
	 * detected: what the last build used (berth's buildpacks). */
	const struct report_row rows[] = {
		{ "--builder-build-dir", dir },
		{ "--builder-computed-build-dir", computed_dir },
		{ "--builder-computed-selected", computed_selected },
		{ "--builder-computed-skip-cleanup", computed_skip },
		{ "--builder-detected", deployed ? "herokuish" : NULL },
		{ "--builder-global-build-dir", global_dir },
		{ "--builder-global-selected", global_selected },
		{ "--builder-global-skip-cleanup", global_skip },
		{ "--builder-selected", selected },
		{ "--builder-skip-cleanup", skip },
	};

	return report_print(app, "builder", rows, ARRAY_SIZE(rows), info_flag, format);
}

/* builder:report [APP|--global] [--builder-FLAG] [--format json] */
int cmd_builder_report(int argc, char **argv)
{
	return report_command(argc, argv, true, builder_report_one);
}
