/* router_proxy.c - moving requests and responses between clients and backends.
 *
 * A client connection goes HEAD -> BODY -> WAIT -> HEAD (keep-alive) or CLOSING;
 * after a 101 answer to an Upgrade request it becomes a TUNNEL. Writes are tried at
 * once; EPOLLOUT is asked for only while bytes are pending, and a side stops
 * reading while the other side has more than HIGH bytes queued (backpressure).
 *
 * Nothing here frees the connection an event is running for: a failure marks the
 * client dead and client_settle(), at the end of each event, closes it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/router.h"

#define HIGH (256 * 1024)
#define READ_CHUNK (64 * 1024)
#define REPLAY_MAX (64 * 1024)
#define LINGER_MS 2000

static void client_process(struct client *c);
static void response_process(struct client *c);

/* ---- lists ---- */

static void client_link(struct router *r, struct client *c)
{
	c->next_all = r->clients;
	if (r->clients)
		r->clients->prev_all = c;
	r->clients = c;
	r->nclients++;
}

static void upstream_link(struct router *r, struct upstream *u)
{
	u->next_all = r->upstreams;
	if (r->upstreams)
		r->upstreams->prev_all = u;
	r->upstreams = u;
}

void upstream_close(struct upstream *u)
{
	struct router *r = router_self;

	if (!u->client)
		pool_remove(u);
	else if (u->client->up == u)
		u->client->up = NULL;
	if (u->prev_all)
		u->prev_all->next_all = u->next_all;
	else
		r->upstreams = u->next_all;
	if (u->next_all)
		u->next_all->prev_all = u->prev_all;
	close(u->fd);
	rbuf_free(&u->in);
	rbuf_free(&u->out);
	free(u);
}

void client_close(struct client *c)
{
	struct router *r = router_self;

	if (c->up)
		upstream_close(c->up);
	if (c->prev_all)
		c->prev_all->next_all = c->next_all;
	else
		r->clients = c->next_all;
	if (c->next_all)
		c->next_all->prev_all = c->prev_all;
	r->nclients--;
	close(c->fd);
	rbuf_free(&c->in);
	rbuf_free(&c->out);
	rbuf_free(&c->head);
	rbuf_free(&c->replay);
	rbuf_free(&c->field);
	rbuf_free(&c->value);
	rbuf_free(&c->url);
	rbuf_free(&c->status);
	rbuf_free(&c->xff);
	rbuf_free(&c->upgrade);
	free(c);
}

/* ---- writing ---- */

static void flush_fd(int fd, struct rbuf *b, bool *failed)
{
	while (b->len) {
		ssize_t n = send(fd, b->p, b->len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				*failed = true;
			return;
		}
		rbuf_drop(b, n);
	}
}

static void client_flush(struct client *c)
{
	bool failed = false;

	flush_fd(c->fd, &c->out, &failed);
	if (failed)
		c->dead = true;
	if (c->phase == PH_CLOSING && !c->out.len && !c->shut_done && !c->dead) {
		/* Lingering close: shut our side and read until the client closes, so an
		 * unread request byte cannot turn the close into a reset that loses the
		 * answer. */
		shutdown(c->fd, SHUT_WR);
		c->shut_done = true;
		c->deadline = now_ms() + LINGER_MS;
	}
}

static void upstream_failed(struct client *c, int status);

static void upstream_flush(struct client *c)
{
	struct upstream *u = c->up;
	bool failed = false;

	if (!u || u->connecting)
		return;
	flush_fd(u->fd, &u->out, &failed);
	if (failed)
		upstream_failed(c, 502);
}

static void client_send(struct client *c, const void *data, size_t n)
{
	rbuf_add(&c->out, data, n);
	client_flush(c);
}

