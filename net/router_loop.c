/* router_loop.c - the router worker's event loop: epoll over the listening socket,
 * a signalfd (SIGHUP: reload the table; SIGTERM: drain and exit) and every client
 * and upstream connection; deadlines are checked on a coarse tick.
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
	if (env_uint("BERTH_ROUTER_MAX_CONNS", &o->max_conns, err) < 0 ||
	    env_uint("BERTH_ROUTER_MAX_HEAD", &o->max_head, err) < 0 ||
	    env_uint("BERTH_ROUTER_HEAD_TIMEOUT_MS", &o->head_timeout_ms, err) < 0 ||
	    env_uint("BERTH_ROUTER_BODY_TIMEOUT_MS", &o->body_timeout_ms, err) < 0 ||
	    env_uint("BERTH_ROUTER_IDLE_TIMEOUT_MS", &o->idle_timeout_ms, err) < 0 ||
	    env_uint("BERTH_ROUTER_UPSTREAM_TIMEOUT_MS", &o->upstream_timeout_ms, err) < 0)
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

	if (rt_table_load(r->opt->table_path, &t, &err) < 0) {
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

static void on_signal(struct router *r)
{
	struct signalfd_siginfo si;

	while (read(r->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(r);
		} else if (!r->stopping) {
			r->stopping = true;
			epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->listen_fd, NULL);
			r->listening = false;
			router_log("router: stopping: finishing %zu connections", r->nclients);
		}
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

int router_worker(int listen_fd, const struct router_options *o, struct berr *err)
{
	struct router r = { .opt = o, .listen_fd = listen_fd, .sig_fd = -1 };
	struct epoll_event evs[256];
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	uint64_t next_tick = 0, stop_by = 0;
	sigset_t mask;
	int rc = 0;

	router_self = &r;
	signal(SIGPIPE, SIG_IGN);
	if (getsockname(listen_fd, (struct sockaddr *)&sa, &salen) == 0)
		r.listen_port = ntohs(sa.sin_port);
	if (rt_table_load(o->table_path, &r.table, err) < 0)
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
		static enum obj_kind listener = OBJ_LISTENER, sig = OBJ_SIGNAL;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener };
		struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &sig };

		if (epoll_ctl(r.epfd, EPOLL_CTL_ADD, listen_fd, &ev) < 0 ||
		    epoll_ctl(r.epfd, EPOLL_CTL_ADD, r.sig_fd, &sev) < 0) {
			rc = berr_sys(err, "router event loop");
			goto out;
		}
		r.listening = true;
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
			case OBJ_LISTENER: client_accept(&r); break;
			case OBJ_SIGNAL: on_signal(&r); break;
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
			if (!stop_by)
				stop_by = now + o->idle_timeout_ms;
			if (!r.clients || now >= stop_by)
				break;
		}
	}
out:
	while (r.clients)
		client_close(r.clients);
	pool_prune(NULL);
	rt_table_free(r.table);
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	if (r.epfd >= 0)
		close(r.epfd);
	router_self = NULL;
	return rc;
}
