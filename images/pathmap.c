/* pathmap.c - a hash table from paths to numbers, for the per-entry bookkeeping
 * of an import (which paths the archive named, which files' digests are known).
 *
 * A balanced tree (tsearch) did the same with fifteen strcmp()s per lookup, which
 * showed up as a tenth of a 200 MB import. Open addressing, linear probing, FNV-1a;
 * removed entries stay as tombstones until the table grows. */
#include <stdlib.h>
#include <string.h>

#include "images/internal.h"

struct slot {
	char *key;        /* NULL: never used */
	uint64_t hash;
	uintptr_t value;
	bool live;        /* false with a key: removed (a tombstone) */
};

struct pathmap {
	struct slot *slots;
	size_t cap;       /* a power of two */
	size_t used;      /* live entries and tombstones */
	size_t live;
};

static uint64_t hash_path(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct pathmap *pathmap_new(void)
{
	struct pathmap *m = xcalloc(1, sizeof(*m));

	m->cap = 1024;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

static struct slot *find(const struct pathmap *m, const char *key, uint64_t h)
{
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct slot *s = &m->slots[i];

		if (!s->key || (s->hash == h && !strcmp(s->key, key)))
			return s;
	}
}

static void grow(struct pathmap *m)
{
	struct slot *old = m->slots;
	size_t oldcap = m->cap;

	m->cap = m->live * 4 > oldcap ? oldcap * 2 : oldcap;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->used = m->live;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key)
			continue;
		if (!old[i].live) {
			free(old[i].key);
			continue;
		}
		*find(m, old[i].key, old[i].hash) = old[i];
	}
	free(old);
}

const char *pathmap_put(struct pathmap *m, const char *key, uintptr_t value)
{
	uint64_t h = hash_path(key);
	struct slot *s = find(m, key, h);

	if (!s->key) {
		if ((m->used + 1) * 10 > m->cap * 7) {
			grow(m);
			s = find(m, key, h);
		}
		s->key = xstrdup(key);
		s->hash = h;
		m->used++;
	}
	if (!s->live)
		m->live++;
	s->live = true;
	s->value = value;
	return s->key;
}

bool pathmap_get(const struct pathmap *m, const char *key, uintptr_t *value)
{
	struct slot *s;

	if (!m)
		return false;
	s = find(m, key, hash_path(key));
	if (!s->key || !s->live)
		return false;
	if (value)
		*value = s->value;
	return true;
}

void pathmap_del(struct pathmap *m, const char *key)
{
	struct slot *s = find(m, key, hash_path(key));

	if (s->key && s->live) {
		s->live = false;
		m->live--;
	}
}

void pathmap_each(const struct pathmap *m, void (*fn)(const char *key, uintptr_t value, void *arg),
		  void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].live)
			fn(m->slots[i].key, m->slots[i].value, arg);
}

void pathmap_free(struct pathmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}
