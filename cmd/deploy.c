/* deploy.c - git:from-archive and ps:rebuild. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/daemon.h"
#include "platform/platform.h"

int cmd_git_from_archive(int argc, char **argv)
{
	const char *type = "tar";
	const struct opt opts[] = { { "--archive-type", OPT_STR, &type }, { NULL, 0, NULL } };
	struct deploy_source src = { .kind = DEPLOY_ARCHIVE };
	autoclose int fd = -1;
	struct berr err;
	const char *where;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, ARGS_DASH_DASH, pos);

	if (n < 0)
		return 1;
	/* libarchive finds the format and compression itself; the type is checked
	 * as Dokku checks it. */
	if (strcmp(type, "tar") && strcmp(type, "tar.gz") && strcmp(type, "zip"))
		return cmd_fail("Invalid archive type specified, valid archive types include: tar, tar.gz, zip");
	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (n < 2)
		return cmd_fail("Please specify an archive url or -- to fetch the archive from stdin");
	/* [<git-username> <git-email>] name Dokku's commit; berth keeps no git
	 * history of archives, so they are accepted and unused. */
	if (n > 4)
		return cmd_fail("Unexpected argument(s): %s", pos[4]);
	where = !strcmp(pos[1], "--") ? "-" : pos[1];
	src.skip_unchanged = true;
	if (!strcmp(where, "-")) {
		ui_step("Fetching %s file from stdin", type);
		src.fd = STDIN_FILENO;
	} else if (str_has_prefix(where, "http://") || str_has_prefix(where, "https://")) {
		ui_step("Downloading %s file from %s", type, where);
		src.kind = DEPLOY_URL;
		src.url = where;
	} else {
		fd = open(where, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cmd_fail("open %s: %s", where, strerror(errno));
		src.fd = fd;
	}
	src.deploy_kind = type;
	src.deploy_meta = src.url;  /* none for a file or stdin, as Dokku */
	if (deploy_source(pos[0], &src, ui_sink(), &err) < 0)
		return cmd_fail_app(pos[0], &err);
	return 0;
}

/* Rebuild apps up to parallel at a time, each in a child of its own. */
static int rebuild_all(size_t parallel)
{
	struct strv apps = { 0 };
	struct berr err;
	size_t running = 0;
	int failed = 0;

	if (app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	for (size_t i = 0; i <= apps.n; i++) {
		struct release cur;
		pid_t pid;
		int status;

		/* Wait for a slot, or, at the end, for every child. */
		while (running > 0 && (running >= parallel || i == apps.n)) {
			if (wait(&status) < 0)
				break;
			running--;
			failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		}
		if (i == apps.n)
			break;
		if (release_current(apps.v[i], &cur, &err) < 0 || cur.version == 0) {
			ui_step_q("Skipping %s: not deployed", apps.v[i]);
			release_free(&cur);
			continue;
		}
		release_free(&cur);
		fflush(NULL);
		pid = parallel > 1 ? fork() : 0;
		if (pid < 0) {
			failed = 1;
			cmd_fail("fork: %s", strerror(errno));
			continue;
		}
		if (pid == 0) {
			int r = deploy_rebuild(apps.v[i], ui_sink(), &err) < 0
				? cmd_fail("%s", err.msg) : 0;

			if (parallel <= 1) {
				failed |= r;
				continue;
			}
			fflush(NULL);
			_exit(r);
		}
		running++;
	}
	strv_free(&apps);
	return failed ? 1 : 0;
}

int cmd_ps_rebuild(int argc, char **argv)
{
	bool all = false;
	const char *parallel_text = NULL;
	const struct opt opts[] = {
		{ "--all", OPT_BOOL, &all },
		{ "--parallel", OPT_STR, &parallel_text },
		{ NULL, 0, NULL },
	};
	uint64_t parallel = 1;
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);

	if (n < 0)
		return 1;
	/* Dokku's --parallel -1 means one per CPU. */
	if (parallel_text && !strcmp(parallel_text, "-1"))
		parallel = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
	else if (parallel_text && (parse_uint(parallel_text, 1024, &parallel, &err) < 0 || !parallel))
		return cmd_fail("--parallel must be a positive number or -1");
	if (all) {
		if (n)
			return cmd_fail("Specify either --all or an app, not both");
		return rebuild_all((size_t)parallel);
	}
	if (n != 1)
		return cmd_fail("Please specify an app to run the command on");
	if (deploy_rebuild(pos[0], ui_sink(), &err) < 0)
		return cmd_fail_app(pos[0], &err);
	return 0;
}
