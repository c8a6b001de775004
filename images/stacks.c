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
#include "common/jsonfile.h"
#include "images/internal.h"

int stack_save(const struct stack_record *rec, struct berr *err)
{
	autofree char *path = stack_file(rec->name);
	autofree char *tmp = store_path("stacks/.%s.tmp-%d", rec->name, (int)getpid());
	autofree char *text = NULL;
	autoclose int lock = -1;
	struct berr ignored = { 0 };
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
	/* Again under the lock: another creator may have won since the first check. */
	if (stack_name_available(rec->name, err) < 0)
		return -1;
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
		struct berr ignored = { 0 };

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
