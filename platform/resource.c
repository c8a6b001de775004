/* resource.c - per-app, per-process-type limits (resource:limit, resource:report).
 *
 * Stored in the app's settings as "TYPE.KEY=VALUE" ("_default" for every type; a
 * type's own value wins), checked when set, and applied to every container of the
 * app by release_spec(): `run`, the release phase and the daemon's processes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "platform/internal.h"

const char *const resource_keys[] = { "cpu", "memory", "pids", NULL };

/* Bounds that catch typos (512 instead of 512m) rather than taste. */
#define MEMORY_MIN (6ULL << 20)   /* Docker's floor: less cannot start a process */
#define MEMORY_MAX (1ULL << 50)
#define PIDS_MIN 2                /* the command and pid 1 */
#define PIDS_MAX 4194304          /* the kernel's pid_max ceiling */

int resource_type_check(const char *type, struct berr *err)
{
	if (!strcmp(type, "_default"))
		return 0;
	if (!*type || strlen(type) > 63 || strspn(type, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(type))
		return berr_fail(err, "Invalid process type '%s'", type);
	return 0;
}

static int parse_cpu(const char *value, uint64_t *quota_us, struct berr *err)
{
	char *end;
	double cpus = strtod(value, &end);

	if (!*value || *end || !isfinite(cpus) || !(cpus >= 0.01 && cpus <= 1024))
		return berr_fail(err, "Invalid --cpu '%s': use a number of CPUs between 0.01 and 1024 (e.g. 1.5)",
				 value);
	*quota_us = (uint64_t)(cpus * 100000 + 0.5);
	return 0;
}

int resource_value_check(const char *key, const char *value, struct berr *err)
{
	uint64_t v;
	struct berr ignored;

	if (!strcmp(key, "cpu"))
		return parse_cpu(value, &v, err);
	if (!strcmp(key, "memory")) {
		if (parse_size(value, &v, &ignored) < 0 || v < MEMORY_MIN || v > MEMORY_MAX)
			return berr_fail(err, "Invalid --memory '%s': use a size between 6m and 1p with a unit b, k, m, g or t (e.g. 512m)",
					 value);
		return 0;
	}
	if (!strcmp(key, "pids")) {
		if (parse_uint(value, PIDS_MAX, &v, &ignored) < 0 || v < PIDS_MIN)
			return berr_fail(err, "Invalid --pids '%s': use a number of processes between %d and %d",
					 value, PIDS_MIN, PIDS_MAX);
		return 0;
	}
	return berr_fail(err, "Unknown resource '%s': berth limits cpu, memory and pids", key);
}

const char *resource_get(const struct app_settings *s, const char *type, const char *key)
{
	autofree char *name = xasprintf("%s.%s", type, key);

	return strv_getenv(&s->resources, name);
}

/* The value that applies to a process of type: its own, else the default. */
static const char *resource_effective(const struct app_settings *s, const char *type,
				      const char *key)
{
	const char *v = type ? resource_get(s, type, key) : NULL;

	return v ? v : resource_get(s, "_default", key);
}

void strv_remove_at(struct strv *sv, size_t i)
{
	free(sv->v[i]);
	memmove(&sv->v[i], &sv->v[i + 1], (sv->n - i) * sizeof(char *));  /* with the NULL */
	sv->n--;
}

struct limit_edit {
	const char *type;
	const struct strv *pairs;  /* KEY=VALUE; VALUE "clear" removes */
};

static int limit_edit(struct app_settings *s, void *ctx, struct berr *err)
{
	const struct limit_edit *e = ctx;

	(void)err;
	for (size_t i = 0; i < e->pairs->n; i++) {
		const char *eq = strchr(e->pairs->v[i], '=');
		autofree char *name = xasprintf("%s.%.*s", e->type, (int)(eq - e->pairs->v[i]),
						e->pairs->v[i]);

		if (!strcmp(eq + 1, "clear")) {
			for (size_t j = 0; j < s->resources.n; j++)
				if (str_has_prefix(s->resources.v[j], name) &&
				    s->resources.v[j][strlen(name)] == '=')
					strv_remove_at(&s->resources, j--);
		} else
			strv_setenv(&s->resources, name, eq + 1);
	}
	return 0;
}

int resource_limit_set(struct app *app, const char *type, const struct strv *pairs,
		       struct berr *err)
{
	struct limit_edit e = { type, pairs };

	if (resource_type_check(type, err) < 0)
		return -1;
	for (size_t i = 0; i < pairs->n; i++) {
		const char *eq = strchr(pairs->v[i], '=');
		autofree char *key = eq ? xstrndup(pairs->v[i], eq - pairs->v[i]) : NULL;

		if (!key)
			return berr_fail(err, "resource %s: use KEY=VALUE", pairs->v[i]);
		if (strcmp(eq + 1, "clear") && resource_value_check(key, eq + 1, err) < 0)
			return -1;
	}
	return app_settings_edit(app, limit_edit, &e, err);
}

static int clear_edit(struct app_settings *s, void *ctx, struct berr *err)
{
	const char *type = ctx;
	struct strv kept = { 0 };

	(void)err;
	for (size_t i = 0; i < s->resources.n; i++) {
		const char *dot = strchr(s->resources.v[i], '.');

		if (type && dot && (size_t)(dot - s->resources.v[i]) == strlen(type) &&
		    !strncmp(s->resources.v[i], type, strlen(type)))
			continue;
		if (type)
			strv_push(&kept, s->resources.v[i]);
	}
	strv_free(&s->resources);
	s->resources = kept;
	return 0;
}

int resource_limit_clear(struct app *app, const char *type, struct berr *err)
{
	if (type && resource_type_check(type, err) < 0)
		return -1;
	return app_settings_edit(app, clear_edit, (void *)type, err);
}

int resource_apply(const struct app_settings *s, const char *type, struct runtime_spec *spec,
		   struct berr *err)
{
	const char *v;
	struct berr ignored;

	if ((v = resource_effective(s, type, "memory")) &&
	    parse_size(v, &spec->memory_max, &ignored) < 0)
		return berr_fail(err, "settings: bad memory limit '%s'", v);
	if ((v = resource_effective(s, type, "pids")) &&
	    parse_uint(v, PIDS_MAX, &spec->pids_max, &ignored) < 0)
		return berr_fail(err, "settings: bad pids limit '%s'", v);
	if ((v = resource_effective(s, type, "cpu"))) {
		if (parse_cpu(v, &spec->cpu_quota_us, err) < 0)
			return berr_prefix(err, "settings");
		spec->cpu_period_us = 100000;
	}
	return 0;
}

const char *resource_enforcement(const char *key)
{
	struct runtime_host host;
	bool on;

	runtime_probe_host(&host);
	on = !strcmp(key, "memory") ? host.has_memory
	     : !strcmp(key, "cpu")  ? host.has_cpu
				    : host.has_pids;
	if (on)
		return "enforced";
	/* pids still has berth's per-container RLIMIT_NPROC (docs/runtime.md). */
	return !strcmp(key, "pids") ? "not enforced by cgroup (RLIMIT_NPROC per container instead)"
				    : "not enforced (no cgroup v2 controller on this host)";
}
