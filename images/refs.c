/* refs.c - who uses which layers, and garbage collection of the layers nobody uses.
 *
 * A reference is a small JSON file refs/<owner>/<name> listing layer ids. Owners are
 * kinds ("stack", "release", "container"); names are theirs to choose and are stored
 * escaped. gc holds the store lock exclusively, so it never sees a layer between its
 * creation and its maker's lease, nor a reference half-written. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "images/internal.h"

static int owner_check(const char *owner, struct berr *err)
{
	size_t n = strlen(owner);

	if (n == 0 || n > 32 || !(owner[0] >= 'a' && owner[0] <= 'z') ||
	    strspn(owner, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return berr_fail(err, "reference owner '%s': use lower-case letters, digits and '-'", owner);
	return 0;
}

/* Names become file names: keep [A-Za-z0-9_.-], escape the rest (and a leading
 * dot) as %XX so that "myapp/v3" is one file. */
static char *name_escape(const char *name)
{
	char *out = xmalloc(3 * strlen(name) + 1), *w = out;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '-' || (*p == '.' && p != (const unsigned char *)name))
			*w++ = (char)*p;
		else
			w += sprintf(w, "%%%02X", *p);
	}
	*w = '\0';
	return out;
}

int refs_write_locked(const char *owner, const char *name, const struct strv *layer_ids,
		      struct berr *err)
{
	autofree char *esc = NULL, *dir = NULL, *path = NULL, *text = NULL;
	json_t *ids, *o;

	if (owner_check(owner, err) < 0)
		return -1;
	if (!name[0] || strlen(name) > 200)
		return berr_fail(err, "reference name '%s': use 1 to 200 characters", name);
	ids = json_array();
	for (size_t i = 0; i < layer_ids->n; i++) {
		if (!layer_exists(layer_ids->v[i])) {
			json_decref(ids);
			return berr_fail(err, "%s %s: layer %s does not exist", owner, name, layer_ids->v[i]);
		}
		json_array_append_new(ids, json_string(layer_ids->v[i]));
	}
	o = json_pack("{s:s, s:s, s:o}", "owner", owner, "name", name, "layers", ids);
	text = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	esc = name_escape(name);
	dir = store_path("refs/%s", owner);
	path = xasprintf("%s/%s", dir, esc);
	if (mkdir_p(dir, 0755, err) < 0 || write_file_atomic(path, text, strlen(text), 0644, err) < 0)
		return -1;
	/* The reference protects these layers from now on: the process's own lease
	 * lets go of them (an operation's lease holds them until it ends). */
	for (size_t i = 0; i < layer_ids->n; i++)
		lease_drop(NULL, layer_ids->v[i]);
	return 0;
}

int image_refs_set(const char *owner, const char *name, const struct strv *layer_ids,
		   struct berr *err)
{
	autoclose int lock = store_lock(LOCK_SH, err);

	if (lock < 0)
		return -1;
	return refs_write_locked(owner, name, layer_ids, err);
}

int refs_drop_locked(const char *owner, const char *name, struct berr *err)
{
	autofree char *esc = NULL, *path = NULL;

	if (owner_check(owner, err) < 0)
		return -1;
	esc = name_escape(name);
	path = store_path("refs/%s/%s", owner, esc);
	if (unlink(path) < 0 && errno != ENOENT)
		return berr_sys(err, "remove reference %s", path);
	return 0;
}

int image_refs_drop(const char *owner, const char *name, struct berr *err)
{
	autoclose int lock = store_lock(LOCK_SH, err);

	if (lock < 0)
		return -1;
	return refs_drop_locked(owner, name, err);
}

int refs_each(ref_fn fn, void *arg, struct berr *err)
{
	autofree char *top = store_path("refs");
	autoclosedir DIR *d = opendir(top);
	struct dirent *od;

	if (!d)
		return errno == ENOENT ? 0 : berr_sys(err, "open %s", top);
	while ((od = readdir(d))) {
		autofree char *odir = NULL;
		autoclosedir DIR *dd = NULL;
		struct dirent *rd;

		if (od->d_name[0] == '.')
			continue;
		odir = xasprintf("%s/%s", top, od->d_name);
		dd = opendir(odir);
		if (!dd)
			continue;
		while ((rd = readdir(dd))) {
			autofree char *path = NULL;
			json_error_t jerr;
			json_t *o, *layers;
			const char *name;
			int r;

			if (rd->d_name[0] == '.' || strstr(rd->d_name, ".tmp."))
				continue;
			path = xasprintf("%s/%s", odir, rd->d_name);
			o = json_load_file(path, 0, &jerr);
			if (!o)
				return berr_fail(err, "read reference %s: %s", path, jerr.text);
			layers = json_object_get(o, "layers");
			name = json_string_value(json_object_get(o, "name"));
			if (!json_is_array(layers) || !name) {
				json_decref(o);
				return berr_fail(err, "reference %s is damaged: no name or layers", path);
			}
			r = fn(od->d_name, name, layers, arg, err);
			json_decref(o);
			if (r < 0)
				return -1;
		}
	}
	return 0;
}

