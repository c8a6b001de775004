/* null-proxy.c - the least a proxy can do, for bench/router: the bound no HTTP
 * proxy on the same kernel path can pass. Each client connection gets an
 * upstream connection of its own, made inside the backend's network namespace
 * (as berth's router makes them), and bytes are copied both ways with recv and
 * send: no parsing, no headers added, no pooling, one thread, epoll.
 *
 *   null-proxy PORT BACKEND-ADDR BACKEND-PORT [PID-IN-BACKEND-NETNS]
 *
 * It listens on 127.0.0.1:PORT. Not a proxy to use: a client's bytes go to one
 * backend connection whatever they say, and a full send buffer drops bytes. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FD 65536

static int peer[MAX_FD];

static int upstream(const struct sockaddr_in *b, int self, int ns)
{
	int one = 1, fd;

	if (ns >= 0 && setns(ns, CLONE_NEWNET) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ns >= 0 && setns(self, CLONE_NEWNET) < 0)
		abort();
	if (fd < 0 || connect(fd, (const struct sockaddr *)b, sizeof(*b)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in b = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	int one = 1, self, ns = -1, l, ep;
	char buf[16384];

	if (argc < 4 || inet_pton(AF_INET, argv[2], &b.sin_addr) != 1) {
		fprintf(stderr, "usage: null-proxy PORT BACKEND-ADDR BACKEND-PORT [PID]\n");
		return 2;
	}
	la.sin_port = htons((uint16_t)atoi(argv[1]));
	b.sin_port = htons((uint16_t)atoi(argv[3]));
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (argc > 4) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%s/ns/net", argv[4]);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns < 0) {
			perror(path);
			return 1;
		}
	}
	l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (self < 0 || l < 0 || bind(l, (struct sockaddr *)&la, sizeof(la)) < 0 || listen(l, 1024) < 0) {
		perror("null-proxy: listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = l;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, c, u;
			ssize_t r;

			if (fd == l) {
				while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					u = upstream(&b, self, ns);
					if (u < 0 || c >= MAX_FD || u >= MAX_FD) {
						close(c);
						if (u >= 0)
							close(u);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					peer[c] = u;
					peer[u] = c;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
					ev.data.fd = u;
					epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev);
				}
				continue;
			}
			r = recv(fd, buf, sizeof(buf), 0);
			if (r <= 0) {
				close(peer[fd]);
				close(fd);
				continue;
			}
			send(peer[fd], buf, (size_t)r, MSG_NOSIGNAL);
		}
	}
}
