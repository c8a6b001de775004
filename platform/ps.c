/* ps.c - what the ps:* commands store: an app's process settings (ps.json), its
 * formation, and the per-slot records the daemon keeps under $BERTH_RUN. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "platform/daemon.h"
#include "platform/platform.h"

static const char *const policy_names[] = {
	[RESTART_NO] = "no",
	[RESTART_ON_FAILURE] = "on-failure",
	[RESTART_ALWAYS] = "always",
	[RESTART_UNLESS_STOPPED] = "unless-stopped",
};

int ps_policy_parse(const char *text, struct ps_settings *s, struct berr *err)
{
	const char *colon = strchr(text, ':');
	size_t len = colon ? (size_t)(colon - text) : strlen(text);

	for (size_t i = 0; i < ARRAY_SIZE(policy_names); i++) {
		uint64_t n = 0;

		if (strlen(policy_names[i]) != len || strncmp(text, policy_names[i], len))
			continue;
		if (colon && (i != RESTART_ON_FAILURE || parse_uint(colon + 1, 1000000, &n, err) < 0))
			break;
		s->policy = i;
		s->max_retries = (unsigned)n;
		return 0;
	}
	return berr_fail(err, "Invalid restart-policy specified: '%s' (use on-failure[:N], always, "
			 "unless-stopped or no)", text);
}

const char *ps_policy_text(const struct ps_settings *s, char *buf)
{
	if (s->policy == RESTART_ON_FAILURE && s->max_retries)
		snprintf(buf, 32, "on-failure:%u", s->max_retries);
	else
		snprintf(buf, 32, "%s", policy_names[s->policy]);
	return buf;
}

static void ps_defaults(struct ps_settings *s)
{
	s->policy = RESTART_ON_FAILURE;
	s->max_retries = 10;
	s->stop_timeout = PS_DEFAULT_STOP_TIMEOUT;
	s->stopped = false;
	s->stopped_types[0] = 0;
	s->raw_policy[0] = 0;
	s->raw_stop_timeout[0] = 0;
}

/* Global ps properties live in $BERTH_ROOT/settings.json as "ps-KEY". */
char *ps_global_get(const char *key)
{
	autofree char *name = xasprintf("ps-%s", key);
	char *v = NULL;
	struct berr err;

	if (global_setting_get(name, &v, &err) < 0)
		return NULL;
	return v;
}

static int timeout_parse(const char *text, unsigned *out, struct berr *err)
{
	uint64_t n;

	if (parse_uint(text, 86400, &n, err) < 0)
		return berr_fail(err, "Invalid stop-timeout-seconds '%s': a number of seconds up to 86400",
				 text);
	*out = (unsigned)n;
	return 0;
}

/* The global values under the app's: what the daemon applies. A global value
 * that no longer parses is ignored (ps:set --global checked it when set). */
static void ps_globals(struct ps_settings *s)
{
	autofree char *policy = ps_global_get("restart-policy");
	autofree char *timeout = ps_global_get("stop-timeout-seconds");
	struct ps_settings tmp = *s;
	struct berr err;

	if (policy && ps_policy_parse(policy, &tmp, &err) == 0) {
		s->policy = tmp.policy;
		s->max_retries = tmp.max_retries;
	}
	if (timeout)
		(void)timeout_parse(timeout, &s->stop_timeout, &err);
}

bool ps_type_stopped(const struct ps_settings *s, const char *type)
{
	return s->stopped || str_word_in(s->stopped_types, type);
}

