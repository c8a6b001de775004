/* net.h - container networking and berth's front door: the public face of net/.
 *
 * net/ owns the host side of every container's network: one bridge (default
 * berth0) with the gateway address, one veth pair per container whose peer
 * becomes the container's eth0, the address leases (IPAM) under $BERTH_ROOT, the
 * per-container /etc/resolv.conf and /etc/hosts, and berth's own nftables tables
 * (egress NAT, no container-to-container or container-to-host traffic except DNS).
 * It also owns the HTTP router (router.h's side of this header).
 *
 * It changes nothing outside what it names after the bridge: the bridge, veths
 * named after it, tables named after it, files under $BERTH_ROOT/net/<bridge> and
 * $BERTH_RUN/net/<bridge>. Links, addresses and routes go over netlink (libnl), the
 * tables over nf_tables netlink (libnftnl); no ip or nft binary runs. */
#ifndef BERTH_NET_H
#define BERTH_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/util.h"

#define NET_DEFAULT_BRIDGE "berth0"
#define NET_DEFAULT_SUBNET "10.88.0.0/16"
#define NET_DEFAULT_HTTP_ADDR "0.0.0.0:80"
#define NET_DEFAULT_MTU 1500

/* Settings every command and the daemon share: from the environment first, then
 * from $BERTH_ROOT/berth.conf (KEY=VALUE lines), then the defaults above. */
struct net_config {
	char bridge[IFNAMSIZ];     /* BERTH_BRIDGE */
	uint32_t subnet;           /* BERTH_SUBNET, network address, host byte order */
	unsigned prefix;           /* 8..30 */
	unsigned mtu;              /* BERTH_MTU */
	char http_addr[64];        /* BERTH_HTTP_ADDR, "ADDR:PORT" for the router */
	char table[32];            /* nftables table name, derived from the bridge */
};

int net_config_load(struct net_config *cfg, struct berr *err);
/* "10.88.0.0/16" -> network and prefix; the network must have no host bits. */
int net_parse_subnet(const char *s, uint32_t *net, unsigned *prefix, struct berr *err);
/* The gateway: the subnet's first host address (the bridge's). */
uint32_t net_gateway(const struct net_config *cfg);
/* Dotted quad of a host-order address into buf (16 bytes). */
const char *net_ntoa(uint32_t addr, char buf[16]);

/* The bridge with the gateway address, forwarding on it, and berth's tables:
 * idempotent, safe to run from concurrent starts. */
int net_host_setup(const struct net_config *cfg, struct berr *err);
/* Remove the bridge (and so every veth on it), berth's tables, the leases and the
 * per-container files. Missing pieces are fine. */
int net_teardown(const struct net_config *cfg, struct berr *err);

/* One container's place on the network, from net_attach_prepare() (lease taken,
 * resolv.conf and hosts written) through the runtime hook to net_attach_release(). */
struct net_attachment {
	struct net_config cfg;
	uint32_t addr;
	char veth[IFNAMSIZ];       /* host side */
	char *dir;                 /* $BERTH_RUN/net/<bridge>/<addr> */
	char *resolv_conf;         /* files there, to bind on /etc/resolv.conf, /etc/hosts */
	char *hosts;
	bool leased;
};

/* Take a lease for the process owner_pid (the container's monitor) and write the
 * container's resolv.conf and hosts naming hostname. */
int net_attach_prepare(struct net_attachment *att, const struct net_config *cfg,
		       const char *hostname, pid_t owner_pid, struct berr *err);
/* The same without making sure of the host side first: for a caller that ran
 * net_host_setup() once for many containers (the daemon). */
int net_attach_lease(struct net_attachment *att, const struct net_config *cfg,
		     const char *hostname, pid_t owner_pid, struct berr *err);
/* A runtime_hook_fn: arg is the net_attachment. Creates the veth pair, moves the
 * peer into pid's network namespace as eth0 with address, MTU and default route. */
int net_attach_hook(pid_t pid, void *arg, struct berr *err);
/* Give the lease back and remove the files and the host veth (if still there). */
void net_attach_release(struct net_attachment *att);

