/* attach.c - one container onto the bridge: lease, files, veth; and the host side
 * (bridge, tables) that every attachment needs, set up idempotently. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "net/internal.h"

char *net_run_dir(const struct net_config *cfg)
{
	return xasprintf("%s/net/%s", berth_run(), cfg->bridge);
}

/* The host's resolvers as "nameserver" lines for a container, and the loopback
 * resolver the gateway forwards DNS to when the host has nothing else (e.g.
 * systemd-resolved's 127.0.0.53): a container's loopback is its own. */
static char *resolv_conf(const struct net_config *cfg, uint32_t *dnat)
{
	autofree char *host = NULL;
	size_t len, nservers = 0;
	struct berr err;
	char *out = xstrdup(""), *tmp, gw[16];

	*dnat = 0;
	if (read_file("/etc/resolv.conf", &host, &len, &err) < 0)
		host = xstrdup("nameserver 127.0.0.53\n");
	for (char *line = strtok(host, "\n"); line; line = strtok(NULL, "\n")) {
		char addr[64];
		struct in_addr in;

		if (sscanf(line, "nameserver %63s", addr) == 1) {
			if (inet_pton(AF_INET, addr, &in) == 1 && (ntohl(in.s_addr) >> 24) == 127) {
				if (!*dnat)
					*dnat = ntohl(in.s_addr);
				continue;
			}
			if (strchr(addr, ':'))
				continue;  /* containers have no IPv6 route */
			nservers++;
		} else if (!str_has_prefix(line, "search ") && !str_has_prefix(line, "options ")) {
			continue;
		}
		tmp = xasprintf("%s%s\n", out, line);
		free(out);
		out = tmp;
	}
	if (nservers == 0) {
		tmp = xasprintf("nameserver %s\n%s", net_ntoa(net_gateway(cfg), gw), out);
		free(out);
		out = tmp;
		if (!*dnat)
			*dnat = 0x7f000035;  /* 127.0.0.53: the usual local stub */
	} else {
		*dnat = 0;
	}
	return out;
}

int net_host_setup(const struct net_config *cfg, struct berr *err)
{
	autofree char *rc = NULL;
	uint32_t dnat;

	rc = resolv_conf(cfg, &dnat);
	if (net_link_bridge_ensure(cfg, err) < 0)
		return -1;
	if (dnat) {
		/* DNAT to a loopback address is dropped as martian unless allowed here. */
		autofree char *p = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", cfg->bridge);

		if (write_file(p, "1", err) < 0)
			return -1;
	}
	return net_nft_apply(cfg, dnat, err);
}

int net_forward_apply(const struct net_config *cfg, const struct net_forward *fw, size_t n,
		      struct berr *err)
{
	if (n) {
		autofree char *p = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", cfg->bridge);

		if (net_host_setup(cfg, err) < 0 || write_file(p, "1", err) < 0)
			return -1;
	}
	return net_nft_forward_apply(cfg, fw, n, err);
}

int net_teardown(const struct net_config *cfg, struct berr *err)
{
	autofree char *state = net_state_dir(cfg);
	autofree char *run = net_run_dir(cfg);

	if (net_link_delete_bridge(cfg->bridge, err) < 0 || net_nft_remove(cfg, err) < 0 ||
	    net_nft_forward_remove(cfg, err) < 0)
		return -1;
	if (rm_rf(state, err) < 0 || rm_rf(run, err) < 0)
		return -1;
	return 0;
}

/* veth names must be unique host-wide and fit in 15 bytes: "v", 6 hex digits of
 * the bridge name's hash, 6 of the address. */
static void veth_name(const struct net_config *cfg, uint32_t addr, char out[IFNAMSIZ])
{
	uint32_t h = 2166136261u;

	for (const char *c = cfg->bridge; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	snprintf(out, IFNAMSIZ, "v%06x%06x", h & 0xffffff, addr & 0xffffff);
}

int net_attach_prepare(struct net_attachment *att, const struct net_config *cfg,
		       const char *hostname, pid_t owner_pid, struct berr *err)
{
	memset(att, 0, sizeof(*att));
	if (net_host_setup(cfg, err) < 0)
		return -1;
	return net_attach_lease(att, cfg, hostname, owner_pid, err);
}

int net_attach_lease(struct net_attachment *att, const struct net_config *cfg,
		     const char *hostname, pid_t owner_pid, struct berr *err)
{
	autofree char *rc = NULL, *hosts = NULL, *rundir = net_run_dir(cfg);
	char a[16];
	uint32_t dnat;

	memset(att, 0, sizeof(*att));
	att->cfg = *cfg;
	if (net_ipam_take(cfg, owner_pid, &att->addr, err) < 0)
		return -1;
	att->leased = true;
	veth_name(cfg, att->addr, att->veth);
	att->dir = xasprintf("%s/%s", rundir, net_ntoa(att->addr, a));
	att->resolv_conf = xasprintf("%s/resolv.conf", att->dir);
	att->hosts = xasprintf("%s/hosts", att->dir);
	rc = resolv_conf(cfg, &dnat);
	hosts = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			  "%s\t%s\n", a, hostname);
	/* The container's user reads these through its bind mounts: world-readable. */
	if (rm_rf(att->dir, err) < 0 || mkdir_p(att->dir, 0755, err) < 0 ||
	    write_file_atomic(att->resolv_conf, rc, strlen(rc), 0644, err) < 0 ||
	    write_file_atomic(att->hosts, hosts, strlen(hosts), 0644, err) < 0) {
		net_attach_release(att);
		return -1;
	}
	return 0;
}

int net_attach_hook(pid_t pid, void *arg, struct berr *err)
{
	struct net_attachment *att = arg;

	return net_link_veth_into(&att->cfg, att->veth, pid, att->addr, err);
}

void net_attach_release(struct net_attachment *att)
{
	struct berr err;

	if (att->veth[0])
		net_link_delete(att->veth, &err);
	if (att->leased)
		net_ipam_release(&att->cfg, att->addr, &err);
	att->leased = false;
	if (att->dir)
		rm_rf(att->dir, &err);
	free(att->dir);
	free(att->resolv_conf);
	free(att->hosts);
	att->dir = att->resolv_conf = att->hosts = NULL;
}
