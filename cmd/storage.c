/* storage.c - storage:mount, storage:unmount, storage:list (Dokku's colon form). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/platform.h"

static int storage_edit_cmd(int argc, char **argv, bool mount)
{
	struct app app;
	struct berr err = { 0 };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos), status = 0;

	if (n < 0)
		return 1;
	if ((status = cmd_open_app(n, pos, &app)) != 0)
		return status;
	if (n < 2)
		status = cmd_fail("Please specify a HOST_PATH:CONTAINER_PATH[:ro] to %s", argv[0]);
	else if (n > 2)
		status = cmd_fail("%s takes one HOST_PATH:CONTAINER_PATH[:ro]; unexpected '%s'", argv[0], pos[2]);
	else if ((mount ? storage_mount(&app, pos[1], &err) : storage_unmount(&app, pos[1], &err)) < 0)
		status = cmd_fail("%s", err.msg);
	app_close(&app);
	return status;
}

int cmd_storage_mount(int argc, char **argv)
{
	return storage_edit_cmd(argc, argv, true);
}

int cmd_storage_unmount(int argc, char **argv)
{
	return storage_edit_cmd(argc, argv, false);
}

int cmd_storage_list(int argc, char **argv)
{
	const char *format = NULL;
	const struct opt opts[] = {
		{ "--format", OPT_STR, &format },
		{ NULL, 0, NULL },
	};
	struct app app;
	struct berr err = { 0 };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);

	if (n < 0)
		return 1;
	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (n > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if (format && strcmp(format, "json") && strcmp(format, "text") && strcmp(format, "stdout"))
		return cmd_fail("Invalid --format value specified: %s (text or json)", format);
	if (app_open(pos[0], 0, &app, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (format && !strcmp(format, "json")) {
		json_t *list = json_array();
		autofree char *text = NULL;

		for (size_t i = 0; i < app.settings.storage.n; i++) {
			autofree char *e = xstrdup(app.settings.storage.v[i]);
			char *c = strchr(e, ':'), *ro;
			json_t *o;

			if (!c)
				continue;
			*c++ = '\0';
			if ((ro = strchr(c, ':')))
				*ro++ = '\0';
			o = json_pack("{s:s, s:s}", "host_path", e, "container_path", c);
			if (ro && !strcmp(ro, "ro"))
				json_object_set_new(o, "readonly", json_true());
			json_array_append_new(list, o);
		}
		text = json_dumps(list, JSON_INDENT(2));
		json_decref(list);
		puts(text ? text : "[]");
	} else {
		/* --quiet: the mounts alone, one a line, as Dokku's. */
		ui_step_q("%s volume bind-mounts:", app.name);
		for (size_t i = 0; i < app.settings.storage.n; i++)
			printf("%s%s\n", ui_quiet ? "" : "       ", app.settings.storage.v[i]);
	}
	app_close(&app);
	return 0;
}

/* storage:report: Dokku's build/deploy/run rows ("-v HOST:CONTAINER[:ro] ...");
 * berth mounts at deploy and run, never into builds. */
static int storage_report_one(const char *name, const char *info_flag, const char *format)
{
	struct app app;
	struct berr err = { 0 };
	autofree char *mounts = xstrdup("");
	int r;

	if (!name)
		return cmd_fail("storage:report has no global settings");
	if (app_open(name, 0, &app, &err) < 0)
		return cmd_fail_app(name, &err);
	for (size_t i = 0; i < app.settings.storage.n; i++) {
		char *next = xasprintf("%s%s-v %s", mounts, i ? " " : "", app.settings.storage.v[i]);

		free(mounts);
		mounts = next;
	}
	const struct report_row rows[] = {
		{ "--storage-build-mounts", "" },
		{ "--storage-deploy-mounts", mounts },
		{ "--storage-run-mounts", mounts },
	};
	r = report_print(app.name, "storage", rows, ARRAY_SIZE(rows), info_flag, format);
	app_close(&app);
	return r;
}

int cmd_storage_report(int argc, char **argv)
{
	return report_command(argc, argv, false, storage_report_one);
}

/* storage:ensure-directory [--chown OPTION] NAME: Dokku's names for the owner;
 * berth's app user is 1000 ("heroku"), the default here (Dokku's is herokuish). */
int cmd_storage_ensure_directory(int argc, char **argv)
{
	static const struct { const char *name; long uid; } owners[] = {
		{ "heroku", 1000 }, { "herokuish", 32767 }, { "paketo", 2000 }, { "packeto", 2000 },
		{ "root", 0 }, { "false", -1 },
	};
	const char *chown_opt = "heroku";
	const struct opt opts[] = { { "--chown", OPT_STR, &chown_opt }, { NULL, 0, NULL } };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);
	autofree char *path = NULL;
	struct berr err = { 0 };
	long owner = -2;

	if (n < 0)
		return 1;
	if (n != 1)
		return cmd_fail("Please specify a directory name: %s storage:ensure-directory [--chown option] <directory>",
				cmd_name);
	for (size_t i = 0; i < ARRAY_SIZE(owners); i++)
		if (!strcmp(chown_opt, owners[i].name))
			owner = owners[i].uid;
	if (owner == -2) {
		uint64_t v;

		/* the containers' user namespace maps ids 0..65535 */
		if (parse_uint(chown_opt, 65535, &v, &err) < 0)
			return cmd_fail("Unsupported chown permissions: %s (heroku, herokuish, paketo, root, false or an id up to 65535)",
					chown_opt);
		owner = (long)v;
	}
	if (storage_ensure_directory(pos[0], owner, &path, &err) < 0)
		return cmd_fail("%s", err.msg);
	ui_step("Ensuring %s exists", path);
	if (owner >= 0)
		ui_detail("Setting directory ownership to %ld:%ld", owner, owner);
	ui_detail("Directory ready for mounting");
	return 0;
}
