/* nft.c - berth's own nftables tables, built with libnftnl and sent over libmnl.
 *
 * One table named after the bridge (berth_<bridge>), nothing else is touched:
 *
 *   table ip berth_<bridge>
 *     postrouting (nat):  ip saddr SUBNET oifname != BRIDGE masquerade
 *     prerouting (nat):   only when the host's resolver is on loopback:
 *                         iifname BRIDGE ip daddr GW udp/tcp dport 53 dnat to RESOLVER
 *     forward (filter):   oifname BRIDGE ct state established,related accept
 *                         oifname BRIDGE drop            (nothing initiates inwards)
 *     input (filter):     iifname BRIDGE ct state established,related accept
 *                         iifname BRIDGE udp/tcp dport 53 accept, icmp echo-request accept
 *                         iifname BRIDGE tcp dport ROUTER-PORT accept (what berth publishes)
 *                         iifname BRIDGE ct status dnat accept (what the _fw table
 *                                        sends to the router's other ports)
 *                         iifname BRIDGE drop            (no host services otherwise)
 *
 * Containers on the bridge never reach each other because each veth is an
 * isolated bridge port (link.c); frames between ports never reach these hooks.
 *
 * Each apply is one transaction: add table, delete table, add table and its
 * chains and rules. It is idempotent and atomic, and two concurrent applies give
 * the same result. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/rtnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "net/internal.h"

struct batch {
	char *buf;
	struct mnl_nlmsg_batch *b;
	uint32_t seq;
	const char *table;
};

static void batch_start(struct batch *bt, const char *table)
{
	bt->buf = xmalloc(1 << 16);
	bt->b = mnl_nlmsg_batch_start(bt->buf, 1 << 16);
	bt->seq = (uint32_t)time(NULL);
	bt->table = table;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	mnl_nlmsg_batch_next(bt->b);
}

static void batch_table(struct batch *bt, int family, uint16_t type)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, bt->table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
	nlh = nftnl_table_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type, family,
					  (type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0) | NLM_F_ACK,
					  bt->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(bt->b);
}

static void batch_chain(struct batch *bt, int family, const char *name, const char *type,
			uint32_t hook, int32_t prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, bt->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = nftnl_chain_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), NFT_MSG_NEWCHAIN, family,
					  NLM_F_CREATE | NLM_F_ACK, bt->seq++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(bt->b);
}

static struct nftnl_rule *rule_new(struct batch *bt, int family, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, bt->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	return r;
}

static void rule_end(struct batch *bt, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_rule_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), NFT_MSG_NEWRULE,
					 nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
					 NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, bt->seq++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(bt->b);
}

/* Expressions: each loads into register 1 or compares it. */
static void e_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void e_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

static void e_ifname(struct nftnl_rule *r, uint32_t key, uint32_t op, const char *name)
{
	char buf[IFNAMSIZ] = { 0 };

	memcpy(buf, name, strnlen(name, IFNAMSIZ - 1));
	e_meta(r, key);
	e_cmp(r, op, buf, sizeof(buf));
}

static void e_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void e_bitwise(struct nftnl_rule *r, const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
	nftnl_rule_add_expr(r, e);
}

static void e_verdict(struct nftnl_rule *r, int verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	nftnl_rule_add_expr(r, e);
}

static void e_ct_established(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
	uint32_t zero = 0;

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	e_bitwise(r, &mask, &zero, sizeof(mask));
	e_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* ct status dnat: the connection was DNAT'd (by the forward table). */
static void e_ct_dnat(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	uint32_t mask = IPS_DST_NAT, zero = 0;

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	e_bitwise(r, &mask, &zero, sizeof(mask));
	e_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

static void e_l4(struct nftnl_rule *r, uint8_t proto, uint16_t dport)
{
	uint16_t be = htons(dport);

	e_meta(r, NFT_META_L4PROTO);
	e_cmp(r, NFT_CMP_EQ, &proto, 1);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(r, NFT_CMP_EQ, &be, 2);
}

static int batch_send(struct batch *bt, struct berr *err)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char buf[8192];
	int r = 0;
	ssize_t n;

	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	mnl_nlmsg_batch_next(bt->b);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = berr_sys(err, "open an nftables netlink socket");
		goto out;
	}
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b)) < 0) {
		r = berr_sys(err, "send nftables table %s", bt->table);
		goto out;
	}
	/* nfnetlink runs the whole batch inside sendmsg(): every answer is queued. */
	while ((n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (mnl_cb_run(buf, n, 0, mnl_socket_get_portid(nl), NULL, NULL) < 0 && r == 0)
			r = berr_sys(err, "nftables table %s", bt->table);
	}
out:
	if (nl)
		mnl_socket_close(nl);
	mnl_nlmsg_batch_stop(bt->b);
	free(bt->buf);
	return r;
}

