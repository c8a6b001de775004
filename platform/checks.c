/* checks.c - what a deploy checks before a release gets traffic: app.json's
 * `healthchecks` (Dokku's schema) or the legacy CHECKS file, read from the source
 * at deploy time and kept with the release in a normal form; and the app's
 * checks:* settings (checks.json, global ones in settings.json). The daemon
 * runs the checks (checks_probe.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "platform/checks.h"
#include "platform/platform.h"

#define APP_JSON_MAX (1u << 20)

/* Dokku's defaults for an app.json entry, and for the CHECKS file. */
#define DEF_ATTEMPTS 3
#define DEF_TIMEOUT 5
#define DEF_WAIT 5
#define LEGACY_ATTEMPTS 5
#define LEGACY_TIMEOUT 30
#define LEGACY_WAIT 5
/* berth's default web check: polled this often, then this long alive. */
#define LISTEN_SETTLE_MS 150

static char *str_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

void checks_free(struct checks *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].path);
		free(c->v[i].content);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static struct check *checks_add(struct checks *c)
{
	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
	return &c->v[c->n++];
}

/* A number given as a JSON integer or a string of digits; -1 when absent. */
static int json_num(const json_t *o, const char *key, long long *v, struct berr *err,
		    const char *where)
{
	json_t *j = json_object_get(o, key);
	uint64_t n;

	*v = -1;
	if (!j || json_is_null(j))
		return 0;
	if (json_is_integer(j) && json_integer_value(j) >= 0 && json_integer_value(j) <= 86400) {
		*v = json_integer_value(j);
		return 0;
	}
	if (json_is_string(j) && parse_uint(json_string_value(j), 86400, &n, err) == 0) {
		*v = (long long)n;
		return 0;
	}
	return berr_fail(err, "%s: '%s' must be a number of seconds (or a count) up to 86400", where,
			 key);
}

char *check_describe(const struct check *c)
{
	if (c->listening)
		return xasprintf("name='%s' port=%u timeout=%u", c->name, c->port, c->timeout);
	if (!c->path)
		return xasprintf("name='%s' uptime=%u", c->name, c->uptime);
	return xasprintf("name='%s' path='%s' attempts=%u timeout=%u wait=%u%s%s%s", c->name, c->path,
			 c->attempts, c->timeout, c->wait, c->content ? " content='" : "",
			 c->content ? c->content : "", c->content ? "'" : "");
}

int checks_for(const char *healthchecks, const char *type, enum check_kind kind,
	       unsigned default_wait, struct checks *out, struct berr *err)
{
	json_t *root = NULL, *list, *e;
	json_error_t jerr;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (healthchecks) {
		root = json_loads(healthchecks, 0, &jerr);
		if (!json_is_object(root)) {
			json_decref(root);
			return berr_fail(err, "the release's healthchecks are not valid JSON");
		}
	}
	list = root ? json_object_get(root, type) : NULL;
	json_array_foreach(list, i, e) {
		const char *t = json_get_str(e, "type");
		enum check_kind k = t && !strcmp(t, "liveness") ? CHECK_LIVENESS : CHECK_STARTUP;
		const char *path = json_get_str(e, "path"), *content = json_get_str(e, "content");
		long long uptime = json_integer_value(json_object_get(e, "uptime"));
		struct check *c;

		if (k != kind)
			continue;
		c = checks_add(out);
		c->kind = k;
		c->path = path ? xstrdup(path) : (uptime > 0 ? NULL : xstrdup("/"));
		c->content = content && *content ? xstrdup(content) : NULL;
		c->port = (unsigned)json_get_int(e, "port", 0);
		c->attempts = (unsigned)json_get_int(e, "attempts", DEF_ATTEMPTS);
		c->timeout = (unsigned)json_get_int(e, "timeout", DEF_TIMEOUT);
		c->wait = (unsigned)json_get_int(e, "wait", DEF_WAIT);
		c->initial_delay = (unsigned)json_get_int(e, "initialDelay", 0);
		c->uptime = uptime > 0 ? (unsigned)uptime : 0;
		if (c->attempts == 0)
			c->attempts = 1;
		if (c->timeout == 0)
			c->timeout = 1;
		c->name = json_get_str(e, "name") ? xstrdup(json_get_str(e, "name"))
			  : c->path ? xasprintf("%s check %s", k == CHECK_LIVENESS ? "liveness" : "startup", c->path)
			  : xstrdup("uptime check");
	}
	json_decref(root);
	if (out->n == 0 && kind == CHECK_STARTUP && !strcmp(type, "web")) {
		struct check *c = checks_add(out);

		c->kind = CHECK_STARTUP;
		c->listening = true;
		c->name = xstrdup("port listening check");
		c->attempts = 1;
		c->timeout = default_wait;
		c->uptime = 0;
		c->wait = LISTEN_SETTLE_MS;  /* milliseconds for this one */
	}
	return 0;
}

