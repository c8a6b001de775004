/* routes.c - the router's table from the apps' state: one function that turns
 * the domains and http port maps of every app, plus the live web backends the
 * caller knows (the daemon), into the JSON table `berth router` loads, written
 * atomically, then a SIGHUP to the router (docs/net.md, "The table").
 *
 * Each app is listed with its vhosts resolved (domains.c), so the table needs no
 * "domain" of its own. The router's main port (BERTH_HTTP_ADDR) is what http
 * maps call 80 (or name by its number): an app with such a map is served there,
 * its backends on that map's container port. Every other host port of an http
 * map is listed in the app's "ports" (host port -> container port): the router
 * listens there too. An app with no http map is not routed; https, grpc and
 * grpcs maps are kept but not served (no TLS in the router yet). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "net/net.h"
#include "platform/internal.h"

char *routes_table_path(void)
{
	return xasprintf("%s/router/table.json", berth_run());
}

static unsigned router_port(void)
{
	struct net_config cfg;
	struct berr ignored;
	const char *colon;

	if (net_config_load(&cfg, &ignored) < 0 || !(colon = strrchr(cfg.http_addr, ':')))
		return 80;
	return (unsigned)strtoul(colon + 1, NULL, 10);
}

/* The container port the router sends an app's requests to; 0: none. */
unsigned routes_app_port(const struct app_settings *s, unsigned listen_port)
{
	struct port_maps maps;
	struct berr ignored;
	unsigned port = 0;

	if (ports_effective(s, &maps, &ignored) < 0)
		return 0;
	for (size_t i = 0; i < maps.n; i++) {
		if (strcmp(maps.v[i].scheme, "http") != 0)
			continue;
		if (!port || maps.v[i].host_port == listen_port)
			port = maps.v[i].container_port;
		if (maps.v[i].host_port == listen_port)
			break;
	}
	port_maps_free(&maps);
	return port;
}

