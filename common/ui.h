/* ui.h - Dokku's output conventions, so berth reads like what users know:
 *   "=====> " headers, "-----> " steps, 7-space detail lines,
 *   " !     " errors and warnings on stderr. */
#ifndef BERTH_COMMON_UI_H
#define BERTH_COMMON_UI_H

#include "common/sink.h"

#include <stdbool.h>
#include <stddef.h>

/* --quiet: the *_q functions print nothing (Dokku's "Quiet" log functions);
 * errors, warnings and plain output are unaffected. */
extern bool ui_quiet;

void ui_header(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ui_header_q(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ui_step_q(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ui_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ui_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ui_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ui_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A "Key:  value" report row, key padded to Dokku's column width. */
void ui_report_row(const char *key, const char *value);
/* Rows "KEY:  value" as Dokku's config commands print them: after indent, keys
 * padded to the widest "KEY:" plus two spaces; values trimmed of surrounding
 * blanks as Dokku's columns do. env holds KEY=VALUE. */
void ui_env_rows(const char *indent, const char *const *env, size_t n);

/* A sink that prints lines Dokku-style: warnings and errors on stderr, the rest on
 * stdout. For cmd/ to hand to lower layers. */
const struct sink *ui_sink(void);

#endif
