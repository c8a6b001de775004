/* router_loop.c - the router worker's event loop: epoll over the listening sockets,
 * a signalfd (SIGHUP: reload the table; SIGTERM: drain and exit), the control
 * socket from the supervisor (the listening sockets after a change of ports) and
 * every client and upstream connection; deadlines are checked on a coarse tick.
 *
 * Why plain epoll: measured against the alternatives, one level-triggered epoll set
 * with writes attempted straight away (EPOLLOUT only while a write is pending) costs
 * two syscalls per proxied read/write pair and nothing else; docs/net.md has the
 * figures and the reasoning. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "net/router.h"

struct router *router_self;

void rbuf_add(struct rbuf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void rbuf_printf(struct rbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		rbuf_add(b, small, n);
		return;
	}
	autofree char *big = xmalloc(n + 1);
	va_start(ap, fmt);
	vsnprintf(big, n + 1, fmt, ap);
	va_end(ap);
	rbuf_add(b, big, n);
}

void rbuf_drop(struct rbuf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + n, b->len - n);
		b->len -= n;
	}
	if (b->p)
		b->p[b->len] = '\0';
}

void rbuf_free(struct rbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t now_ms(void)
{
	if (router_self && router_self->now)
		return router_self->now;
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t wall_ms(void)
{
	if (router_self && router_self->now)
		return (uint64_t)((int64_t)router_self->now + router_self->wall_offset);
	return clock_ms(CLOCK_REALTIME);
}

/* Both clocks: at start and every tick, so that a step of the wall clock shows
 * within 100 ms. */
static void clock_sync(struct router *r)
{
	r->now = clock_ms(CLOCK_MONOTONIC);
	r->wall_offset = (int64_t)clock_ms(CLOCK_REALTIME) - (int64_t)r->now;
}

void rbuf_add_uint(struct rbuf *b, unsigned long long v)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10));
	rbuf_add(b, d + i, sizeof(d) - i);
}

void router_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: lines from the supervisor and its workers never interleave. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void obj_watch(int fd, uint32_t *have, uint32_t want, void *obj)
{
	struct epoll_event ev = { .events = want, .data.ptr = obj };

	if (*have == want)
		return;
	if (epoll_ctl(router_self->epfd, *have ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) == 0)
		*have = want;
}

static int env_uint(const char *name, unsigned *out, struct berr *err)
{
	const char *v = getenv(name);
	uint64_t n;

	if (!v || !*v)
		return 0;
	if (parse_uint(v, 1u << 30, &n, err) < 0 || n == 0)
		return berr_fail(err, "%s '%s': use a positive whole number", name, v);
	*out = (unsigned)n;
	return 0;
}

int router_options_load(struct router_options *o, struct berr *err)
{
	o->max_conns = 4096;
	o->max_head = 8192;
	o->head_timeout_ms = 10000;
	o->body_timeout_ms = 30000;
	o->idle_timeout_ms = 60000;
	o->upstream_timeout_ms = 30000;
	o->drain_timeout_ms = 10000;
	if (env_uint("BERTH_ROUTER_MAX_CONNS", &o->max_conns, err) < 0 ||
	    env_uint("BERTH_ROUTER_MAX_HEAD", &o->max_head, err) < 0 ||
	    env_uint("BERTH_ROUTER_HEAD_TIMEOUT_MS", &o->head_timeout_ms, err) < 0 ||
	    env_uint("BERTH_ROUTER_BODY_TIMEOUT_MS", &o->body_timeout_ms, err) < 0 ||
	    env_uint("BERTH_ROUTER_IDLE_TIMEOUT_MS", &o->idle_timeout_ms, err) < 0 ||
	    env_uint("BERTH_ROUTER_UPSTREAM_TIMEOUT_MS", &o->upstream_timeout_ms, err) < 0 ||
	    env_uint("BERTH_ROUTER_DRAIN_TIMEOUT_MS", &o->drain_timeout_ms, err) < 0)
		return -1;
	return 0;
}

int router_listen(const char *addr, struct berr *err)
{
	autofree char *host = xstrdup(addr);
	char *colon = strrchr(host, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t port;
	int one = 1, fd;

	if (!colon)
		return berr_fail(err, "listen address '%s': use ADDRESS:PORT", addr);
	*colon = '\0';
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    parse_uint(colon + 1, 65535, &port, err) < 0)
		return berr_fail(err, "listen address '%s': use an IPv4 ADDRESS:PORT", addr);
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_sys(err, "socket for %s", addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0) {
		berr_sys(err, "listen on %s", addr);
		close(fd);
		return -1;
	}
	return fd;
}

