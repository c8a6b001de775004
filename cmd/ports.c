/* ports.c - ports:list|add|set|remove|clear|report with Dokku's output. http
 * maps feed the router (its table is rewritten on each change), tcp maps the
 * TCP port forwarder. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/platform.h"

static int open_app_args(int argc, char **argv, char **pos, int *n, struct app *app)
{
	*n = args_parse(argc, argv, NULL, 0, pos);
	if (*n < 0)
		return 1;
	return cmd_open_app(*n, pos, app);
}

static void refresh_router(void)
{
	struct berr err;

	if (routes_refresh(&err) < 0)
		ui_warn("router table not updated: %s", err.msg);
}

enum ports_cmd { PC_ADD, PC_SET, PC_REMOVE, PC_CLEAR };

static int edit_command(int argc, char **argv, enum ports_cmd op)
{
	struct strv given = { 0 };
	struct app app;
	struct berr err;
	char *pos[argc + 1];
	int n, r, rc;

	if ((r = open_app_args(argc, argv, pos, &n, &app)) != 0)
		return r;
	for (int i = 1; i < n; i++)
		strv_push(&given, pos[i]);
	if (op == PC_CLEAR && n > 1) {
		r = cmd_fail("Unexpected argument(s): %s", pos[1]);
		goto out;
	}
	rc = op == PC_ADD      ? ports_add(&app, &given, &err)
	     : op == PC_SET    ? ports_set(&app, &given, &err)
	     : op == PC_REMOVE ? ports_remove(&app, &given, &err)
			       : ports_clear(&app, &err);
	if (rc < 0) {
		r = cmd_fail("%s", err.msg);
		goto out;
	}
	/* Kept as Dokku keeps them, but the router speaks plain HTTP/1.1 only. */
	for (size_t i = 0; (op == PC_ADD || op == PC_SET) && i < given.n; i++)
		if (!strncmp(given.v[i], "https:", 6) || !strncmp(given.v[i], "grpc", 4))
			ui_warn("%s is kept but not served: berth's router has no TLS or HTTP/2 yet", given.v[i]);
	refresh_router();
out:
	strv_free(&given);
	app_close(&app);
	return r;
}

int cmd_ports_add(int argc, char **argv) { return edit_command(argc, argv, PC_ADD); }
int cmd_ports_set(int argc, char **argv) { return edit_command(argc, argv, PC_SET); }
int cmd_ports_remove(int argc, char **argv) { return edit_command(argc, argv, PC_REMOVE); }
int cmd_ports_clear(int argc, char **argv) { return edit_command(argc, argv, PC_CLEAR); }

/* Columns as Dokku prints them: a 4-space prefix, columns 2 apart. */
int cmd_ports_list(int argc, char **argv)
{
	static const char *const head[3] = { "-----> scheme", "host port", "container port" };
	struct port_maps maps;
	struct app app;
	struct berr err;
	char *pos[argc + 1];
	int n, r, w[2] = { 0, 0 };

	if ((r = open_app_args(argc, argv, pos, &n, &app)) != 0)
		return r;
	if (n > 1) {
		app_close(&app);
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	}
	if (ports_effective(&app.settings, &maps, &err) < 0) {
		app_close(&app);
		return cmd_fail("%s", err.msg);
	}
	if (!ui_quiet) {
		w[0] = (int)strlen(head[0]);
		w[1] = (int)strlen(head[1]);
	}
	for (size_t i = 0; i < maps.n; i++) {
		char port[8];
		int len = snprintf(port, sizeof(port), "%u", maps.v[i].host_port);

		if ((int)strlen(maps.v[i].scheme) > w[0])
			w[0] = (int)strlen(maps.v[i].scheme);
		if (len > w[1])
			w[1] = len;
	}
	ui_step_q("Port mappings for %s", app.name);
	if (!ui_quiet)
		printf("    %-*s  %-*s  %s\n", w[0], head[0], w[1], head[1], head[2]);
	for (size_t i = 0; i < maps.n; i++)
		printf("    %-*s  %-*u  %u\n", w[0], maps.v[i].scheme, w[1], maps.v[i].host_port,
		       maps.v[i].container_port);
	port_maps_free(&maps);
	app_close(&app);
	return 0;
}

static char *maps_text(const struct port_maps *m, bool json)
{
	json_t *a = json_array();
	char *out = xstrdup("");

	for (size_t i = 0; i < m->n; i++) {
		autofree char *one = port_map_format(&m->v[i]);
		char *next = xasprintf("%s%s%s", out, i ? " " : "", one);

		free(out);
		out = next;
		json_array_append_new(a, json_pack("{s:s, s:i, s:i}", "scheme", m->v[i].scheme, "host_port",
						   (int)m->v[i].host_port, "container_port",
						   (int)m->v[i].container_port));
	}
	if (json) {
		free(out);
		out = json_dumps(a, JSON_COMPACT);
	}
	json_decref(a);
	return out;
}

static int report_one(const char *name, const char *info_flag, const char *format)
{
	struct app_settings none = { 0 };
	struct port_maps set = { 0 }, detected = { 0 };
	autofree char *set_text = NULL, *set_json = NULL, *det_text = NULL, *det_json = NULL;
	struct berr err;
	struct app app;
	int r;

	if (app_open(name, 0, &app, &err) < 0)
		return cmd_fail_app(name, &err);
	/* "Port map" is what the app set (empty when nothing); "detected" the default. */
	if ((app.settings.ports.n && ports_effective(&app.settings, &set, &err) < 0) ||
	    ports_effective(&none, &detected, &err) < 0) {
		app_close(&app);
		return cmd_fail("%s", err.msg);
	}
	set_text = maps_text(&set, false);
	set_json = maps_text(&set, true);
	det_text = maps_text(&detected, false);
	det_json = maps_text(&detected, true);
	struct report_row rows[] = {
		{ "--ports-map", set_text },
		{ "--ports-map-detected", det_text },
		{ "--ports-map-detected-json", det_json },
		{ "--ports-map-json", set_json },
	};
	r = report_print(name, "ports", rows, ARRAY_SIZE(rows), info_flag, format);
	port_maps_free(&set);
	port_maps_free(&detected);
	app_close(&app);
	return r;
}

int cmd_ports_report(int argc, char **argv)
{
	return report_command(argc, argv, false, report_one);
}
