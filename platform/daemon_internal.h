/* daemon_internal.h - the daemon's own structures, shared by daemon.c (event
 * loop, control socket), supervise.c (process slots), logs_writer.c (log pipes
 * to files) and router_feed.c (the router's table). */
#ifndef BERTH_PLATFORM_DAEMON_INTERNAL_H
#define BERTH_PLATFORM_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "net/net.h"
#include "platform/checks.h"
#include "platform/daemon.h"
#include "runtime/runtime.h"

enum ev_kind { EV_SOCKET, EV_SIGNAL, EV_PIDFD, EV_LOG, EV_ONEOFF, EV_INOTIFY, EV_PROBE,
	       EV_CLIENT };

struct ev {
	enum ev_kind kind;
	void *p;
};

#define LOG_LINE_MAX 16384
/* A web process leaves the router's table at least this long before its
 * SIGTERM, so that the router has reloaded and sends it nothing new. */
#define WEB_DRAIN_MS 1000
/* The last lines of a process kept while its startup checks run, for the
 * deploy's output when they fail. */
#define TAIL_LINES 10

struct rollout;

/* The checks running on a slot's container (checks_probe.c): its startup checks
 * until they pass, then its liveness checks if it has any. Part of the slot, so
 * that an event of the same batch never names freed memory. */
struct check_run {
	bool active;
	enum check_kind kind;
	struct checks checks;
	size_t i;                    /* the check being run */
	unsigned tries;              /* failed tries of it (liveness: in a row) */
	int fd;                      /* the probe's socket, or -1 */
	struct ev ev;
	int phase;                   /* checks_probe.c's */
	char *req;                   /* the HTTP request, and how much of it went */
	size_t req_len, req_off;
	char *buf;                   /* the response so far */
	size_t nbuf;
	bool connected;              /* the listening check: it accepted once */
	bool refused;                /* this try's connection was refused */
	long long window_ms;         /* refused connections are tried again until
				      * this long after the start (default-wait) */
	long long deadline_ms;       /* this try's timeout or the next try; 0: none */
	long long started_ms;        /* the process's start */
	uint32_t addr;               /* the container's bridge address, 0: none */
	unsigned port;               /* its PORT */
	char *host;                  /* Host header: the app's first vhost */
	char *why;                   /* the last failure */
};

struct slot {
	struct proc_record rec;      /* app, type, index, state, ...: what ps:report reads */
	struct runtime_container c;
	bool has_c;                  /* c is a live handle */
	struct ev ev_pid, ev_log;
	int log_fd;                  /* the pipe's read end (pid 1 holds a copy), or -1 */
	int log_out;                 /* the log file, O_APPEND, or -1 */
	uint64_t log_size;
	uint64_t log_max;            /* logs:set max-size; 0: the daemon's log_max */
	char *line;                  /* a partial line waiting for its end */
	size_t nline;
	struct net_attachment att;
	bool attached;
	bool wanted;                 /* the formation wants it */
	bool stopping;               /* being stopped: out of the router's table */
	bool term_sent;              /* SIGTERM sent; SIGKILL at deadline_ms */
	bool restart_pending;        /* start again as soon as it has exited */
	unsigned stop_timeout;       /* seconds, for the SIGKILL after SIGTERM */
	unsigned fails;              /* consecutive failures: the backoff's exponent */
	long long deadline_ms;       /* SIGKILL (stopping) or restart (backoff); 0: none */
	/* Zero-downtime deploys (rollout.c): a candidate container of a rollout
	 * runs next to the slot's current one until it is promoted; an older one
	 * retires. Neither is the slot's own (slot_find() skips them) and their
	 * records live apart (rec.extra). */
	struct rollout *ro;          /* a candidate of this rollout */
	bool retiring;               /* an older container on its way out */
	bool ready;                  /* passed its startup checks: may be routed */
	unsigned want_release;       /* start this version; 0: the active one */
	struct check_run chk;
	struct strv tail;            /* last lines while startup checks run */
	bool unlinked;               /* in the graveyard */
	struct slot *next;
};

/* A zero-downtime rollout of one app to one release (rollout.c). */
struct rollout {
	char *app;
	unsigned version;
	bool restart;
	char *type;                  /* restart only this type; NULL: all */
	int fd;                      /* the client, streamed progress; -1 once gone */
	struct ev ev;
	unsigned pending;            /* candidates whose startup checks still run */
	unsigned wait_to_retire;     /* seconds */
	bool done;                   /* answered: freed by daemon_bury() */
	struct rollout *next;
};


struct waiter {
	int fd;                      /* the client, answered once nothing is stopping */
	char *app;                   /* NULL: every app */
	struct waiter *next;
};

