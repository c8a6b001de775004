/* internal.h - shared inside net/ only. */
#ifndef BERTH_NET_INTERNAL_H
#define BERTH_NET_INTERNAL_H

#include "net/net.h"

/* $BERTH_ROOT/net/<bridge>: leases. */
char *net_state_dir(const struct net_config *cfg);
/* $BERTH_RUN/net/<bridge>: per-container files. */
char *net_run_dir(const struct net_config *cfg);
unsigned long long net_pid_start(pid_t pid);

/* link.c: netlink through libnl-route. */
int net_link_bridge_ensure(const struct net_config *cfg, struct berr *err);
int net_link_veth_into(const struct net_config *cfg, const char *host_name, pid_t pid,
		       uint32_t addr, struct berr *err);
int net_link_delete(const char *name, struct berr *err);
int net_link_delete_bridge(const char *name, struct berr *err);

/* nft.c: berth's tables through libnftnl. dns_dnat: the host's loopback resolver
 * (host order) that DNS to the gateway is sent to, or 0. */
int net_nft_apply(const struct net_config *cfg, uint32_t dns_dnat, struct berr *err);
int net_nft_remove(const struct net_config *cfg, struct berr *err);
/* The forward table (<table>_fw): replaced by fw[0..n), removed when n == 0. */
int net_nft_forward_apply(const struct net_config *cfg, const struct net_forward *fw, size_t n,
			  struct berr *err);
int net_nft_forward_remove(const struct net_config *cfg, struct berr *err);

#endif
