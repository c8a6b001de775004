/* link.c - the bridge and the veth pairs, over rtnetlink with libnl-route.
 *
 * A netlink socket belongs to the network namespace it was created in, whatever
 * namespace its owner moves to later. To configure a container's eth0 we enter its
 * namespace just long enough to open a socket there, and come back: every request
 * after that reaches the container's namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "net/internal.h"

static void sock_freep(struct nl_sock **sk)
{
	if (*sk)
		nl_socket_free(*sk);
}

static void link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}

#define autosock __attribute__((cleanup(sock_freep)))
#define autolink __attribute__((cleanup(link_putp)))

static int nl_fail(struct berr *err, int nlerr, const char *what, const char *name)
{
	return berr_fail(err, "%s %s: %s", what, name, nl_geterror(nlerr));
}

static struct nl_sock *route_socket(struct berr *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk) {
		berr_fail(err, "allocate a netlink socket");
		return NULL;
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_fail(err, r, "connect", "rtnetlink");
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* A route socket inside pid's network namespace. While there, let every group
 * use ICMP echo sockets, as Docker does: ping works without CAP_NET_RAW. A sysctl
 * file under /proc/sys/net belongs to the namespace of whoever opens it. */
static struct nl_sock *route_socket_in(pid_t pid, struct berr *err)
{
	char path[64];
	autoclose int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	autoclose int target = -1;
	struct nl_sock *sk;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		berr_sys(err, "open %s", self < 0 ? "/proc/self/ns/net" : path);
		return NULL;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		berr_sys(err, "enter the container's network namespace");
		return NULL;
	}
	sk = route_socket(err);
	if (sk && write_file("/proc/sys/net/ipv4/ping_group_range", "0 2147483647", err) < 0) {
		nl_socket_free(sk);
		sk = NULL;
	}
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Staying in the container's namespace would be worse than dying. */
		perror("berth: return to the host's network namespace");
		_exit(125);
	}
	return sk;
}

static struct nl_addr *nl_inet(uint32_t addr, unsigned prefix)
{
	uint32_t be = htonl(addr);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, 4);

	if (a)
		nl_addr_set_prefixlen(a, (int)prefix);
	return a;
}

static int addr_add(struct nl_sock *sk, int ifindex, uint32_t addr, unsigned prefix,
		    const char *ifname, struct berr *err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = nl_inet(addr, prefix);
	char buf[16];
	int r;

	if (!ra || !local) {
		if (ra)
			rtnl_addr_put(ra);
		nl_addr_put(local);
		return berr_fail(err, "allocate an address for %s", ifname);
	}
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, AF_INET);
	rtnl_addr_set_local(ra, local);
	rtnl_addr_set_prefixlen(ra, (int)prefix);
	r = rtnl_addr_add(sk, ra, 0);
	rtnl_addr_put(ra);
	nl_addr_put(local);
	if (r < 0 && r != -NLE_EXIST)
		return berr_fail(err, "add address %s/%u to %s: %s", net_ntoa(addr, buf), prefix,
				 ifname, nl_geterror(r));
	return 0;
}

