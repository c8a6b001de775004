/* checks_probe.c - the daemon runs a process's checks (checks.h) without
 * blocking its loop: each try is a non-blocking socket in the epoll set with a
 * deadline, to the container's own bridge address (never anything else).
 * Startup checks run once after a start, in order, each up to `attempts`
 * tries; berth's default for web waits for the port to accept connections and
 * then for a short settle. Liveness checks then repeat every `wait` seconds on
 * a routed process and restart it after `attempts` failures in a row. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "platform/daemon_internal.h"
#include "platform/platform.h"

enum { PH_IDLE, PH_CONNECT, PH_SEND, PH_READ, PH_SETTLE };

/* The listening check tries to connect this often until its window ends. */
#define LISTEN_RETRY_MS 20
#define RESPONSE_MAX (64u << 10)

static void probe_close(struct daemon *d, struct check_run *r)
{
	if (r->fd >= 0) {
		epoll_ctl(d->ep, EPOLL_CTL_DEL, r->fd, NULL);
		close(r->fd);
		r->fd = -1;
	}
	free(r->req);
	r->req = NULL;
	free(r->buf);
	r->buf = NULL;
	r->nbuf = r->req_len = r->req_off = 0;
}

void checks_cancel(struct daemon *d, struct slot *s)
{
	struct check_run *r = &s->chk;

	probe_close(d, r);
	checks_free(&r->checks);
	free(r->host);
	free(r->why);
	r->host = r->why = NULL;
	r->active = false;
	r->deadline_ms = 0;
	r->phase = PH_IDLE;
}

static const char *dyno(const struct slot *s, char buf[64])
{
	snprintf(buf, 64, "%s.%u", s->rec.type, s->rec.index);
	return buf;
}

static void finish(struct daemon *d, struct slot *s, bool ok, const char *why)
{
	autofree char *copy = why ? xstrdup(why) : NULL;
	char name[64];

	if (ok && s->chk.checks.n)
		slot_say(d, s, SINK_DETAIL, "All checks successful (%s)", dyno(s, name));
	checks_cancel(d, s);
	slot_checks_done(d, s, ok, copy);
}

static void schedule(struct check_run *r, long long at)
{
	r->phase = PH_IDLE;
	r->deadline_ms = at;
}

static void try_failed(struct daemon *d, struct slot *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void try_failed(struct daemon *d, struct slot *s, const char *fmt, ...)
{
	struct check_run *r = &s->chk;
	const struct check *c = &r->checks.v[r->i];
	long long now = daemon_now_ms();
	autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	probe_close(d, r);
	free(r->why);
	r->why = xasprintf("name='%s': %s", c->name, text ? text : "failed");
	if (c->listening) {
		if (now + LISTEN_RETRY_MS < r->started_ms + c->timeout * 1000LL) {
			schedule(r, now + LISTEN_RETRY_MS);
			return;
		}
		char addr[INET_ADDRSTRLEN];
		struct in_addr ia = { htonl(r->addr) };

		inet_ntop(AF_INET, &ia, addr, sizeof(addr));
		free(r->why);
		r->why = xasprintf("name='%s': not accepting connections on %s:%u after %u seconds (%s)",
				   c->name, addr, r->port, c->timeout, text ? text : "failed");
		if (!s->ro) {
			/* Not a deploy (a restore, a scale, a restart after a crash):
			 * the process runs on, without requests until it listens. */
			if (r->tries++ == 0)
				log_note(d, s, "Not routed: %s", r->why);
			schedule(r, now + 1000);
			return;
		}
		slot_say(d, s, SINK_DETAIL, "Failure in %s", r->why);
		finish(d, s, false, r->why);
		return;
	}
	if (r->refused && r->kind == CHECK_STARTUP && now + LISTEN_RETRY_MS < r->started_ms + r->window_ms) {
		/* Not listening yet: that is no failed try. */
		r->refused = false;
		schedule(r, now + LISTEN_RETRY_MS);
		return;
	}
	r->tries++;
	if (r->kind == CHECK_LIVENESS) {
		if (r->tries >= c->attempts) {
			autofree char *why = xstrdup(r->why);

			slot_liveness_failed(d, s, why);
			return;
		}
		schedule(r, now + (c->wait ? c->wait : 1) * 1000LL);
		return;
	}
	slot_say(d, s, SINK_DETAIL, "Failure in %s", r->why);
	if (r->tries >= c->attempts) {
		finish(d, s, false, r->why);
		return;
	}
	slot_say(d, s, SINK_DETAIL, "Attempt %u/%u failed, retrying in %u seconds", r->tries,
		 c->attempts, c->wait);
	schedule(r, now + c->wait * 1000LL);
}

static void try_passed(struct daemon *d, struct slot *s)
{
	struct check_run *r = &s->chk;
	long long now = daemon_now_ms();

	probe_close(d, r);
	r->tries = 0;
	if (r->kind == CHECK_LIVENESS) {
		const struct check *c = &r->checks.v[r->i];

		r->i = (r->i + 1) % r->checks.n;
		schedule(r, now + (c->wait ? c->wait : 1) * 1000LL);
		return;
	}
	if (!r->checks.v[r->i].listening)
		slot_say(d, s, SINK_DETAIL, "Healthcheck succeeded name='%s'", r->checks.v[r->i].name);
	if (++r->i == r->checks.n) {
		finish(d, s, true, NULL);
		return;
	}
	long long at = r->started_ms + r->checks.v[r->i].initial_delay * 1000LL;

	schedule(r, at > now ? at : now);
}

static void watch(struct daemon *d, struct check_run *r, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = &r->ev };

	if (epoll_ctl(d->ep, EPOLL_CTL_MOD, r->fd, &e) < 0)
		epoll_ctl(d->ep, EPOLL_CTL_ADD, r->fd, &e);
}

