/* store.c - the layer store: where layers live, how one appears (atomically, once),
 * its metadata, and the leases that protect a new layer until someone references it.
 *
 * A layer is made in layers/.tmp-<pid>-XXXXXX/root, described and hashed there
 * (tree.c), then the whole temp directory is renamed to layers/<id>. rename(2) of a
 * directory onto an existing non-empty one fails, so two makers of the same content
 * race harmlessly: one rename wins and the other discards its copy. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "images/internal.h"

int layer_tmp_create(struct layer_tmp *t, struct berr *err)
{
	autofree char *tmpl = NULL;

	memset(t, 0, sizeof(*t));
	t->rootfd = -1;
	if (store_mkdirs(err) < 0)
		return -1;
	tmpl = store_path("layers/.tmp-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(tmpl))
		return berr_sys(err, "create a temporary layer directory %s", tmpl);
	t->dir = steal_ptr(tmpl);
	t->root = xasprintf("%s/root", t->dir);
	if (mkdir(t->root, 0755) < 0 || chmod(t->root, 0755) < 0) {
		berr_sys(err, "create %s", t->root);
		layer_tmp_discard(t);
		return -1;
	}
	t->rootfd = open(t->root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->rootfd < 0) {
		berr_sys(err, "open %s", t->root);
		layer_tmp_discard(t);
		return -1;
	}
	return 0;
}

void layer_tmp_discard(struct layer_tmp *t)
{
	struct berr ignored = { 0 };

	if (t->rootfd >= 0)
		close(t->rootfd);
	if (t->dir)
		rm_rf(t->dir, &ignored);
	free(t->dir);
	free(t->root);
	memset(t, 0, sizeof(*t));
	t->rootfd = -1;
}

static int write_layer_json(const char *path, const char *id, const struct tree *tree,
			    const char *origin, const char *parent, struct berr *err)
{
	autofree char *created = now_rfc3339();
	json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s}", "id", id, "size",
			      (json_int_t)tree->bytes, "files", (json_int_t)tree->n, "created",
			      created, "origin", origin ? origin : "");
	autofree char *text = NULL;
	int r;

	if (parent[0])
		json_object_set_new(o, "parent", json_string(parent));
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	r = write_file_atomic(path, text, strlen(text), 0644, err);
	return r;
}

int layer_tmp_finish(struct layer_tmp *t, struct tree *described, struct digest_table *known,
		     int walk_flags, const char *origin, struct images_lease *lease,
		     char id[LAYER_ID_HEX + 1], bool *created, struct berr *err)
{
	struct tree tree = { 0 };
	autofree char *meta = xasprintf("%s/layer.json", t->dir);
	autofree char *dst = NULL;
	autoclose int lock = -1;
	int r = -1;

	if (described) {
		tree = *described;
		memset(described, 0, sizeof(*described));
	} else if (tree_walk(t->rootfd, t->root, walk_flags, &tree, err) < 0) {
		goto out;
	}
	if (tree_digest(t->rootfd, t->root, &tree, known, id, err) < 0)
		goto out;
	if (t->parent[0]) {
		char content[LAYER_ID_HEX + 1];

		memcpy(content, id, sizeof(content));
		layer_id_on(content, t->parent, id);
	}
	if (write_layer_json(meta, id, &tree, origin, t->parent, err) < 0)
		goto out;
	lock = store_lock(LOCK_SH, err);
	if (lock < 0 || lease_take(lease, id, err) < 0)
		goto out;
	dst = store_path("layers/%s", id);
	close(t->rootfd);
	t->rootfd = -1;
	if (rename(t->dir, dst) == 0) {
		*created = true;
		free(t->dir);
		t->dir = NULL;
	} else if (errno == EEXIST || errno == ENOTEMPTY) {
		*created = false;
	} else {
		berr_sys(err, "move layer %s into %s", t->dir, dst);
		lease_drop(lease, id);
		goto out;
	}
	r = 0;
out:
	tree_free(&tree);
	layer_tmp_discard(t);
	return r;
}

int layer_commit_dir(const char *dir, const char *origin, char id[LAYER_ID_HEX + 1],
		     struct berr *err)
{
	return layer_commit_dir_leased(dir, origin, NULL, id, err);
}

int layer_commit_dir_leased(const char *dir, const char *origin, struct images_lease *lease,
			    char id[LAYER_ID_HEX + 1], struct berr *err)
{
	return layer_commit_dir_on(dir, origin, NULL, lease, id, err);
}

int layer_commit_dir_on(const char *dir, const char *origin, const char *parent,
			struct images_lease *lease, char id[LAYER_ID_HEX + 1], struct berr *err)
{
	struct layer_tmp t;
	struct digest_table *known = NULL;
	struct tree src = { 0 };
	bool created;
	int r = -1;

	if (parent && (!is_layer_id(parent) || !layer_exists(parent)))
		return berr_fail(err, "layer %s does not exist", parent);
	if (layer_tmp_create(&t, err) < 0)
		return -1;
	if (parent)
		memcpy(t.parent, parent, sizeof(t.parent));
	/* Move the directory in when it is on the store's filesystem; copy otherwise. */
	if (rename(dir, t.root) < 0) {
		autoclose int sfd = -1;

		if (errno != EXDEV) {
			berr_sys(err, "move %s into the layer store", dir);
			goto out;
		}
		sfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			berr_sys(err, "open %s", dir);
			goto out;
		}
		known = digest_table_new();
		if (tree_walk(sfd, dir, TREE_SANITIZE, &src, err) < 0 ||
		    tree_copy(sfd, t.rootfd, &src, dir, known, err) < 0 ||
		    rm_rf(dir, err) < 0)
			goto out;
	} else {
		/* The temp root was replaced: open what is there now. */
		close(t.rootfd);
		t.rootfd = open(t.root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (t.rootfd < 0) {
			berr_sys(err, "open %s", t.root);
			goto out;
		}
	}
	/* The lease stays until the caller records a reference (image_refs_set) or
	 * ends its own lease. */
	r = layer_tmp_finish(&t, NULL, known, TREE_SANITIZE, origin, lease, id, &created, err);
out:
	if (r < 0)
		layer_tmp_discard(&t);
	tree_free(&src);
	digest_table_free(known);
	return r;
}

