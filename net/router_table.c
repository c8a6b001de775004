/* router_table.c - the router's table: which host on which port goes to which
 * app's backends.
 *
 *   { "version": "42",                       (any string; logged when loaded)
 *     "domain": "apps.example.com",          (APP.<domain> is each app's default vhost)
 *     "apps": { "hello": { "domains": ["hello.example.com"],
 *                          "backends": ["10.88.0.5:5000", "10.88.0.6:5000"],
 *                          "netns": { "10.88.0.5": 4242 },  (a pid in that backend's
 *                                                           network namespace:
 *                                                           router_netns.c)
 *                          "starting": false,
 *                          "ports": { "8081": 6000 },   (more host ports: container port)
 *                          "main": true,                 (served on the main port)
 *                          "vhost": true } } }           (false: no Host routing; the
 *                                                         app answers every Host on its
 *                                                         "ports")
 *
 * The daemon writes the file atomically (temp + rename) and sends SIGHUP; a table
 * that does not load leaves the previous one in force. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/jsonfile.h"
#include "net/router.h"

void rt_table_free(struct rt_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->napps; i++) {
		free(t->apps[i].name);
		free(t->apps[i].backends);
		free(t->apps[i].netns);
		free(t->apps[i].ports);
	}
	for (size_t i = 0; i < t->nhosts; i++)
		free(t->hosts[i]);
	free(t->apps);
	free(t->hosts);
	free(t->host_app);
	free(t->listen);
	free(t->version);
	free(t);
}

static int parse_backend(const char *s, struct sockaddr_in *out)
{
	autofree char *copy = xstrdup(s);
	char *colon = strrchr(copy, ':');
	uint64_t port;
	struct berr err;

	if (!colon)
		return -1;
	*colon = '\0';
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	if (inet_pton(AF_INET, copy, &out->sin_addr) != 1 ||
	    parse_uint(colon + 1, 65535, &port, &err) < 0 || port == 0)
		return -1;
	out->sin_port = htons((uint16_t)port);
	return 0;
}

static void add_host(struct rt_table *t, const char *host, size_t app)
{
	char *h = xstrdup(host);

	for (char *c = h; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c += 'a' - 'A';
	t->hosts = xrealloc(t->hosts, (t->nhosts + 1) * sizeof(*t->hosts));
	t->host_app = xrealloc(t->host_app, (t->nhosts + 1) * sizeof(*t->host_app));
	t->hosts[t->nhosts] = h;
	t->host_app[t->nhosts++] = app;
}

/* A host port other than the main one, listed once in t->listen (sorted). */
static void add_listen(struct rt_table *t, uint16_t port)
{
	size_t i = 0;

	while (i < t->nlisten && t->listen[i] < port)
		i++;
	if (i < t->nlisten && t->listen[i] == port)
		return;
	t->listen = xrealloc(t->listen, (t->nlisten + 1) * sizeof(*t->listen));
	memmove(t->listen + i + 1, t->listen + i, (t->nlisten - i) * sizeof(*t->listen));
	t->listen[i] = port;
	t->nlisten++;
}

static int load_ports(struct rt_table *t, struct rt_app *app, json_t *ports, struct berr *err)
{
	const char *key;
	json_t *v;

	if (!ports)
		return 0;
	if (!json_is_object(ports))
		return berr_fail(err, "app %s: ports must map \"HOST-PORT\" to a container port", app->name);
	app->ports = xcalloc(json_object_size(ports) + 1, sizeof(*app->ports));
	json_object_foreach(ports, key, v) {
		uint64_t host;
		struct berr ignored;

		if (parse_uint(key, 65535, &host, &ignored) < 0 || host == 0 || !json_is_integer(v) ||
		    json_integer_value(v) < 1 || json_integer_value(v) > 65535)
			return berr_fail(err, "app %s: port %s: use \"HOST-PORT\": CONTAINER-PORT", app->name, key);
		if (host == t->main_port)
			continue;  /* the main port is "main" */
		app->ports[app->nports++] = (struct rt_port){ (uint16_t)host, (uint16_t)json_integer_value(v) };
		add_listen(t, (uint16_t)host);
	}
	return 0;
}

/* "netns": { "IP": PID }: where to make each backend's upstream sockets. */
static int load_netns(struct rt_app *app, json_t *ns, struct berr *err)
{
	app->netns = xcalloc(app->nbackends + 1, sizeof(*app->netns));
	if (!ns)
		return 0;
	if (!json_is_object(ns))
		return berr_fail(err, "app %s: netns must map \"IPv4\" to a pid", app->name);
	for (size_t i = 0; i < app->nbackends; i++) {
		char ip[INET_ADDRSTRLEN];
		json_t *v;

		inet_ntop(AF_INET, &app->backends[i].sin_addr, ip, sizeof(ip));
		v = json_object_get(ns, ip);
		if (!v)
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 0x3fffffff)
			return berr_fail(err, "app %s: netns of %s is not a pid", app->name, ip);
		app->netns[i] = (pid_t)json_integer_value(v);
	}
	return 0;
}

