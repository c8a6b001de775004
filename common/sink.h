/* sink.h - where lower layers send what they have to say.
 *
 * Parts below cmd/ never print. A long operation (build, deploy, import) takes a
 * caller-given sink and reports lines of a kind through it; the caller decides
 * where they go: cmd/ prints them Dokku-style (ui_sink()), the git receiver wraps
 * them in side-band packets, the daemon writes them to a build log. A NULL sink,
 * or one whose line function is NULL, drops every line. */
#ifndef BERTH_COMMON_SINK_H
#define BERTH_COMMON_SINK_H

enum sink_kind {
	SINK_HEADER,   /* "=====> " a section of the operation */
	SINK_STEP,     /* "-----> " one step */
	SINK_DETAIL,   /* "       " detail of a step */
	SINK_WARN,     /* " !     " something the user should know; not fatal */
	SINK_ERROR,    /* " !     " what failed */
	SINK_OUTPUT,   /* a line of a process's own output (a buildpack's), verbatim */
};

struct sink {
	/* text is one line without its newline; valid only during the call. */
	void (*line)(void *ctx, enum sink_kind kind, const char *text);
	void *ctx;
};

void sink_emit(const struct sink *sink, enum sink_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define sink_header(s, ...) sink_emit((s), SINK_HEADER, __VA_ARGS__)
#define sink_step(s, ...)   sink_emit((s), SINK_STEP, __VA_ARGS__)
#define sink_detail(s, ...) sink_emit((s), SINK_DETAIL, __VA_ARGS__)
#define sink_warn(s, ...)   sink_emit((s), SINK_WARN, __VA_ARGS__)
#define sink_error(s, ...)  sink_emit((s), SINK_ERROR, __VA_ARGS__)

/* The Dokku-style prefix of a kind ("=====> ", "-----> ", 7 spaces, " !     ", ""). */
const char *sink_prefix(enum sink_kind kind);

#endif
