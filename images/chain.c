/* chain.c - layers over layers.
 *
 * A layer may sit on a parent: it then holds only what differs from the tree
 * its parent's chain gives (changed entries, whiteouts for deletions, opaque
 * directories where a directory was replaced), and is mounted above it. This is
 * how a push of one changed file stores one file (build/ makes such source
 * layers). The parent is named in layer.json and folded into the id
 * (layer_id_on), so that an id names the whole merged tree: the same changes
 * over two different parents are two layers. gc keeps every layer a kept
 * layer's chain needs. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "images/internal.h"

/* Longer chains are refused: nothing berth makes comes near (build/ flattens a
 * source chain long before), and a damaged layer.json cannot loop forever. */
#define LAYER_CHAIN_MAX 64

void layer_id_on(const char *content_id, const char *parent, char id[LAYER_ID_HEX + 1])
{
	autofree char *text = xasprintf("berth-layer-on-v1\n%s\n%s\n", parent, content_id);

	sha256_hex(text, strlen(text), id);
}

int layer_parent(const char *id, char parent[LAYER_ID_HEX + 1], struct berr *err)
{
	autofree char *path = store_path("layers/%s/layer.json", id);
	json_error_t jerr;
	json_t *o = json_load_file(path, 0, &jerr);
	const char *p = NULL;
	int r = 0;

	parent[0] = '\0';
	if (!o)
		return berr_fail(err, "read %s: %s", path, jerr.text);
	if (json_unpack_ex(o, &jerr, 0, "{s?s}", "parent", &p) < 0)
		r = berr_fail(err, "read %s: %s", path, jerr.text);
	else if (p && !is_layer_id(p))
		r = berr_fail(err, "read %s: parent '%s' is not a layer id", path, p);
	else if (p)
		memcpy(parent, p, LAYER_ID_HEX + 1);
	json_decref(o);
	return r;
}

int layer_chain(const char *id, struct strv *ids, struct berr *err)
{
	struct strv top_first = { 0 };
	char cur[LAYER_ID_HEX + 1];
	int r = -1;

	if (!is_layer_id(id))
		return berr_fail(err, "'%s' is not a layer id", id);
	memcpy(cur, id, sizeof(cur));
	while (cur[0]) {
		if (top_first.n >= LAYER_CHAIN_MAX) {
			berr_fail(err, "layer %s sits on more than %d layers", id, LAYER_CHAIN_MAX);
			goto out;
		}
		if (!layer_exists(cur)) {
			if (top_first.n)
				berr_fail(err, "layer %s does not exist (layer %.12s sits on it)", cur,
					  top_first.v[top_first.n - 1]);
			else
				berr_fail(err, "layer %s does not exist", cur);
			goto out;
		}
		strv_push(&top_first, cur);
		if (layer_parent(cur, cur, err) < 0)
			goto out;
	}
	for (size_t i = top_first.n; i-- > 0;)
		strv_push(ids, top_first.v[i]);
	r = 0;
out:
	strv_free(&top_first);
	return r;
}

void layers_add_parents(struct strv *ids)
{
	size_t n = ids->n;

	for (size_t i = 0; i < n; i++) {
		char cur[LAYER_ID_HEX + 1];
		struct berr ignored = { 0 };

		memcpy(cur, ids->v[i], sizeof(cur));
		for (int depth = 0; depth < LAYER_CHAIN_MAX; depth++) {
			if (!layer_exists(cur) || layer_parent(cur, cur, &ignored) < 0 || !cur[0])
				break;
			strv_push(ids, cur);
		}
	}
	strv_sort(ids);
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool is_opaque(int dirfd, const char *name)
{
	autoclose int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char v[2];

	return fd >= 0 && fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* What layer dir says about path: FOUND (it holds it), ABSENT (path is not in
 * the merged tree, whatever lies below), or PASS (look in the layers below). */
enum find { FIND_PASS, FIND_FOUND, FIND_ABSENT };

static enum find find_in(const char *dir, const char *path, struct berr *err, int *fail)
{
	autoclose int cur = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	autofree char *copy = xstrdup(path);
	char *save = NULL;
	bool hides = false;

	if (cur < 0) {
		*fail = berr_sys(err, "open layer %s", dir);
		return FIND_ABSENT;
	}
	for (char *name = strtok_r(copy, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		bool last = save == NULL || *save == '\0';
		struct stat st;
		int next;

		if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT && errno != ENOTDIR) {
				*fail = berr_sys(err, "look up %s in layer %s", path, dir);
				return FIND_ABSENT;
			}
			/* An opaque directory on the way hides the layers below. */
			return hides ? FIND_ABSENT : FIND_PASS;
		}
		if (is_whiteout(&st))
			return FIND_ABSENT;
		if (last)
			return FIND_FOUND;
		/* A non-directory above hides whatever lower layers have below it. */
		if (!S_ISDIR(st.st_mode))
			return FIND_ABSENT;
		hides = hides || is_opaque(cur, name);
		next = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			*fail = berr_sys(err, "open %s in layer %s", name, dir);
			return FIND_ABSENT;
		}
		close(cur);
		cur = next;
	}
	return FIND_FOUND;  /* path "" or "/": the root */
}

int layers_find(const struct strv *dirs, const char *path, size_t *index, struct berr *err)
{
	for (size_t i = dirs->n; i-- > 0;) {
		int fail = 0;

		switch (find_in(dirs->v[i], path, err, &fail)) {
		case FIND_FOUND:
			*index = i;
			return 1;
		case FIND_ABSENT:
			return fail;
		case FIND_PASS:
			break;
		}
	}
	return 0;
}

int layers_read_file(const char *top, const char *path, const char *what, size_t max,
		     char **text, size_t *len, struct berr *err)
{
	struct strv ids = { 0 }, dirs = { 0 };
	autoclose int rootfd = -1;
	size_t at;
	int found;

	*text = NULL;
	if (len)
		*len = 0;
	if (layer_chain(top, &ids, err) < 0)
		return -1;
	for (size_t i = 0; i < ids.n; i++)
		strv_push_owned(&dirs, layer_path(ids.v[i]));
	found = layers_find(&dirs, path, &at, err);
	if (found > 0) {
		rootfd = open(dirs.v[at], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (rootfd < 0)
			found = berr_sys(err, "open layer %s", dirs.v[at]);
	}
	if (found > 0)
		found = read_file_beneath(rootfd, path, what, max, text, len, err);
	strv_free(&ids);
	strv_free(&dirs);
	return found;
}