static int load_app(struct rt_table *t, const char *domain, const char *name, json_t *a,
		    struct berr *err)
{
	struct rt_app *app;
	json_t *list, *v;
	size_t i, idx = t->napps;

	if (!json_is_object(a))
		return berr_fail(err, "app %s: not an object", name);
	t->apps = xrealloc(t->apps, (t->napps + 1) * sizeof(*t->apps));
	app = &t->apps[t->napps++];
	memset(app, 0, sizeof(*app));
	app->name = xstrdup(name);
	app->starting = json_is_true(json_object_get(a, "starting"));
	app->main = !json_is_false(json_object_get(a, "main"));
	app->vhost = !json_is_false(json_object_get(a, "vhost"));
	if (load_ports(t, app, json_object_get(a, "ports"), err) < 0)
		return -1;
	list = json_object_get(a, "backends");
	if (list && !json_is_array(list))
		return berr_fail(err, "app %s: backends must be a list of \"ADDR:PORT\"", name);
	app->backends = xcalloc(json_array_size(list) + 1, sizeof(*app->backends));
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || parse_backend(json_string_value(v), &app->backends[i]) < 0)
			return berr_fail(err, "app %s: backend %zu is not \"IPv4:PORT\"", name, i);
		app->nbackends++;
	}
	if (load_netns(app, json_object_get(a, "netns"), err) < 0)
		return -1;
	if (!app->vhost)
		return 0;  /* domains:disable: no name routes to it */
	if (domain && *domain) {
		autofree char *vhost = xasprintf("%s.%s", name, domain);

		add_host(t, vhost, idx);
	}
	list = json_object_get(a, "domains");
	if (list && !json_is_array(list))
		return berr_fail(err, "app %s: domains must be a list of names", name);
	json_array_foreach(list, i, v) {
		if (!json_is_string(v))
			return berr_fail(err, "app %s: domain %zu is not a string", name, i);
		add_host(t, json_string_value(v), idx);
	}
	return 0;
}

int rt_table_load(const char *path, uint16_t main_port, struct rt_table **out, struct berr *err)
{
	json_t *root = NULL, *apps, *a;
	const char *name, *domain;
	struct rt_table *t;

	if (json_file_load(path, &root, err) < 0)
		return -1;
	if (!root)
		return berr_fail(err, "router table %s does not exist", path);
	t = xcalloc(1, sizeof(*t));
	t->main_port = main_port;
	domain = json_get_str(root, "domain");
	t->version = xstrdup(json_get_str(root, "version") ? json_get_str(root, "version") : "-");
	apps = json_object_get(root, "apps");
	if (apps && !json_is_object(apps)) {
		berr_fail(err, "router table %s: apps must be an object", path);
		goto fail;
	}
	json_object_foreach(apps, name, a) {
		if (load_app(t, domain, name, a, err) < 0) {
			berr_prefix(err, "router table %s", path);
			goto fail;
		}
	}
	json_decref(root);
	*out = t;
	return 0;
fail:
	json_decref(root);
	rt_table_free(t);
	return -1;
}

static bool serves(const struct rt_app *a, uint16_t port)
{
	if (port == 0)
		return a->main;
	return rt_app_port(a, port) != 0;
}

uint16_t rt_app_port(const struct rt_app *a, uint16_t port)
{
	for (size_t i = 0; i < a->nports; i++)
		if (a->ports[i].host == port)
			return a->ports[i].container;
	return 0;
}

struct rt_app *rt_table_find(struct rt_table *t, uint16_t port, const char *host, size_t len)
{
	const char *colon;

	if (!t)
		return NULL;
	if (port == t->main_port)
		port = 0;
	/* "name:port" -> "name"; an IPv6 literal "[...]:port" keeps its brackets. */
	colon = memrchr(host, ':', len);
	if (colon && !memchr(colon, ']', len - (colon - host)))
		len = colon - host;
	while (len && host[len - 1] == '.')
		len--;  /* "example.com." is "example.com" */
	for (size_t i = 0; i < t->nhosts; i++)
		if (strlen(t->hosts[i]) == len && !strncasecmp(t->hosts[i], host, len) &&
		    serves(&t->apps[t->host_app[i]], port))
			return &t->apps[t->host_app[i]];
	/* "*.example.com" (domains:add) answers for any name under example.com
	 * that no exact entry claims. */
	for (size_t i = 0; i < t->nhosts; i++) {
		const char *h = t->hosts[i];
		size_t slen = strlen(h) - 1;  /* ".example.com" */

		if (h[0] == '*' && h[1] == '.' && len > slen &&
		    !strncasecmp(h + 1, host + len - slen, slen) && serves(&t->apps[t->host_app[i]], port))
			return &t->apps[t->host_app[i]];
	}
	/* An app without vhosts (domains:disable) answers any name on its own ports. */
	for (size_t i = 0; port && i < t->napps; i++)
		if (!t->apps[i].vhost && serves(&t->apps[i], port))
			return &t->apps[i];
	return NULL;
}