struct daemon {
	int ep;
	int sock;
	int sigfd;
	struct ev ev_sock, ev_sig;
	struct slot *slots;
	struct slot *graveyard;      /* unlinked slots, freed after the event batch */
	struct waiter *waiters;
	struct rollout *rollouts;
	struct oneoff *oneoffs;      /* run:detached containers, collected when they exit */
	int inotify;                 /* on $BERTH_RUN/containers */
	struct ev ev_inotify;
	const struct sink *sink;
	struct net_config net;
	bool net_ok;
	bool net_ready;              /* net_host_setup() done */
	bool quit;
	bool table_dirty;
	uint64_t log_max;            /* bytes per log file before rotation */
};

long long daemon_now_ms(void);

/* supervise.c */
int daemon_adopt(struct daemon *d);
/* Bring app's slots in line with its formation and ps settings; restart (all, or
 * those of type) when asked, else only those of an older release. */
int daemon_reconcile(struct daemon *d, const char *app, bool restart, const char *type,
		     struct berr *err);
void daemon_pid_event(struct daemon *d, struct slot *s);
/* Deadlines: SIGKILL after the stop timeout, restarts after backoff. Returns the
 * epoll timeout until the next one (-1: none). */
int daemon_tick(struct daemon *d);
bool daemon_app_busy(struct daemon *d, const char *app);
void slot_free(struct slot *s);
void daemon_bury(struct daemon *d);
/* The slot's own (not a candidate, not retiring) of app TYPE.N, or NULL. */
struct slot *slot_find(struct daemon *d, const char *app, const char *type, unsigned index);
struct slot *slot_new(struct daemon *d, const char *app, const char *type, unsigned index);
void slot_unlink(struct daemon *d, struct slot *s);
/* Start the slot's container (of s->want_release or the active release); its
 * startup checks begin, it is routed once they pass. */
int slot_start(struct daemon *d, struct slot *s, struct berr *err);
/* Out of the router's table now; SIGTERM after drain_ms; SIGKILL after timeout s. */
void slot_stop(struct daemon *d, struct slot *s, unsigned timeout, long long drain_ms);
/* An older container leaves: its record moves apart (mark), then slot_stop(). */
void slot_retire_mark(struct daemon *d, struct slot *s);
void slot_retire(struct daemon *d, struct slot *s, unsigned timeout, long long drain_ms);
/* A candidate that will not be promoted: killed at once, gone when it exits. */
void slot_discard(struct daemon *d, struct slot *s);
void slot_save(struct slot *s);
/* A start that failed: crashed, tried again after the longest backoff. */
void slot_backoff(struct daemon *d, struct slot *s, const char *why);
/* Its liveness checks failed `attempts` times in a row: restart it. */
void slot_liveness_failed(struct daemon *d, struct slot *s, const char *why);
/* The startup checks of s ended (checks_probe.c calls it). */
void slot_checks_done(struct daemon *d, struct slot *s, bool ok, const char *why);
/* A line of the process's output kept while its checks run (logs_writer.c). */
void slot_tail_push(struct slot *s, const char *text, size_t len);

/* checks_probe.c */
void checks_start(struct daemon *d, struct slot *s, enum check_kind kind);
void checks_cancel(struct daemon *d, struct slot *s);
void checks_event(struct daemon *d, struct slot *s, uint32_t events);
/* Due deadlines of s's checks; true when something happened. */
bool checks_due(struct daemon *d, struct slot *s, long long now);

/* rollout.c */
void rollout_begin(struct daemon *d, int fd, json_t *req);
void rollout_client_event(struct daemon *d, struct rollout *ro);
/* A candidate's checks passed or failed. */
void rollout_candidate_done(struct daemon *d, struct slot *s, bool ok, const char *why);
/* A line for the deploy's output when s is a rollout's candidate. */
void slot_say(struct daemon *d, struct slot *s, enum sink_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool rollout_running(struct daemon *d, const char *app);
void rollouts_free(struct daemon *d, bool all);

/* logs_writer.c */
int log_attach(struct daemon *d, struct slot *s, int read_fd);
void log_drain(struct daemon *d, struct slot *s);
void log_detach(struct daemon *d, struct slot *s);
/* A line of berth's own about the slot ("Starting process"), into its log. */
void log_note(struct daemon *d, struct slot *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* oneoff.c */
int oneoff_setup(struct daemon *d, struct berr *err);
void oneoff_inotify_event(struct daemon *d);
void oneoff_pid_event(struct daemon *d, void *oneoff);
void oneoff_release_all(struct daemon *d);

/* router_feed.c */
void router_feed(struct daemon *d);
/* Start `berth router` apart from the daemon when none runs (BERTH_ROUTER=off: never). */
void router_ensure(struct daemon *d);

#endif