static int link_set_up(struct nl_sock *sk, struct rtnl_link *link, unsigned mtu,
		       const char *name, struct berr *err)
{
	autolink struct rtnl_link *change = rtnl_link_alloc();
	int r;

	if (!change)
		return berr_fail(err, "allocate a link for %s", name);
	rtnl_link_set_flags(change, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	r = rtnl_link_change(sk, link, change, 0);
	if (r < 0)
		return nl_fail(err, r, "bring up", name);
	return 0;
}

/* A bridge whose MAC nobody set takes the lowest of its ports' and changes it as
 * ports come and go: when a container's veth leaves, the gateway's MAC changes
 * under every other container, whose ARP entry for the gateway then sends their
 * replies nowhere until it is probed again (gaps of 0.1 to 5 s in a deploy's
 * request loop). A MAC of the bridge's own, set once, never follows the ports:
 * locally administered, from the bridge's name, so the same on every start. */
static int bridge_pin_mac(struct nl_sock *sk, struct rtnl_link *br, const char *name,
			  struct berr *err)
{
	autofree char *path = xasprintf("/sys/class/net/%s/addr_assign_type", name);
	autofree char *type = NULL;
	autolink struct rtnl_link *change = NULL;
	unsigned char mac[6] = { 0x02, 0xb7 };
	uint32_t h = 2166136261u;  /* FNV-1a */
	struct nl_addr *a;
	struct berr ignored;
	int r;

	/* NET_ADDR_SET (3): someone set it, berth earlier or the operator. */
	if (read_file(path, &type, NULL, &ignored) == 0 && type[0] == '3')
		return 0;
	for (const char *c = name; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	memcpy(mac + 2, &h, sizeof(h));
	change = rtnl_link_alloc();
	a = nl_addr_build(AF_LLC, mac, sizeof(mac));
	if (!change || !a) {
		nl_addr_put(a);
		return berr_fail(err, "allocate a link for %s", name);
	}
	rtnl_link_set_addr(change, a);
	nl_addr_put(a);
	r = rtnl_link_change(sk, br, change, 0);
	if (r < 0)
		return nl_fail(err, r, "set the MAC address of", name);
	return 0;
}

int net_link_bridge_ensure(const struct net_config *cfg, struct berr *err)
{
	autosock struct nl_sock *sk = route_socket(err);
	autolink struct rtnl_link *br = NULL;
	autofree char *fwd = xasprintf("/proc/sys/net/ipv4/conf/%s/forwarding", cfg->bridge);
	const char *type;
	int r;

	if (!sk)
		return -1;
	r = rtnl_link_get_kernel(sk, 0, cfg->bridge, &br);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) {
		r = rtnl_link_bridge_add(sk, cfg->bridge);
		if (r < 0 && r != -NLE_EXIST)
			return nl_fail(err, r, "create bridge", cfg->bridge);
		r = rtnl_link_get_kernel(sk, 0, cfg->bridge, &br);
	}
	if (r < 0)
		return nl_fail(err, r, "look up bridge", cfg->bridge);
	type = rtnl_link_get_type(br);
	if (!type || strcmp(type, "bridge"))
		return berr_fail(err, "%s exists and is not a bridge; set BERTH_BRIDGE to another name",
				 cfg->bridge);
	if (bridge_pin_mac(sk, br, cfg->bridge, err) < 0 ||
	    addr_add(sk, rtnl_link_get_ifindex(br), net_gateway(cfg), cfg->prefix, cfg->bridge,
		     err) < 0)
		return -1;
	if (!(rtnl_link_get_flags(br) & IFF_UP) && link_set_up(sk, br, 0, cfg->bridge, err) < 0)
		return -1;
	/* Forwarding for packets that come in on the bridge only; the host-wide switch
	 * (net.ipv4.ip_forward) is the operator's, and doctor reports it. */
	return write_file(fwd, "1", err);
}

/* The address was maybe a container's that just ended: the host forgets that
 * one's MAC, or it sends to it until the entry goes stale (seconds of lost
 * packets, e.g. for a deploy's checks of the next container). */
static void neigh_forget(struct nl_sock *sk, int ifindex, uint32_t addr)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = nl_inet(addr, 32);

	if (n && dst) {
		rtnl_neigh_set_ifindex(n, ifindex);
		rtnl_neigh_set_family(n, AF_INET);
		rtnl_neigh_set_dst(n, dst);
		rtnl_neigh_delete(sk, n, 0);  /* none there is the common case */
	}
	if (n)
		rtnl_neigh_put(n);
	nl_addr_put(dst);
}

