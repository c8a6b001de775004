/* releases.c - releases, releases:info, releases:rollback, releases:set: Heroku's
 * release commands with Dokku's output conventions. Every build and every config
 * change of an app is a numbered release (docs/releases.md). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/platform.h"

/* "v3" or "3". */
static int parse_version(const char *s, unsigned *v)
{
	struct berr err;
	uint64_t n;

	if (parse_uint(s[0] == 'v' ? s + 1 : s, 1u << 30, &n, &err) < 0 || n == 0)
		return cmd_fail("Invalid release version '%s': use vN, e.g. v3", s);
	*v = (unsigned)n;
	return 0;
}

/* RFC 3339 "2026-11-28T18:40:01Z" as Heroku shows it: "2026/11/28 18:40:01 +0000". */
static char *when(const char *created)
{
	int y, mo, d, h, mi, s;

	if (!created || sscanf(created, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) != 6)
		return xstrdup(created ? created : "");
	return xasprintf("%04d/%02d/%02d %02d:%02d:%02d +0000", y, mo, d, h, mi, s);
}

static json_t *release_json(const struct release *r, bool current)
{
	return json_pack("{s:I, s:s, s:s, s:b, s:s?, s:s?}", "version", (json_int_t)r->version,
			 "created", r->created ? r->created : "", "description",
			 r->description ? r->description : "", "current", current, "stack", r->stack,
			 "source_version", r->source_version);
}

static void print_json(json_t *v)
{
	autofree char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);

	puts(text ? text : "null");
}

/* releases APP [--format stdout|json] */
int cmd_releases(int argc, char **argv)
{
	const char *format = "stdout";
	const struct opt opts[] = { { "--format", OPT_STR, &format }, { NULL, 0, NULL } };
	struct app app;
	struct release cur;
	struct berr err;
	autofree unsigned *versions = NULL;
	size_t nv = 0, width = 0;
	struct release *rels;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), r;
	json_t *out = NULL;

	if (n < 0)
		return 1;
	if (strcmp(format, "stdout") && strcmp(format, "json"))
		return cmd_fail("Invalid format specified, supported formats: json, stdout");
	if ((r = cmd_open_app(n, pos, &app)) != 0)
		return r;
	if (n > 1) {
		app_close(&app);
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	}
	if (release_current(app.name, &cur, &err) < 0 ||
	    release_versions(app.name, &versions, &nv, &err) < 0) {
		app_close(&app);
		return cmd_fail("%s", err.msg);
	}
	rels = xcalloc(nv + 1, sizeof(*rels));
	for (size_t i = 0; i < nv; i++) {
		if (release_load(app.name, versions[i], &rels[i], &err) < 0)
			continue;  /* a damaged record: listed by the others */
		if (rels[i].description && strlen(rels[i].description) > width)
			width = strlen(rels[i].description);
	}
	if (!strcmp(format, "json")) {
		out = json_array();
		for (size_t i = 0; i < nv; i++)
			if (rels[i].version)
				json_array_append_new(out, release_json(&rels[i], rels[i].version == cur.version));
		print_json(out);
		json_decref(out);
	} else if (cur.version) {
		ui_header_q("%s Releases - Current: v%u", app.name, cur.version);
		for (size_t i = 0; i < nv; i++) {
			autofree char *w = NULL;
			char v[16];

			if (!rels[i].version)
				continue;
			w = when(rels[i].created);
			snprintf(v, sizeof(v), "v%u", rels[i].version);
			printf("%-5s %-*s  %s\n", v, (int)width,
			       rels[i].description ? rels[i].description : "", w);
		}
	} else {
		ui_header_q("%s Releases", app.name);
		ui_warn("%s has no releases yet: deploy it first", app.name);
	}
	for (size_t i = 0; i < nv; i++)
		release_free(&rels[i]);
	free(rels);
	release_free(&cur);
	app_close(&app);
	return 0;
}

static char *procs_text(const struct proctypes *p)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < p->n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? " " : "", p->v[i].name);

		free(out);
		out = next;
	}
	return out;
}

