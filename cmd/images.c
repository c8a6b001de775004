/* images.c - `berth images:*`: the layers in the store, their garbage collection and
 * export as an OCI image archive. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "images/images.h"
#include "platform/platform.h"

static void show_detail(void *arg, const char *line)
{
	(void)arg;
	ui_detail("%s", line);
}

static json_t *layer_json(const struct layer_info *l)
{
	json_t *users = json_array();

	for (size_t i = 0; i < l->users.n; i++)
		json_array_append_new(users, json_string(l->users.v[i]));
	return json_pack("{s:s, s:I, s:I, s:s, s:s, s:o, s:b}", "id", l->id, "size", (json_int_t)l->size,
			 "files", (json_int_t)l->files, "created", l->created, "origin", l->origin, "used_by",
			 users, "leased", l->leased);
}

int cmd_images_list(int argc, char **argv)
{
	struct strv ids = { 0 };
	struct berr err;
	json_t *all = NULL;
	bool json = false;
	uint64_t total = 0;
	char human[32];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[i + 1], "json"))
			json = true, i++;
		else if (!strcmp(argv[i], "--format=json"))
			json = true;
		else
			return cmd_fail("usage: berth images:list [--format json]");
	}
	if (layer_list(&ids, &err) < 0)
		return cmd_fail("images:list: %s", err.msg);
	if (json)
		all = json_array();
	else
		ui_header("Layers");
	if (!json)
		printf("%-12s  %10s  %-20s  %s\n", "LAYER", "SIZE", "CREATED", "USED BY");
	for (size_t i = 0; i < ids.n; i++) {
		struct layer_info l;

		if (layer_info_load(ids.v[i], &l, &err) < 0) {
			ui_warn("layer %s: %s", ids.v[i], err.msg);
			continue;
		}
		total += l.size;
		if (json) {
			json_array_append_new(all, layer_json(&l));
		} else {
			images_format_size(l.size, human);
			printf("%.12s  %10s  %-20s  ", l.id, human, l.created);
			for (size_t k = 0; k < l.users.n; k++)
				printf("%s%s", k ? " " : "", l.users.v[k]);
			if (!l.users.n)
				printf("%s", l.leased ? "(being created)" : "(unused: images:gc removes it)");
			putchar('\n');
		}
		layer_info_release(&l);
	}
	if (json) {
		char *text = json_dumps(all, JSON_COMPACT);

		puts(text);
		free(text);
		json_decref(all);
	} else {
		images_format_size(total, human);
		ui_detail("%zu layer%s, %s", ids.n, ids.n == 1 ? "" : "s", human);
	}
	strv_free(&ids);
	return 0;
}

int cmd_images_gc(int argc, char **argv)
{
	struct images_progress progress = { show_detail, NULL };
	struct strv freed = { 0 };
	struct berr err;
	uint64_t bytes;
	char human[32];

	(void)argv;
	if (argc != 1)
		return cmd_fail("usage: berth images:gc");
	ui_header("Removing layers nothing uses");
	if (images_gc(&progress, &freed, &bytes, &err) < 0) {
		strv_free(&freed);
		return cmd_fail("images:gc: %s", err.msg);
	}
	images_format_size(bytes, human);
	if (freed.n)
		ui_step("Freed %zu layer%s, %s", freed.n, freed.n == 1 ? "" : "s", human);
	else
		ui_step("Nothing to free: every layer is in use");
	strv_free(&freed);
	return 0;
}

int cmd_images_export(int argc, char **argv)
{
	const char *stack = NULL, *app = NULL, *dest = NULL;
	struct berr err;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--stack") && i + 1 < argc)
			stack = argv[++i];
		else if (str_has_prefix(argv[i], "--stack="))
			stack = argv[i] + 8;
		else if (!stack && !app && argv[i][0] != '-' && i + 1 < argc)
			app = argv[i];
		else if (!dest && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
			dest = argv[i];
		else
			return cmd_fail("usage: berth images:export (--stack NAME | APP) FILE|-");
	}
	if ((!stack && !app) || !dest)
		return cmd_fail("usage: berth images:export (--stack NAME | APP) FILE|-");
	/* With "-" the archive is stdout: say nothing there. */
	if (strcmp(dest, "-"))
		ui_step("Exporting %s %s to %s (OCI image archive)", stack ? "stack" : "app",
			stack ? stack : app, dest);
	r = stack ? image_export_stack(stack, dest, &err) : app_image_export(app, dest, &err);
	if (r < 0)
		return cmd_fail("images:export: %s", err.msg);
	if (strcmp(dest, "-"))
		ui_detail("load it with: skopeo copy oci-archive:%s:latest ... or docker load -i %s", dest, dest);
	return 0;
}

int cmd_images_verify(int argc, char **argv)
{
	struct strv ids = { 0 };
	struct berr err;
	int bad = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			strv_push(&ids, argv[i]);
	} else if (layer_list(&ids, &err) < 0) {
		return cmd_fail("images:verify: %s", err.msg);
	}
	ui_header("Verifying %zu layer%s", ids.n, ids.n == 1 ? "" : "s");
	for (size_t i = 0; i < ids.n; i++) {
		bool ok = false;

		if (layer_verify(ids.v[i], &ok, &err) < 0) {
			ui_error("layer %.12s: %s", ids.v[i], err.msg);
			bad = 1;
		} else if (!ok) {
			ui_error("layer %s: its content no longer matches its id", ids.v[i]);
			bad = 1;
		} else {
			ui_detail("%.12s ok", ids.v[i]);
		}
	}
	strv_free(&ids);
	return bad;
}

int cmd_images_commit(int argc, char **argv)
{
	char id[LAYER_ID_HEX + 1];
	autofree char *origin = NULL;
	struct berr err;

	if (argc < 2 || argc > 3)
		return cmd_fail("usage: berth images:commit DIR [ORIGIN]");
	origin = argc == 3 ? xstrdup(argv[2]) : xasprintf("images:commit %s", argv[1]);
	if (layer_commit_dir(argv[1], origin, id, &err) < 0)
		return cmd_fail("images:commit: %s", err.msg);
	puts(id);
	return 0;
}
