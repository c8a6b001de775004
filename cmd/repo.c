/* repo.c - Dokku's repo:gc and repo:purge-cache (platform/repo_gc.c, repo.c). */
#include <stdio.h>

#include "cmd/commands.h"
#include "common/ui.h"
#include "images/images.h"
#include "platform/platform.h"

/* The one app argument both commands take. */
static int one_app(int argc, char **argv, const char **app)
{
	char *pos[argc + 1];
	int n = args_app(argc, argv, NULL, 1, pos);

	if (n < 0)
		return -n;
	*app = pos[0];
	return 0;
}

int cmd_repo_gc(int argc, char **argv)
{
	struct repo_gc_stats st;
	const char *app = NULL;
	char before[32], after[32];
	struct berr err;
	bool done;
	int r = one_app(argc, argv, &app);

	if (r)
		return r;
	if (app_repo_gc(app, ui_sink(), &done, &st, &err) < 0)
		return cmd_fail_app(app, &err);
	if (!done) {
		ui_step_q("Nothing to compact: %s has no pushed repository", app);
		return 0;
	}
	images_format_size(st.bytes_before, before);
	images_format_size(st.bytes_after, after);
	ui_detail("%zu objects in one pack; %zu old packs and %zu loose objects removed; %s -> %s",
		  st.objects, st.packs_removed, st.loose_removed, before, after);
	return 0;
}

int cmd_repo_purge_cache(int argc, char **argv)
{
	const char *app = NULL;
	char size[32];
	uint64_t bytes;
	struct berr err;
	bool done;
	int r = one_app(argc, argv, &app);

	if (r)
		return r;
	if (app_cache_purge(app, &done, &bytes, &err) < 0)
		return cmd_fail_app(app, &err);
	images_format_size(bytes, size);
	if (done)
		ui_step_q("Purged the build cache of %s (%s)", app, size);
	return 0;
}
