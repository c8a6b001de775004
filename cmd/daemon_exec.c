/* daemon_exec.c - `berth daemon` from the lean binary: run berth-daemon, a build
 * with the lean command table plus the daemon, so that the long-running
 * process maps none of berth-full's libraries it never calls (libgit2, libcurl,
 * libyaml): a third less resident memory (docs/daemon.md). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"

int cmd_daemon_exec(int argc, char **argv)
{
	char self[4096], dir[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *candidates[2] = { NULL, NULL };
	/* argv[0] is the command's name: berth-daemon gets "berth daemon ...". */
	char **args = calloc((size_t)argc + 2, sizeof(char *));

	if (!args)
		return cmd_fail("berth: out of memory");
	args[0] = "berth";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	if (n < 0)
		return cmd_fail("berth: cannot find its own executable to run the daemon");
	self[n] = '\0';
	memcpy(dir, self, (size_t)n + 1);
	/* bin/berth -> bin/berth-daemon; installed: <prefix>/lib/berth/berth-daemon */
	if (asprintf(&candidates[0], "%s-daemon", self) < 0 ||
	    asprintf(&candidates[1], "%s/../lib/berth/berth-daemon", dirname(dir)) < 0)
		return cmd_fail("berth: out of memory");
	for (int i = 0; i < 2; i++)
		if (access(candidates[i], X_OK) == 0)
			execv(candidates[i], args);
	cmd_fail("berth: the daemon needs berth-daemon, which is not installed next to berth (%s)",
		 candidates[0]);
	free(candidates[0]);
	free(candidates[1]);
	free(args);
	return 1;
}
