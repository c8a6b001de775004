/* model.c - what an extraction wrote, described as it is written.
 *
 * Walking a fresh 200 MB layer again (a stat and an xattr listing per file) cost
 * a fifth of an import. berth is the only writer of the destination, so the
 * archive entries already say what each file, directory, symlink, fifo and
 * whiteout is: mode, owner, mtime (0 when the archive has none), size, kept
 * xattrs. Replacing a path replaces its entry, as extract.c unlinks and
 * recreates; a hard link shares its target's inode number; directories the
 * archive did not name are recorded when extract.c makes them. `berth
 * images:verify` re-walks a layer and checks that this description and the disk
 * agree. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "images/internal.h"

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->index = pathmap_new();
}

static void entry_clear(struct tree_entry *e)
{
	free(e->target);
	free(e->xattrs);
	e->target = e->xattrs = NULL;
	e->xattrs_len = 0;
}

void model_release(struct model *m)
{
	tree_free(&m->t);
	pathmap_free(m->index);
	m->index = NULL;
}

struct tree_entry *model_get(struct model *m, const char *path)
{
	uintptr_t i;

	if (!pathmap_get(m->index, path, &i) || !m->t.v[i].type)
		return NULL;
	return &m->t.v[i];
}

struct tree_entry *model_put(struct model *m, const char *path, char type)
{
	struct tree_entry *e;
	uintptr_t i;

	if (pathmap_get(m->index, path, &i)) {
		e = &m->t.v[i];
		entry_clear(e);
	} else {
		if (m->t.n == m->t.cap) {
			m->t.cap = m->t.cap ? m->t.cap * 2 : 1024;
			m->t.v = xrealloc(m->t.v, m->t.cap * sizeof(*m->t.v));
		}
		i = m->t.n++;
		e = &m->t.v[i];
		memset(e, 0, sizeof(*e));
		e->path = xstrdup(path);
		pathmap_put(m->index, path, i);
	}
	e->type = type;
	e->ino = ++m->next_ino;
	e->nlink = 1;
	e->file_no = -1;
	e->implied = false;
	e->opaque = false;
	e->have_digest = false;
	return e;
}

void model_from_archive(struct tree_entry *e, struct archive_entry *ae)
{
	struct xattr_pair pairs[64];
	size_t n = 0;
	const char *name;
	const void *value;
	size_t size;

	e->mode = (uint32_t)archive_entry_perm(ae) & 07777;
	e->uid = (uint32_t)archive_entry_uid(ae);
	e->gid = (uint32_t)archive_entry_gid(ae);
	e->mtime = archive_entry_mtime(ae);
	if (e->type == T_FILE)
		e->size = (uint64_t)archive_entry_size(ae);
	if (e->type == T_SYMLINK) {
		e->target = xstrdup(archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "");
		e->size = strlen(e->target);
	}
	if ((e->type != T_FILE && e->type != T_DIR) || archive_entry_xattr_reset(ae) == 0)
		return;
	while (n < ARRAY_SIZE(pairs) && archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
		if (!xattr_kept(name))
			continue;
		pairs[n].name = (char *)name;
		pairs[n].hex = xmalloc(2 * size + 1);
		hex_encode(value, size, pairs[n].hex);
		n++;
	}
	xattrs_encode(pairs, n, e);
	for (size_t i = 0; i < n; i++)
		free(pairs[i].hex);
}

int model_hardlink(struct model *m, const char *path, const char *target)
{
	struct tree_entry *t = model_get(m, target), *e;
	struct tree_entry copy;

	if (!t || t->type == T_DIR || t->type == T_WHITEOUT)
		return -1;
	copy = *t;
	copy.target = t->target ? xstrdup(t->target) : NULL;
	copy.xattrs = t->xattrs ? xmalloc(t->xattrs_len) : NULL;
	if (copy.xattrs)
		memcpy(copy.xattrs, t->xattrs, t->xattrs_len);
	e = model_put(m, path, copy.type);   /* may move t */
	copy.path = e->path;
	*e = copy;
	e->nlink = 2;
	t = model_get(m, target);
	if (t)
		t->nlink = 2;
	return 0;
}

void model_remove(struct model *m, const char *path)
{
	uintptr_t i;

	if (pathmap_get(m->index, path, &i) && m->t.v[i].type) {
		entry_clear(&m->t.v[i]);
		m->t.v[i].type = 0;
	}
}

int model_finish(struct model *m, const unsigned char (*digests)[SHA256_LEN], size_t ndigests,
		 struct tree *out)
{
	size_t w = 0;

	for (size_t i = 0; i < m->t.n; i++) {
		struct tree_entry *e = &m->t.v[i];

		if (e->type != T_FILE || e->file_no < 0)
			continue;
		if ((size_t)e->file_no >= ndigests)
			return -1;
		memcpy(e->digest, digests[e->file_no], SHA256_LEN);
		e->have_digest = true;
	}
	/* Drop removed entries, hand the rest over. */
	for (size_t i = 0; i < m->t.n; i++) {
		if (!m->t.v[i].type) {
			free(m->t.v[i].path);
			continue;
		}
		m->t.v[w++] = m->t.v[i];
	}
	m->t.n = w;
	*out = m->t;
	memset(&m->t, 0, sizeof(m->t));
	tree_finish(out);
	return 0;
}
