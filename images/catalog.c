/* catalog.c - reading the store: where layers and stacks live and what a stack
 * is made of. Kept apart from making layers (store.c, tree.c) so that starting a
 * container from a stack (runtime:run --stack) links no hashing or archive code. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "images/internal.h"

char *store_path(const char *fmt, ...)
{
	autofree char *rel = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&rel, fmt, ap);
	va_end(ap);
	if (r < 0)
		return xasprintf("%s", berth_root()); /* unreachable in practice */
	return xasprintf("%s/%s", berth_root(), rel);
}

int store_mkdirs(struct berr *err)
{
	static const char *const dirs[] = { "layers", "leases", "refs", "stacks", "tmp" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		autofree char *p = store_path("%s", dirs[i]);

		if (mkdir_p(p, 0755, err) < 0)
			return -1;
	}
	return 0;
}

int store_lock(int how, struct berr *err)
{
	autofree char *path = store_path("layers/.lock");
	int fd;

	if (store_mkdirs(err) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berr_sys(err, "open %s", path);
	while (flock(fd, how) < 0) {
		if (errno == EINTR)
			continue;
		berr_sys(err, "lock %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

char *now_rfc3339(void)
{
	time_t now = time(NULL);
	struct tm tm;
	char buf[64];

	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

char *layer_path(const char *id)
{
	return store_path("layers/%s/root", id);
}

bool layer_exists(const char *id)
{
	autofree char *p = NULL;

	if (!is_layer_id(id))
		return false;
	p = layer_path(id);
	return is_dir(p);
}

int stack_name_check(const char *name, struct berr *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return berr_fail(err, "'%s' is not a valid stack name: use up to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
				 name);
	return 0;
}

char *stack_file(const char *name)
{
	return store_path("stacks/%s.json", name);
}

int stack_name_available(const char *name, struct berr *err)
{
	if (stack_name_check(name, err) < 0)
		return -1;
	if (stack_exists(name))
		return berr_fail(err, "stack %s already exists; remove it first with 'berth stacks:remove %s'",
				 name, name);
	return 0;
}

bool stack_exists(const char *name)
{
	struct berr ignored = { 0 };
	autofree char *path = NULL;

	if (stack_name_check(name, &ignored) < 0)
		return false;
	path = stack_file(name);
	return path_exists(path);
}

int stack_load(const char *name, struct stack_record *rec, struct berr *err)
{
	autofree char *path = NULL;
	json_error_t jerr;
	json_t *o, *cfg;
	const char *created, *origin, *workdir, *user;

	memset(rec, 0, sizeof(*rec));
	if (stack_name_check(name, err) < 0)
		return -1;
	path = stack_file(name);
	if (!path_exists(path))
		return berr_fail(err, "stack %s does not exist; see 'berth stacks:list'", name);
	o = json_load_file(path, 0, &jerr);
	if (!o)
		return berr_fail(err, "read stack %s (%s): %s", name, path, jerr.text);
	rec->name = xstrdup(name);
	cfg = json_object_get(o, "config");
	created = json_string_value(json_object_get(o, "created"));
	origin = json_string_value(json_object_get(o, "origin"));
	workdir = json_string_value(json_object_get(cfg, "WorkingDir"));
	user = json_string_value(json_object_get(cfg, "User"));
	if (json_to_strv(json_object_get(o, "layers"), &rec->layers) < 0 ||
	    json_to_strv(json_object_get(cfg, "Env"), &rec->config.env) < 0) {
		json_decref(o);
		stack_record_release(rec);
		return berr_fail(err, "stack %s (%s) is damaged", name, path);
	}
	rec->created = xstrdup(created ? created : "");
	rec->origin = xstrdup(origin ? origin : "");
	rec->config.workdir = workdir ? xstrdup(workdir) : NULL;
	rec->config.user = user ? xstrdup(user) : NULL;
	json_decref(o);
	for (size_t i = 0; i < rec->layers.n; i++)
		if (!is_layer_id(rec->layers.v[i])) {
			stack_record_release(rec);
			return berr_fail(err, "stack %s (%s) names an invalid layer id", name, path);
		}
	return 0;
}

void stack_record_release(struct stack_record *rec)
{
	free(rec->name);
	strv_free(&rec->layers);
	stack_config_release(&rec->config);
	free(rec->created);
	free(rec->origin);
	memset(rec, 0, sizeof(*rec));
}

void stack_config_release(struct stack_config *cfg)
{
	strv_free(&cfg->env);
	free(cfg->workdir);
	free(cfg->user);
	memset(cfg, 0, sizeof(*cfg));
}

int stack_layer_ids(const char *name, struct strv *ids, struct berr *err)
{
	struct stack_record rec;

	if (stack_load(name, &rec, err) < 0)
		return -1;
	for (size_t i = 0; i < rec.layers.n; i++)
		strv_push(ids, rec.layers.v[i]);
	stack_record_release(&rec);
	return 0;
}

int stack_layer_dirs(const char *name, struct strv *dirs, struct berr *err)
{
	struct strv ids = { 0 };

	if (stack_layer_ids(name, &ids, err) < 0)
		return -1;
	for (size_t i = 0; i < ids.n; i++) {
		if (!layer_exists(ids.v[i])) {
			berr_fail(err, "stack %s: layer %s is missing from the store; create or import the stack again",
				  name, ids.v[i]);
			strv_free(&ids);
			return -1;
		}
		strv_push_owned(dirs, layer_path(ids.v[i]));
	}
	strv_free(&ids);
	return 0;
}

int stack_config_load(const char *name, struct stack_config *cfg, struct berr *err)
{
	struct stack_record rec;

	if (stack_load(name, &rec, err) < 0)
		return -1;
	*cfg = rec.config;
	memset(&rec.config, 0, sizeof(rec.config));
	stack_record_release(&rec);
	return 0;
}

void stack_env_apply(const struct stack_config *sc, struct strv *env, const char *home,
		     const char **workdir)
{
	for (size_t i = 0; sc && i < sc->env.n; i++) {
		const char *kv = sc->env.v[i];
		const char *eq = strchr(kv, '=');
		autofree char *key = eq ? xstrndup(kv, eq - kv) : NULL;

		if (key && !strv_getenv(env, key))
			strv_setenv(env, key, eq + 1);
	}
	if (!strv_getenv(env, "PATH"))
		strv_setenv(env, "PATH", STACK_DEFAULT_PATH);
	if (home)
		strv_setenv(env, "HOME", home);
	else if (!strv_getenv(env, "HOME"))
		strv_setenv(env, "HOME", "/");
	if (workdir && !*workdir && sc)
		*workdir = sc->workdir;
}

int stack_list(struct strv *names, struct berr *err)
{
	autofree char *dir = store_path("stacks");
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : berr_sys(err, "open %s", dir);
	while ((de = readdir(d))) {
		struct berr ignored = { 0 };

		if (de->d_name[0] == '.' || !str_has_suffix(de->d_name, ".json"))
			continue;
		autofree char *name = xstrndup(de->d_name, strlen(de->d_name) - 5);
		if (stack_name_check(name, &ignored) == 0)
			strv_push(names, name);
	}
	strv_sort(names);
	return 0;
}

