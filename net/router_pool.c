/* router_pool.c - idle keep-alive connections to backends, kept for the next
 * request to the same address: at most POOL_MAX_IDLE, each for POOL_IDLE_MS. */
#include <stdlib.h>
#include <sys/epoll.h>

#include "net/router.h"

#define POOL_IDLE_MS 15000
#define POOL_MAX_IDLE 1024

static struct upstream *idle_head;
static size_t nidle;

void pool_remove(struct upstream *u)
{
	for (struct upstream **pp = &idle_head; *pp; pp = &(*pp)->next_idle)
		if (*pp == u) {
			*pp = u->next_idle;
			u->next_idle = NULL;
			nidle--;
			return;
		}
}

static bool same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

struct upstream *pool_take(const struct sockaddr_in *a)
{
	for (struct upstream *u = idle_head; u; u = u->next_idle)
		if (same_addr(&u->addr, a)) {
			pool_remove(u);
			u->reused = true;
			return u;
		}
	return NULL;
}

void pool_put(struct upstream *u)
{
	struct client *c = u->client;

	c->up = NULL;
	u->client = NULL;
	u->got_bytes = false;
	if (nidle >= POOL_MAX_IDLE || u->in.len || u->out.len) {
		upstream_close(u);
		return;
	}
	u->next_idle = idle_head;
	idle_head = u;
	nidle++;
	u->deadline = now_ms() + POOL_IDLE_MS;
	obj_watch(u->fd, &u->events, EPOLLIN, u);
}

void pool_prune(struct rt_table *t)
{
	struct upstream *u = idle_head, *next;

	for (; u; u = next) {
		bool keep = false;

		next = u->next_idle;
		for (size_t i = 0; t && i < t->napps && !keep; i++) {
			const struct rt_app *a = &t->apps[i];

			for (size_t j = 0; j < a->nbackends && !keep; j++) {
				struct sockaddr_in b = a->backends[j];

				keep = same_addr(&b, &u->addr);
				/* the same backend on the port of one more host port */
				for (size_t k = 0; k < a->nports && !keep; k++) {
					b.sin_port = htons(a->ports[k].container);
					keep = same_addr(&b, &u->addr);
				}
			}
		}
		if (!keep)
			upstream_close(u);
	}
}