static void ip_table(struct batch *bt, const struct net_config *cfg, uint32_t dns)
{
	const char *br = cfg->bridge;
	uint32_t net = htonl(cfg->subnet), mask = htonl(~0u << (32 - cfg->prefix)), zero = 0;
	uint32_t gw = htonl(net_gateway(cfg));
	struct nftnl_rule *r;
	uint8_t icmp = IPPROTO_ICMP, echo = 8;
	const char *colon = strrchr(cfg->http_addr, ':');
	uint16_t http_port = colon ? (uint16_t)atoi(colon + 1) : 0;

	batch_chain(bt, NFPROTO_IPV4, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
	r = rule_new(bt, NFPROTO_IPV4, "postrouting");
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
	e_bitwise(r, &mask, &zero, 4);
	e_cmp(r, NFT_CMP_EQ, &net, 4);
	e_ifname(r, NFT_META_OIFNAME, NFT_CMP_NEQ, br);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
	rule_end(bt, r);

	if (dns) {
		uint32_t to = htonl(dns);

		batch_chain(bt, NFPROTO_IPV4, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);
		for (int i = 0; i < 2; i++) {
			struct nftnl_expr *e;

			r = rule_new(bt, NFPROTO_IPV4, "prerouting");
			e_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, br);
			e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
			e_cmp(r, NFT_CMP_EQ, &gw, 4);
			e_l4(r, i ? IPPROTO_TCP : IPPROTO_UDP, 53);
			e = nftnl_expr_alloc("immediate");
			nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
			nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &to, 4);
			nftnl_rule_add_expr(r, e);
			e = nftnl_expr_alloc("nat");
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
			nftnl_rule_add_expr(r, e);
			rule_end(bt, r);
		}
	}

	batch_chain(bt, NFPROTO_IPV4, "forward", "filter", NF_INET_FORWARD, 0);
	r = rule_new(bt, NFPROTO_IPV4, "forward");
	e_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, br);
	e_ct_established(r);
	e_verdict(r, NF_ACCEPT);
	rule_end(bt, r);
	/* What a published tcp port (ports:add tcp:...) forwards; the DNAT is
	 * the forward table's, below. */
	r = rule_new(bt, NFPROTO_IPV4, "forward");
	e_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, br);
	e_ct_dnat(r);
	e_verdict(r, NF_ACCEPT);
	rule_end(bt, r);
	r = rule_new(bt, NFPROTO_IPV4, "forward");
	e_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, br);
	e_verdict(r, NF_DROP);
	rule_end(bt, r);

	batch_chain(bt, NFPROTO_IPV4, "input", "filter", NF_INET_LOCAL_IN, 0);
	r = rule_new(bt, NFPROTO_IPV4, "input");
	e_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, br);
	e_ct_established(r);
	e_verdict(r, NF_ACCEPT);
	rule_end(bt, r);
	for (int i = 0; i < 2; i++) {
		r = rule_new(bt, NFPROTO_IPV4, "input");
		e_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, br);
		e_l4(r, i ? IPPROTO_TCP : IPPROTO_UDP, 53);
		e_verdict(r, NF_ACCEPT);
		rule_end(bt, r);
	}
	if (http_port) {
		r = rule_new(bt, NFPROTO_IPV4, "input");
		e_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, br);
		e_l4(r, IPPROTO_TCP, http_port);
		e_verdict(r, NF_ACCEPT);
		rule_end(bt, r);
	}
	r = rule_new(bt, NFPROTO_IPV4, "input");
	e_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, br);
	e_ct_dnat(r);
	e_verdict(r, NF_ACCEPT);
	rule_end(bt, r);
	r = rule_new(bt, NFPROTO_IPV4, "input");
	e_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, br);
	e_meta(r, NFT_META_L4PROTO);
	e_cmp(r, NFT_CMP_EQ, &icmp, 1);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
	e_cmp(r, NFT_CMP_EQ, &echo, 1);
	e_verdict(r, NF_ACCEPT);
	rule_end(bt, r);
	r = rule_new(bt, NFPROTO_IPV4, "input");
	e_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, br);
	e_verdict(r, NF_DROP);
	rule_end(bt, r);
}

int net_nft_apply(const struct net_config *cfg, uint32_t dns_dnat, struct berr *err)
{
	struct batch bt;

	batch_start(&bt, cfg->table);
	batch_table(&bt, NFPROTO_IPV4, NFT_MSG_NEWTABLE);
	batch_table(&bt, NFPROTO_IPV4, NFT_MSG_DELTABLE);
	batch_table(&bt, NFPROTO_IPV4, NFT_MSG_NEWTABLE);
	ip_table(&bt, cfg, dns_dnat);
	if (batch_send(&bt, err) < 0)
		return berr_prefix(err, "set up the firewall for %s", cfg->bridge);
	return 0;
}

