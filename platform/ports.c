/* ports.c - an app's port maps (ports:*), "SCHEME:HOST-PORT:CONTAINER-PORT".
 *
 * http maps feed the router: the container port is where the app's web
 * processes listen (their PORT), the host port the router's. tcp maps are
 * forwarded as they are by the TCP port forwarder (net/forward.c). Stored in
 * the app's settings.json ("ports"); none stored means the detected default,
 * http:80:5000, as for a buildpack app in Dokku. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "net/net.h"
#include "platform/internal.h"

#define PORTS_DEFAULT "http:80:5000"

static const char *const schemes[] = { "http", "https", "grpc", "grpcs", "tcp", "udp", NULL };

int port_map_parse(const char *spec, struct port_map *pm, struct berr *err)
{
	autofree char *copy = xstrdup(spec);
	char *parts[4] = { 0 };
	size_t n = 0;
	uint64_t host, container;
	struct berr ignored;
	bool known = false;

	for (char *p = copy, *tok; n < 4 && (tok = strsep(&p, ":")); )
		parts[n++] = tok;
	if (n != 3)
		return berr_fail(err, "Invalid port map %s [len=%zu]", spec, n);
	for (size_t i = 0; schemes[i]; i++)
		known |= strcmp(parts[0], schemes[i]) == 0;
	if (!known)
		return berr_fail(err, "Invalid port map %s [scheme=%s]: use http, https, grpc, grpcs, tcp or udp",
				 spec, parts[0]);
	if (parse_uint(parts[1], 65535, &host, &ignored) < 0 || host == 0)
		return berr_fail(err, "Invalid port map %s [hostPort=%s]", spec, parts[1]);
	if (parse_uint(parts[2], 65535, &container, &ignored) < 0 || container == 0)
		return berr_fail(err, "Invalid port map %s [containerPort=%s]", spec, parts[2]);
	snprintf(pm->scheme, sizeof(pm->scheme), "%s", parts[0]);
	pm->host_port = (unsigned)host;
	pm->container_port = (unsigned)container;
	return 0;
}

char *port_map_format(const struct port_map *pm)
{
	return xasprintf("%s:%u:%u", pm->scheme, pm->host_port, pm->container_port);
}

const char *ports_detected(void)
{
	return PORTS_DEFAULT;
}

int ports_effective(const struct app_settings *s, struct port_maps *out, struct berr *err)
{
	struct strv def = { 0 };
	const struct strv *list = &s->ports;
	int r = 0;

	out->v = NULL;
	out->n = 0;
	if (!list->n) {
		strv_push(&def, PORTS_DEFAULT);
		list = &def;
	}
	out->v = xcalloc(list->n + 1, sizeof(*out->v));
	for (size_t i = 0; i < list->n && r == 0; i++)
		if ((r = port_map_parse(list->v[i], &out->v[i], err)) == 0)
			out->n++;
	strv_free(&def);
	return r;
}

/* One SCHEME:HOST-PORT per list, as Dokku checks ("reused"). */
static int check_unique(const struct strv *list, struct berr *err)
{
	for (size_t i = 0; i < list->n; i++) {
		struct port_map a, b;

		if (port_map_parse(list->v[i], &a, err) < 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (port_map_parse(list->v[j], &b, err) < 0)
				return -1;
			if (strcmp(a.scheme, b.scheme) == 0 && a.host_port == b.host_port)
				return berr_fail(err, "The same scheme:host-port is being reused: %s:%u",
						 a.scheme, a.host_port);
			/* A tcp map owns the host's TCP port: the router's schemes may not
			 * share it (udp may: another protocol). */
			if (a.host_port == b.host_port && (!strcmp(a.scheme, "tcp") || !strcmp(b.scheme, "tcp")) &&
			    strcmp(a.scheme, "udp") && strcmp(b.scheme, "udp"))
				return berr_fail(err, "Host port %u is used by %s:%u:%u already", a.host_port,
						 b.scheme, b.host_port, b.container_port);
		}
	}
	return 0;
}