/* releases:info APP [vN] [--FLAG] [--format json]: the active release by default. */
int cmd_releases_info(int argc, char **argv)
{
	const char *format = "stdout", *info_flag = NULL;
	const struct opt opts[] = { { "--format", OPT_STR, &format }, { NULL, 0, NULL } };
	struct app app;
	struct release rel, cur;
	struct berr err;
	unsigned version = 0;
	autofree char *title = NULL, *w = NULL, *procs = NULL, *layers = NULL, *vtext = NULL;
	int n, r;

	if (report_split_flag(&argc, argv, &info_flag) != 0)
		return 1;
	char *pos[argc + 1];

	n = args_parse(argc, argv, opts, 0, pos);
	if (n < 0)
		return 1;
	if (strcmp(format, "stdout") && strcmp(format, "json"))
		return cmd_fail("Invalid format specified, supported formats: json, stdout");
	if ((r = cmd_open_app(n, pos, &app)) != 0)
		return r;
	if (n > 2) {
		app_close(&app);
		return cmd_fail("Unexpected argument(s): %s", pos[2]);
	}
	if (n == 2 && (r = parse_version(pos[1], &version)) != 0) {
		app_close(&app);
		return r;
	}
	if (release_current(app.name, &cur, &err) < 0) {
		app_close(&app);
		return cmd_fail("%s", err.msg);
	}
	if (!version)
		version = cur.version;
	if (!version) {
		release_free(&cur);
		app_close(&app);
		return cmd_fail("%s has no releases yet: deploy it first", pos[0]);
	}
	if (release_load(app.name, version, &rel, &err) < 0) {
		release_free(&cur);
		app_close(&app);
		return cmd_fail("%s", err.msg);
	}
	w = when(rel.created);
	procs = procs_text(&rel.procs);
	layers = xasprintf("%zu", rel.layers.n);
	vtext = xasprintf("v%u", rel.version);
	struct report_row rows[] = {
		{ "--release-version", vtext },
		{ "--release-current", rel.version == cur.version ? "true" : "false" },
		{ "--release-created-at", w },
		{ "--release-description", rel.description },
		{ "--release-stack", rel.stack },
		{ "--release-source-version", rel.source_version },
		{ "--release-process-types", procs },
		{ "--release-layers", layers },
	};
	title = xasprintf("%s %s", app.name, vtext);
	r = report_print(title, "release", rows, ARRAY_SIZE(rows), info_flag, format);
	/* Its config vars after the report, as Heroku's releases:info shows them. */
	if (r == 0 && !info_flag && strcmp(format, "json")) {
		ui_header_q("%s config vars", vtext);
		ui_env_rows("", (const char *const *)rel.app_config.v, rel.app_config.n);
	}
	release_free(&rel);
	release_free(&cur);
	app_close(&app);
	return r;
}

/* releases:rollback APP [vN]: without vN, the release before the active one. */
int cmd_releases_rollback(int argc, char **argv)
{
	struct berr err;
	unsigned target = 0, version;
	char *pos[argc + 1];
	int n = args_app(argc, argv, NULL, 2, pos), r;

	if (n < 0)
		return -n;
	if (n == 2 && (r = parse_version(pos[1], &target)) != 0)
		return r;
	if (target) {
		struct release rel;

		if (release_load(pos[0], target, &rel, &err) < 0)
			return cmd_fail("App %s has no release v%u (see 'releases %s')", pos[0], target,
					pos[0]);
		release_free(&rel);
	}
	if (app_rollback(pos[0], target, ui_sink(), &version, &err) < 0)
		return cmd_fail("%s", err.msg);
	ui_header("Rolled back %s: v%u is live (a copy of v%u)", pos[0], version, target ? target : version);
	return 0;
}

static int set_keep(struct app_settings *s, void *ctx, struct berr *err)
{
	(void)err;
	s->releases_keep = *(unsigned *)ctx;
	return 0;
}

/* releases:set (APP|--global) keep [N]: how many releases to keep; no N: the default. */
int cmd_releases_set(int argc, char **argv)
{
	bool global = false;
	const struct opt opts[] = { { "--global", OPT_BOOL, &global }, { NULL, 0, NULL } };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), first = global ? 0 : 1;
	uint64_t keep = 0;
	struct app app;
	int r;

	if (n < 0)
		return 1;
	if (!global && n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (n - first < 1)
		return cmd_fail("No property specified: releases:set (<app>|--global) keep [<count>]");
	if (strcmp(pos[first], "keep"))
		return cmd_fail("Invalid property specified, valid properties include: keep");
	if (n - first > 2)
		return cmd_fail("Unexpected argument(s): %s", pos[first + 2]);
	if (n - first == 2 && (parse_uint(pos[first + 1], RELEASES_KEEP_MAX, &keep, &err) < 0 || keep == 0))
		return cmd_fail("Invalid value for keep: '%s' (a number from 1 to %d)", pos[first + 1],
				RELEASES_KEEP_MAX);
	if (global) {
		autofree char *text = keep ? xasprintf("%u", (unsigned)keep) : NULL;

		if (global_setting_set("releases-keep", text, &err) < 0)
			return cmd_fail("%s", err.msg);
	} else {
		if ((r = cmd_open_app(n, pos, &app)) != 0)
			return r;
		unsigned k = (unsigned)keep;

		r = app_settings_edit(&app, set_keep, &k, &err);
		app_close(&app);
		if (r < 0)
			return cmd_fail("%s", err.msg);
	}
	if (keep)
		ui_step_q("Setting keep to %u", (unsigned)keep);
	else
		ui_step_q("Unsetting keep");
	return 0;
}