int net_link_veth_into(const struct net_config *cfg, const char *host_name, pid_t pid,
		       uint32_t addr, struct berr *err)
{
	autosock struct nl_sock *sk = route_socket(err);
	autosock struct nl_sock *csk = NULL;
	autolink struct rtnl_link *br = NULL, *veth = NULL, *eth0 = NULL;
	struct rtnl_link *peer;
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst = NULL, *gw = NULL;
	autofree char *isolated = NULL;
	int r, ifindex;

	if (!sk)
		return -1;
	r = rtnl_link_get_kernel(sk, 0, cfg->bridge, &br);
	if (r < 0)
		return nl_fail(err, r, "look up bridge", cfg->bridge);
	veth = rtnl_link_veth_alloc();
	if (!veth)
		return berr_fail(err, "allocate veth %s", host_name);
	rtnl_link_set_name(veth, host_name);
	rtnl_link_set_master(veth, rtnl_link_get_ifindex(br));
	rtnl_link_set_mtu(veth, cfg->mtu);
	rtnl_link_set_flags(veth, IFF_UP);
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "eth0");
	rtnl_link_set_mtu(peer, cfg->mtu);
	rtnl_link_set_ns_pid(peer, pid);
	rtnl_link_put(peer);
	r = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "create veth pair", host_name);
	/* An isolated port talks to the bridge (the gateway) and to non-isolated ports
	 * only: containers never see each other's frames. libnl 3.7 has no setter for
	 * IFLA_BRPORT_ISOLATED; sysfs sets the same flag. */
	isolated = xasprintf("/sys/class/net/%s/brport/isolated", host_name);
	if (write_file(isolated, "1", err) < 0)
		return -1;

	csk = route_socket_in(pid, err);
	if (!csk)
		return -1;
	r = rtnl_link_get_kernel(csk, 0, "eth0", &eth0);
	if (r < 0)
		return nl_fail(err, r, "look up in the container", "eth0");
	ifindex = rtnl_link_get_ifindex(eth0);
	if (addr_add(csk, ifindex, addr, cfg->prefix, "eth0", err) < 0 ||
	    link_set_up(csk, eth0, 0, "eth0", err) < 0)
		return -1;

	route = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	dst = nl_inet(0, 0);
	gw = nl_inet(net_gateway(cfg), 32);
	if (!route || !nh || !dst || !gw) {
		r = berr_fail(err, "allocate the default route");
		if (nh)
			rtnl_route_nh_free(nh);
		goto out;
	}
	rtnl_route_set_family(route, AF_INET);
	rtnl_route_set_dst(route, dst);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(route, nh);
	r = rtnl_route_add(csk, route, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		r = nl_fail(err, r, "add the default route via the gateway on", "eth0");
	else
		neigh_forget(sk, rtnl_link_get_ifindex(br), addr);
out:
	if (route)
		rtnl_route_put(route);
	nl_addr_put(dst);
	nl_addr_put(gw);
	return r < 0 ? -1 : 0;
}

/* The bridge and every veth still attached to it (containers that outlived their
 * monitor keep a veth; deleting one end of a pair deletes both). */
int net_link_delete_bridge(const char *name, struct berr *err)
{
	autosock struct nl_sock *sk = route_socket(err);
	struct nl_cache *cache = NULL;
	int r, brindex;

	if (!sk)
		return -1;
	r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (r < 0)
		return nl_fail(err, r, "list links for", name);
	brindex = rtnl_link_name2i(cache, name);
	for (struct nl_object *o = nl_cache_get_first(cache); o && brindex > 0;
	     o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;

		if (rtnl_link_get_master(l) == brindex)
			rtnl_link_delete(sk, l);
	}
	nl_cache_free(cache);
	return net_link_delete(name, err);
}

int net_link_delete(const char *name, struct berr *err)
{
	autosock struct nl_sock *sk = route_socket(err);
	autolink struct rtnl_link *link = rtnl_link_alloc();
	int r;

	if (!sk || !link)
		return -1;
	rtnl_link_set_name(link, name);
	r = rtnl_link_delete(sk, link);
	if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
		return nl_fail(err, r, "delete link", name);
	return 0;
}
