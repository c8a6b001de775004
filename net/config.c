/* config.c - network settings: environment first, then $BERTH_ROOT/berth.conf, then
 * defaults. Tests and several berth instances on one host set BERTH_BRIDGE and
 * BERTH_SUBNET so that their bridges, tables and leases never meet. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "net/net.h"

const char *net_ntoa(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
		 addr & 255);
	return buf;
}

uint32_t net_gateway(const struct net_config *cfg)
{
	return cfg->subnet + 1;
}

int net_parse_subnet(const char *s, uint32_t *net, unsigned *prefix, struct berr *err)
{
	autofree char *copy = xstrdup(s);
	char *slash = strchr(copy, '/');
	struct in_addr in;
	uint64_t p;
	uint32_t mask;

	if (!slash)
		return berr_fail(err, "subnet '%s': use ADDRESS/PREFIX, e.g. 10.88.0.0/16", s);
	*slash++ = '\0';
	if (inet_pton(AF_INET, copy, &in) != 1)
		return berr_fail(err, "subnet '%s': '%s' is not an IPv4 address", s, copy);
	if (parse_uint(slash, 32, &p, err) < 0 || p < 8 || p > 30)
		return berr_fail(err, "subnet '%s': the prefix must be between 8 and 30", s);
	mask = ~0u << (32 - p);
	if (ntohl(in.s_addr) & ~mask)
		return berr_fail(err, "subnet '%s': host bits are set (did you mean %s?)", s,
				 inet_ntoa((struct in_addr){ htonl(ntohl(in.s_addr) & mask) }));
	*net = ntohl(in.s_addr);
	*prefix = (unsigned)p;
	return 0;
}

/* KEY from the environment, else from the config file's text, else NULL. The
 * returned string is owned by the caller. */
static char *setting(const char *conf, const char *key)
{
	const char *v = getenv(key);
	size_t klen = strlen(key);

	if (v && *v)
		return xstrdup(v);
	for (const char *line = conf; line && *line;) {
		const char *end = strchrnul(line, '\n');

		while (line < end && (*line == ' ' || *line == '\t'))
			line++;
		if ((size_t)(end - line) > klen && !strncmp(line, key, klen) && line[klen] == '=') {
			const char *val = line + klen + 1;
			size_t n = end - val;

			while (n && (val[n - 1] == ' ' || val[n - 1] == '\t' || val[n - 1] == '\r'))
				n--;
			if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
				val++;
				n -= 2;
			}
			return xstrndup(val, n);
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < IFNAMSIZ && strspn(s, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

int net_config_load(struct net_config *cfg, struct berr *err)
{
	autofree char *path = xasprintf("%s/berth.conf", berth_root());
	autofree char *conf = NULL;
	autofree char *bridge = NULL, *subnet = NULL, *http = NULL, *mtu = NULL;
	uint64_t m = NET_DEFAULT_MTU;
	size_t len;

	memset(cfg, 0, sizeof(*cfg));
	if (path_exists(path) > 0 && read_file(path, &conf, &len, err) < 0)
		return -1;
	bridge = setting(conf, "BERTH_BRIDGE");
	subnet = setting(conf, "BERTH_SUBNET");
	http = setting(conf, "BERTH_HTTP_ADDR");
	mtu = setting(conf, "BERTH_MTU");
	if (!bridge)
		bridge = xstrdup(NET_DEFAULT_BRIDGE);
	if (!valid_ifname(bridge))
		return berr_fail(err, "BERTH_BRIDGE '%s': use up to %d letters, digits, '-' or '_'",
				 bridge, IFNAMSIZ - 1);
	snprintf(cfg->bridge, sizeof(cfg->bridge), "%s", bridge);
	/* nft names allow letters, digits and '_'; the table is berth's and the bridge's. */
	snprintf(cfg->table, sizeof(cfg->table), "berth_%s", bridge);
	for (char *c = cfg->table; *c; c++)
		if (*c == '-')
			*c = '_';
	if (net_parse_subnet(subnet ? subnet : NET_DEFAULT_SUBNET, &cfg->subnet, &cfg->prefix, err) < 0)
		return berr_prefix(err, "BERTH_SUBNET");
	if (mtu && (parse_uint(mtu, 65535, &m, err) < 0 || m < 576))
		return berr_fail(err, "BERTH_MTU '%s': use a number from 576 to 65535", mtu);
	cfg->mtu = (unsigned)m;
	if (!http)
		http = xstrdup(NET_DEFAULT_HTTP_ADDR);
	if (strlen(http) >= sizeof(cfg->http_addr) || !strrchr(http, ':'))
		return berr_fail(err, "BERTH_HTTP_ADDR '%s': use ADDRESS:PORT, e.g. 0.0.0.0:80", http);
	snprintf(cfg->http_addr, sizeof(cfg->http_addr), "%s", http);
	return 0;
}

bool net_forwarding_enabled(const char *ifname)
{
	autofree char *path = xasprintf("/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	autofree char *v = NULL;
	size_t len;
	struct berr err;

	if (read_file(path, &v, &len, &err) < 0)
		return false;
	return v[0] == '1';
}