static void reload(struct router *r)
{
	struct rt_table *t;
	struct berr err;

	if (rt_table_load(r->opt->table_path, r->listen_port, &t, &err) < 0) {
		router_log("router: table not loaded, the previous one stays: %s", err.msg);
		return;
	}
	/* Requests in flight hold their backend's address, not the table: the old
	 * table can go now. Idle connections to backends that left are closed. */
	for (struct client *c = r->clients; c; c = c->next_all)
		c->app = NULL;
	rt_table_free(r->table);
	r->table = t;
	pool_prune(t);
	router_log("router: table %s loaded: %zu apps, %zu hosts", t->version, t->napps, t->nhosts);
}

uint16_t router_sock_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sin_family != AF_INET)
		return 0;
	return ntohs(sa.sin_port);
}

static void listener_add(struct router *r, int fd)
{
	struct listener *l;
	struct epoll_event ev = { .events = EPOLLIN };

	if (r->nls == ROUTER_MAX_LISTEN || r->stopping) {
		close(fd);
		return;
	}
	l = xcalloc(1, sizeof(*l));
	l->kind = OBJ_LISTENER;
	l->fd = fd;
	l->port = router_sock_port(fd);
	ev.data.ptr = l;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		router_log("router: listen on port %u: %s", l->port, strerror(errno));
	r->ls[r->nls++] = l;
}

static void listener_remove(struct router *r, size_t i)
{
	struct listener *l = r->ls[i];

	epoll_ctl(r->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	free(l);
	memmove(r->ls + i, r->ls + i + 1, (r->nls - i - 1) * sizeof(*r->ls));
	r->nls--;
}

/* The supervisor's listening sockets after a change: ports no longer named
 * close here (the main one, first, stays), new ones are served. */
static void listeners_sync(struct router *r, const int *fds, size_t n)
{
	uint16_t ports[ROUTER_MAX_LISTEN];

	for (size_t i = 0; i < n; i++)
		ports[i] = router_sock_port(fds[i]);
	for (size_t i = r->nls; i-- > 1;) {
		bool keep = false;

		for (size_t j = 0; j < n && !keep; j++)
			keep = ports[j] == r->ls[i]->port;
		if (!keep) {
			router_log("router: no longer listening on port %u", r->ls[i]->port);
			listener_remove(r, i);
		}
	}
	for (size_t j = 0; j < n; j++) {
		bool have = false;

		for (size_t i = 0; i < r->nls && !have; i++)
			have = r->ls[i]->port == ports[j];
		if (have) {
			close(fds[j]);
		} else {
			router_log("router: listening on port %u", ports[j]);
			listener_add(r, fds[j]);
		}
	}
}

static void on_control(struct router *r)
{
	for (;;) {
		char byte;
		struct iovec iov = { &byte, 1 };
		union {
			char buf[CMSG_SPACE(sizeof(int) * ROUTER_MAX_LISTEN)];
			struct cmsghdr align;
		} u;
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				    .msg_controllen = sizeof(u.buf) };
		int fds[ROUTER_MAX_LISTEN];
		size_t nfds = 0;
		ssize_t n = recvmsg(r->ctl_fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

		if (n == 0) {  /* the supervisor is gone (its death signal follows) */
			epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->ctl_fd, NULL);
			close(r->ctl_fd);
			r->ctl_fd = -1;
			return;
		}
		if (n < 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < k && nfds < ROUTER_MAX_LISTEN; i++)
				memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		}
		if (!r->stopping)
			listeners_sync(r, fds, nfds);
		else
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
	}
}

/* SIGTERM: accept nothing more (the ports close here at once), answer what is
 * in flight with "Connection: close", close idle keep-alive connections and
 * those still sending a head now (a client sees the connection closed before
 * any answer, which HTTP clients retry), and give the rest at most
 * drain_timeout_ms. */
static void stop(struct router *r)
{
	r->stopping = true;
	while (r->nls)
		listener_remove(r, r->nls - 1);
	router_log("router: stopping: finishing %zu connections", r->nclients);
}

