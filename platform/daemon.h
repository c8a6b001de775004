/* daemon.h - app processes: the daemon that supervises them, what it records,
 * their settings and logs (docs/daemon.md).
 *
 *   $BERTH_ROOT/apps/<app>/ps.json       restart policy, stop timeout, stopped
 *   $BERTH_ROOT/apps/<app>/settings.json formation (TYPE=COUNT), as platform.h
 *   $BERTH_ROOT/logs/<app>/<type>.<n>.log each process's log (+ .log.1 rotated)
 *   $BERTH_RUN/daemon/daemon.pid         the running daemon (flock held)
 *   $BERTH_RUN/daemon/daemon.sock        its control socket
 *   $BERTH_RUN/daemon/procs/<app>/<type>.<n>.json  one record per process slot:
 *                                        container id, pid, state, restarts
 * Reads (ps:report, logs) use the files and work without the daemon; changes
 * go through the control socket. */
#ifndef BERTH_PLATFORM_DAEMON_H
#define BERTH_PLATFORM_DAEMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/sink.h"
#include "common/util.h"

/* At most this many processes of one type (ps:scale web=N). */
#define PS_SCALE_MAX 100
#define PS_DEFAULT_STOP_TIMEOUT 30
#define PS_DEFAULT_POLICY "on-failure:10"
#define LOGS_DEFAULT_MAX_BYTES (10u << 20)

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_UNLESS_STOPPED };

struct ps_settings {
	enum restart_policy policy;
	unsigned max_retries;        /* on-failure:N; 0: unlimited */
	unsigned stop_timeout;       /* seconds between SIGTERM and SIGKILL */
	bool stopped;                /* ps:stop: stays stopped, also after a reboot */
	char stopped_types[512];     /* ps:stop APP TYPE: space-separated types */
};

int ps_settings_load(const char *app, struct ps_settings *s, struct berr *err);
int ps_settings_save(const char *app, const struct ps_settings *s, struct berr *err);
/* "on-failure[:N]", "always", "unless-stopped", "no". */
int ps_policy_parse(const char *text, struct ps_settings *s, struct berr *err);
/* The policy as ps:report shows it ("on-failure:10"); buf of 32 bytes. */
const char *ps_policy_text(const struct ps_settings *s, char *buf);
/* ps:set APP KEY [VALUE]: restart-policy, stop-timeout-seconds (no value: default). */
int ps_set(const char *app, const char *key, const char *value, struct berr *err);
/* ps:stop / ps:start of the whole app (type NULL) or of one process type. */
int ps_set_stopped(const char *app, const char *type, bool stopped, struct berr *err);
/* Is type stopped, by the app or by itself? */
bool ps_type_stopped(const struct ps_settings *s, const char *type);
/* Check TYPE=COUNT pairs against the app's active release and bounds, then store
 * them in the formation. */
int ps_scale_edit(const char *app, const struct strv *pairs, struct berr *err);

/* One process slot as the daemon records it (and ps:report reads it). */
struct proc_record {
	char *app, *type;
	unsigned index;
	char *id;                    /* container id; NULL when none runs */
	char *state;                 /* starting, running, stopping, exited, crashed, backoff */
	long long pid;
	long long started;           /* Unix time of the last start */
	unsigned restarts;
	int exit_code;               /* last exit status, -1 for none */
	unsigned release;
	char *addr;                  /* "10.88.0.5:5000" when on the bridge */
	char *log_error;             /* why lines could not be written, e.g. a full disk */
};

void proc_record_free(struct proc_record *p);
int proc_record_load(const char *path, struct proc_record *p, struct berr *err);
int proc_record_save(const struct proc_record *p, struct berr *err);
void proc_record_remove(const struct proc_record *p);
/* The records of an app's slots, sorted by type then index. */
int proc_records_list(const char *app, struct proc_record **out, size_t *n, struct berr *err);
void proc_records_free(struct proc_record *v, size_t n);

/* The daemon: foreground unless background (then forks; the parent returns 1
 * once the child's socket answers, the child runs on and writes the pid file).
 * Returns 0 on SIGTERM or SIGINT, leaving every app running. */
struct daemon_options {
	bool background;
	const struct sink *sink;     /* what the daemon has to say (its log) */
};
int daemon_run(const struct daemon_options *o, struct berr *err);

/* Send one request (a JSON object with "op") and get the reply; fails with
 * "berth daemon is not running" when nobody answers. A reply with "error"
 * becomes a failure with that message. */
int daemon_request(json_t *req, json_t **reply, struct berr *err);
bool daemon_running(void);
/* After a deploy: the daemon brings the app's processes to the new release (and
 * restarts them all with restart). Nothing happens without a running daemon;
 * its error, if any, goes to *err and is returned. */
int daemon_notify(const char *app, bool restart, struct berr *err);
/* Before apps:destroy: stop the app's processes if a daemon runs. */
int daemon_app_stop(const char *app, struct berr *err);

/* logs: the last n lines (0: all) of an app's logs, merged by time; proc filters
 * by "web" or "web.1"; follow keeps printing new lines (across restarts and
 * deploys) until interrupted. Each line goes to out. */
struct logs_query {
	const char *app;
	const char *proc;
	unsigned long n;
	bool follow;
	bool quiet;                  /* the text only */
};
int logs_show(const struct logs_query *q, void (*out)(const char *line, void *ctx), void *ctx,
	      struct berr *err);
/* The directory of an app's logs; the caller frees. */
char *logs_dir(const char *app);
/* The output of the app's last failed deploy (deploy.c keeps it, at most
 * 256 KiB, its end); *text NULL when no deploy of it failed. */
int logs_failed_deploy(const char *app, char **text, struct berr *err);

#endif