static void upstream_send(struct client *c, const void *data, size_t n)
{
	if (c->replayable) {
		if (c->replay.len + n <= REPLAY_MAX) {
			rbuf_add(&c->replay, data, n);
		} else {
			c->replayable = false;
			rbuf_free(&c->replay);
		}
	}
	/* Nothing queued: straight from the caller's bytes, only a rest is copied. */
	if (!c->up->out.len && !c->up->connecting) {
		ssize_t sent = send(c->up->fd, data, n, MSG_NOSIGNAL);

		if (sent < 0 && errno != EAGAIN && errno != EINTR) {
			upstream_failed(c, 502);
			return;
		}
		if (sent > 0) {
			data = (const char *)data + sent;
			n -= (size_t)sent;
		}
		if (!n)
			return;
	}
	rbuf_add(&c->up->out, data, n);
	upstream_flush(c);
}

/* Answer with one of the router's pages and close. */
static void client_refuse(struct client *c, int status)
{
	if (c->up)
		upstream_close(c->up);
	if (c->resp_started) {
		c->dead = true;
		return;
	}
	c->resp_started = true;
	c->phase = PH_CLOSING;
	c->deadline = now_ms() + router_self->opt->body_timeout_ms;  /* to flush the page */
	router_error_page(&c->out, status, c->is_head);
	client_flush(c);
}

/* ---- upstream connections ---- */

static int upstream_start(struct client *c)
{
	struct router *r = router_self;
	struct upstream *u = pool_take(&c->backend);
	int one = 1;

	if (!u) {
		int fd = upstream_socket(&c->backend, c->backend_netns);

		if (fd < 0)
			return -1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		u = xcalloc(1, sizeof(*u));
		u->kind = OBJ_UPSTREAM;
		u->fd = fd;
		u->addr = c->backend;
		upstream_link(r, u);
		if (connect(fd, (struct sockaddr *)&u->addr, sizeof(u->addr)) < 0) {
			if (errno != EINPROGRESS) {
				upstream_close(u);
				return -1;
			}
			u->connecting = true;
		}
	}
	u->client = c;
	u->got_bytes = false;
	u->deadline = now_ms() + r->opt->upstream_timeout_ms;
	c->up = u;
	obj_watch(u->fd, &u->events, EPOLLIN | (u->connecting ? EPOLLOUT : 0), u);
	return 0;
}

static bool pick_backend(struct client *c)
{
	struct rt_app *a = c->app;
	size_t i;

	if (!a || !a->nbackends)
		return false;
	i = a->next++ % a->nbackends;
	c->backend = a->backends[i];
	c->backend_netns = a->netns[i];
	if (c->port != router_self->listen_port)
		c->backend.sin_port = htons(rt_app_port(a, c->port));
	return true;
}

/* The upstream failed before or while answering. A request that reached no
 * backend byte-for-byte is tried again (a pooled connection the backend had just
 * closed, or a backend that refuses: the next one), at most three times. */
static void upstream_failed(struct client *c, int status)
{
	struct upstream *u = c->up;
	bool reused = u && u->reused, got = u && u->got_bytes;

	if (u)
		upstream_close(u);
	if (status == 502 && !got && !c->resp_started && c->replayable && c->attempts < 3) {
		c->attempts++;
		if (reused || (c->app && c->app->nbackends > 1 && pick_backend(c))) {
			if (upstream_start(c) == 0) {
				rbuf_add(&c->up->out, c->replay.p, c->replay.len);
				upstream_flush(c);
				return;
			}
		}
	}
	router_log("router: %s %s: backend %s:%u %s", c->host_len ? c->host : "-", c->url.p ? c->url.p : "",
		   inet_ntoa(c->backend.sin_addr), ntohs(c->backend.sin_port),
		   status == 504 ? "timed out" : "failed");
	client_refuse(c, status);
}

/* ---- requests ---- */

static void start_request(struct client *c)
{
	struct router *r = router_self;
	int status = request_check(c);

	c->resp_started = c->resp_head_done = c->resp_done = false;
	c->dechunk = c->close_after = c->close_delimited = false;
	c->attempts = 0;
	c->replay.len = 0;
	c->replayable = true;
	if (status) {
		client_refuse(c, status);
		return;
	}
	c->app = rt_table_find(r->table, c->port, c->host, c->host_len);
	if (!c->app) {
		client_refuse(c, 404);
		return;
	}
	if (!pick_backend(c)) {
		client_refuse(c, c->app->starting ? 503 : 502);
		return;
	}
	if (upstream_start(c) < 0) {
		client_refuse(c, 502);
		return;
	}
	http_parser_init(&c->resp, HTTP_RESPONSE);
	c->resp.data = c;
	c->phase = c->message_done ? PH_WAIT : PH_BODY;
	c->deadline = c->phase == PH_BODY ? now_ms() + r->opt->body_timeout_ms : 0;
	upstream_send(c, c->head.p, c->head.len);
}

