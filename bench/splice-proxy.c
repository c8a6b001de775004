/* splice-proxy.c - the user-space TCP forwarder berth measured against nftables
 * DNAT (bench/forward; docs/net.md says which won and why). One thread, one
 * epoll set, edge-triggered; bytes move socket -> pipe -> socket with splice(2),
 * never through user memory.
 *
 *   splice-proxy LISTEN-ADDR PORT TARGET-ADDR TARGET-PORT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_SIZE (256 * 1024)

struct side;
struct conn {
	struct side *a, *b;
};
/* One direction's source socket and the pipe towards the other side. */
struct side {
	int fd;
	int pipe[2];
	size_t queued;      /* bytes in the pipe */
	int eof;
	struct side *peer;
	struct conn *conn;
};

static int ep;
static struct side skipped;
static struct sockaddr_in target;

static void conn_close(struct conn *c)
{
	struct side *s[2] = { c->a, c->b };

	for (int i = 0; i < 2; i++) {
		close(s[i]->fd);
		close(s[i]->pipe[0]);
		close(s[i]->pipe[1]);
	}
	free(c->a);
	free(c->b);
	free(c);
}

/* Move what can move from s into its pipe and from the pipe on to the peer. */
static int pump(struct side *s)
{
	for (;;) {
		ssize_t n;
		int progress = 0;

		if (!s->eof && s->queued < PIPE_SIZE) {
			n = splice(s->fd, NULL, s->pipe[1], NULL, PIPE_SIZE - s->queued,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				s->queued += (size_t)n;
				progress = 1;
			} else if (n == 0) {
				s->eof = 1;
			} else if (errno != EAGAIN) {
				return -1;
			}
		}
		if (s->queued) {
			n = splice(s->pipe[0], NULL, s->peer->fd, NULL, s->queued,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				s->queued -= (size_t)n;
				progress = 1;
			} else if (n < 0 && errno != EAGAIN) {
				return -1;
			}
		}
		if (s->eof && !s->queued) {
			shutdown(s->peer->fd, SHUT_WR);
			return s->peer->eof && !s->peer->queued ? -1 : 0;
		}
		if (!progress)
			return 0;
	}
}

static struct side *side_new(int fd, struct conn *c)
{
	struct side *s = calloc(1, sizeof(*s));

	s->fd = fd;
	s->conn = c;
	if (pipe2(s->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		exit(1);
	fcntl(s->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
	return s;
}

static void accept_all(int lfd)
{
	int one = 1, cfd, ufd;

	while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = calloc(1, sizeof(*c));
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };

		ufd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(ufd, (struct sockaddr *)&target, sizeof(target)) < 0 && errno != EINPROGRESS) {
			close(cfd);
			close(ufd);
			free(c);
			continue;
		}
		c->a = side_new(cfd, c);
		c->b = side_new(ufd, c);
		c->a->peer = c->b;
		c->b->peer = c->a;
		ev.data.ptr = c->a;
		epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
		ev.data.ptr = c->b;
		epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct epoll_event evs[256], ev = { .events = EPOLLIN };
	int lfd, one = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: splice-proxy LISTEN-ADDR PORT TARGET-ADDR TARGET-PORT\n");
		return 2;
	}
	inet_pton(AF_INET, argv[1], &addr.sin_addr);
	addr.sin_port = htons((uint16_t)atoi(argv[2]));
	target.sin_family = AF_INET;
	inet_pton(AF_INET, argv[3], &target.sin_addr);
	target.sin_port = htons((uint16_t)atoi(argv[4]));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 4096) < 0) {
		perror("splice-proxy: listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			struct side *s = evs[i].data.ptr;
			struct conn *c;

			if (s == &skipped)
				continue;
			if (!s) {
				accept_all(lfd);
				continue;
			}
			c = s->conn;
			/* Readable here or writable here (the peer's pipe drains into us). */
			if (pump(s) == 0 && pump(s->peer) == 0 && !(evs[i].events & EPOLLERR))
				continue;
			/* Later events of this batch may name this connection's sides. */
			for (int j = i + 1; j < n; j++)
				if (evs[j].data.ptr == c->a || evs[j].data.ptr == c->b)
					evs[j].data.ptr = &skipped;
			conn_close(c);
		}
	}
}