/* Given maps, checked and normalised ("http:080:5000" is "http:80:5000"). */
static int maps_checked(const struct strv *given, struct strv *out, struct berr *err)
{
	if (!given->n)
		return berr_fail(err, "No port mapping specified");
	for (size_t i = 0; i < given->n; i++) {
		struct port_map pm;

		if (port_map_parse(given->v[i], &pm, err) < 0) {
			strv_free(out);
			return -1;
		}
		strv_push_owned(out, port_map_format(&pm));
	}
	return 0;
}

enum ports_op { P_ADD, P_SET, P_REMOVE, P_CLEAR };
struct ports_edit {
	enum ports_op op;
	const struct strv *given;   /* checked maps, or for P_REMOVE host ports / maps */
	const char *app;
};

static bool forwarded(const struct port_map *pm)
{
	return !strcmp(pm->scheme, "tcp") || !strcmp(pm->scheme, "udp");
}

/* Something on this host listens on the port (tcp) or is bound to it (udp), on
 * any address: /proc/net/{tcp,udp}{,6} of the host's network namespace. */
static bool host_port_busy(const char *proto, unsigned port)
{
	const char *want_state = !strcmp(proto, "tcp") ? "0A" : "07";

	for (int v6 = 0; v6 < 2; v6++) {
		autofree char *path = xasprintf("/proc/net/%s%s", proto, v6 ? "6" : "");
		autofree char *text = NULL;
		struct berr ignored;
		size_t len;

		if (read_file(path, &text, &len, &ignored) < 0)
			continue;
		for (char *line = strchr(text, '\n'); line && *++line; line = strchr(line, '\n')) {
			char local[64], remote[64], st[8];
			const char *colon;

			if (sscanf(line, "%*s %63s %63s %7s", local, remote, st) != 3 || strcmp(st, want_state))
				continue;
			if ((colon = strrchr(local, ':')) && strtoul(colon + 1, NULL, 16) == port)
				return true;
		}
	}
	return false;
}

/* A new tcp/udp map takes a host port for the whole host: not the router's,
 * not one a host service uses, not one another app forwards or serves over
 * http. A new http map off the router's main port makes the router listen on
 * its host port: not one a host service uses (unless the router listens there
 * already for another app), not one an app forwards. */
static int host_port_check(const char *app, const struct port_map *pm, struct berr *err)
{
	struct net_config cfg;
	struct strv apps = { 0 };
	const char *colon;
	unsigned main_port;
	bool http = !strcmp(pm->scheme, "http"), routed = false;
	int r = 0;

	if (net_config_load(&cfg, err) < 0)
		return -1;
	colon = strrchr(cfg.http_addr, ':');
	main_port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 80;
	if (http && (pm->host_port == main_port || pm->host_port == 80))
		return 0;
	if (!strcmp(pm->scheme, "tcp") && pm->host_port == main_port)
		return berr_fail(err, "Host port %u is the router's (BERTH_HTTP_ADDR): use an http map", pm->host_port);
	if (app_list(&apps, err) < 0)
		return -1;
	for (size_t i = 0; i < apps.n && r == 0; i++) {
		struct app_settings other;
		struct berr ignored;

		if (!strcmp(apps.v[i], app) || app_settings_load(apps.v[i], &other, &ignored) < 0)
			continue;
		for (size_t j = 0; j < other.ports.n && r == 0; j++) {
			struct port_map o;
			bool o_http;

			if (port_map_parse(other.ports.v[j], &o, &ignored) < 0 || o.host_port != pm->host_port)
				continue;
			o_http = !strcmp(o.scheme, "http");
			if (http && o_http)
				routed = true;  /* the router listens there already: shared by Host */
			else if (!strcmp(o.scheme, pm->scheme))
				r = berr_fail(err, "Host port %s/%u is forwarded to app %s already", pm->scheme,
					      pm->host_port, apps.v[i]);
			else if ((http && !strcmp(o.scheme, "tcp")) || (o_http && !strcmp(pm->scheme, "tcp")))
				r = berr_fail(err, "Host port %u is used by app %s (%s:%u:%u) already", pm->host_port,
					      apps.v[i], o.scheme, o.host_port, o.container_port);
		}
		app_settings_free(&other);
	}
	strv_free(&apps);
	if (r == 0 && !routed && host_port_busy(http ? "tcp" : pm->scheme, pm->host_port))
		r = berr_fail(err, "Host port %s/%u is in use by a service on this host", http ? "tcp" : pm->scheme,
			      pm->host_port);
	return r;
}

