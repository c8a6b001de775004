/* util.c - see util.h. */
#include "common/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

void xalloc_failed(size_t n)
{
	fprintf(stderr, " !     berth: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		xalloc_failed(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		xalloc_failed(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		xalloc_failed(n);
	return q;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		xalloc_failed(strlen(s) + 1);
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		xalloc_failed(n + 1);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		xalloc_failed(strlen(fmt));
	return p;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

bool str_word_in(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += wl)
		if ((p == list || p[-1] == ' ' || p[-1] == '\n') &&
		    (p[wl] == ' ' || p[wl] == '\n' || !p[wl]))
			return true;
	return false;
}

int parse_uint(const char *s, uint64_t max, uint64_t *out, struct berr *err)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return berr_fail(err, "'%s' is not a number", s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return berr_fail(err, "'%s' is not a number between 0 and %llu", s,
				 (unsigned long long)max);
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out, struct berr *err)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!s || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	switch (*end) {
	case '\0': break;
	case 'b': case 'B': mult = 1; end++; break;
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	case 't': case 'T': mult = 1ULL << 40; end++; break;
	default: goto bad;
	}
	/* Accept the "512mb"/"1gB" spellings Docker accepts. */
	if (mult > 1 && (*end == 'b' || *end == 'B'))
		end++;
	if (*end || v == 0 || v > UINT64_MAX / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	return berr_fail(err, "bad size '%s': use a positive number with an optional unit b, k, m, g or t (e.g. 512m)",
			 s ? s : "");
}

void strv_push_owned(struct strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xrealloc(sv->v, sv->cap * sizeof(char *));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strv_push(struct strv *sv, const char *s)
{
	strv_push_owned(sv, xstrdup(s));
}

void strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static ssize_t strv_find_env(const struct strv *env, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], key, kl) == 0 && env->v[i][kl] == '=')
			return (ssize_t)i;
	return -1;
}

void strv_setenv(struct strv *env, const char *key, const char *value)
{
	ssize_t i = strv_find_env(env, key);
	char *kv = xasprintf("%s=%s", key, value);

	if (i < 0) {
		strv_push_owned(env, kv);
		return;
	}
	free(env->v[i]);
	env->v[i] = kv;
}

const char *strv_getenv(const struct strv *env, const char *key)
{
	ssize_t i = strv_find_env(env, key);

	return i < 0 ? NULL : env->v[i] + strlen(key) + 1;
}

int strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(struct strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(char *), strv_cmp);
}
