/* args_app.c - args_parse for commands whose first argument is an app (its own
 * file: only what links those commands pulls in platform's app code). */
#include "cmd/commands.h"
#include "platform/platform.h"

int args_app(int argc, char **argv, const struct opt *opts, int max, char **pos)
{
	int n = args_parse(argc, argv, opts, 0, pos);
	struct berr err;

	if (n < 0)
		return -1;
	if (n < 1)
		return -cmd_fail("Please specify an app to run the command on");
	if (n > max)
		return -cmd_fail("Unexpected argument(s): %s", pos[max]);
	if (app_require(pos[0], &err) < 0)
		return -cmd_fail_app(pos[0], &err);
	return n;
}

