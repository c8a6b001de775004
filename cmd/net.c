/* net.c - `berth net:report` and `berth net:teardown`: the host side of berth's
 * container network (bridge, nftables tables, leases). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/ui.h"
#include "net/net.h"
#include "runtime/runtime.h"

/* runtime:run --net bridge: a lease and the files now, the veth from the
 * runtime's hook; *handle is the attachment, for cmd_net_bridge_release(). */
int cmd_net_bridge_attach(struct runtime_spec *spec, void **handle, struct berr *err)
{
	struct net_attachment *att = xcalloc(1, sizeof(*att));
	struct net_config cfg;
	const char *files[2][2];

	if (net_config_load(&cfg, err) < 0 ||
	    net_attach_prepare(att, &cfg, spec->hostname, getpid(), err) < 0) {
		free(att);
		return -1;
	}
	files[0][0] = att->resolv_conf;
	files[0][1] = "/etc/resolv.conf";
	files[1][0] = att->hosts;
	files[1][1] = "/etc/hosts";
	spec->binds = xrealloc(spec->binds, (spec->nbinds + 2) * sizeof(*spec->binds));
	for (int i = 0; i < 2; i++)
		spec->binds[spec->nbinds++] = (struct runtime_bind){
			xstrdup(files[i][0]), xstrdup(files[i][1]), true };
	spec->net_hook = net_attach_hook;
	spec->net_hook_arg = att;
	*handle = att;
	return 0;
}

void cmd_net_bridge_release(void *handle)
{
	net_attach_release(handle);
	free(handle);
}

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