static void connected(struct daemon *d, struct slot *s)
{
	struct check_run *r = &s->chk;
	const struct check *c = &r->checks.v[r->i];
	long long now = daemon_now_ms();

	if (c->listening) {
		long long at = r->started_ms + c->wait;  /* the settle, in ms */

		probe_close(d, r);
		r->connected = true;
		r->phase = PH_SETTLE;
		r->deadline_ms = at > now ? at : now;
		return;
	}
	r->deadline_ms = now + c->timeout * 1000LL;
	r->req = check_request(c, r->host);
	r->req_len = strlen(r->req);
	r->req_off = 0;
	r->phase = PH_SEND;
	watch(d, r, EPOLLOUT);
}

/* A process that is not listening yet, or whose network is still coming up. */
static bool not_up(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == ETIMEDOUT;
}

/* Start one try of the current check. */
static void try_begin(struct daemon *d, struct slot *s)
{
	struct check_run *r = &s->chk;
	const struct check *c;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long long now = daemon_now_ms();

	if (r->i >= r->checks.n) {
		finish(d, s, true, NULL);
		return;
	}
	c = &r->checks.v[r->i];
	if (!c->path && !c->listening) {
		/* uptime: the process has run that long (its exit fails it first) */
		long long at = r->started_ms + c->uptime * 1000LL;

		r->phase = PH_SETTLE;
		r->deadline_ms = at > now ? at : now;
		return;
	}
	if (!r->addr) {
		if (c->listening) {
			/* No network: still running after the settle is all there is. */
			r->phase = PH_SETTLE;
			r->deadline_ms = r->started_ms + c->wait > now ? r->started_ms + c->wait : now;
			return;
		}
		try_failed(d, s, "the process has no address on the bridge");
		return;
	}
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		try_failed(d, s, "socket: %s", strerror(errno));
		return;
	}
	sa.sin_addr.s_addr = htonl(r->addr);
	sa.sin_port = htons(c->port ? c->port : r->port);
	/* Connecting takes a second at most; the answer gets the check's timeout. */
	r->deadline_ms = now + (c->listening || c->timeout > 1 ? 1000LL : c->timeout * 1000LL);
	r->refused = false;
	if (connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		connected(d, s);
		return;
	}
	if (errno != EINPROGRESS) {
		r->refused = not_up(errno);
		try_failed(d, s, "connect: %s", strerror(errno));
		return;
	}
	r->phase = PH_CONNECT;
	watch(d, r, EPOLLOUT);
}

static void evaluate(struct daemon *d, struct slot *s)
{
	struct check_run *r = &s->chk;
	autofree char *why = NULL;

	r->buf = xrealloc(r->buf, r->nbuf + 1);
	r->buf[r->nbuf] = 0;
	if (check_response(&r->checks.v[r->i], r->buf, &why) < 0) {
		try_failed(d, s, "%s", why);
		return;
	}
	try_passed(d, s);
}

void checks_event(struct daemon *d, struct slot *s, uint32_t events)
{
	struct check_run *r = &s->chk;
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	(void)events;
	if (!r->active || r->fd < 0)
		return;
	switch (r->phase) {
	case PH_CONNECT:
		getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr) {
			r->refused = not_up(soerr);
			try_failed(d, s, "connect: %s", strerror(soerr));
			return;
		}
		connected(d, s);
		return;
	case PH_SEND: {
		ssize_t n = send(r->fd, r->req + r->req_off, r->req_len - r->req_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			try_failed(d, s, "send: %s", strerror(errno));
			return;
		}
		r->req_off += n;
		if (r->req_off == r->req_len) {
			r->phase = PH_READ;
			watch(d, r, EPOLLIN);
		}
		return;
	}
	case PH_READ:
		for (;;) {
			char buf[4096];
			ssize_t n = read(r->fd, buf, sizeof(buf));

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n < 0) {
				try_failed(d, s, "read: %s", strerror(errno));
				return;
			}
			if (n == 0 || r->nbuf + n > RESPONSE_MAX) {
				evaluate(d, s);
				return;
			}
			r->buf = xrealloc(r->buf, r->nbuf + n + 1);
			memcpy(r->buf + r->nbuf, buf, n);
			r->nbuf += n;
		}
	}
}

