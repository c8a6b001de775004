/* err.c - filling struct berr; see err.h. */
#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void berr_vformat(struct berr *err, int errnum, const char *fmt, va_list ap)
{
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);

	err->errnum = errnum;
	if (errnum && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
}

int berr_fail(struct berr *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	berr_vformat(err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int berr_sys(struct berr *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	berr_vformat(err, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int berr_errno(struct berr *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	berr_vformat(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int berr_prefix(struct berr *err, const char *fmt, ...)
{
	char prefix[512];
	char old[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation keeps the most important part, the prefix, whole. */
	size_t n = strlen(prefix);

	if (n > sizeof(err->msg) - 3)
		n = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	n += 2;
	size_t rest = strnlen(old, sizeof(old));
	if (rest > sizeof(err->msg) - 1 - n)
		rest = sizeof(err->msg) - 1 - n;
	memcpy(err->msg + n, old, rest);
	err->msg[n + rest] = '\0';
	return -1;
}
