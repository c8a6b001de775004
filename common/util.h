/* util.h - memory, strings and string vectors used across berth.
 *
 * Allocation failures abort with a message (as git and redis do): a daemon that
 * cannot allocate a few bytes cannot report anything useful either. */
#ifndef BERTH_COMMON_UTIL_H
#define BERTH_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Say " !     berth: out of memory" and abort: what x*alloc do when memory runs
 * out, for allocators other than malloc (libarchive's). */
void xalloc_failed(size_t n) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
/* Is word one of the space- or newline-separated words of list? */
bool str_word_in(const char *list, const char *word);

/* "512m", "1g", "64k", "1048576" -> bytes. Binary units, as Docker and Dokku use. */
int parse_size(const char *s, uint64_t *out, struct berr *err);
/* A decimal unsigned integer that fits in max; rejects signs, spaces and junk. */
int parse_uint(const char *s, uint64_t max, uint64_t *out, struct berr *err);

/* A NULL-terminated, growable vector of owned strings (argv, envp, layer lists). */
struct strv {
	char **v;
	size_t n;
	size_t cap;
};

void strv_push(struct strv *sv, const char *s);
void strv_push_owned(struct strv *sv, char *s);
void strv_free(struct strv *sv);
/* Set K=V in an environment vector, replacing an existing K. */
void strv_setenv(struct strv *env, const char *key, const char *value);
const char *strv_getenv(const struct strv *env, const char *key);
/* qsort comparator for char * elements, and sorting a vector with it. */
int strv_cmp(const void *a, const void *b);
void strv_sort(struct strv *sv);

#endif
