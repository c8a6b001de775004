/* report_disk.c - `berth report [<app>|--global] [<flag>] [--format json]`: as
 * Dokku's `report` goes through every app, this shows what each app takes on
 * disk (source, layers, build cache, logs), then the layer store (--global). */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/paths.h"
#include "common/ui.h"
#include "images/images.h"
#include "platform/platform.h"

static char *human(uint64_t bytes)
{
	char out[32];

	images_format_size(bytes, out);
	return xstrdup(out);
}

static int disk_report_one(const char *app, const char *info_flag, const char *format)
{
	struct berr err;

	if (!app) {
		struct store_disk s;
		autofree char *all = NULL, *stacks = NULL, *unused = NULL, *bytes = NULL;

		if (store_disk_usage(&s, &err) < 0)
			return cmd_fail("%s", err.msg);
		all = xasprintf("%zu layers, ", s.nlayers);
		{
			autofree char *h = human(s.layers);
			char *t = xasprintf("%s%s", all, h);

			free(all);
			all = t;
		}
		stacks = human(s.stacks);
		unused = human(s.unused);
		bytes = xasprintf("%llu", (unsigned long long)s.layers);
		struct report_row rows[] = {
			{ "--disk-store-dir", berth_root() },
			{ "--disk-store-layers", all },
			{ "--disk-store-bytes", bytes },
			{ "--disk-store-stack-layers", stacks },
			{ "--disk-store-unused-layers", unused },
		};
		return report_print("store", "disk", rows, ARRAY_SIZE(rows), info_flag, format);
	}
	struct app_disk u;

	if (app_disk_usage(app, &u, &err) < 0)
		return cmd_fail_app(app, &err);
	autofree char *src = human(u.source), *cache = human(u.cache), *logs = human(u.logs);
	autofree char *state = human(u.state);
	autofree char *lh = human(u.layers);
	autofree char *layers = xasprintf("%s (%zu layers)", lh, u.nlayers);
	uint64_t sum = u.source + u.layers + u.cache + u.logs + u.state;
	autofree char *total = human(sum);
	autofree char *bytes = xasprintf("%llu", (unsigned long long)sum);
	autofree char *releases = xasprintf("%zu", u.releases);
	struct report_row rows[] = {
		{ "--disk-source", src },
		{ "--disk-layers", layers },
		{ "--disk-cache", cache },
		{ "--disk-logs", logs },
		{ "--disk-state", state },
		{ "--disk-releases", releases },
		{ "--disk-total", total },
		{ "--disk-total-bytes", bytes },
	};
	return report_print(app, "disk", rows, ARRAY_SIZE(rows), info_flag, format);
}

int cmd_disk_report(int argc, char **argv)
{
	const char *format = "stdout";
	bool one = false, flag = false;
	int r;

	/* An app or --global: that one report; a flag: that row of every app;
	 * nothing: every app, then the store. Looked at before report_command()
	 * takes argv apart. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			format = argv[++i];
		else if (str_has_prefix(argv[i], "--format="))
			format = argv[i] + strlen("--format=");
		else if (!strcmp(argv[i], "--global") || argv[i][0] != '-')
			one = true;
		else
			flag = true;
	}
	format = xstrdup(format);
	r = report_command(argc, argv, true, disk_report_one);
	if (r == 0 && !one && !flag)
		r = disk_report_one(NULL, NULL, format);
	free((char *)format);
	return r;
}