/* Leases: leases/<random>.lease, one per operation, listing the layer ids it
 * holds, one a line, and flocked exclusively by its holder for as long as the
 * operation lasts. The kernel drops the lock when the holder dies, so gc tells a
 * dead holder's lease by the lock being free, whatever became of its pid. The
 * file is made with O_TMPFILE and locked before it gets a name: gc never sees it
 * unlocked while its holder lives. Ids are added and dropped with the store lock
 * held (shared), and read by gc with it held exclusively. */
struct images_lease {
	int fd;
	char *path;
	struct strv ids;
};

static char *lease_name(const char *dir, struct berr *err)
{
	char rnd[8], hex[17];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		berr_sys(err, "name a lease in %s", dir);
		return NULL;
	}
	hex_encode((unsigned char *)rnd, sizeof(rnd), hex);
	return xasprintf("%s/%s.lease", dir, hex);
}

/* Where O_TMPFILE is missing: create, lock, then check that gc did not take the
 * file in between (it only removes files whose lock it could take). */
static int lease_create_named(const char *dir, char **path, struct berr *err)
{
	for (int tries = 0; tries < 8; tries++) {
		struct stat a, b;
		int fd;

		free(*path);
		*path = lease_name(dir, err);
		if (!*path)
			return -1;
		fd = open(*path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return berr_sys(err, "create lease %s", *path);
		if (flock(fd, LOCK_EX) < 0) {
			close(fd);
			return berr_sys(err, "lock lease %s", *path);
		}
		if (fstat(fd, &a) == 0 && stat(*path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	return berr_fail(err, "create a lease in %s: it keeps disappearing", dir);
}

int images_lease_begin(struct images_lease **out, struct berr *err)
{
	autofree char *dir = NULL, *path = NULL;
	autoclose int fd = -1;
	char procpath[64];

	*out = NULL;
	if (store_mkdirs(err) < 0)
		return -1;
	dir = store_path("leases");
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		fd = lease_create_named(dir, &path, err);
		if (fd < 0)
			return -1;
	} else if (fd < 0) {
		return berr_sys(err, "create a lease in %s", dir);
	} else {
		if (flock(fd, LOCK_EX) < 0)
			return berr_sys(err, "lock a lease in %s", dir);
		snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
		for (int tries = 0;; tries++) {
			free(path);
			path = lease_name(dir, err);
			if (!path)
				return -1;
			if (linkat(AT_FDCWD, procpath, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
				break;
			if (errno != EEXIST || tries > 8)
				return berr_sys(err, "create lease %s", path);
		}
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->fd = steal_fd(&fd);
	(*out)->path = steal_ptr(path);
	return 0;
}

void images_lease_end(struct images_lease *l)
{
	if (!l)
		return;
	/* Unlinked while still locked: gc never mistakes it for a dead one. */
	unlink(l->path);
	close(l->fd);
	free(l->path);
	strv_free(&l->ids);
	free(l);
}

/* The lease of layer_commit_dir() callers that bring none: the process's own,
 * made when first needed, ending with the process. */
static pthread_mutex_t default_lease_mu = PTHREAD_MUTEX_INITIALIZER;
static struct images_lease *default_lease;

static struct images_lease *lease_or_default(struct images_lease *l, struct berr *err)
{
	autofree char *dir = NULL;

	if (l)
		return l;
	dir = store_path("leases/");
	pthread_mutex_lock(&default_lease_mu);
	/* Only tests change BERTH_ROOT within a process. */
	if (default_lease && !str_has_prefix(default_lease->path, dir)) {
		images_lease_end(default_lease);
		default_lease = NULL;
	}
	if (!default_lease && images_lease_begin(&default_lease, err) < 0)
		default_lease = NULL;
	l = default_lease;
	pthread_mutex_unlock(&default_lease_mu);
	return l;
}

static int lease_write(struct images_lease *l, struct berr *err)
{
	autofree char *text = xstrdup("");

	for (size_t i = 0; i < l->ids.n; i++) {
		char *next = xasprintf("%s%s\n", text, l->ids.v[i]);

		free(text);
		text = next;
	}
	if (ftruncate(l->fd, 0) < 0 || pwrite(l->fd, text, strlen(text), 0) != (ssize_t)strlen(text))
		return berr_sys(err, "write lease %s", l->path);
	return 0;
}

int lease_take(struct images_lease *l, const char *id, struct berr *err)
{
	l = lease_or_default(l, err);
	if (!l)
		return -1;
	for (size_t i = 0; i < l->ids.n; i++)
		if (!strcmp(l->ids.v[i], id))
			return 0;
	strv_push(&l->ids, id);
	return lease_write(l, err);
}

void lease_drop(struct images_lease *l, const char *id)
{
	struct berr ignored = { 0 };
	size_t w = 0;
	bool found = false;

	if (!l) {
		pthread_mutex_lock(&default_lease_mu);
		l = default_lease;
		pthread_mutex_unlock(&default_lease_mu);
	}
	if (!l)
		return;
	for (size_t i = 0; i < l->ids.n; i++) {
		if (!strcmp(l->ids.v[i], id)) {
			free(l->ids.v[i]);
			found = true;
			continue;
		}
		l->ids.v[w++] = l->ids.v[i];
	}
	l->ids.n = w;
	if (l->ids.v)
		l->ids.v[w] = NULL;
	if (found)
		lease_write(l, &ignored);
}

/* Live leases' ids into alive; with remove_dead, the files of dead holders (and
 * of berth versions that named leases after pids) go. */
static void lease_scan_one(int dfd, const char *name, struct strv *alive, bool remove_dead)
{
	autoclose int fd = -1;
	autofree char *text = NULL;
	struct berr ignored = { 0 };
	size_t len;

	if (!str_has_suffix(name, ".lease")) {
		if (remove_dead)
			unlinkat(dfd, name, 0);
		return;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		/* Nobody holds it: its operation is over. */
		if (remove_dead)
			unlinkat(dfd, name, 0);
		return;
	}
	if (read_fd(fd, &text, &len, &ignored) < 0)
		return;
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (is_layer_id(line))
			strv_push(alive, line);
	}
}

int leases_scan(struct strv *alive, bool remove_dead, struct berr *err)
{
	autofree char *dir = store_path("leases");
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return berr_sys(err, "open %s", dir);
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			lease_scan_one(dirfd(d), de->d_name, alive, remove_dead);
	return 0;
}

bool layer_leased(const char *id)
{
	struct strv alive = { 0 };
	struct berr ignored = { 0 };
	bool found = false;

	if (leases_scan(&alive, false, &ignored) == 0)
		for (size_t i = 0; i < alive.n && !found; i++)
			found = !strcmp(alive.v[i], id);
	strv_free(&alive);
	return found;
}

/* Move a layer out of sight first, then delete it: a half-deleted layer never
 * looks like a layer. Call with the store lock held exclusively. */
int layer_remove_locked(const char *id, struct berr *err)
{
	autofree char *src = store_path("layers/%s", id);
	autofree char *dst = store_path("layers/.gc-%s-%d", id, (int)getpid());

	if (rename(src, dst) < 0)
		return berr_sys(err, "remove layer %s", id);
	return rm_rf(dst, err);
}

void layer_rollback(struct images_lease *lease, const char *id)
{
	struct strv users = { 0 };
	struct berr ignored = { 0 };
	autoclose int lock = store_lock(LOCK_EX, &ignored);

	lease_drop(lease, id);
	if (lock < 0)
		return;
	if (refs_users(id, &users, &ignored) == 0 && users.n == 0 && !layer_leased(id))
		layer_remove_locked(id, &ignored);
	strv_free(&users);
}

int layer_list(struct strv *ids, struct berr *err)
{
	autofree char *dir = store_path("layers");
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return berr_sys(err, "open %s", dir);
	}
	while ((de = readdir(d)))
		if (is_layer_id(de->d_name))
			strv_push(ids, de->d_name);
	strv_sort(ids);
	return 0;
}

int layer_info_load(const char *id, struct layer_info *info, struct berr *err)
{
	autofree char *path = NULL;
	json_error_t jerr;
	json_t *o;
	json_int_t size = 0, files = 0;
	const char *created = "", *origin = "", *parent = "";

	memset(info, 0, sizeof(*info));
	if (!layer_exists(id))
		return berr_fail(err, "layer %s does not exist", id);
	path = store_path("layers/%s/layer.json", id);
	o = json_load_file(path, 0, &jerr);
	if (!o || json_unpack_ex(o, &jerr, 0, "{s?I, s?I, s?s, s?s, s?s}", "size", &size, "files",
				 &files, "created", &created, "origin", &origin, "parent",
				 &parent) < 0) {
		json_decref(o);
		return berr_fail(err, "read %s: %s", path, jerr.text);
	}
	snprintf(info->id, sizeof(info->id), "%s", id);
	info->size = (uint64_t)size;
	info->files = (uint64_t)files;
	info->created = xstrdup(created);
	info->origin = xstrdup(origin);
	snprintf(info->parent, sizeof(info->parent), "%s", is_layer_id(parent) ? parent : "");
	json_decref(o);
	info->leased = layer_leased(id);
	return refs_users(id, &info->users, err);
}

void layer_info_release(struct layer_info *info)
{
	free(info->created);
	free(info->origin);
	strv_free(&info->users);
	memset(info, 0, sizeof(*info));
}

void progress_say(const struct images_progress *p, const char *fmt, ...)
{
	autofree char *line = NULL;
	va_list ap;
	int r;

	if (!p || !p->fn)
		return;
	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r >= 0)
		p->fn(p->arg, line);
}

void images_format_size(uint64_t bytes, char out[32])
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(out, 32, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, 32, "%.1f %s", v, units[u]);
}

int layer_verify(const char *id, bool *ok, struct berr *err)
{
	autofree char *root = NULL;
	autoclose int fd = -1;
	struct tree tree = { 0 };
	char actual[LAYER_ID_HEX + 1], parent[LAYER_ID_HEX + 1];
	int r;

	if (!layer_exists(id))
		return berr_fail(err, "layer %s does not exist", id);
	root = layer_path(id);
	fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berr_sys(err, "open %s", root);
	r = layer_parent(id, parent, err);
	if (r == 0)
		r = tree_walk(fd, root, 0, &tree, err);
	if (r == 0)
		r = tree_digest(fd, root, &tree, NULL, actual, err);
	tree_free(&tree);
	if (r == 0 && parent[0]) {
		char content[LAYER_ID_HEX + 1];

		memcpy(content, actual, sizeof(content));
		layer_id_on(content, parent, actual);
	}
	if (r == 0)
		*ok = !strcmp(actual, id);
	return r;
}
