/* err.h - the one error style of berth.
 *
 * Functions return 0 on success and a negative value on failure, after filling a
 * struct berr with a message that names what failed and on which object, e.g.
 * "mount overlay on /var/lib/berth/...: No such device". Callers add context with
 * berr_prefix() and the command layer prints the message once. */
#ifndef BERTH_COMMON_ERR_H
#define BERTH_COMMON_ERR_H

#include <stddef.h>

struct berr {
	int errnum;        /* errno behind the failure, 0 when none */
	char msg[1024];
};

/* Fill err with a formatted message; returns -1. */
int berr_fail(struct berr *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like berr_fail, appending ": strerror(errno)"; returns -1. */
int berr_sys(struct berr *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like berr_sys with an explicit error number (for functions returning -errno). */
int berr_errno(struct berr *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend "prefix: " to the message already in err; returns -1. */
int berr_prefix(struct berr *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