/* IPAM, exposed for tests and for `berth net:report`. */
struct net_lease {
	uint32_t addr;
	pid_t owner;
	unsigned long long owner_start;  /* /proc/<pid>/stat starttime, against pid reuse */
};

struct net_leases {
	struct net_lease *v;
	size_t n;
	uint32_t next;             /* where the next search starts: freed addresses wait a cycle */
};

/* Pure: choose a free address in cfg's subnet (not network, gateway or broadcast)
 * starting at leases->next; returns 0 and *addr, or -1 when the subnet is full. */
int net_ipam_pick(const struct net_config *cfg, const struct net_leases *leases,
		  uint32_t *addr);
/* Load the lease file under its lock, drop leases whose owner is gone, and either
 * add one for owner (addr != NULL) or remove *release. Atomic on disk. */
int net_ipam_take(const struct net_config *cfg, pid_t owner, uint32_t *addr, struct berr *err);
int net_ipam_release(const struct net_config *cfg, uint32_t addr, struct berr *err);
/* Hand the lease of addr to another owner (a daemon gives its container's lease to
 * the container's pid 1, which outlives the daemon). */
int net_ipam_reown(const struct net_config *cfg, uint32_t addr, pid_t owner, struct berr *err);
int net_ipam_list(const struct net_config *cfg, struct net_leases *out, struct berr *err);
void net_leases_free(struct net_leases *l);

/* The TCP port forwarder (ports:add APP tcp:HOST-PORT:CONTAINER-PORT, or udp:): nftables
 * DNAT of connections to any of the host's addresses on host_port to addr:port
 * (a container on the bridge), in a table of its own, <table>_fw, replaced
 * whole by each call (n == 0 removes it). It makes sure of the bridge and the
 * main table first, and turns route_localnet on for the bridge so that the
 * host's loopback clients are forwarded too. See docs/net.md for why DNAT. */
struct net_forward {
	uint8_t proto;             /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port;
	uint32_t addr;             /* host order */
	uint16_t port;
	bool from_bridge;          /* only connections from the bridge: one more
				    * port of the router's, which host clients
				    * reach directly (addr: the router's) */
};
int net_forward_apply(const struct net_config *cfg, const struct net_forward *fw, size_t n,
		      struct berr *err);

/* For doctor: is IPv4 forwarding on, globally or for the bridge? */
bool net_forwarding_enabled(const char *ifname);

/* The HTTP router: a supervisor holding the listening socket and one worker that
 * serves it; see docs/net.md for the table format and the signals. */
struct router_options {
	const char *table_path;       /* JSON table, re-read on SIGHUP */
	unsigned max_conns;           /* BERTH_ROUTER_MAX_CONNS, default 4096 */
	unsigned max_head;            /* bytes of request head, default 8192 (431 beyond) */
	unsigned head_timeout_ms;     /* a whole request head, default 10000 */
	unsigned body_timeout_ms;     /* between body bytes, default 30000 */
	unsigned idle_timeout_ms;     /* a keep-alive client between requests, default 60000 */
	unsigned upstream_timeout_ms; /* connect, and then the response's first byte, default 30000 */
	unsigned drain_timeout_ms;    /* after SIGTERM, for requests in flight, default 10000 */
};

/* Defaults, then BERTH_ROUTER_* variables from the environment. */
int router_options_load(struct router_options *o, struct berr *err);
/* A listening TCP socket on "ADDR:PORT". */
int router_listen(const char *addr, struct berr *err);
/* Run workers on listen_fd (the main port) and on every other host port the
 * table's apps name, until SIGTERM/SIGINT; a worker that dies is replaced at
 * once while the sockets stay open here. SIGHUP: the ports are brought in line
 * with the table, then the worker re-reads it. */
int router_supervise(int listen_fd, const struct router_options *o, const char *pidfile,
		     struct berr *err);
/* One worker: serve fds (fds[0]: the main port) until SIGTERM (then finish what
 * is in flight); ctl_fd (or -1) brings the supervisor's sockets after a change. */
int router_worker(const int *fds, size_t nfds, int ctl_fd, const struct router_options *o,
		  struct berr *err);

#endif