int net_nft_remove(const struct net_config *cfg, struct berr *err)
{
	struct batch bt;

	batch_start(&bt, cfg->table);
	batch_table(&bt, NFPROTO_IPV4, NFT_MSG_NEWTABLE);
	batch_table(&bt, NFPROTO_IPV4, NFT_MSG_DELTABLE);
	return batch_send(&bt, err);
}

/* The TCP port forwarder: table ip <table>_fw, replaced whole on each apply.
 *
 *   prerouting, output (nat):  fib daddr type local tcp|udp dport HOST-PORT dnat to ADDR:PORT
 *   prerouting (nat):          iifname BRIDGE fib daddr type local tcp dport PORT
 *                              dnat to ROUTER-ADDR:PORT   (the router's other http
 *                              ports, for containers; the main table's input chain
 *                              accepts what was DNATed)
 *   postrouting (nat):         oifname BRIDGE ct status dnat ip saddr 127.0.0.0/8 masquerade
 *                              oifname BRIDGE ct status dnat ip saddr SUBNET masquerade
 *
 * "daddr type local" limits it to connections to this host (any of its
 * addresses), never traffic routed through it. The output chain serves the
 * host's own clients; the masquerades let loopback clients (with route_localnet
 * on the bridge) and other containers (whose replies would otherwise go
 * straight back over the isolated bridge) have their replies come back here. */
static void e_fib_daddr_local(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("fib");
	uint32_t local = RTN_LOCAL;

	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	e_cmp(r, NFT_CMP_EQ, &local, sizeof(local));
}

static void forward_rule(struct batch *bt, const char *chain, const struct net_forward *f,
			 const char *br)
{
	struct nftnl_rule *r = rule_new(bt, NFPROTO_IPV4, chain);
	struct nftnl_expr *e;
	uint32_t addr = htonl(f->addr);
	uint16_t port = htons(f->port);

	if (f->from_bridge)
		e_ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, br);
	e_fib_daddr_local(r);
	e_l4(r, f->proto, f->host_port);
	e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &addr, 4);
	nftnl_rule_add_expr(r, e);
	e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_2);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &port, 2);
	nftnl_rule_add_expr(r, e);
	e = nftnl_expr_alloc("nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	nftnl_rule_add_expr(r, e);
	rule_end(bt, r);
}

static void forward_masq(struct batch *bt, const char *br, uint32_t net, uint32_t mask)
{
	struct nftnl_rule *r = rule_new(bt, NFPROTO_IPV4, "postrouting");
	uint32_t zero = 0;

	e_ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, br);
	e_ct_dnat(r);
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
	e_bitwise(r, &mask, &zero, 4);
	e_cmp(r, NFT_CMP_EQ, &net, 4);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
	rule_end(bt, r);
}

static char *forward_table_name(const struct net_config *cfg)
{
	return xasprintf("%s_fw", cfg->table);
}

int net_nft_forward_apply(const struct net_config *cfg, const struct net_forward *fw, size_t n,
			  struct berr *err)
{
	autofree char *name = forward_table_name(cfg);
	struct batch bt;

	batch_start(&bt, name);
	batch_table(&bt, NFPROTO_IPV4, NFT_MSG_NEWTABLE);
	batch_table(&bt, NFPROTO_IPV4, NFT_MSG_DELTABLE);
	if (n) {
		batch_table(&bt, NFPROTO_IPV4, NFT_MSG_NEWTABLE);
		batch_chain(&bt, NFPROTO_IPV4, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);
		batch_chain(&bt, NFPROTO_IPV4, "output", "nat", NF_INET_LOCAL_OUT, -100);
		batch_chain(&bt, NFPROTO_IPV4, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
		for (size_t i = 0; i < n; i++) {
			forward_rule(&bt, "prerouting", &fw[i], cfg->bridge);
			if (!fw[i].from_bridge)
				forward_rule(&bt, "output", &fw[i], cfg->bridge);
		}
		forward_masq(&bt, cfg->bridge, htonl(0x7f000000), htonl(0xff000000));
		forward_masq(&bt, cfg->bridge, htonl(cfg->subnet), htonl(~0u << (32 - cfg->prefix)));
	}
	if (batch_send(&bt, err) < 0)
		return berr_prefix(err, "set up the port forwards for %s", cfg->bridge);
	return 0;
}

int net_nft_forward_remove(const struct net_config *cfg, struct berr *err)
{
	return net_nft_forward_apply(cfg, NULL, 0, err);
}