/* One app.json entry into the normal form, checked. */
static int entry_normalize(json_t *e, const char *where, json_t **out, struct berr *err)
{
	static const char *const nums[] = { "attempts", "timeout", "wait", "initialDelay", "port",
					    "uptime" };
	const char *type = json_get_str(e, "type");
	json_t *n;

	if (!json_is_object(e))
		return berr_fail(err, "%s: each healthcheck is an object", where);
	if (type && *type && strcmp(type, "startup") && strcmp(type, "readiness") &&
	    strcmp(type, "liveness"))
		return berr_fail(err, "%s: unknown type '%s' (startup, readiness or liveness)", where,
				 type);
	n = json_object();
	json_object_set_new(n, "type", json_string(type && !strcmp(type, "liveness") ? "liveness"
									       : "startup"));
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
		long long v;

		if (json_num(e, nums[i], &v, err, where) < 0) {
			json_decref(n);
			return -1;
		}
		if (v >= 0)
			json_object_set_new(n, nums[i], json_integer(v));
	}
	if (json_get_int(n, "port", 1) == 0 || json_get_int(n, "port", 1) > 65535) {
		json_decref(n);
		return berr_fail(err, "%s: port must be from 1 to 65535", where);
	}
	for (const char *const *k = (const char *const[]){ "name", "path", "content", NULL }; *k; k++) {
		json_t *v = json_object_get(e, *k);

		if (v && !json_is_string(v)) {
			json_decref(n);
			return berr_fail(err, "%s: '%s' must be a string", where, *k);
		}
		if (v)
			json_object_set(n, *k, v);
	}
	if (json_get_str(n, "path") && json_get_str(n, "path")[0] != '/') {
		json_decref(n);
		return berr_fail(err, "%s: path must start with '/'", where);
	}
	*out = n;
	return 0;
}

static int app_json_checks(const char *text, size_t len, const struct sink *sink, json_t **out,
			   struct berr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr), *hc, *list;
	const char *type;
	int r = 0;

	*out = NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return berr_fail(err, "app.json is not valid JSON (line %d: %s)", jerr.line, jerr.text);
	}
	hc = json_object_get(root, "healthchecks");
	if (!hc) {
		json_decref(root);
		return 0;
	}
	if (!json_is_object(hc)) {
		json_decref(root);
		return berr_fail(err, "app.json: healthchecks must be an object of process types");
	}
	*out = json_object();
	json_object_foreach(hc, type, list) {
		json_t *norm = json_array(), *e;
		size_t i;

		if (!json_is_array(list)) {
			r = berr_fail(err, "app.json: healthchecks.%s must be an array", type);
			json_decref(norm);
			break;
		}
		json_array_foreach(list, i, e) {
			autofree char *where = xasprintf("app.json healthchecks.%s[%zu]", type, i);
			json_t *n = NULL;

			if (json_object_get(e, "command"))
				sink_warn(sink, "%s: command checks are not supported; ignored", where);
			if ((r = entry_normalize(e, where, &n, err)) < 0)
				break;
			if (json_object_get(e, "command") && !json_object_get(e, "path"))
				json_decref(n);
			else
				json_array_append_new(norm, n);
		}
		json_object_set_new(*out, type, norm);
		if (r < 0)
			break;
	}
	json_decref(root);
	if (r < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

/* The CHECKS file: WAIT=, TIMEOUT=, ATTEMPTS= lines and "/path expected content"
 * lines; # starts a comment. Each path is a startup check of web. */
static int checks_file(char *text, const struct sink *sink, json_t **out, struct berr *err)
{
	long long wait = LEGACY_WAIT, timeout = LEGACY_TIMEOUT, attempts = LEGACY_ATTEMPTS;
	json_t *list = json_array();
	char *save = NULL;
	unsigned lineno = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *eq;

		lineno++;
		if (hash)
			*hash = 0;
		line = str_trim(line);
		if (!*line)
			continue;
		if ((eq = strchr(line, '=')) && line[0] != '/') {
			uint64_t v;
			long long *dst = !strncmp(line, "WAIT=", 5) ? &wait
					 : !strncmp(line, "TIMEOUT=", 8) ? &timeout
					 : !strncmp(line, "ATTEMPTS=", 9) ? &attempts : NULL;

			if (!dst || parse_uint(str_trim(eq + 1), 86400, &v, err) < 0) {
				json_decref(list);
				return berr_fail(err, "CHECKS line %u: expected WAIT=, TIMEOUT= or ATTEMPTS= "
						 "with a number, got '%s'", lineno, line);
			}
			*dst = (long long)v;
			continue;
		}
		if (line[0] != '/' || line[1] == '/') {
			sink_warn(sink, "CHECKS line %u: only paths starting with / are checked: '%s'",
				  lineno, line);
			continue;
		}
		size_t plen = strcspn(line, " \t");
		char *content = str_trim(line + plen);
		json_t *e = json_object();

		json_object_set_new(e, "type", json_string("startup"));
		json_object_set_new(e, "path", json_stringn(line, plen));
		if (*content)
			json_object_set_new(e, "content", json_string(content));
		json_array_append_new(list, e);
	}
	/* WAIT is the wait before the first try and between tries. */
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);

		json_object_set_new(e, "initialDelay", json_integer(wait));
		json_object_set_new(e, "wait", json_integer(wait));
		json_object_set_new(e, "timeout", json_integer(timeout ? timeout : 1));
		json_object_set_new(e, "attempts", json_integer(attempts ? attempts : 1));
	}
	*out = json_pack("{s:o}", "web", list);
	return 0;
}

