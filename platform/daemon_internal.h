/* daemon_internal.h - the daemon's own structures, shared by daemon.c (event
 * loop, control socket), supervise.c (process slots), logs_writer.c (log pipes
 * to files) and router_feed.c (the router's table). */
#ifndef BERTH_PLATFORM_DAEMON_INTERNAL_H
#define BERTH_PLATFORM_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "net/net.h"
#include "platform/daemon.h"
#include "runtime/runtime.h"

enum ev_kind { EV_SOCKET, EV_SIGNAL, EV_PIDFD, EV_LOG, EV_ONEOFF, EV_INOTIFY };

struct ev {
	enum ev_kind kind;
	void *p;
};

#define LOG_LINE_MAX 16384

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
	struct slot *next;
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