bool checks_due(struct daemon *d, struct slot *s, long long now)
{
	struct check_run *r = &s->chk;

	if (!r->active || !r->deadline_ms || r->deadline_ms > now)
		return false;
	r->deadline_ms = 0;
	switch (r->phase) {
	case PH_IDLE:
		try_begin(d, s);
		break;
	case PH_SETTLE:
		try_passed(d, s);
		break;
	default: {
		const struct check *c = &r->checks.v[r->i];
		struct pollfd p = { .fd = r->fd, .events = r->phase == PH_READ ? POLLIN : POLLOUT };

		/* The loop runs deadlines before it reads events: an answer that
		 * came meanwhile is no timeout. */
		if (r->fd >= 0 && poll(&p, 1, 0) > 0) {
			checks_event(d, s, 0);
			if (r->active && !r->deadline_ms && r->phase != PH_IDLE && r->phase != PH_SETTLE)
				r->deadline_ms = now + 1000;  /* a second more for the rest */
			break;
		}
		try_failed(d, s, "no answer within %u seconds", c->listening ? 1 : c->timeout);
		break;
	}
	}
	return true;
}

/* The container's address and port from its record ("10.88.0.5:5000"). */
static void slot_address(const struct slot *s, uint32_t *addr, unsigned *port)
{
	unsigned a, b, c, e, p;

	*addr = 0;
	*port = 0;
	if (s->rec.addr && sscanf(s->rec.addr, "%u.%u.%u.%u:%u", &a, &b, &c, &e, &p) == 5) {
		*addr = a << 24 | b << 16 | c << 8 | e;
		*port = p;
	}
}

void checks_start(struct daemon *d, struct slot *s, enum check_kind kind)
{
	struct check_run *r = &s->chk;
	struct checks_settings cs;
	struct release rel;
	struct app_settings as;
	struct berr err = { 0 };
	bool skip = false;
	char name[64];

	checks_cancel(d, s);
	r->ev = (struct ev){ EV_PROBE, s };
	r->kind = kind;
	r->started_ms = daemon_now_ms();
	r->window_ms = checks_default_wait() * 1000LL;
	slot_address(s, &r->addr, &r->port);
	if (checks_settings_load(s->rec.app, &cs, &err) == 0) {
		/* Disabled types have nothing to check either (Dokku). */
		skip = checks_type_skipped(&cs, s->rec.type) || checks_type_disabled(&cs, s->rec.type);
		checks_settings_free(&cs);
	}
	if (kind == CHECK_STARTUP && skip) {
		slot_say(d, s, SINK_DETAIL, "Zero downtime checks have been skipped (%s)", dyno(s, name));
	} else if (release_load(s->rec.app, s->rec.release, &rel, &err) == 0) {
		if (checks_for(rel.healthchecks, s->rec.type, kind, checks_default_wait(), &r->checks,
			       &err) < 0)
			log_note(d, s, "Checks not run: %s", err.msg);
		release_free(&rel);
	}
	if (kind == CHECK_LIVENESS && r->checks.n == 0)
		return;
	r->active = true;
	r->i = 0;
	r->tries = 0;
	if (r->checks.n && app_settings_load(s->rec.app, &as, &err) == 0) {
		struct strv vhosts = { 0 };

		if (domains_app_vhosts(s->rec.app, &as, &vhosts, &err) == 0 && vhosts.n)
			r->host = xstrdup(vhosts.v[0]);
		strv_free(&vhosts);
		app_settings_free(&as);
	}
	if (kind == CHECK_STARTUP && r->checks.n) {
		slot_say(d, s, SINK_DETAIL, "Attempting pre-flight checks (%s)", dyno(s, name));
		for (size_t i = 0; i < r->checks.n; i++) {
			autofree char *desc = check_describe(&r->checks.v[i]);

			slot_say(d, s, SINK_DETAIL, "Running healthcheck %s", desc);
		}
	}
	/* Never done before this returns: the caller finishes its start first. */
	schedule(r, r->started_ms + (r->checks.n ? r->checks.v[0].initial_delay * 1000LL : 0));
	if (kind == CHECK_LIVENESS)
		schedule(r, r->started_ms + (r->checks.v[0].initial_delay ? r->checks.v[0].initial_delay
									    : r->checks.v[0].wait) * 1000LL);
}