/* Remove word from a space-separated list in place. */
static void words_remove(char *list, const char *word)
{
	char out[512] = "";
	char *save = NULL;

	for (char *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (strcmp(w, word))
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", *out ? " " : "", w);
	strcpy(list, out);
}

int ps_set_stopped(const char *app, const char *type, bool stopped, struct berr *err)
{
	struct app a;
	struct ps_settings ps;
	int r = -1;

	if (app_open(app, APP_LOCKED, &a, err) < 0)
		return -1;
	if (ps_settings_load(app, &ps, err) < 0)
		goto out;
	if (!type) {
		/* The whole app: ps:start also starts types stopped one by one. */
		ps.stopped = stopped;
		ps.stopped_types[0] = 0;
	} else if (stopped && !str_word_in(ps.stopped_types, type)) {
		size_t len = strlen(ps.stopped_types);

		if (len + strlen(type) + 2 > sizeof(ps.stopped_types)) {
			berr_fail(err, "App %s: too many stopped process types", app);
			goto out;
		}
		snprintf(ps.stopped_types + len, sizeof(ps.stopped_types) - len, "%s%s",
			 len ? " " : "", type);
	} else if (!stopped) {
		words_remove(ps.stopped_types, type);
		ps.stopped = false;
	}
	r = ps_settings_save(app, &ps, err);
out:
	app_close(&a);
	return r;
}

void ps_settings_global(struct ps_settings *s)
{
	ps_defaults(s);
	ps_globals(s);
}

int ps_settings_load(const char *app, struct ps_settings *s, struct berr *err)
{
	autofree char *path = app_path(app, "ps.json");
	json_t *obj;
	const char *p;
	int r = 0;

	ps_settings_global(s);
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (!obj)
		return 0;
	if ((p = json_get_str(obj, "restart_policy"))) {
		r = ps_policy_parse(p, s, err);
		snprintf(s->raw_policy, sizeof(s->raw_policy), "%s", p);
	}
	if (json_object_get(obj, "stop_timeout")) {
		s->stop_timeout = (unsigned)json_get_int(obj, "stop_timeout", PS_DEFAULT_STOP_TIMEOUT);
		snprintf(s->raw_stop_timeout, sizeof(s->raw_stop_timeout), "%u", s->stop_timeout);
	}
	s->stopped = json_is_true(json_object_get(obj, "stopped"));
	snprintf(s->stopped_types, sizeof(s->stopped_types), "%s",
		 json_get_str(obj, "stopped_types") ? json_get_str(obj, "stopped_types") : "");
	json_decref(obj);
	return r;
}

int ps_settings_save(const char *app, const struct ps_settings *s, struct berr *err)
{
	autofree char *path = app_path(app, "ps.json");
	json_t *obj;
	int r;

	/* The other properties (procfile_path, start_cmd, ...) stay as they are. */
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (!obj)
		obj = json_object();
	json_object_set_new(obj, "stopped", json_boolean(s->stopped));
	json_object_set_new(obj, "stopped_types", json_string(s->stopped_types));
	/* Only what was set: an unset property follows the global value. */
	json_object_del(obj, "restart_policy");
	json_object_del(obj, "stop_timeout");
	if (s->raw_policy[0])
		json_object_set_new(obj, "restart_policy", json_string(s->raw_policy));
	if (s->raw_stop_timeout[0])
		json_object_set_new(obj, "stop_timeout", json_integer(strtol(s->raw_stop_timeout, NULL, 10)));
	r = json_file_save(path, obj, err);
	json_decref(obj);
	return r;
}

/* ps:set's properties: where each may be set, how it is checked, and its key
 * in the app's ps.json (the global one is "ps-NAME" in settings.json). */
struct ps_property {
	const char *name;
	bool global;
	const char *json_key;   /* NULL: struct ps_settings holds it */
	int (*check)(const char *value, struct berr *err);
};

static int check_policy(const char *value, struct berr *err)
{
	struct ps_settings s;

	return ps_policy_parse(value, &s, err);
}

static int check_timeout(const char *value, struct berr *err)
{
	unsigned t;

	return timeout_parse(value, &t, err);
}

static int check_bool(const char *value, struct berr *err)
{
	if (strcmp(value, "true") && strcmp(value, "false"))
		return berr_fail(err, "Invalid skip-deploy value '%s': true or false", value);
	return 0;
}

static int check_command(const char *value, struct berr *err)
{
	if (strlen(value) > PS_CMD_MAX || strpbrk(value, "\n\r"))
		return berr_fail(err, "Invalid start command: one line of at most %d bytes", PS_CMD_MAX);
	return 0;
}

static const struct ps_property ps_properties[] = {
	{ "dockerfile-start-cmd", false, "dockerfile_start_cmd", check_command },
	{ "procfile-path", true, "procfile_path", ps_procfile_path_check },
	{ "restart-policy", true, NULL, check_policy },
	{ "skip-deploy", true, "skip_deploy", check_bool },
	{ "start-cmd", false, "start_cmd", check_command },
	{ "stop-timeout-seconds", true, NULL, check_timeout },
};

/* Dokku's rule: relative to the source's root, never absolute; berth also
 * keeps it inside the source (no ".." component) and to plain characters, as
 * the build script names it. */
int ps_procfile_path_check(const char *path, struct berr *err)
{
	const char *p = path;

	if (!*path || strlen(path) > 255 || path[0] == '/' || strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789._-/") != strlen(path))
		goto bad;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 2 && !strncmp(p, "..", 2)) || (n == 1 && *p == '.'))
			goto bad;
		p += n;
		if (*p == '/' && *++p == 0)
			goto bad;
	}
	return 0;
