/* daemon.h - app processes: the daemon that supervises them, what it records,
 * their settings and logs (docs/daemon.md).
 *
 *   $BERTH_ROOT/apps/<app>/ps.json       restart policy, stop timeout, stopped,
 *                                        procfile path, skip-deploy, start commands
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
	/* What ps:set stored for the app ("": unset, the global value or the
	 * default applies); policy and stop_timeout above are the computed ones. */
	char raw_policy[32];
	char raw_stop_timeout[16];
	char stopped_types[512];     /* ps:stop APP TYPE: space-separated types */
};

int ps_settings_load(const char *app, struct ps_settings *s, struct berr *err);
int ps_settings_save(const char *app, const struct ps_settings *s, struct berr *err);
/* "on-failure[:N]", "always", "unless-stopped", "no". */
int ps_policy_parse(const char *text, struct ps_settings *s, struct berr *err);
/* The policy as ps:report shows it ("on-failure:10"); buf of 32 bytes. */
const char *ps_policy_text(const struct ps_settings *s, char *buf);
/* ps:set APP KEY [VALUE] (no value: unset, the global value or the default
 * applies; app NULL: the global value), Dokku's properties:
 *   restart-policy, stop-timeout-seconds  (struct ps_settings)
 *   procfile-path   the Procfile a build reads, relative to the source's root
 *   skip-deploy     true: a build records its release but does not deploy it
 *   start-cmd       the command of every process type (app only)
 *   dockerfile-start-cmd  stored and reported only: berth builds no Dockerfiles
 * "Property cannot be specified globally" for the app-only ones. */
#define PS_CMD_MAX 2048
int ps_set(const char *app, const char *key, const char *value, struct berr *err);
/* The stored value of one of the string properties above (app NULL: the
 * global one), NULL when unset. */
char *ps_property_get(const char *app, const char *name);
int ps_procfile_path_check(const char *path, struct berr *err);
/* What applies to app (NULL: to an app that set nothing): its own value, else
 * the global one, else "Procfile" / false. */
char *ps_procfile_path(const char *app);
bool ps_skip_deploy(const char *app);
/* The command app's processes of type run: its start-cmd when set, else the
 * release's command for type; NULL when the release has no such type. */
struct release;
char *ps_process_command(const char *app, const struct release *rel, const char *type);
/* What an app that set nothing gets: the global values over the defaults. */
void ps_settings_global(struct ps_settings *s);
/* The global value of a ps property ("restart-policy"), NULL when unset. */
char *ps_global_get(const char *key);
/* logs:set (app NULL: --global) max-size VALUE|NULL: a size (10m, 1g, at least
 * 4k) or "unlimited"; logs_setting_get returns the stored text or NULL;
 * logs_max_bytes what applies to app (UINT64_MAX: unlimited, 0: the daemon's
 * default). Read when a log file is opened: at a process's start or rotation. */
int logs_max_size_parse(const char *value, uint64_t *bytes, struct berr *err);
int logs_set(const char *app, const char *key, const char *value, struct berr *err);
char *logs_setting_get(const char *app, const char *key);
uint64_t logs_max_bytes(const char *app);
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
	bool extra;                  /* not the slot's current container (a deploy's
				      * candidate, or an old one retiring): kept
				      * under procs/<app>/extra/<id>.json */
};

void proc_record_free(struct proc_record *p);
int proc_record_load(const char *path, struct proc_record *p, struct berr *err);
int proc_record_save(const struct proc_record *p, struct berr *err);
void proc_record_remove(const struct proc_record *p);
/* The records of an app's slots, sorted by type then index. */
int proc_records_list(const char *app, struct proc_record **out, size_t *n, struct berr *err);
void proc_records_free(struct proc_record *v, size_t n);
/* The records of containers that are not a slot's current one (rec.extra). */
int proc_records_extra(const char *app, struct proc_record **out, size_t *n, struct berr *err);
/* The id of the container running as app's dyno ("web.1") by its slot record;
 * NULL when there is none. The caller frees. */
char *proc_container_id(const char *app, const char *dyno);

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
/* A zero-downtime rollout of app to version by the daemon (docs/daemon.md):
 * new processes start next to the old ones, pass their checks, get the traffic
 * and version becomes the active release; then the old ones retire. restart:
 * also processes already on version (only those of type, unless NULL). The
 * daemon's progress goes to sink as it comes. Fails with the reason (a failed
 * check, a process that exited) with everything as it was. */
int daemon_rollout(const char *app, unsigned version, bool restart, const char *type,
		   const struct sink *sink, struct berr *err);
/* ps:restart APP [TYPE]: a rollout of the active release under the app's
 * deploy lock (deploy.c). */
int app_restart(const char *app, const char *type, const struct sink *sink, struct berr *err);
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
