/* host_report.c - `berth report [APP]`, Dokku's bug-report command: the host
 * (kernel, memory, berth's version), then every report of the app, or of each
 * app, with the disk it uses, and (for every app) the layer store's. With a
 * flag (--disk-*, --format, --global) it is disk:report. Its own file: it calls
 * the heavy reports, which the lean bin/berth must not link. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/ui.h"
#include "platform/platform.h"

static int (*const reports[])(int, char **) = {
	cmd_apps_report, cmd_buildpacks_report, cmd_domains_report, cmd_git_report,
	cmd_logs_report, cmd_ports_report, cmd_ps_report, cmd_resource_report, cmd_storage_report,
	cmd_disk_report,
};
static const char *const report_names[] = {
	"apps:report", "buildpacks:report", "domains:report", "git:report", "logs:report",
	"ports:report", "ps:report", "resource:report", "storage:report", "disk:report",
};

static void host_lines(void)
{
	struct utsname u;
	autofree char *meminfo = NULL;
	struct berr err;

	if (uname(&u) == 0)
		ui_step("uname: %s %s %s %s %s", u.sysname, u.nodename, u.release, u.version, u.machine);
	if (read_file("/proc/meminfo", &meminfo, NULL, &err) == 0) {
		size_t n = strcspn(meminfo, "\n");

		ui_step("memory: %.*s", (int)n, meminfo);
	}
	printf("-----> berth version: ");
	fflush(stdout);
	cmd_version(1, NULL);
}

int cmd_report(int argc, char **argv)
{
	char *pos[argc + 1];
	int n = args_parse(argc, argv, NULL, 0, pos), status = 0;
	struct strv apps = { 0 };
	struct berr err;

	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return cmd_disk_report(argc, argv);
	if (n < 0)
		return 1;
	if (n > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if (n == 1 && app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	host_lines();
	if (n == 1)
		strv_push(&apps, pos[0]);
	else if (app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (!apps.n)
		ui_warn("You haven't deployed any applications yet");
	for (size_t a = 0; a < apps.n; a++)
		for (size_t i = 0; i < ARRAY_SIZE(reports); i++) {
			char *args[] = { (char *)report_names[i], apps.v[a], NULL };

			fflush(stdout);
			status |= reports[i](2, args);
		}
	if (n == 0) {
		char *args[] = { "disk:report", "--global", NULL };

		fflush(stdout);
		status |= cmd_disk_report(2, args);
	}
	strv_free(&apps);
	return status ? 1 : 0;
}