bad:
	return berr_fail(err, "Invalid procfile-path '%s': a file's path relative to the source's root "
			 "(letters, digits, '.', '_', '-', '/'; no '..')", path);
}

/* The app's own value of a property kept in ps.json, or NULL. */
char *ps_property_get(const char *app, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ps_properties); i++)
		if (!strcmp(ps_properties[i].name, name) && ps_properties[i].json_key)
			return app ? app_json_get(app, "ps.json", ps_properties[i].json_key)
				   : ps_properties[i].global ? ps_global_get(name) : NULL;
	return NULL;
}

char *ps_procfile_path(const char *app)
{
	char *v = app ? ps_property_get(app, "procfile-path") : NULL;

	if (!v)
		v = ps_global_get("procfile-path");
	/* A global value set by hand that no longer passes is not followed. */
	if (v && ps_procfile_path_check(v, &(struct berr){ 0 }) < 0) {
		free(v);
		v = NULL;
	}
	return v ? v : xstrdup("Procfile");
}

bool ps_skip_deploy(const char *app)
{
	autofree char *v = app ? ps_property_get(app, "skip-deploy") : NULL;
	autofree char *global = v ? NULL : ps_global_get("skip-deploy");

	return !strcmp(v ? v : global ? global : "false", "true");
}

char *ps_process_command(const char *app, const struct release *rel, const char *type)
{
	const char *command = proctypes_get(&rel->procs, type);
	char *start_cmd;

	if (!command)
		return NULL;
	/* As Dokku's docker-local scheduler: start-cmd replaces the command of
	 * every process type's containers (the release phase and `run` keep
	 * theirs). */
	start_cmd = ps_property_get(app, "start-cmd");
	return start_cmd ? start_cmd : xstrdup(command);
}

int ps_set(const char *app, const char *key, const char *value, struct berr *err)
{
	const struct ps_property *prop = NULL;
	struct app a;
	struct ps_settings s;
	int r = -1;

	for (size_t i = 0; i < ARRAY_SIZE(ps_properties); i++)
		if (!strcmp(ps_properties[i].name, key))
			prop = &ps_properties[i];
	if (!prop)
		return berr_fail(err, "Invalid property specified, valid properties include: "
				 "dockerfile-start-cmd, procfile-path, restart-policy, skip-deploy, "
				 "start-cmd, stop-timeout-seconds");
	if (!app && !prop->global)
		return berr_fail(err, "Property cannot be specified globally");
	if (value && prop->check(value, err) < 0)
		return -1;
	if (!app) {
		autofree char *name = xasprintf("ps-%s", key);

		return global_setting_set(name, value, err);
	}
	/* The app's state lock serialises this with the daemon's own edits. */
	if (app_open(app, APP_LOCKED, &a, err) < 0)
		return -1;
	if (prop->json_key) {
		autofree char *path = app_path(app, "ps.json");

		r = json_file_set_str(path, prop->json_key, value, err);
		goto out;
	}
	if (ps_settings_load(app, &s, err) < 0)
		goto out;
	if (!strcmp(key, "restart-policy"))
		snprintf(s.raw_policy, sizeof(s.raw_policy), "%s", value ? value : "");
	else
		snprintf(s.raw_stop_timeout, sizeof(s.raw_stop_timeout), "%s", value ? value : "");
	r = ps_settings_save(app, &s, err);
out:
	app_close(&a);
	return r;
}