/* Feed the request parser; returns bytes consumed, sets *paused. */
static size_t feed(http_parser *p, const http_parser_settings *s, const char *data, size_t n,
		   bool *paused, bool *error)
{
	size_t used = http_parser_execute(p, s, data, n);
	enum http_errno e = HTTP_PARSER_ERRNO(p);

	*paused = e == HPE_PAUSED;
	*error = e != HPE_OK && e != HPE_PAUSED;
	if (*paused)
		http_parser_pause(p, 0);
	return used;
}

static void client_process(struct client *c)
{
	bool paused, error;
	size_t n;

	while (!c->dead) {
		switch (c->phase) {
		case PH_HEAD:
			if (!c->in.len)
				return;
			n = feed(&c->req, &router_req_settings, c->in.p, c->in.len, &paused, &error);
			rbuf_drop(&c->in, n);
			if (error) {
				c->is_head = false;
				client_refuse(c, c->head_too_big ? 431 : 400);
				return;
			}
			if (!c->head_done)
				return;
			c->req_lf = true;
			start_request(c);
			break;
		case PH_BODY:
			if (!c->in.len || !c->up)
				return;
			if (c->req_lf) {
				/* The head's final LF: the parser's, not the body's. */
				n = feed(&c->req, &router_req_settings, c->in.p, 1, &paused, &error);
				rbuf_drop(&c->in, n);
				c->req_lf = false;
			} else {
				n = feed(&c->req, &router_req_settings, c->in.p, c->in.len, &paused, &error);
				upstream_send(c, c->in.p, n);
				rbuf_drop(&c->in, n);
			}
			if (error) {
				client_refuse(c, 400);
				return;
			}
			c->deadline = now_ms() + router_self->opt->body_timeout_ms;
			if (c->message_done && c->up) {
				c->phase = PH_WAIT;
				c->deadline = 0;
				c->up->deadline = now_ms() + router_self->opt->upstream_timeout_ms;
			}
			break;
		case PH_WAIT:
			if (c->req_lf && c->in.len) {
				n = feed(&c->req, &router_req_settings, c->in.p, 1, &paused, &error);
				rbuf_drop(&c->in, n);
				c->req_lf = false;
			}
			return;
		case PH_TUNNEL:
			if (c->in.len && c->up) {
				rbuf_add(&c->up->out, c->in.p, c->in.len);
				c->in.len = 0;
				upstream_flush(c);
			}
			return;
		case PH_CLOSING:
			c->in.len = 0;
			return;
		}
	}
}

static void client_read(struct client *c)
{
	ssize_t n;

	if (c->in.cap < c->in.len + READ_CHUNK + 1) {
		c->in.p = xrealloc(c->in.p, c->in.len + READ_CHUNK + 1);
		c->in.cap = c->in.len + READ_CHUNK + 1;
	}
	n = recv(c->fd, c->in.p + c->in.len, READ_CHUNK, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			c->dead = true;
		return;
	}
	if (n == 0) {
		c->saw_eof = true;
		switch (c->phase) {
		case PH_WAIT:
			c->close_after = true;  /* half-closed: answer, then close */
			return;
		case PH_TUNNEL:
			if (c->up && !c->up->out.len)
				shutdown(c->up->fd, SHUT_WR);
			return;
		default:
			c->dead = true;  /* nothing to answer, or a body cut short */
			return;
		}
	}
	c->in.len += n;
	if (c->phase == PH_HEAD && !c->head_started)
		c->deadline = now_ms() + router_self->opt->head_timeout_ms;
	client_process(c);
}

/* ---- responses ---- */