struct users_arg {
	const char *id;
	struct strv *users;
};

static int collect_users(const char *owner, const char *name, void *lv, void *arg,
			 struct berr *err)
{
	struct users_arg *u = arg;
	json_t *layers = lv, *v;
	size_t i;

	(void)err;
	json_array_foreach(layers, i, v) {
		const char *s = json_string_value(v);

		if (s && !strcmp(s, u->id)) {
			strv_push_owned(u->users, xasprintf("%s:%s", owner, name));
			break;
		}
	}
	return 0;
}

int refs_users(const char *id, struct strv *users, struct berr *err)
{
	struct users_arg u = { .id = id, .users = users };

	if (refs_each(collect_users, &u, err) < 0)
		return -1;
	strv_sort(users);
	return 0;
}

static int collect_ids(const char *owner, const char *name, void *lv, void *arg,
		       struct berr *err)
{
	json_t *layers = lv, *v;
	size_t i;

	(void)err;
	/* A stack's reference without its stack file is a leftover of an interrupted
	 * create or remove: it protects nothing. */
	if (!strcmp(owner, "stack") && !stack_exists(name))
		return 0;
	json_array_foreach(layers, i, v)
		if (json_string_value(v))
			strv_push(arg, json_string_value(v));
	return 0;
}

int refs_all_ids(struct strv *ids, struct berr *err)
{
	if (refs_each(collect_ids, ids, err) < 0)
		return -1;
	strv_sort(ids);
	return 0;
}

static bool in_sorted(const struct strv *sv, const char *s)
{
	return sv->n && bsearch(&s, sv->v, sv->n, sizeof(char *), strv_cmp) != NULL;
}

static bool pid_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH);
}

/* Leftovers of work that was interrupted: temp layers and unpacked imports of dead
 * processes, layers half-removed by an interrupted gc. */
static void remove_leftovers(const char *sub, const char *prefix, bool check_pid)
{
	autofree char *dir = store_path("%s", sub);
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;
	struct berr ignored = { 0 };

	if (!d)
		return;
	while ((de = readdir(d))) {
		autofree char *path = NULL;

		if (!str_has_prefix(de->d_name, prefix))
			continue;
		if (check_pid && pid_alive(strtol(de->d_name + strlen(prefix), NULL, 10)))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		rm_rf(path, &ignored);
	}
}

static void drop_orphan_stack_refs(void)
{
	autofree char *dir = store_path("refs/stack");
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strchr(de->d_name, '%'))
			continue;
		/* Stack names never need escaping, so the file name is the name. */
		if (!stack_exists(de->d_name))
			unlinkat(dirfd(d), de->d_name, 0);
	}
}

int images_gc(const struct images_progress *progress, struct strv *freed, uint64_t *bytes,
	      struct berr *err)
{
	struct strv layers = { 0 }, used = { 0 }, leased = { 0 };
	autoclose int lock = store_lock(LOCK_EX, err);
	int r = -1;

	*bytes = 0;
	if (lock < 0)
		return -1;
	remove_leftovers("layers", ".gc-", false);
	remove_leftovers("layers", ".tmp-", true);
	remove_leftovers("tmp", "import-", true);
	remove_leftovers("tmp", "debian-", true);
	{
		autofree char *tmp = store_path("tmp");

		workdir_remove_stale(tmp);  /* killed deploys' build dirs (common/fs.h) */
	}
	if (layer_list(&layers, err) < 0 || refs_all_ids(&used, err) < 0 ||
	    leases_scan(&leased, true, err) < 0)
		goto out;
	/* A kept layer keeps the layers it sits on (chain.c). */
	layers_add_parents(&used);
	layers_add_parents(&leased);
	for (size_t i = 0; i < layers.n; i++) {
		const char *id = layers.v[i];
		struct layer_info info;
		struct berr ignored = { 0 };
		char human[32];
		uint64_t size = 0;

		if (in_sorted(&used, id) || in_sorted(&leased, id))
			continue;
		if (layer_info_load(id, &info, &ignored) == 0) {
			size = info.size;
			layer_info_release(&info);
		}
		if (layer_remove_locked(id, err) < 0)
			goto out;
		strv_push(freed, id);
		*bytes += size;
		images_format_size(size, human);
		progress_say(progress, "Removed layer %.12s (%s)", id, human);
	}
	drop_orphan_stack_refs();
	r = 0;
out:
	strv_free(&layers);
	strv_free(&used);
	strv_free(&leased);
	return r;
}
