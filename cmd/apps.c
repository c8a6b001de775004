/* apps.c - apps:create, apps:list, apps:exists. */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/ui.h"
#include "platform/platform.h"

int cmd_apps_create(int argc, char **argv)
{
	struct berr err;

	if (argc != 2)
		return cmd_fail("Usage: berth apps:create APP");
	if (app_create(argv[1], &err) < 0)
		return cmd_fail("%s", err.msg);
	ui_step("Creating %s...", argv[1]);
	return 0;
}

int cmd_apps_list(int argc, char **argv)
{
	struct strv apps = { 0 };
	struct berr err;
	bool json = argc == 3 && !strcmp(argv[1], "--format") && !strcmp(argv[2], "json");

	if (argc != 1 && !json)
		return cmd_fail("Usage: berth apps:list [--format json]");
	if (app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (json) {
		fputc('[', stdout);
		for (size_t i = 0; i < apps.n; i++)
			printf("%s\"%s\"", i ? "," : "", apps.v[i]);  /* names are [a-z0-9-] */
		fputs("]\n", stdout);
	} else {
		ui_header("My Apps");
		for (size_t i = 0; i < apps.n; i++)
			puts(apps.v[i]);
	}
	strv_free(&apps);
	return 0;
}

int cmd_apps_exists(int argc, char **argv)
{
	struct berr err;

	if (argc != 2)
		return cmd_fail("Usage: berth apps:exists APP");
	if (app_require(argv[1], &err) < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}
