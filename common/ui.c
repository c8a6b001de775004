/* ui.c - see ui.h. */
#include "common/ui.h"

#include <stdarg.h>
#include <stdio.h>

static void ui_line(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

#define UI_FN(name, stream, prefix)                    \
	void name(const char *fmt, ...)                \
	{                                              \
		va_list ap;                            \
		va_start(ap, fmt);                     \
		ui_line(stream, prefix, fmt, ap);      \
		va_end(ap);                            \
	}

UI_FN(ui_header, stdout, "=====> ")
UI_FN(ui_step, stdout, "-----> ")
UI_FN(ui_detail, stdout, "       ")
UI_FN(ui_error, stderr, " !     ")
UI_FN(ui_warn, stderr, " !     ")

void ui_report_row(const char *key, const char *value)
{
	/* Dokku pads report keys to 26 columns after the 7-space indent. */
	printf("       %-26s %s\n", key, value ? value : "");
}

static void ui_sink_line(void *ctx, enum sink_kind kind, const char *text)
{
	FILE *f = (kind == SINK_WARN || kind == SINK_ERROR) ? stderr : stdout;

	(void)ctx;
	fputs(sink_prefix(kind), f);
	fputs(text, f);
	fputc('\n', f);
	fflush(f);
}

const struct sink *ui_sink(void)
{
	static const struct sink sink = { .line = ui_sink_line };
	return &sink;
}
