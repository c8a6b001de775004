/* fetch_guard.c - see fetch_guard.h. */
#include "common/fetch_guard.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "common/util.h"

/* BERTH_FETCH_LOCAL=allow in the environment or in berth.conf. */
static bool local_allowed(void)
{
	const char *v = getenv("BERTH_FETCH_LOCAL");
	autofree char *path = NULL, *conf = NULL;
	struct berr ignored;
	size_t len;

	if (v && *v)
		return !strcmp(v, "allow");
	path = xasprintf("%s/berth.conf", berth_root());
	if (read_file(path, &conf, &len, &ignored) < 0)
		return false;
	for (char *save = NULL, *line = strtok_r(conf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (str_has_prefix(line, "BERTH_FETCH_LOCAL=")) {
			char *val = line + strlen("BERTH_FETCH_LOCAL=");

			val[strcspn(val, " \t\r")] = '\0';
			return !strcmp(val, "allow");
		}
	}
	return false;
}

static bool v4_special(uint32_t a)
{
	return (a >> 24) == 127 ||                 /* loopback */
	       (a >> 24) == 0 ||                   /* "this network" */
	       (a >> 16) == 0xa9fe ||              /* 169.254/16 link-local, metadata */
	       (a >> 28) == 0xe ||                 /* multicast */
	       a == 0xffffffff;                    /* broadcast */
}

static bool v6_special(const struct in6_addr *a)
{
	return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
	       IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_SITELOCAL(a);
}

static bool is_bridge(const char *ifname)
{
	autofree char *p = xasprintf("/sys/class/net/%s/bridge", ifname);

	return path_exists(p) > 0;
}

static bool same_net(const void *a, const void *b, const void *mask, size_t n)
{
	const unsigned char *x = a, *y = b, *m = mask;

	for (size_t i = 0; i < n; i++)
		if ((x[i] & m[i]) != (y[i] & m[i]))
			return false;
	return true;
}

/* One of this host's addresses, or on the network of one of its bridges. */
static bool host_side(const struct sockaddr *sa, const char **what)
{
	struct ifaddrs *ifs, *i;
	bool hit = false;

	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i && !hit; i = i->ifa_next) {
		const void *mine, *mask, *addr;
		size_t n;

		if (!i->ifa_addr || i->ifa_addr->sa_family != sa->sa_family)
			continue;
		if (sa->sa_family == AF_INET) {
			mine = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
			addr = &((const struct sockaddr_in *)sa)->sin_addr;
			mask = i->ifa_netmask ? &((const struct sockaddr_in *)i->ifa_netmask)->sin_addr : NULL;
			n = 4;
		} else {
			mine = &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
			mask = i->ifa_netmask ? &((const struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr : NULL;
			n = 16;
		}
		if (!memcmp(mine, addr, n)) {
			*what = "an address of this host";
			hit = true;
		} else if (mask && is_bridge(i->ifa_name) && same_net(mine, addr, mask, n)) {
			*what = "behind this host's bridge";
			hit = true;
		}
	}
	freeifaddrs(ifs);
	return hit;
}

bool fetch_addr_allowed(const struct sockaddr *sa, char *why, size_t n)
{
	char text[INET6_ADDRSTRLEN] = "?";
	const char *what = NULL;
	struct sockaddr_in v4;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text));
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			/* ::ffff:127.0.0.1 is 127.0.0.1 */
			memset(&v4, 0, sizeof(v4));
			v4.sin_family = AF_INET;
			memcpy(&v4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
			sa = (const struct sockaddr *)&v4;
		} else if (v6_special(&s6->sin6_addr)) {
			what = "loopback, link-local or multicast";
		}
	} else if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
	} else {
		snprintf(why, n, "not an internet address");
		return false;
	}
	if (!what && sa->sa_family == AF_INET &&
	    v4_special(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr)))
		what = "loopback, link-local, multicast or unspecified";
	if (!what)
		host_side(sa, &what);
	if (!what || local_allowed())
		return true;
	snprintf(why, n, "%s is %s: berth does not fetch from there for an app "
		 "(BERTH_FETCH_LOCAL=allow in berth.conf allows it)", text, what);
	return false;
}