int checks_from_source(const char *source_layer, const struct sink *sink, char **json,
		       struct berr *err)
{
	autofree char *text = NULL;
	json_t *hc = NULL;
	size_t len = 0;
	int found;

	*json = NULL;
	found = layers_read_file(source_layer, "app/app.json", "app.json", APP_JSON_MAX, &text, &len, err);
	if (found < 0)
		return -1;
	if (found && app_json_checks(text, len, sink, &hc, err) < 0)
		return -1;
	if (!hc) {
		free(text);
		text = NULL;
		found = layers_read_file(source_layer, "app/CHECKS", "CHECKS", APP_JSON_MAX, &text, &len, err);
		if (found < 0)
			return -1;
		if (found) {
			sink_warn(sink, "Deprecated: Usage of the CHECKS file is deprecated in favor of healthchecks in app.json");
			if (checks_file(text, sink, &hc, err) < 0)
				return -1;
		}
	}
	if (hc)
		*json = json_dumps(hc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(hc);
	return 0;
}

/* Settings */

static const char *const property_keys[] = { "wait-to-retire", "default-wait", "wait", "timeout",
					     "attempts" };

void checks_settings_free(struct checks_settings *s)
{
	free(s->disabled);
	free(s->skipped);
	free(s->wait_to_retire);
	free(s->wait);
	free(s->timeout);
	free(s->attempts);
	memset(s, 0, sizeof(*s));
}

static char *get_or_null(const json_t *o, const char *key)
{
	const char *v = o ? json_get_str(o, key) : NULL;

	return v && *v ? xstrdup(v) : NULL;
}

int checks_settings_load(const char *app, struct checks_settings *s, struct berr *err)
{
	autofree char *path = app_path(app, "checks.json");
	json_t *obj = NULL;

	memset(s, 0, sizeof(*s));
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	s->disabled = get_or_null(obj, "disabled");
	s->skipped = get_or_null(obj, "skipped");
	s->wait_to_retire = get_or_null(obj, "wait-to-retire");
	s->wait = get_or_null(obj, "wait");
	s->timeout = get_or_null(obj, "timeout");
	s->attempts = get_or_null(obj, "attempts");
	json_decref(obj);
	return 0;
}

static bool list_has(const char *list, const char *type)
{
	char buf[512];
	char *save = NULL;

	if (!list)
		return false;
	if (!strcmp(list, "_all_"))
		return true;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (!strcmp(w, type))
			return true;
	return false;
}

bool checks_type_disabled(const struct checks_settings *s, const char *type)
{
	return list_has(s->disabled, type);
}

bool checks_type_skipped(const struct checks_settings *s, const char *type)
{
	return list_has(s->skipped, type);
}

/* list with word added (add) or removed, comma-separated; NULL when empty. */
static char *list_edit(const char *list, const char *word, bool add)
{
	char buf[512] = "";
	char copy[512];
	char *save = NULL;
	bool there = false;

	snprintf(copy, sizeof(copy), "%s", list ? list : "");
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if ((add && !strcmp(w, "_all_")) || (!add && !strcmp(w, word)))
			continue;
		there |= !strcmp(w, word);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", *buf ? "," : "", w);
	}
	if (add && !there)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", *buf ? "," : "", word);
	return *buf ? xstrdup(buf) : NULL;
}

