/* router_netns.c - upstream sockets made inside the backend's own network namespace.
 *
 * A backend is an app process on berth's bridge. Reached from the host, every
 * request and response crosses the veth pair, the bridge and the host's netfilter
 * hooks (conntrack included) on its way in and out. A socket created inside the
 * container's network namespace and connected to the container's own address
 * takes that namespace's loopback instead: same TCP, a much shorter path. A
 * socket stays in the namespace it was made in, so the worker enters the
 * namespace for socket() alone and comes straight back.
 *
 * The table names, per backend, a pid in its namespace (the container's pid 1).
 * That pid may have exited and been reused since: the socket is bound to the
 * backend's address before it is used, which succeeds only in a namespace that has
 * that address, i.e. the backend's own (IPAM never gives one address to two live
 * containers). No pid, a loopback backend (127/8 is local in every namespace), a
 * namespace that cannot be entered or lacks the address: an ordinary socket on
 * the host, the way through the bridge. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/router.h"

static int plain_socket(void)
{
	return socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* socket() run in the namespace of pid; -1 if that cannot be done. */
static int socket_in(pid_t pid)
{
	static int self = -1;
	char path[40];
	int ns, fd, saved;

	if (self < 0) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return -1;
	if (setns(ns, CLONE_NEWNET) < 0) {
		close(ns);
		return -1;
	}
	close(ns);
	fd = plain_socket();
	saved = errno;
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Every later socket would be made in the wrong namespace: the
		 * supervisor starts a new worker. */
		router_log("router: cannot return to its own network namespace: %m");
		abort();
	}
	errno = saved;
	return fd;
}

int upstream_socket(const struct sockaddr_in *a, pid_t netns)
{
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr = a->sin_addr };
	int fd, one = 1;

	if (netns <= 0 || (ntohl(a->sin_addr.s_addr) >> 24) == 127)
		goto host;
	fd = socket_in(netns);
	if (fd < 0)
		goto host;
	/* No port yet (connect() picks it): the bind only proves the address is here. */
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) == 0)
		return fd;
	close(fd);
host:
	return plain_socket();
}