struct scale_ctx {
	const struct strv *pairs;
	const struct release *rel;
};

static int scale_apply(struct app_settings *s, void *ctx, struct berr *err)
{
	struct scale_ctx *c = ctx;

	for (size_t i = 0; i < c->pairs->n; i++) {
		const char *pair = c->pairs->v[i], *eq = strchr(pair, '=');
		autofree char *type = eq ? xstrndup(pair, eq - pair) : NULL;
		uint64_t n;
		struct berr e2 = { 0 };

		if (!type || !*type)
			return berr_fail(err, "Invalid scale pair '%s': use TYPE=COUNT", pair);
		if (!proctypes_get(&c->rel->procs, type) || !strcmp(type, "release"))
			return berr_fail(err, "%s is not a valid process name to scale up", type);
		if (eq[1] == '-' || parse_uint(eq + 1, ~0ull, &n, &e2) < 0)
			return berr_fail(err, "Invalid count '%s' for %s: a number from 0 to %d",
					 eq + 1, type, PS_SCALE_MAX);
		if (n > PS_SCALE_MAX)
			return berr_fail(err, "Invalid count %s for %s: at most %d processes of a type",
					 eq + 1, type, PS_SCALE_MAX);
		char num[24];

		snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
		strv_setenv(&s->formation, type, num);
	}
	strv_sort(&s->formation);
	return 0;
}

int ps_scale_edit(const char *app, const struct strv *pairs, struct berr *err)
{
	struct app a;
	struct release rel;
	int r = -1;

	if (app_open(app, 0, &a, err) < 0)
		return -1;
	if (release_current(app, &rel, err) < 0)
		goto out;
	if (rel.version == 0) {
		berr_fail(err, "App %s has not been deployed", app);
		goto out_rel;
	}
	struct scale_ctx c = { pairs, &rel };
	r = app_settings_edit(&a, scale_apply, &c, err);
out_rel:
	release_free(&rel);
out:
	app_close(&a);
	return r;
}

/* Records: $BERTH_RUN/daemon/procs/<app>/<type>.<n>.json */

static char *record_path(const char *app, const char *type, unsigned index)
{
	return xasprintf("%s/daemon/procs/%s/%s.%u.json", berth_run(), app, type, index);
}

static char *record_path_of(const struct proc_record *p)
{
	if (p->extra)
		return xasprintf("%s/daemon/procs/%s/extra/%s.json", berth_run(), p->app, p->id);
	return record_path(p->app, p->type, p->index);
}

