/* checks.h - zero-downtime checks (Dokku's checks plugin and app.json
 * healthchecks): what a release's processes must pass before they get traffic,
 * and the app's checks:* settings.
 *
 *   $BERTH_ROOT/apps/<app>/checks.json   disabled, skipped (type lists or
 *                                        "_all_"), wait-to-retire, wait,
 *                                        timeout, attempts
 *   $BERTH_ROOT/settings.json            checks-<key>: the --global values
 * A release keeps the checks its source defined (app.json `healthchecks`, or
 * the legacy CHECKS file) in its record, as checks_from_source() made them. */
#ifndef BERTH_PLATFORM_CHECKS_H
#define BERTH_PLATFORM_CHECKS_H

#include <stdbool.h>

#include "common/err.h"
#include "common/sink.h"

#define CHECKS_DEFAULT_WAIT_TO_RETIRE 60
#define CHECKS_DEFAULT_DEFAULT_WAIT 10

enum check_kind { CHECK_STARTUP, CHECK_LIVENESS };

/* One check of a process type, Dokku's app.json fields with their defaults. */
struct check {
	enum check_kind kind;
	char *name;
	char *path;               /* NULL: no HTTP request (uptime, or connect only) */
	char *content;            /* the body must contain it; NULL: any */
	unsigned port;            /* 0: the process's PORT */
	unsigned attempts;        /* tries before the check fails */
	unsigned timeout;         /* seconds per try */
	unsigned wait;            /* seconds between tries */
	unsigned initial_delay;   /* seconds after the start before the first try */
	unsigned uptime;          /* >0: the process must have run this long */
	bool listening;           /* berth's default: accepts connections, then settles */
};

struct checks {
	struct check *v;
	size_t n;
};

void checks_free(struct checks *c);
/* The checks of type in a release's healthchecks text (NULL: none defined).
 * With none of the kind defined and type web, startup gets berth's default: the
 * process accepts connections on its port within default-wait seconds and is
 * still running after a short settle. */
int checks_for(const char *healthchecks, const char *type, enum check_kind kind,
	       unsigned default_wait, struct checks *out, struct berr *err);
/* Read app.json's `healthchecks` or else the CHECKS file at /app of the merged
 * tree of a source layer's chain (images/chain.c); *json gets the normal form kept in the
 * release (NULL when the source defines none). Warnings go to sink. */
int checks_from_source(const char *source_layer, const struct sink *sink, char **json,
		       struct berr *err);
/* "name='web check' path='/health' attempts=3 timeout=5 wait=5" for output. */
char *check_describe(const struct check *c);

/* An HTTP check's request, and whether a response (NUL-terminated) passes;
 * *why says why not. */
char *check_request(const struct check *c, const char *host);
int check_response(const struct check *c, const char *buf, char **why);
/* checks:run: one check of a running process at addr ("10.88.0.5:5000"),
 * blocking, up to its attempts; uptime: how long the process has run (s). */
int check_run_blocking(const struct check *c, const char *addr, const char *host, long long uptime,
		       char **why);

/* checks:* settings */
struct checks_settings {
	char *disabled;           /* "web,worker", "_all_" or NULL */
	char *skipped;
	char *wait_to_retire;     /* the app's raw values, NULL when unset */
	char *wait, *timeout, *attempts;
};
void checks_settings_free(struct checks_settings *s);
int checks_settings_load(const char *app, struct checks_settings *s, struct berr *err);
/* checks:disable|enable|skip APP [types]: types NULL for every type. */
int checks_set_mode(const char *app, const char *mode, const char *types, struct berr *err);
/* checks:set [--global|APP] KEY [VALUE]: app NULL is --global; value NULL unsets. */
int checks_property_set(const char *app, const char *key, const char *value, struct berr *err);
/* The global value of key (checks-<key> in the global settings), or NULL. */
char *checks_global_get(const char *key);
bool checks_type_disabled(const struct checks_settings *s, const char *type);
bool checks_type_skipped(const struct checks_settings *s, const char *type);
/* The effective wait-to-retire of app (app, then global, then 60). */
unsigned checks_wait_to_retire(const char *app);
unsigned checks_default_wait(void);

#endif
