/* daemon.c - `berth daemon [--background]`: the supervisor of every app process
 * (platform/daemon.c); in the foreground under systemd (Type=notify), or
 * detached with its pid file on hosts without it. */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/ui.h"
#include "platform/daemon.h"

int cmd_daemon(int argc, char **argv)
{
	struct daemon_options o = { .sink = ui_sink() };
	struct berr err = { 0 };
	int r;

	if (argc == 2 && !strcmp(argv[1], "--background"))
		o.background = true;
	else if (argc != 1)
		return cmd_fail("Usage: berth daemon [--background]");
	r = daemon_run(&o, &err);
	if (r < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}