void proc_record_free(struct proc_record *p)
{
	free(p->app);
	free(p->type);
	free(p->id);
	free(p->state);
	free(p->addr);
	free(p->log_error);
	memset(p, 0, sizeof(*p));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int proc_record_load(const char *path, struct proc_record *p, struct berr *err)
{
	json_t *obj;

	memset(p, 0, sizeof(*p));
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (!obj || !json_get_str(obj, "app") || !json_get_str(obj, "type")) {
		json_decref(obj);
		return berr_fail(err, "process record %s is missing or incomplete", path);
	}
	p->app = xstrdup(json_get_str(obj, "app"));
	p->type = xstrdup(json_get_str(obj, "type"));
	p->index = (unsigned)json_get_int(obj, "index", 1);
	p->id = dup_or_null(json_get_str(obj, "id"));
	p->state = xstrdup(json_get_str(obj, "state") ? json_get_str(obj, "state") : "exited");
	p->pid = json_get_int(obj, "pid", 0);
	p->started = json_get_int(obj, "started", 0);
	p->restarts = (unsigned)json_get_int(obj, "restarts", 0);
	p->exit_code = (int)json_get_int(obj, "exit_code", -1);
	p->release = (unsigned)json_get_int(obj, "release", 0);
	p->addr = dup_or_null(json_get_str(obj, "addr"));
	p->log_error = dup_or_null(json_get_str(obj, "log_error"));
	p->extra = json_is_true(json_object_get(obj, "extra"));
	json_decref(obj);
	return 0;
}

/* Atomic (a temporary file renamed) but not fsynced: $BERTH_RUN is state that a
 * reboot clears anyway, and the daemon rewrites a record at every change. */
static int record_write(const char *path, const json_t *obj, struct berr *err)
{
	autofree char *text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	autofree char *tmp = xasprintf("%s.tmp", path);
	autoclose int fd = -1;

	if (!text)
		return berr_fail(err, "encode %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr_sys(err, "create %s", tmp);
	if (write_all(fd, text, strlen(text), tmp, err) < 0 || rename(tmp, path) < 0) {
		if (!err->msg[0])
			berr_sys(err, "rename %s", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int proc_record_save(const struct proc_record *p, struct berr *err)
{
	autofree char *path = NULL;
	autofree char *dir = xasprintf("%s/daemon/procs/%s%s", berth_run(), p->app,
				       p->extra ? "/extra" : "");
	json_t *obj = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I}", "app", p->app,
				"type", p->type, "index", (json_int_t)p->index, "state", p->state,
				"pid", (json_int_t)p->pid, "started", (json_int_t)p->started,
				"restarts", (json_int_t)p->restarts, "exit_code",
				(json_int_t)p->exit_code, "release", (json_int_t)p->release);
	int r;

	if (p->extra && !p->id) {
		json_decref(obj);
		return 0;  /* no container: nothing to find again */
	}
	path = record_path_of(p);
	if (p->id)
		json_object_set_new(obj, "id", json_string(p->id));
	if (p->addr)
		json_object_set_new(obj, "addr", json_string(p->addr));
	if (p->log_error)
		json_object_set_new(obj, "log_error", json_string(p->log_error));
	if (p->extra)
		json_object_set_new(obj, "extra", json_true());
	r = mkdir_p(dir, 0700, err) < 0 ? -1 : record_write(path, obj, err);
	json_decref(obj);
	return r;
}

void proc_record_remove(const struct proc_record *p)
{
	autofree char *path = NULL;
	autofree char *dir = xasprintf("%s/daemon/procs/%s", berth_run(), p->app);
	autofree char *extra = xasprintf("%s/extra", dir);

	if (p->extra && !p->id)
		return;
	path = record_path_of(p);
	unlink(path);
	rmdir(extra);
	rmdir(dir);  /* only when it is empty */
}

static int record_cmp(const void *a, const void *b)
{
	const struct proc_record *x = a, *y = b;
	int c = strcmp(x->type, y->type);

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int records_in(const char *dir, struct proc_record **out, size_t *n, struct berr *err);

int proc_records_list(const char *app, struct proc_record **out, size_t *n, struct berr *err)
{
	autofree char *dir = xasprintf("%s/daemon/procs/%s", berth_run(), app);

	return records_in(dir, out, n, err);
}

int proc_records_extra(const char *app, struct proc_record **out, size_t *n, struct berr *err)
{
	autofree char *dir = xasprintf("%s/daemon/procs/%s/extra", berth_run(), app);

	return records_in(dir, out, n, err);
}

char *proc_container_id(const char *app, const char *dyno)
{
	autofree char *path = xasprintf("%s/daemon/procs/%s/%s.json", berth_run(), app, dyno);
	struct proc_record p;
	struct berr err;
	char *id;

	if (strchr(dyno, '/') || proc_record_load(path, &p, &err) < 0)
		return NULL;
	id = p.pid && p.id ? xstrdup(p.id) : NULL;
	proc_record_free(&p);
	return id;
}

static int records_in(const char *dir, struct proc_record **out, size_t *n, struct berr *err)
{
	autoclosedir DIR *d = opendir(dir);
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : berr_sys(err, "open %s", dir);
	while ((e = readdir(d))) {
		autofree char *path = NULL;
		struct proc_record p;
		struct berr ignored;

		if (!str_has_suffix(e->d_name, ".json"))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (proc_record_load(path, &p, &ignored) < 0)
			continue;  /* being replaced right now */
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = p;
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), record_cmp);
	return 0;
}

void proc_records_free(struct proc_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		proc_record_free(&v[i]);
	free(v);
}