static void finish_response(struct client *c)
{
	struct router *r = router_self;
	struct upstream *u = c->up;

	if (u) {
		if (!c->close_delimited && c->phase == PH_WAIT && http_should_keep_alive(&c->resp) &&
		    !u->in.len)
			pool_put(u);
		else
			upstream_close(u);
	}
	if (c->close_after || !c->keep_alive || c->phase != PH_WAIT || c->req.upgrade) {
		c->phase = PH_CLOSING;
		client_flush(c);
		return;
	}
	c->phase = PH_HEAD;
	c->head_started = false;
	c->deadline = now_ms() + (c->in.len ? r->opt->head_timeout_ms : r->opt->idle_timeout_ms);
	client_process(c);
}

/* A response message ended: 1xx goes on to the final one, 101 opens the tunnel. */
static bool response_complete(struct client *c)
{
	unsigned status = c->resp.status_code;
	struct upstream *u = c->up;

	c->resp_done = false;
	if (status / 100 == 1 && status != 101) {
		c->resp_head_done = false;
		return true;
	}
	if (status == 101 && c->wants_upgrade) {
		c->phase = PH_TUNNEL;
		c->deadline = 0;
		u->deadline = 0;
		rbuf_add(&c->out, u->in.p, u->in.len);
		u->in.len = 0;
		if (c->in.len) {
			rbuf_add(&u->out, c->in.p, c->in.len);
			c->in.len = 0;
		}
		client_flush(c);
		upstream_flush(c);
		return false;
	}
	finish_response(c);
	return false;
}

static void response_process(struct client *c)
{
	bool paused, error;
	size_t n;

	while (c->up && c->up->in.len && !c->dead && c->phase != PH_TUNNEL &&
	       c->phase != PH_CLOSING) {
		struct upstream *u = c->up;

		if (c->resp_lf) {
			n = feed(&c->resp, &router_resp_settings, u->in.p, 1, &paused, &error);
			rbuf_drop(&u->in, n);
			c->resp_lf = false;
		} else if (!c->resp_head_done) {
			n = feed(&c->resp, &router_resp_settings, u->in.p, u->in.len, &paused, &error);
			rbuf_drop(&u->in, n);
			if (!error && c->resp_head_done) {
				c->resp_started = true;
				c->resp_lf = true;
				rbuf_add(&c->out, c->head.p, c->head.len);
			}
		} else {
			n = feed(&c->resp, &router_resp_settings, u->in.p, u->in.len, &paused, &error);
			if (!c->dechunk)
				rbuf_add(&c->out, u->in.p, n);
			rbuf_drop(&u->in, n);
		}
		if (error) {
			upstream_failed(c, 502);
			return;
		}
		if (c->resp_done && !response_complete(c))
			return;
		if (!paused && n == 0)
			return;  /* no progress: wait for more bytes */
	}
}

static void upstream_read(struct client *c)
{
	struct upstream *u = c->up;
	bool paused, error;
	ssize_t n;

	if (u->in.cap < u->in.len + READ_CHUNK + 1) {
		u->in.p = xrealloc(u->in.p, u->in.len + READ_CHUNK + 1);
		u->in.cap = u->in.len + READ_CHUNK + 1;
	}
	n = recv(u->fd, u->in.p + u->in.len, READ_CHUNK, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			upstream_failed(c, 502);
		return;
	}
	if (n == 0) {
		if (c->phase == PH_TUNNEL) {
			upstream_close(u);
			c->phase = PH_CLOSING;
			client_flush(c);
		} else if (!u->got_bytes) {
			upstream_failed(c, 502);
		} else if (c->resp_head_done && c->close_delimited) {
			feed(&c->resp, &router_resp_settings, NULL, 0, &paused, &error);
			if (c->resp_done)
				response_complete(c);
			else
				c->dead = true;
		} else {
			upstream_failed(c, 502);  /* cut short: a page if nothing was sent yet */
		}
		return;
	}
	u->in.len += n;
	u->got_bytes = true;
	u->deadline = c->phase == PH_TUNNEL ? 0 : now_ms() + router_self->opt->upstream_timeout_ms;
	if (c->phase == PH_TUNNEL) {
		client_send(c, u->in.p, u->in.len);
		u->in.len = 0;
		return;
	}
	response_process(c);
	/* One send for the head and the body bytes this read brought. */
	if (c->out.len && !c->dead)
		client_flush(c);
}

