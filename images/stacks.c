/* stacks.c - named stacks: an ordered list of layers (bottom first) and the image
 * config (Env, WorkingDir, User), kept in stacks/<name>.json.
 *
 * A stack records its layers as the reference "stack:<name>". Creating and removing
 * a stack hold the store lock exclusively, so gc never runs between the stack file
 * and its reference, and two creators of one name cannot both win. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "images/internal.h"

int stack_name_check(const char *name, struct berr *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return berr_fail(err, "'%s' is not a valid stack name: use up to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
				 name);
	return 0;
}

static char *stack_file(const char *name)
{
	return store_path("stacks/%s.json", name);
}

bool stack_exists(const char *name)
{
	struct berr ignored;
	autofree char *path = NULL;

	if (stack_name_check(name, &ignored) < 0)
		return false;
	path = stack_file(name);
	return path_exists(path);
}

static json_t *strv_to_json(const struct strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static int json_to_strv(json_t *a, struct strv *sv)
{
	size_t i;
	json_t *v;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return -1;
		strv_push(sv, json_string_value(v));
	}
	return 0;
}

int stack_save(const struct stack_record *rec, struct berr *err)
{
	autofree char *path = stack_file(rec->name);
	autofree char *tmp = store_path("stacks/.%s.tmp-%d", rec->name, (int)getpid());
	autofree char *text = NULL;
	autoclose int lock = -1;
	struct berr ignored;
	json_t *cfg, *o;

	cfg = json_pack("{s:o, s:s?, s:s?}", "Env", strv_to_json(&rec->config.env), "WorkingDir",
			rec->config.workdir, "User", rec->config.user);
	o = json_pack("{s:s, s:o, s:o, s:s, s:s}", "name", rec->name, "layers",
		      strv_to_json(&rec->layers), "config", cfg, "created", rec->created,
		      "origin", rec->origin ? rec->origin : "");
	text = json_dumps(o, JSON_INDENT(2));
	json_decref(o);

	lock = store_lock(LOCK_EX, err);
	if (lock < 0)
		return -1;
	if (path_exists(path))
		return berr_fail(err, "stack %s already exists; remove it first with 'berth stacks:remove %s'",
				 rec->name, rec->name);
	if (refs_write_locked("stack", rec->name, &rec->layers, err) < 0)
		return -1;
	if (write_file_atomic(tmp, text, strlen(text), 0644, err) < 0)
		goto undo;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
		berr_sys(err, "create stack file %s", path);
		unlink(tmp);
		goto undo;
	}
	return 0;
undo:
	refs_drop_locked("stack", rec->name, &ignored);
	return -1;
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

int stack_list(struct strv *names, struct berr *err)
{
	autofree char *dir = store_path("stacks");
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : berr_sys(err, "open %s", dir);
	while ((de = readdir(d))) {
		struct berr ignored;

		if (de->d_name[0] == '.' || !str_has_suffix(de->d_name, ".json"))
			continue;
		autofree char *name = xstrndup(de->d_name, strlen(de->d_name) - 5);
		if (stack_name_check(name, &ignored) == 0)
			strv_push(names, name);
	}
	strv_sort(names);
	return 0;
}

/* References other than stacks' that name one of ids. */
struct foreign_arg {
	const struct strv *ids;
	struct strv *users;
};

static int collect_foreign(const char *owner, const char *name, void *lv, void *arg,
			   struct berr *err)
{
	struct foreign_arg *f = arg;
	json_t *layers = lv, *v;
	size_t i;

	(void)err;
	if (!strcmp(owner, "stack"))
		return 0;
	json_array_foreach(layers, i, v) {
		const char *s = json_string_value(v);
		bool hit = false;

		for (size_t k = 0; s && k < f->ids->n && !hit; k++)
			hit = !strcmp(s, f->ids->v[k]);
		if (hit) {
			strv_push_owned(f->users, xasprintf("%s:%s", owner, name));
			break;
		}
	}
	return 0;
}

static int stack_users(const struct strv *ids, struct strv *users, struct berr *err)
{
	struct foreign_arg f = { .ids = ids, .users = users };

	if (refs_each(collect_foreign, &f, err) < 0)
		return -1;
	strv_sort(users);
	return 0;
}

int stack_info_load(const char *name, struct stack_info *info, struct berr *err)
{
	struct stack_record rec;

	memset(info, 0, sizeof(*info));
	if (stack_load(name, &rec, err) < 0)
		return -1;
	info->name = steal_ptr(rec.name);
	info->layers = rec.layers;
	info->config = rec.config;
	info->created = steal_ptr(rec.created);
	info->origin = steal_ptr(rec.origin);
	memset(&rec.layers, 0, sizeof(rec.layers));
	memset(&rec.config, 0, sizeof(rec.config));
	stack_record_release(&rec);
	for (size_t i = 0; i < info->layers.n; i++) {
		struct layer_info li;
		struct berr ignored;

		if (layer_info_load(info->layers.v[i], &li, &ignored) == 0) {
			info->size += li.size;
			layer_info_release(&li);
		}
	}
	if (stack_users(&info->layers, &info->users, err) < 0) {
		stack_info_release(info);
		return -1;
	}
	return 0;
}

void stack_info_release(struct stack_info *info)
{
	free(info->name);
	strv_free(&info->layers);
	stack_config_release(&info->config);
	free(info->created);
	free(info->origin);
	strv_free(&info->users);
	memset(info, 0, sizeof(*info));
}

int stack_remove(const char *name, bool force, struct berr *err)
{
	struct stack_record rec;
	struct strv users = { 0 };
	autofree char *path = NULL;
	autoclose int lock = -1;
	int r = -1;

	if (stack_load(name, &rec, err) < 0)
		return -1;
	lock = store_lock(LOCK_EX, err);
	if (lock < 0 || stack_users(&rec.layers, &users, err) < 0)
		goto out;
	if (users.n && !force) {
		berr_fail(err, "stack %s is in use by %s%s; pass --force to remove it anyway (its layers stay while they are used)",
			  name, users.v[0], users.n > 1 ? " and others" : "");
		goto out;
	}
	path = stack_file(name);
	if (unlink(path) < 0) {
		berr_sys(err, "remove stack file %s", path);
		goto out;
	}
	r = refs_drop_locked("stack", name, err);
out:
	strv_free(&users);
	stack_record_release(&rec);
	return r;
}
