/* logs.c - `berth logs APP [-t] [-n N] [-p PROCESS] [-q]`: the files the daemon
 * writes, read without it (platform/logs_reader.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "platform/daemon.h"
#include "platform/platform.h"

static void print_line(const char *line, void *ctx)
{
	(void)ctx;
	puts(line);
	fflush(stdout);
}

int cmd_logs(int argc, char **argv)
{
	bool tail = false, quiet = false;
	const char *num = NULL, *proc = NULL;
	const struct opt opts[] = {
		{ "-t", OPT_BOOL, &tail },
		{ "--tail", OPT_BOOL, &tail },
		{ "-q", OPT_BOOL, &quiet },
		{ "--quiet", OPT_BOOL, &quiet },
		{ "-n", OPT_STR, &num },
		{ "--num", OPT_STR, &num },
		{ "-p", OPT_STR, &proc },
		{ "--ps", OPT_STR, &proc },
		{ NULL, 0, NULL },
	};
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);
	struct logs_query q = { .n = 100 };
	struct berr err;
	uint64_t v;

	if (n < 0)
		return 1;
	if (n != 1)
		return cmd_fail(n ? "Unexpected argument(s): %s" : "Please specify an app to run the command on%s",
				n ? pos[1] : "");
	if (num && parse_uint(num, 1000000000, &v, &err) < 0)
		return cmd_fail("-n %s: a number of lines", num);
	if (num)
		q.n = (unsigned long)v;
	if (proc) {
		for (const char *c = proc; *c; c++)
			if (!(*c == '.' || *c == '-' || *c == '_' || (*c >= '0' && *c <= '9') ||
			      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
				return cmd_fail("-p %s: not a process type (web) or process (web.1)", proc);
	}
	q.app = pos[0];
	q.proc = proc;
	q.follow = tail;
	q.quiet = quiet;
	if (logs_show(&q, print_line, NULL, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	return 0;
}
