/* enter.c - `enter APP web.1 [CMD]`: a command in a running process's container,
 * with that process's namespaces, cgroup, user and seccomp filter, and a pty when
 * the caller has a terminal (runtime_enter()). */
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/tty.h"
#include "platform/platform.h"
#include "runtime/runtime.h"

int cmd_enter(int argc, char **argv)
{
	struct strv command = { 0 };
	const char *id = NULL;
	const struct opt opts[] = {
		{ NULL, 0, NULL },
	};
	struct run_opts o = { 0 };
	struct tty_session t;
	struct berr err = { 0 };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, ARGS_STOP, pos), status = 0, pidfd;
	pid_t pid;

	if (n < 0)
		return 1;
	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (n < 2)
		return cmd_fail("Please specify a process to enter, e.g. web.1 (see ps:report %s)", pos[0]);
	const char *dyno = pos[1];
	int first = 2;

	/* Options end at the app; Dokku's --container-id NAME comes after it and
	 * takes the container's name, <app>.<type>.<n>. */
	if (str_has_prefix(pos[1], "--container-id")) {
		const char *rest = pos[1] + strlen("--container-id");
		size_t len = strlen(pos[0]);

		if (*rest == '=') {
			id = rest + 1;
		} else if (!*rest && n >= 3) {
			id = pos[2];
			first = 3;
		} else {
			return cmd_fail("enter: --container-id needs a container name");
		}
		if (strncmp(id, pos[0], len) || id[len] != '.')
			return cmd_fail("Container %s is not one of app %s", id, pos[0]);
		dyno = id + len + 1;
	}
	if (first < n && !strcmp(pos[first], "--"))
		first++;
	for (int i = first; i < n; i++)
		strv_push(&command, pos[i]);
	if (tty_open(&t, true, &err) < 0) {
		tty_close(&t);
		strv_free(&command);
		return cmd_fail("%s", err.msg);
	}
	o.tty = t.tty;
	o.term = getenv("TERM");
	for (int i = 0; i < 3; i++)
		o.stdio[i] = t.stdio[i];
	if (app_enter_start(pos[0], dyno, &command, &o, &pid, &pidfd, &err) < 0) {
		tty_close(&t);
		strv_free(&command);
		return cmd_fail_app(pos[0], &err);
	}
	tty_started(&t);
	tty_relay(&t, pidfd, 0);
	tty_close(&t);
	if (runtime_enter_wait(pid, pidfd, &status, &err) < 0)
		status = cmd_fail("%s", err.msg);
	strv_free(&command);
	return status;
}
