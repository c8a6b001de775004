/* router.h - private to net/router_*.c: the HTTP router's moving parts.
 *
 * One worker process, one thread, one epoll set. A client connection (struct
 * client) carries one request at a time to one upstream connection (struct
 * upstream) taken from a pool of idle keep-alive connections per backend. Bodies
 * are forwarded as the raw bytes the parser consumed (chunk framing included), so
 * nothing is buffered beyond one read; http_parser is paused at the end of each
 * head and each message to know exactly where they end. */
#ifndef BERTH_NET_ROUTER_H
#define BERTH_NET_ROUTER_H

#include <http_parser.h>
#include <netinet/in.h>
#include <sys/types.h>
#include <stdbool.h>
#include <string.h>
#include <stdint.h>

#include "net/net.h"

struct rbuf {
	char *p;
	size_t len, cap;
};

void rbuf_add(struct rbuf *b, const void *data, size_t n);
static inline void rbuf_add_str(struct rbuf *b, const char *s)
{
	rbuf_add(b, s, strlen(s));
}
void rbuf_printf(struct rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rbuf_drop(struct rbuf *b, size_t n);  /* remove n bytes from the front */
void rbuf_free(struct rbuf *b);

/* The routing table (router_table.c). */
struct rt_port {
	uint16_t host, container;
};

struct rt_app {
	char *name;
	struct sockaddr_in *backends;
	pid_t *netns;             /* per backend: a pid in its network namespace, or 0 */
	size_t nbackends;
	size_t next;              /* round-robin position */
	bool starting;
	bool main;                /* served on the main port (BERTH_HTTP_ADDR) */
	bool vhost;               /* false: no Host routes to it; it answers any on its ports */
	struct rt_port *ports;    /* more host ports: the backends' port there */
	size_t nports;
};

struct rt_table {
	struct rt_app *apps;
	size_t napps;
	char **hosts;             /* lower-case host names -> apps[host_app[i]] */
	size_t *host_app;
	size_t nhosts;
	uint16_t main_port;
	uint16_t *listen;         /* every host port besides the main one, sorted */
	size_t nlisten;
	char *version;
};

int rt_table_load(const char *path, uint16_t main_port, struct rt_table **out, struct berr *err);
void rt_table_free(struct rt_table *t);
/* (the port a request came in on, its Host header value: port stripped, case
 * ignored) -> app, or NULL. */
struct rt_app *rt_table_find(struct rt_table *t, uint16_t port, const char *host, size_t len);
/* The backends' port for requests on host port `port` (not the main one); 0: none. */
uint16_t rt_app_port(const struct rt_app *a, uint16_t port);

enum obj_kind { OBJ_LISTENER, OBJ_SIGNAL, OBJ_CONTROL, OBJ_CLIENT, OBJ_UPSTREAM };

/* A listening socket the supervisor holds (the worker has a copy): the main
 * port, or one more host port that apps' http port maps name. */
#define ROUTER_MAX_LISTEN 64
struct listener {
	enum obj_kind kind;
	int fd;
	uint16_t port;
};

struct client;

struct upstream {
	enum obj_kind kind;
	int fd;
	uint32_t events;          /* registered with epoll */
	struct sockaddr_in addr;
	bool connecting;
	bool reused;              /* came from the pool: may have been closed meanwhile */
	bool got_bytes;           /* any response byte for the current request */
	struct client *client;    /* NULL while idle in the pool */
	struct upstream *next_idle;
	uint64_t deadline;        /* ms; 0 = none */
	struct rbuf in, out;
	struct upstream *prev_all, *next_all;
};

enum client_phase {
	PH_HEAD,       /* reading a request head */
	PH_BODY,       /* forwarding the request body */
	PH_WAIT,       /* request sent; response under way */
	PH_TUNNEL,     /* after 101 Switching Protocols: bytes both ways */
	PH_CLOSING,    /* flush what is queued for the client, then close */
};

struct client {
	enum obj_kind kind;
	int fd;
	uint32_t events;
	struct sockaddr_in peer;
	uint16_t port;            /* the host port it connected to */
	enum client_phase phase;
	http_parser req, resp;
	struct rbuf in, out;      /* from the client / to the client */
	struct rbuf head;         /* the request head rebuilt for the upstream */
	struct rbuf replay;       /* the request as sent, while small: to retry once */
	bool replayable;
	struct rbuf field, value, url, status;  /* parser scratch */
	bool in_value;
	/* What the current request said. */
	char host[256];
	size_t host_len;
	int n_content_length, n_transfer_encoding, n_host;
	bool te_chunked_only;
	bool bad_header;
	bool wants_upgrade;
	bool keep_alive;          /* the client wants the connection after this response */
	bool is_head;
	struct rbuf xff, upgrade;
	uint64_t request_start_ms;
	bool head_done, message_done, head_started;
	bool http10;
	size_t head_bytes;
	bool head_too_big;
	bool req_lf, resp_lf;     /* the head's last LF is still to be fed to the parser */
	/* The response. */
	bool resp_head_done, resp_done, resp_started;
	bool dechunk;             /* an HTTP/1.0 client gets a chunked body decoded */
	bool close_after;         /* close the client after this response */
	bool saw_eof;
	bool close_delimited;     /* the response body ends when the upstream closes */
	bool shut_done;           /* closing: our side is shut down, waiting for EOF */
	bool dead;                /* close at the end of the current event */
	struct sockaddr_in backend;
	pid_t backend_netns;      /* a pid in the backend's network namespace, or 0 */
	struct rt_app *app;       /* valid only until the table changes; copied out early */
	int attempts;
	struct upstream *up;
	uint64_t deadline;
	struct client *prev_all, *next_all;
};

struct router {
	const struct router_options *opt;
	int epfd, sig_fd, ctl_fd;
	struct listener *ls[ROUTER_MAX_LISTEN];
	size_t nls;
	struct rt_table *table;
	struct client *clients;
	struct upstream *upstreams;
	size_t nclients;
	bool stopping;
	uint16_t listen_port;
	uint64_t last_full_log;
	/* The clock, read once per loop iteration (not per event): monotonic ms,
	 * and the offset to wall-clock ms, refreshed every tick (X-Request-Start). */
	uint64_t now;
	int64_t wall_offset;
};

extern struct router *router_self;

/* The local port of a socket, 0 if none. */
uint16_t router_sock_port(int fd);
/* Monotonic ms: the worker's loop-iteration clock when in a worker, else read now. */
uint64_t now_ms(void);
/* Wall-clock ms since the epoch, from the same clock read. */
uint64_t wall_ms(void);
/* Append the decimal digits of v. */
void rbuf_add_uint(struct rbuf *b, unsigned long long v);
void router_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void obj_watch(int fd, uint32_t *have, uint32_t want, void *obj);

/* router_http.c */
extern const http_parser_settings router_req_settings, router_resp_settings;
/* 0 when the request may go on, else the status to refuse it with. */
int request_check(struct client *c);
void router_error_page(struct rbuf *out, int status, bool head_only);

/* router_netns.c: a non-blocking TCP socket for backend a, made inside its
 * network namespace (a pid in it; 0: none) when that is where a is, else on the
 * host. -1 with errno on failure. */
int upstream_socket(const struct sockaddr_in *a, pid_t netns);

/* router_proxy.c */
void client_accept(struct router *r, struct listener *l);
void client_event(struct client *c, uint32_t ev);
void upstream_event(struct upstream *u, uint32_t ev);
void client_timeout(struct client *c, uint64_t now);
void upstream_timeout(struct upstream *u, uint64_t now);
void client_close(struct client *c);
void upstream_close(struct upstream *u);
/* router_pool.c: an idle connection to a (the same address and port), marked
 * reused, or NULL; back to the pool once its response is done (closed instead
 * when the pool is full or bytes are left); out of it (upstream_close). */
struct upstream *pool_take(const struct sockaddr_in *a);
void pool_put(struct upstream *u);
void pool_remove(struct upstream *u);
/* Close idle pooled connections, all of them or those to backends not in t. */
void pool_prune(struct rt_table *t);

#endif
