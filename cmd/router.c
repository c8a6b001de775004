/* router.c - `berth router` and `berth router:reload`: the HTTP router (net/router_*.c)
 * in the foreground, and the signal that makes it re-read its table. In the lean
 * binary: the router links no more than jansson and a static http-parser. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "net/net.h"

static char *router_dir(void)
{
	return xasprintf("%s/router", berth_run());
}

/* `berth router [--table FILE]`: the HTTP router, in the foreground. */
int cmd_router(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "table", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct net_config cfg;
	struct router_options o;
	struct berr err;
	autofree char *dir = router_dir();
	autofree char *table = NULL, *pidfile = NULL;
	int opt, fd, r;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt != 't')
			return cmd_fail("Usage: berth router [--table FILE]");
		free(table);
		table = xstrdup(optarg);
	}
	if (optind != argc)
		return cmd_fail("Usage: berth router [--table FILE]");
	if (!table)
		table = xasprintf("%s/table.json", dir);
	pidfile = xasprintf("%s/router.pid", dir);
	if (net_config_load(&cfg, &err) < 0 || router_options_load(&o, &err) < 0 ||
	    mkdir_p(dir, 0755, &err) < 0)
		return cmd_fail("router: %s", err.msg);
	o.table_path = table;
	fd = router_listen(cfg.http_addr, &err);
	if (fd < 0)
		return cmd_fail("router: %s (BERTH_HTTP_ADDR)", err.msg);
	r = router_supervise(fd, &o, pidfile, &err);  /* closes fd */
	if (r < 0)
		return cmd_fail("router: %s", err.msg);
	return 0;
}

/* `berth router:reload`: the running router re-reads its table. */
int cmd_router_reload(int argc, char **argv)
{
	autofree char *dir = router_dir();
	autofree char *pidfile = xasprintf("%s/router.pid", dir);
	autofree char *text = NULL;
	struct berr err;
	size_t len;
	uint64_t pid;

	(void)argv;
	if (argc != 1)
		return cmd_fail("Usage: berth router:reload");
	if (read_file(pidfile, &text, &len, &err) < 0)
		return cmd_fail("router:reload: no router is running (%s)", err.msg);
	text[strcspn(text, "\n")] = '\0';
	if (parse_uint(text, 1u << 22, &pid, &err) < 0 || pid == 0)
		return cmd_fail("router:reload: %s does not hold a pid", pidfile);
	if (kill((pid_t)pid, SIGHUP) < 0)
		return cmd_fail("router:reload: signal router %llu: %s", (unsigned long long)pid,
				strerror(errno));
	return 0;
}
