/* cleanup.h - scope-bound release of memory, descriptors and streams.
 *
 * With these, an early `return` cannot leak: `autofree char *p = ...;` is freed and
 * `autoclose int fd = ...;` is closed when the variable goes out of scope. Transfer
 * ownership out of a scope with steal_ptr()/steal_fd(). */
#ifndef BERTH_COMMON_CLEANUP_H
#define BERTH_COMMON_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void cleanup_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define autofree __attribute__((cleanup(cleanup_freep)))
#define autoclose __attribute__((cleanup(cleanup_closep)))
#define autofclose __attribute__((cleanup(cleanup_fclosep)))
#define autoclosedir __attribute__((cleanup(cleanup_closedirp)))

static inline void *steal_ptr_impl(void *pp)
{
	void **p = pp;
	void *v = *p;

	*p = NULL;
	return v;
}

static inline int steal_fd(int *fd)
{
	int v = *fd;

	*fd = -1;
	return v;
}

#define steal_ptr(p) steal_ptr_impl(&(p))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