/* A remove argument: "8080" or "http:8080" (every map of that host port and
 * scheme) or a whole map. */
static bool remove_matches(const char *arg, const struct port_map *pm)
{
	autofree char *full = port_map_format(pm);
	autofree char *scheme_host = xasprintf("%s:%u", pm->scheme, pm->host_port);
	autofree char *host = xasprintf("%u", pm->host_port);

	return !strcmp(arg, full) || !strcmp(arg, scheme_host) || !strcmp(arg, host);
}

/* What ports:remove takes: 8080, http:8080 or http:8080:5000. */
static bool removal_valid(const char *arg)
{
	const char *colon = strchr(arg, ':');
	struct port_map pm;
	struct berr ignored;
	uint64_t port;

	if (colon && strchr(colon + 1, ':'))
		return port_map_parse(arg, &pm, &ignored) == 0;
	if (colon) {
		if (colon == arg || strspn(arg, "abcdefghijklmnopqrstuvwxyz") != (size_t)(colon - arg))
			return false;
		arg = colon + 1;
	}
	return parse_uint(arg, 65535, &port, &ignored) == 0 && port > 0;
}

static int ports_apply(struct app_settings *s, void *ctx, struct berr *err)
{
	struct ports_edit *e = ctx;
	struct strv next = { 0 };

	switch (e->op) {
	case P_ADD:
		for (size_t i = 0; i < s->ports.n; i++)
			strv_push(&next, s->ports.v[i]);
		/* fall through */
	case P_SET:
		for (size_t i = 0; i < e->given->n; i++) {
			struct port_map pm;
			bool had = false;

			for (size_t j = 0; j < s->ports.n && !had; j++)
				had = !strcmp(s->ports.v[j], e->given->v[i]);
			if (!had && port_map_parse(e->given->v[i], &pm, err) == 0 &&
			    (forwarded(&pm) || !strcmp(pm.scheme, "http")) &&
			    host_port_check(e->app, &pm, err) < 0) {
				strv_free(&next);
				return -1;
			}
			strv_push(&next, e->given->v[i]);
		}
		if (check_unique(&next, err) < 0) {
			strv_free(&next);
			return berr_prefix(err, "Error validating port mappings");
		}
		strv_sort(&next);
		break;
	case P_REMOVE:
		for (size_t i = 0; i < s->ports.n; i++) {
			struct port_map pm;
			bool drop = false;

			if (port_map_parse(s->ports.v[i], &pm, err) < 0) {
				strv_free(&next);
				return -1;
			}
			for (size_t j = 0; j < e->given->n && !drop; j++)
				drop = remove_matches(e->given->v[j], &pm);
			if (!drop)
				strv_push(&next, s->ports.v[i]);
		}
		break;
	case P_CLEAR:
		break;
	}
	strv_free(&s->ports);
	s->ports = next;
	return 0;
}

static int ports_op(struct app *app, enum ports_op op, const struct strv *given, struct berr *err)
{
	struct strv checked = { 0 };
	struct ports_edit e = { op, &checked, app->name };
	int r;

	if ((op == P_ADD || op == P_SET) && maps_checked(given, &checked, err) < 0)
		return -1;
	if (op == P_REMOVE) {
		if (!given->n)
			return berr_fail(err, "No port mapping specified");
		for (size_t i = 0; i < given->n; i++)
			if (!removal_valid(given->v[i]))
				return berr_fail(err, "Invalid port mapping specified: '%s' (a host port, "
						 "scheme:host-port or scheme:host-port:container-port)",
						 given->v[i]);
		e.given = given;
	}
	r = app_settings_edit(app, ports_apply, &e, err);
	strv_free(&checked);
	return r;
}

int ports_add(struct app *app, const struct strv *maps, struct berr *err)
{
	return ports_op(app, P_ADD, maps, err);
}

int ports_set(struct app *app, const struct strv *maps, struct berr *err)
{
	return ports_op(app, P_SET, maps, err);
}

int ports_remove(struct app *app, const struct strv *what, struct berr *err)
{
	return ports_op(app, P_REMOVE, what, err);
}

int ports_clear(struct app *app, struct berr *err)
{
	return ports_op(app, P_CLEAR, NULL, err);
}

void port_maps_free(struct port_maps *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
}
