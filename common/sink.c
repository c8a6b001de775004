/* sink.c - see sink.h. */
#include "common/sink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *sink_prefix(enum sink_kind kind)
{
	switch (kind) {
	case SINK_HEADER: return "=====> ";
	case SINK_STEP:   return "-----> ";
	case SINK_DETAIL: return "       ";
	case SINK_WARN:
	case SINK_ERROR:  return " !     ";
	case SINK_OUTPUT: return "";
	}
	return "";
}

void sink_emit(const struct sink *sink, enum sink_kind kind, const char *fmt, ...)
{
	char buf[1024];
	char *text = buf;
	va_list ap;
	int n;

	if (!sink || !sink->line)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		va_start(ap, fmt);
		if (vasprintf(&text, fmt, ap) < 0)
			text = buf;  /* keep the truncated line rather than none */
		va_end(ap);
	}
	sink->line(sink->ctx, kind, text);
	if (text != buf)
		free(text);
}