/* ---- events ---- */

static void client_settle(struct client *c)
{
	struct upstream *u = c->up;
	uint32_t want = 0;
	bool can_read = !c->saw_eof;

	if (c->dead || (c->phase == PH_CLOSING && c->shut_done && c->saw_eof)) {
		client_close(c);
		return;
	}
	switch (c->phase) {
	case PH_HEAD: break;
	case PH_BODY:
	case PH_TUNNEL: can_read &= u && u->out.len < HIGH; break;
	case PH_WAIT: can_read &= c->in.len < HIGH; break;
	case PH_CLOSING: break;
	}
	if (can_read)
		want |= EPOLLIN;
	if (c->out.len)
		want |= EPOLLOUT;
	obj_watch(c->fd, &c->events, want, c);
	if (u) {
		want = c->out.len < HIGH ? EPOLLIN : 0;
		if (u->out.len || u->connecting)
			want |= EPOLLOUT;
		obj_watch(u->fd, &u->events, want, u);
	}
}

void client_event(struct client *c, uint32_t ev)
{
	if (ev & EPOLLERR) {
		c->dead = true;
	} else {
		if (ev & EPOLLOUT)
			client_flush(c);
		if (ev & (EPOLLIN | EPOLLHUP)) {
			if (c->phase == PH_CLOSING) {
				char sink[4096];
				ssize_t n = recv(c->fd, sink, sizeof(sink), 0);

				if (n == 0) {
					c->saw_eof = true;
					c->dead = !c->out.len;
				} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
					c->dead = true;
				}
			} else {
				client_read(c);
			}
		}
	}
	client_settle(c);
}

void upstream_event(struct upstream *u, uint32_t ev)
{
	struct client *c = u->client;

	if (!c) {
		upstream_close(u);  /* idle in the pool: the backend closed it (or spoke out of turn) */
		return;
	}
	if (u->connecting) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			goto settle;
		getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr) {
			upstream_failed(c, 502);
			goto settle;
		}
		u->connecting = false;
		if (c->phase == PH_BODY)
			u->deadline = 0;  /* the client's body timer runs meanwhile */
	}
	if (ev & EPOLLOUT)
		upstream_flush(c);
	if (c->up == u && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		upstream_read(c);
settle:
	client_settle(c);
}

void client_accept(struct router *r, struct listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;
		int one = 1;

		if (fd < 0)
			return;
		if (r->nclients >= r->opt->max_conns) {
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
						   "Connection: close\r\n\r\n";
			uint64_t now = now_ms();

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* the client is gone already */
			}
			close(fd);
			if (now - r->last_full_log >= 1000) {
				router_log("router: %zu connections open, the limit: refusing new ones",
					   r->nclients);
				r->last_full_log = now;
			}
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xcalloc(1, sizeof(*c));
		c->kind = OBJ_CLIENT;
		c->fd = fd;
		c->peer = peer;
		c->port = l->port;
		c->phase = PH_HEAD;
		http_parser_init(&c->req, HTTP_REQUEST);
		c->req.data = c;
		c->deadline = now_ms() + r->opt->head_timeout_ms;
		client_link(r, c);
		obj_watch(fd, &c->events, EPOLLIN, c);
	}
}

/* ---- timers ---- */

void client_timeout(struct client *c, uint64_t now)
{
	(void)now;
	switch (c->phase) {
	case PH_HEAD:
		if (c->head_started) {
			c->is_head = false;
			client_refuse(c, 408);
		} else {
			c->dead = true;  /* an idle keep-alive connection */
		}
		break;
	case PH_BODY:
		client_refuse(c, 408);
		break;
	default:
		c->dead = true;
		break;
	}
	c->deadline = c->dead ? 0 : c->deadline;
	client_settle(c);
}

void upstream_timeout(struct upstream *u, uint64_t now)
{
	struct client *c = u->client;

	(void)now;
	if (!c) {
		upstream_close(u);
		return;
	}
	u->deadline = 0;
	upstream_failed(c, 504);
	client_settle(c);
}