static bool listed(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static bool on_main(unsigned host_port, unsigned listen_port)
{
	return host_port == listen_port || host_port == 80;
}

unsigned routes_app_own_ports(const struct app_settings *s)
{
	struct port_maps maps;
	struct berr ignored;
	unsigned listen_port = router_port(), n = 0;

	if (ports_effective(s, &maps, &ignored) < 0)
		return 0;
	for (size_t i = 0; i < maps.n; i++)
		n += !strcmp(maps.v[i].scheme, "http") && !on_main(maps.v[i].host_port, listen_port);
	port_maps_free(&maps);
	return n;
}

static json_t *app_entry(const char *app, const struct route_backends *b, unsigned listen_port,
			 struct berr *err)
{
	struct app_settings s;
	struct port_maps maps = { 0 };
	struct strv vhosts = { 0 };
	json_t *entry = NULL, *backends, *netns, *ports;
	unsigned main_port = 0, first = 0;

	if (app_settings_load(app, &s, err) < 0)
		return NULL;
	if (ports_effective(&s, &maps, err) < 0)
		goto out;
	ports = json_object();
	for (size_t i = 0; i < maps.n; i++) {
		const struct port_map *m = &maps.v[i];

		if (strcmp(m->scheme, "http") != 0)
			continue;
		if (!first)
			first = m->container_port;
		if (!on_main(m->host_port, listen_port)) {
			char key[8];

			snprintf(key, sizeof(key), "%u", m->host_port);
			json_object_set_new(ports, key, json_integer(m->container_port));
		} else if (!main_port || m->host_port == listen_port)
			main_port = m->container_port;
	}
	if (!first) {
		json_decref(ports);
		entry = json_null();  /* no http map: not routed */
		goto out;
	}
	if (domains_app_vhosts(app, &s, &vhosts, err) < 0) {
		json_decref(ports);
		goto out;
	}
	backends = json_array();
	netns = json_object();
	for (size_t i = 0; b && i < b->n; i++) {
		if (strcmp(b->v[i].app, app) != 0)
			continue;
		if (b->v[i].netns > 0) {
			autofree char *ip = xstrndup(b->v[i].addr, strcspn(b->v[i].addr, ":"));

			json_object_set_new(netns, ip, json_integer(b->v[i].netns));
		}
		if (strchr(b->v[i].addr, ':'))
			json_array_append_new(backends, json_string(b->v[i].addr));
		else
			json_array_append_new(backends,
					      json_sprintf("%s:%u", b->v[i].addr, main_port ? main_port : first));
	}
	entry = json_pack("{s:o, s:o, s:b}", "domains", strv_to_json(&vhosts), "backends", backends,
			  "starting", b && b->starting && listed(b->starting, app));
	if (json_object_size(ports))
		json_object_set(entry, "ports", ports);
	json_decref(ports);
	if (json_object_size(netns))
		json_object_set(entry, "netns", netns);
	json_decref(netns);
	if (!main_port)
		json_object_set_new(entry, "main", json_false());
	if (s.vhost_disabled)
		json_object_set_new(entry, "vhost", json_false());
out:
	port_maps_free(&maps);
	strv_free(&vhosts);
	app_settings_free(&s);
	return entry;
}

int routes_build(json_t **table, const struct route_backends *b, struct berr *err)
{
	struct strv apps = { 0 };
	struct timespec now;
	json_t *t, *list;
	unsigned listen_port = router_port();
	int r = 0;

	if (app_list(&apps, err) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	list = json_object();
	for (size_t i = 0; i < apps.n && r == 0; i++) {
		json_t *e = app_entry(apps.v[i], b, listen_port, err);

		if (!e)
			r = -1;
		else if (json_is_null(e))
			json_decref(e);
		else
			json_object_set_new(list, apps.v[i], e);
	}
	strv_free(&apps);
	if (r < 0) {
		json_decref(list);
		return -1;
	}
	/* A version that grows: the router logs it, tests wait on it. */
	t = json_pack("{s:o, s:o}", "version",
		      json_sprintf("%lld.%09ld", (long long)now.tv_sec, now.tv_nsec), "apps", list);
	*table = t;
	return 0;
}

/* argv of `berth [global flags] router [--table FILE]`: a word after the
 * program's name is exactly "router". */
static bool is_router(const char *cmdline, size_t len)
{
	for (size_t at = strnlen(cmdline, len) + 1; at < len; at += strnlen(cmdline + at, len - at) + 1)
		if (strnlen(cmdline + at, len - at) == 6 && !memcmp(cmdline + at, "router", 6))
			return true;
	return false;
}

int routes_signal(struct berr *err)
{
	autofree char *pidfile = xasprintf("%s/router/router.pid", berth_run());
	autofree char *text = NULL, *cmdline = NULL, *procfile = NULL;
	struct berr ignored;
	size_t len;
	uint64_t pid;

	if (read_file(pidfile, &text, &len, &ignored) < 0)
		return 0;  /* no router: it reads the table when it starts */
	text[strcspn(text, "\n")] = '\0';
	if (parse_uint(text, 1u << 22, &pid, &ignored) < 0 || pid == 0)
		return berr_fail(err, "%s does not hold a pid", pidfile);
	/* A router killed hard leaves its pid file: never signal whoever has the pid now. */
	procfile = xasprintf("/proc/%llu/cmdline", (unsigned long long)pid);
	if (read_file(procfile, &cmdline, &len, &ignored) < 0 || !is_router(cmdline, len))
		return 0;
	if (kill((pid_t)pid, SIGHUP) < 0 && errno != ESRCH)
		return berr_sys(err, "signal the router (pid %llu)", (unsigned long long)pid);
	return 0;
}

/* Where containers' connections to the router's other ports go: its address
 * (BERTH_HTTP_ADDR's), loopback when it listens on all of them. Host order. */
static uint32_t router_addr(const struct net_config *cfg)
{
	autofree char *host = xstrndup(cfg->http_addr, strcspn(cfg->http_addr, ":"));
	struct in_addr in;

	if (inet_pton(AF_INET, host, &in) != 1 || in.s_addr == htonl(INADDR_ANY))
		return INADDR_LOOPBACK;
	return ntohl(in.s_addr);
}

/* An http map on a port besides the main one: containers reach the router
 * there (from the bridge), once per port. */
static void router_port_forward(const struct net_config *cfg, unsigned port,
				struct net_forward **out, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		if ((*out)[i].from_bridge && (*out)[i].host_port == port)
			return;
	*out = xrealloc(*out, (*n + 1) * sizeof(**out));
	(*out)[(*n)++] = (struct net_forward){
		.proto = IPPROTO_TCP,
		.host_port = (uint16_t)port,
		.addr = router_addr(cfg),
		.port = (uint16_t)port,
		.from_bridge = true,
	};
}

/* tcp and udp maps, each to the app's first live backend; and the router's
 * other http ports, for containers. */
static int forwards_build(const struct net_config *cfg, const struct route_backends *b,
			  struct net_forward **out, size_t *n, struct berr *err)
{
	struct strv apps = { 0 };
	unsigned listen_port = router_port();
	int r = 0;

	*out = NULL;
	*n = 0;
	if (app_list(&apps, err) < 0)
		return -1;
	for (size_t i = 0; i < apps.n && r == 0; i++) {
		struct app_settings s;
		struct port_maps maps = { 0 };
		const char *addr = NULL;
		struct in_addr in;

		for (size_t j = 0; b && j < b->n && !addr; j++)
			if (!strcmp(b->v[j].app, apps.v[i]))
				addr = b->v[j].addr;
		if (app_settings_load(apps.v[i], &s, err) < 0)
			continue;
		if (ports_effective(&s, &maps, err) < 0)
			r = -1;
		for (size_t j = 0; j < maps.n; j++) {
			autofree char *ip = addr ? xstrndup(addr, strcspn(addr, ":")) : NULL;
			bool tcp = !strcmp(maps.v[j].scheme, "tcp");

			if (!strcmp(maps.v[j].scheme, "http") && !on_main(maps.v[j].host_port, listen_port))
				router_port_forward(cfg, maps.v[j].host_port, out, n);
			if ((!tcp && strcmp(maps.v[j].scheme, "udp")) || !ip || inet_pton(AF_INET, ip, &in) != 1)
				continue;
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = (struct net_forward){
				.proto = tcp ? IPPROTO_TCP : IPPROTO_UDP,
				.host_port = (uint16_t)maps.v[j].host_port,
				.addr = ntohl(in.s_addr),
				.port = (uint16_t)maps.v[j].container_port,
			};
		}
		port_maps_free(&maps);
		app_settings_free(&s);
	}
	strv_free(&apps);
	return r;
}

int routes_forward(const struct route_backends *b, struct berr *err)
{
	struct net_config cfg;
	autofree struct net_forward *fw = NULL;
	size_t n;

	if (net_config_load(&cfg, err) < 0 || forwards_build(&cfg, b, &fw, &n, err) < 0)
		return -1;
	if (net_forward_apply(&cfg, fw, n, err) < 0)
		return berr_prefix(err, "port forwards");
	return 0;
}

int routes_write(const struct route_backends *b, struct berr *err)
{
	autofree char *path = routes_table_path();
	autofree char *dir = xasprintf("%s/router", berth_run());
	json_t *table;
	int r;

	if (routes_build(&table, b, err) < 0)
		return -1;
	r = mkdir_p(dir, 0755, err);
	if (r == 0)
		r = json_file_save(path, table, err);
	json_decref(table);
	if (r < 0 || routes_signal(err) < 0)
		return -1;
	return routes_forward(b, err);
}

/* The backends of the table in force: their addresses (ports dropped, so a
 * changed http map applies) and which apps are starting. */
static int table_backends(struct route_backends *b, struct strv *addrs, struct strv *apps,
			  struct strv *starting, struct berr *err)
{
	struct strv pids = { 0 };
	autofree char *path = routes_table_path();
	json_t *root, *list, *a, *v;
	const char *name;
	size_t i;

	if (json_file_load(path, &root, err) < 0)
		return -1;
	json_object_foreach(json_object_get(root, "apps"), name, a) {
		if (json_is_true(json_object_get(a, "starting")))
			strv_push(starting, name);
		list = json_object_get(a, "backends");
		json_array_foreach(list, i, v) {
			const char *s = json_string_value(v);

			if (!s)
				continue;
			char *ip = xstrndup(s, strcspn(s, ":"));
			json_t *ns = json_object_get(json_object_get(a, "netns"), ip);

			strv_push_owned(addrs, ip);
			strv_push(apps, name);
			strv_push_owned(&pids, xasprintf("%lld", json_is_integer(ns) ? json_integer_value(ns) : 0));
		}
	}
	json_decref(root);
	b->n = addrs->n;
	b->v = xcalloc(addrs->n + 1, sizeof(*b->v));
	for (i = 0; i < addrs->n; i++) {
		((struct route_backend *)b->v)[i].app = apps->v[i];
		((struct route_backend *)b->v)[i].addr = addrs->v[i];
		((struct route_backend *)b->v)[i].netns = (pid_t)atoll(pids.v[i]);
	}
	strv_free(&pids);
	b->starting = starting;
	return 0;
}

int routes_refresh(struct berr *err)
{
	struct strv addrs = { 0 }, apps = { 0 }, starting = { 0 };
	struct route_backends b = { 0 };
	int r;

	r = table_backends(&b, &addrs, &apps, &starting, err);
	if (r == 0)
		r = routes_write(&b, err);
	free((void *)b.v);
	strv_free(&addrs);
	strv_free(&apps);
	strv_free(&starting);
	return r;
}
