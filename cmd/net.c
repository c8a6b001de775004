/* net.c - `berth net:report` and `berth net:teardown`: the host side of berth's
 * container network (bridge, nftables tables, leases). */
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
#include "common/ui.h"
#include "net/net.h"

int cmd_net_report(int argc, char **argv)
{
	struct net_config cfg;
	struct net_leases leases;
	struct berr err;
	char a[16], row[64];

	(void)argv;
	if (argc != 1)
		return cmd_fail("Usage: berth net:report");
	if (net_config_load(&cfg, &err) < 0 || net_ipam_list(&cfg, &leases, &err) < 0)
		return cmd_fail("net:report: %s", err.msg);
	printf("=====> network\n");
	ui_report_row("Net bridge:", cfg.bridge);
	snprintf(row, sizeof(row), "%s/%u", net_ntoa(cfg.subnet, a), cfg.prefix);
	ui_report_row("Net subnet:", row);
	ui_report_row("Net gateway:", net_ntoa(net_gateway(&cfg), a));
	ui_report_row("Net nft table:", cfg.table);
	ui_report_row("Net http addr:", cfg.http_addr);
	ui_report_row("Net forwarding:", net_forwarding_enabled(cfg.bridge) ? "on for the bridge" :
		      net_forwarding_enabled("all") ? "on (host-wide)" : "off");
	snprintf(row, sizeof(row), "%zu", leases.n);
	ui_report_row("Net leases:", row);
	for (size_t i = 0; i < leases.n; i++) {
		snprintf(row, sizeof(row), "%s pid %d", net_ntoa(leases.v[i].addr, a),
			 (int)leases.v[i].owner);
		ui_report_row("Net lease:", row);
	}
	net_leases_free(&leases);
	return 0;
}

int cmd_net_teardown(int argc, char **argv)
{
	struct net_config cfg;
	struct berr err;

	if (argc != 1)
		return cmd_fail("Usage: berth net:teardown");
	(void)argv;
	if (net_config_load(&cfg, &err) < 0 || net_teardown(&cfg, &err) < 0)
		return cmd_fail("net:teardown: %s", err.msg);
	ui_step("Removed bridge %s, nftables tables %s and their leases", cfg.bridge, cfg.table);
	return 0;
}

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
	r = router_supervise(fd, &o, pidfile, &err);
	close(fd);
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