static void close_idle(struct router *r)
{
	struct client *c, *cn;

	for (c = r->clients; c; c = cn) {
		cn = c->next_all;
		if (c->phase == PH_HEAD && !c->out.len)
			client_close(c);
	}
}

static void on_signal(struct router *r)
{
	struct signalfd_siginfo si;

	while (read(r->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(r);
		else if (!r->stopping)
			stop(r);
	}
}

static void check_deadlines(struct router *r, uint64_t now)
{
	struct client *c, *cn;
	struct upstream *u, *un;

	for (c = r->clients; c; c = cn) {
		cn = c->next_all;
		if (c->deadline && now >= c->deadline)
			client_timeout(c, now);
	}
	for (u = r->upstreams; u; u = un) {
		un = u->next_all;
		if (u->deadline && now >= u->deadline)
			upstream_timeout(u, now);
	}
}

int router_worker(const int *fds, size_t nfds, int ctl_fd, const struct router_options *o,
		  struct berr *err)
{
	struct router r = { .opt = o, .sig_fd = -1, .ctl_fd = ctl_fd };
	struct epoll_event evs[256];
	uint64_t next_tick = 0, stop_by = 0;
	sigset_t mask;
	int rc = 0;

	router_self = &r;
	signal(SIGPIPE, SIG_IGN);
	r.listen_port = nfds ? router_sock_port(fds[0]) : 0;
	if (rt_table_load(o->table_path, r.listen_port, &r.table, err) < 0)
		router_log("router: starting with an empty table: %s", err->msg);
	else
		router_log("router: table %s loaded: %zu apps, %zu hosts", r.table->version,
			   r.table->napps, r.table->nhosts);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	r.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r.epfd < 0 || r.sig_fd < 0) {
		rc = berr_sys(err, "router event loop");
		goto out;
	}
	{
		static enum obj_kind sig = OBJ_SIGNAL, ctl = OBJ_CONTROL;
		struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &sig };
		struct epoll_event cev = { .events = EPOLLIN, .data.ptr = &ctl };

		if (epoll_ctl(r.epfd, EPOLL_CTL_ADD, r.sig_fd, &sev) < 0 ||
		    (ctl_fd >= 0 && epoll_ctl(r.epfd, EPOLL_CTL_ADD, ctl_fd, &cev) < 0)) {
			rc = berr_sys(err, "router event loop");
			goto out;
		}
		/* The worker's own copies of the supervisor's sockets (fork): closing
		 * them here closes nothing there. */
		for (size_t i = 0; i < nfds; i++)
			listener_add(&r, fds[i]);
	}
	clock_sync(&r);
	for (;;) {
		int timeout = (r.clients || r.upstreams) ? 100 : -1;
		int n = epoll_wait(r.epfd, evs, ARRAY_SIZE(evs), timeout);
		uint64_t now;

		if (n < 0 && errno != EINTR) {
			rc = berr_sys(err, "epoll_wait");
			break;
		}
		/* One clock read for all the events of this wake. */
		r.now = clock_ms(CLOCK_MONOTONIC);
		for (int i = 0; i < n; i++) {
			enum obj_kind *k = evs[i].data.ptr;

			switch (*k) {
			case OBJ_LISTENER: client_accept(&r, (struct listener *)k); break;
			case OBJ_SIGNAL: on_signal(&r); break;
			case OBJ_CONTROL: on_control(&r); break;
			case OBJ_CLIENT: client_event((struct client *)k, evs[i].events); break;
			case OBJ_UPSTREAM: upstream_event((struct upstream *)k, evs[i].events); break;
			}
		}
		now = r.now;
		if (now >= next_tick) {
			clock_sync(&r);
			now = r.now;
			check_deadlines(&r, now);
			next_tick = now + 100;
		}
		if (r.stopping) {
			close_idle(&r);
			if (!stop_by)
				stop_by = now + o->drain_timeout_ms;
			if (!r.clients || now >= stop_by)
				break;
		}
	}
out:
	while (r.clients)
		client_close(r.clients);
	while (r.nls)
		listener_remove(&r, r.nls - 1);
	pool_prune(NULL);
	rt_table_free(r.table);
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	if (r.ctl_fd >= 0)
		close(r.ctl_fd);
	if (r.epfd >= 0)
		close(r.epfd);
	router_self = NULL;
	return rc;
}