static void set_or_delete(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
	else
		json_object_del(obj, key);
}

/* One read-modify-write of the app's checks.json under its state lock. */
static int settings_edit(const char *app, int (*edit)(json_t *obj, void *ctx, struct berr *err),
			 void *ctx, struct berr *err)
{
	struct app a;
	json_t *obj = NULL;
	int r = -1;

	if (app_open(app, APP_LOCKED, &a, err) < 0)
		return -1;
	{
		autofree char *path = app_path(app, "checks.json");

		if (json_file_load(path, &obj, err) < 0)
			goto out;
	}
	if (!obj)
		obj = json_object();
	if (edit(obj, ctx, err) < 0)
		goto out;
	r = json_file_save_at(a.dirfd, "checks.json", obj, err);
out:
	json_decref(obj);
	app_close(&a);
	return r;
}

struct mode_ctx {
	const char *mode, *types;
};

static int mode_edit(json_t *obj, void *ctx, struct berr *err)
{
	const struct mode_ctx *m = ctx;
	/* disable: types go to "disabled" and leave "skipped"; skip the reverse;
	 * enable leaves both. */
	const char *to = !strcmp(m->mode, "disable") ? "disabled" : !strcmp(m->mode, "skip") ? "skipped" : NULL;
	const char *from = to && !strcmp(to, "disabled") ? "skipped" : "disabled";
	char buf[512];
	char *save = NULL;

	(void)err;
	if (!m->types) {
		json_object_del(obj, "disabled");
		json_object_del(obj, "skipped");
		if (to)
			json_object_set_new(obj, to, json_string("_all_"));
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", m->types);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		autofree char *a = NULL;
		autofree char *b = NULL;

		if (to) {
			a = list_edit(json_get_str(obj, to), w, true);
			b = list_edit(json_get_str(obj, from), w, false);
			set_or_delete(obj, to, a);
			set_or_delete(obj, from, b);
		} else {
			a = list_edit(json_get_str(obj, "disabled"), w, false);
			b = list_edit(json_get_str(obj, "skipped"), w, false);
			set_or_delete(obj, "disabled", a);
			set_or_delete(obj, "skipped", b);
		}
	}
	return 0;
}

