/* ui.c - see ui.h. */
#include "common/ui.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool ui_quiet;

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

#define UI_FN_Q(name, stream, prefix)                  \
	void name(const char *fmt, ...)                \
	{                                              \
		va_list ap;                            \
		if (ui_quiet)                          \
			return;                        \
		va_start(ap, fmt);                     \
		ui_line(stream, prefix, fmt, ap);      \
		va_end(ap);                            \
	}

UI_FN(ui_header, stdout, "=====> ")
UI_FN_Q(ui_header_q, stdout, "=====> ")
UI_FN_Q(ui_step_q, stdout, "-----> ")
UI_FN(ui_step, stdout, "-----> ")
UI_FN(ui_detail, stdout, "       ")
UI_FN(ui_error, stderr, " !     ")
UI_FN(ui_warn, stderr, " !     ")

void ui_report_row(const char *key, const char *value)
{
	/* Dokku pads report keys to 26 columns after the 7-space indent. */
	printf("       %-26s %s\n", key, value ? value : "");
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void ui_env_rows(const char *indent, const char *const *env, size_t n)
{
	int width = 0;

	for (size_t i = 0; i < n; i++) {
		int k = (int)strcspn(env[i], "=") + 1;

		if (k > width)
			width = k;
	}
	for (size_t i = 0; i < n; i++) {
		int k = (int)strcspn(env[i], "=");
		const char *v = env[i][k] ? env[i] + k + 1 : "";
		size_t len = strlen(v);

		while (len && blank(*v)) {
			v++;
			len--;
		}
		while (len && blank(v[len - 1]))
			len--;
		printf("%s%.*s:%*s%.*s\n", indent, k, env[i], width - (k + 1) + 2, "", (int)len, v);
	}
	fflush(stdout);
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
