/* http-backend.c - a small HTTP/1.1 backend for router tests and bench/router.
 * Built statically (it also runs inside busybox containers). One thread, epoll,
 * keep-alive; its own minimal parsing, independent of the router's.
 *
 *   http-backend PORT NAME [ADDR]
 *   GET /          200 "NAME\n" (every 200 with a length says X-Backend: NAME)
 *   GET /headers   200, the request head as received
 *   POST /echo     200, the request body (Content-Length or chunked; 100-continue)
 *   GET /chunked   200, a chunked body in three chunks
 *   GET /close     200, no length, body ends when the connection closes
 *   GET /conn      200 "NAME conn N": N counts the connections it accepted
 *   GET /peer      200 "NAME peer ADDR": the address the connection came from
 *   GET /hang      never answers
 *   Upgrade: websocket -> 101, then every byte is echoed back. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum state { HEAD, BODY, TUNNEL, HANG };

struct conn {
	int fd;
	enum state st;
	char *in;
	size_t len, cap;
	char path[256];
	char *head;            /* request head copy, for /headers */
	long remaining;        /* Content-Length body bytes left */
	int chunked;
	char *body;
	size_t blen;
	unsigned long id;          /* connection number */
};

static unsigned long accepted;

static const char *name;

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				/* tests and benches move small bodies: wait for room */
				struct timeval tv = { 0, 1000 };
				select(0, NULL, NULL, NULL, &tv);
				continue;
			}
			return;
		}
		p += w;
		n -= w;
	}
}

static void respond(struct conn *c, const char *body, size_t n)
{
	char head[256];
	int h = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			 "X-Backend: %s\r\nContent-Length: %zu\r\n\r\n", name, n);

	if (h + n <= 4096) {
		char buf[4096 + 256];

		memcpy(buf, head, h);
		memcpy(buf + h, body, n);
		send_all(c->fd, buf, h + n);
	} else {
		send_all(c->fd, head, h);
		send_all(c->fd, body, n);
	}
}

static void drop(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->len - n);
	c->len -= n;
}

static int finish(struct conn *c)
{
	if (!strcmp(c->path, "/echo")) {
		respond(c, c->body ? c->body : "", c->blen);
	} else if (!strcmp(c->path, "/headers")) {
		respond(c, c->head, strlen(c->head));
	} else if (!strcmp(c->path, "/chunked")) {
		static const char r[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					"4\r\none\n\r\n4\r\ntwo\n\r\n6\r\nthree\n\r\n0\r\n\r\n";
		send_all(c->fd, r, sizeof(r) - 1);
	} else if (!strcmp(c->path, "/close")) {
		static const char r[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nclosed-body\n";
		send_all(c->fd, r, sizeof(r) - 1);
		return -1;
	} else if (!strcmp(c->path, "/conn")) {
		char b[64];
		int n = snprintf(b, sizeof(b), "%s conn %lu\n", name, c->id);
		respond(c, b, n);
	} else if (!strcmp(c->path, "/peer")) {
		struct sockaddr_in a;
		socklen_t alen = sizeof(a);
		char b[96], ip[INET_ADDRSTRLEN] = "?";
		int n;

		if (getpeername(c->fd, (struct sockaddr *)&a, &alen) == 0 && a.sin_family == AF_INET)
			inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
		n = snprintf(b, sizeof(b), "%s peer %s\n", name, ip);
		respond(c, b, n);
	} else if (!strcmp(c->path, "/hang")) {
		c->st = HANG;
		return 0;
	} else {
		char b[300];
		int n = snprintf(b, sizeof(b), "%s\n", name);
		respond(c, b, n);
	}
	free(c->body);
	c->body = NULL;
	c->blen = 0;
	c->st = HEAD;
	return 0;
}

static void body_add(struct conn *c, const char *p, size_t n)
{
	c->body = realloc(c->body, c->blen + n + 1);
	memcpy(c->body + c->blen, p, n);
	c->blen += n;
}

/* Returns -1 to close the connection. */
static int process(struct conn *c)
{
	for (;;) {
		if (c->st == TUNNEL) {
			send_all(c->fd, c->in, c->len);
			c->len = 0;
			return 0;
		}
		if (c->st == HANG) {
			c->len = 0;
			return 0;
		}
		if (c->st == HEAD) {
			char *end = memmem(c->in, c->len, "\r\n\r\n", 4);
			char *line;
			size_t hl;

			if (!end)
				return c->len > 65536 ? -1 : 0;
			hl = end - c->in + 4;
			free(c->head);
			c->head = strndup(c->in, hl);
			drop(c, hl);
			if (sscanf(c->head, "%*s %255s", c->path) != 1)
				return -1;
			c->remaining = 0;
			c->chunked = 0;
			for (line = strstr(c->head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
				char *h = line + 2;

				if (!strncasecmp(h, "content-length:", 15))
					c->remaining = atol(h + 15);
				else if (!strncasecmp(h, "transfer-encoding:", 18) && strstr(h, "chunked"))
					c->chunked = 1;
				else if (!strncasecmp(h, "upgrade:", 8) && strcasestr(h, "websocket")) {
					static const char r[] = "HTTP/1.1 101 Switching Protocols\r\n"
						"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
					send_all(c->fd, r, sizeof(r) - 1);
					c->st = TUNNEL;
				} else if (!strncasecmp(h, "expect:", 7) && strcasestr(h, "100-continue")) {
					send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
				}
			}
			if (c->st == TUNNEL)
				continue;
			c->st = BODY;
		}
		if (c->st == BODY) {
			if (c->chunked) {
				char *eol = memmem(c->in, c->len, "\r\n", 2);
				long size;

				if (!eol)
					return 0;
				size = strtol(c->in, NULL, 16);
				if (size == 0) {
					if (c->len < (size_t)(eol - c->in) + 4)
						return 0;
					drop(c, eol - c->in + 4);
					if (finish(c) < 0)
						return -1;
					continue;
				}
				if (c->len < (size_t)(eol - c->in) + 2 + size + 2)
					return 0;
				body_add(c, eol + 2, size);
				drop(c, eol - c->in + 2 + size + 2);
				continue;
			}
			if (c->remaining > 0) {
				size_t n = c->len < (size_t)c->remaining ? c->len : (size_t)c->remaining;

				body_add(c, c->in, n);
				drop(c, n);
				c->remaining -= n;
				if (c->remaining > 0)
					return 0;
			}
			if (finish(c) < 0)
				return -1;
			if (c->st == HANG || !c->len)
				return 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev, evs[128];
	int lfd, ep, one = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: http-backend PORT NAME [ADDR]\n");
		return 2;
	}
	name = argv[2];
	signal(SIGPIPE, SIG_IGN);
	sa.sin_port = htons(atoi(argv[1]));
	inet_pton(AF_INET, argc > 3 ? argv[3] : "0.0.0.0", &sa.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0) {
		perror("http-backend: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 128, -1);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r;

			if (!c) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

				if (fd < 0)
					continue;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				c = calloc(1, sizeof(*c));
				c->fd = fd;
				c->id = ++accepted;
				c->cap = 65536;
				c->in = malloc(c->cap);
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			if (c->len == c->cap) {
				c->cap *= 2;
				c->in = realloc(c->in, c->cap);
			}
			r = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r > 0) {
				c->len += r;
				if (process(c) == 0)
					continue;
			}
			close(c->fd);
			free(c->in);
			free(c->head);
			free(c->body);
			free(c);
		}
	}
}