int checks_set_mode(const char *app, const char *mode, const char *types, struct berr *err)
{
	struct mode_ctx m = { mode, types };

	if (types) {
		for (const char *p = types; *p; p++)
			if (!(*p == ',' || *p == '-' || *p == '_' || (*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
				return berr_fail(err, "Invalid process type list '%s': names separated by commas",
						 types);
		if (strlen(types) > 400)
			return berr_fail(err, "Invalid process type list: too long");
	}
	return settings_edit(app, mode_edit, &m, err);
}

struct prop_ctx {
	const char *key, *value;
};

static int prop_edit(json_t *obj, void *ctx, struct berr *err)
{
	const struct prop_ctx *p = ctx;

	(void)err;
	set_or_delete(obj, p->key, p->value);
	return 0;
}

int checks_property_set(const char *app, const char *key, const char *value, struct berr *err)
{
	bool known = false;
	uint64_t n;

	for (size_t i = 0; i < ARRAY_SIZE(property_keys); i++)
		known |= !strcmp(key, property_keys[i]);
	if (!known || (app && !strcmp(key, "default-wait")))
		return berr_fail(err, "Invalid key specified, valid keys include: wait-to-retire%s",
				 app ? ", wait, timeout, attempts" : ", default-wait, wait, timeout, attempts");
	if (value && parse_uint(value, 86400, &n, err) < 0)
		return berr_fail(err, "Invalid value for %s: '%s' (a number of seconds up to 86400)", key,
				 value);
	if (!app) {
		autofree char *gkey = xasprintf("checks-%s", key);

		return global_setting_set(gkey, value, err);
	}
	struct prop_ctx p = { key, value };

	return settings_edit(app, prop_edit, &p, err);
}

char *checks_global_get(const char *key)
{
	autofree char *gkey = xasprintf("checks-%s", key);
	struct berr err;
	char *v = NULL;

	if (global_setting_get(gkey, &v, &err) < 0)
		return NULL;
	if (v && !*v) {
		free(v);
		return NULL;
	}
	return v;
}

static unsigned number_or(const char *text, unsigned def)
{
	uint64_t n;
	struct berr err;

	return text && parse_uint(text, 86400, &n, &err) == 0 ? (unsigned)n : def;
}

unsigned checks_wait_to_retire(const char *app)
{
	struct checks_settings s;
	struct berr err;
	unsigned v;

	if (checks_settings_load(app, &s, &err) == 0 && s.wait_to_retire) {
		v = number_or(s.wait_to_retire, CHECKS_DEFAULT_WAIT_TO_RETIRE);
		checks_settings_free(&s);
		return v;
	}
	checks_settings_free(&s);
	autofree char *g = checks_global_get("wait-to-retire");

	return number_or(g, CHECKS_DEFAULT_WAIT_TO_RETIRE);
}

unsigned checks_default_wait(void)
{
	autofree char *g = checks_global_get("default-wait");

	return number_or(g, CHECKS_DEFAULT_DEFAULT_WAIT);
}

int check_response(const struct check *c, const char *buf, char **why)
{
	const char *body = strstr(buf, "\r\n\r\n");
	int status = 0;

	*why = NULL;
	if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1)
		*why = xasprintf("no HTTP response from %s", c->path);
	else if (status < 200 || status >= 400)
		*why = xasprintf("%s answered with status %d", c->path, status);
	else if (c->content && (!body || !strstr(body + 4, c->content)))
		*why = xasprintf("%s answered without the expected content '%s'", c->path, c->content);
	return *why ? -1 : 0;
}

char *check_request(const struct check *c, const char *host)
{
	return xasprintf("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: berth-checks\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n", c->path, host ? host : "localhost");
}

/* One try, blocking, each step within the check's timeout. */
static int probe_once(const struct check *c, const struct sockaddr_in *sa, const char *host,
		      char **why)
{
	autoclose int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd p = { .fd = fd };
	int ms = (c->listening ? 1 : c->timeout) * 1000, soerr = 0;
	socklen_t len = sizeof(soerr);
	autofree char *req = NULL;
	autofree char *buf = NULL;
	size_t n = 0, off = 0;

	if (fd < 0)
		return *why = xasprintf("socket: %s", strerror(errno)), -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS)
		return *why = xasprintf("connect: %s", strerror(errno)), -1;
	p.events = POLLOUT;
	if (poll(&p, 1, ms) <= 0)
		return *why = xasprintf("no answer within %d seconds", ms / 1000), -1;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (soerr)
		return *why = xasprintf("connect: %s", strerror(soerr)), -1;
	if (c->listening)
		return 0;
	req = check_request(c, host);
	while (off < strlen(req)) {
		ssize_t k = send(fd, req + off, strlen(req) - off, MSG_NOSIGNAL);

		if (k < 0 && errno == EAGAIN && poll(&p, 1, ms) > 0)
			continue;
		if (k < 0)
			return *why = xasprintf("send: %s", strerror(errno)), -1;
		off += k;
	}
	p.events = POLLIN;
	for (;;) {
		char chunk[4096];
		ssize_t k;

		if (poll(&p, 1, ms) <= 0)
			return *why = xasprintf("no answer within %d seconds", ms / 1000), -1;
		k = read(fd, chunk, sizeof(chunk));
		if (k < 0 && errno == EAGAIN)
			continue;
		if (k <= 0 || n + k > (64u << 10))
			break;
		buf = xrealloc(buf, n + k + 1);
		memcpy(buf + n, chunk, k);
		n += k;
		buf[n] = 0;
	}
	return check_response(c, buf ? buf : "", why);
}

int check_run_blocking(const struct check *c, const char *addr, const char *host, long long uptime,
		       char **why)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char ip[32];
	unsigned port = 0;

	*why = NULL;
	if (!c->path && !c->listening) {
		if (uptime >= c->uptime)
			return 0;
		*why = xasprintf("the process has run %llds, less than uptime=%u", uptime, c->uptime);
		return -1;
	}
	if (!addr || sscanf(addr, "%31[0-9.]:%u", ip, &port) != 2 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		*why = xstrdup("the process has no address on the bridge");
		return -1;
	}
	sa.sin_port = htons(c->port ? c->port : port);
	for (unsigned t = 1;; t++) {
		if (probe_once(c, &sa, host, why) == 0)
			return 0;
		if (t >= (c->listening ? 1 : c->attempts))
			return -1;
		free(*why);
		*why = NULL;
		sleep(c->wait);
	}
}
