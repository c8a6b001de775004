/* oneoff.c - the daemon collects one-off containers (`run:detached`, ids
 * <app>.run.N) once they exit: they outlive the command that started them, so
 * nobody else removes their cgroup and state. New ones are seen through inotify
 * on $BERTH_RUN/containers (their state file), the rest at start-up.
 *
 * It also enforces their --ttl-seconds: `run:detached` writes the deadline
 * (wall-clock seconds) to $BERTH_RUN/oneoff/<id>.deadline; the daemon arms a
 * timerfd at it (absolute, CLOCK_REALTIME) on the same epoll event as the
 * container's pidfd, and kills the container when it fires. The deadline is a
 * file, not daemon memory: a daemon restarted (or started late) re-arms it, and
 * one that was down past it kills the container as soon as it is back. Why here
 * and not in the container's init: the daemon already watches every one-off,
 * one timer per container costs nothing, and the container runtime stays free
 * of app policy; the price is that a container outlives its deadline while the
 * daemon is down (docs/daemon.md). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "platform/daemon_internal.h"

struct oneoff {
	struct runtime_container c;
	struct ev ev;
	int timer;                 /* --ttl-seconds: fires at the deadline; -1: none */
	struct oneoff *next;
};

static int deadlines_wd = -1;   /* the inotify watch on $BERTH_RUN/oneoff */

static char *deadline_path(const char *id)
{
	return xasprintf("%s/oneoff/%s.deadline", berth_run(), id);
}

int oneoff_deadline_set(const char *id, uint64_t ttl_seconds, struct berr *err)
{
	autofree char *dir = xasprintf("%s/oneoff", berth_run());
	autofree char *path = deadline_path(id);
	char text[32];

	snprintf(text, sizeof(text), "%lld\n", (long long)time(NULL) + (long long)ttl_seconds);
	if (mkdir_p(dir, 0755, err) < 0 || write_file_atomic(path, text, strlen(text), 0644, err) < 0)
		return berr_prefix(err, "--ttl-seconds of %s", id);
	return 0;
}

/* Arm o's timer from its deadline file, if it has one. */
static void deadline_arm(struct daemon *d, struct oneoff *o)
{
	autofree char *path = deadline_path(o->c.id);
	autofree char *text = NULL;
	struct itimerspec its = { 0 };
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &o->ev };
	struct berr ignored;
	size_t len;
	uint64_t at;

	if (o->timer >= 0 || read_file(path, &text, &len, &ignored) < 0)
		return;
	text[strcspn(text, "\n")] = '\0';
	if (parse_uint(text, INT64_MAX, &at, &ignored) < 0)
		return;
	o->timer = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (o->timer < 0)
		return;
	its.it_value.tv_sec = at ? (time_t)at : 1;  /* a zero it_value would disarm it */
	if (timerfd_settime(o->timer, TFD_TIMER_ABSTIME, &its, NULL) < 0 ||
	    epoll_ctl(d->ep, EPOLL_CTL_ADD, o->timer, &e) < 0) {
		close(o->timer);
		o->timer = -1;
	}
}

/* The timer fired: the container's time is up. Its pidfd brings it to be
 * collected once it has died. */
static void deadline_check(struct daemon *d, struct oneoff *o)
{
	uint64_t n = 0;
	struct berr err = { 0 };

	if (o->timer < 0 || read(o->timer, &n, sizeof(n)) != sizeof(n) || n == 0)
		return;
	epoll_ctl(d->ep, EPOLL_CTL_DEL, o->timer, NULL);
	close(o->timer);
	o->timer = -1;
	sink_step(d->sink, "%s: --ttl-seconds reached, killing it", o->c.id);
	if (runtime_kill(&o->c, SIGKILL, &err) < 0)
		sink_warn(d->sink, "%s", err.msg);
}

/* <app>.run.<n>[.json] */
static bool is_oneoff(const char *name)
{
	const char *end = str_has_suffix(name, ".json") ? name + strlen(name) - 5 : name + strlen(name);
	const char *dot = memrchr(name, '.', end - name);

	if (!dot || dot == end - 1 || strspn(dot + 1, "0123456789") != (size_t)(end - dot - 1))
		return false;
	return dot - name > 4 && !strncmp(dot - 4, ".run", 4);
}

static void oneoff_watch(struct daemon *d, const char *id)
{
	struct oneoff *o;
	struct epoll_event e = { .events = EPOLLIN };
	struct berr err;

	for (o = d->oneoffs; o; o = o->next)
		if (!strcmp(o->c.id, id))
			return;
	/* A process type named "run" is the daemon's own. */
	for (struct slot *s = d->slots; s; s = s->next)
		if (s->rec.id && !strcmp(s->rec.id, id))
			return;
	o = xcalloc(1, sizeof(*o));
	o->timer = -1;
	if (runtime_open(id, &o->c, &err) < 0) {
		free(o);  /* not written completely yet: its close brings it again */
		return;
	}
	o->ev = (struct ev){ EV_ONEOFF, o };
	o->next = d->oneoffs;
	d->oneoffs = o;
	if (o->c.pidfd < 0) {
		/* Its pid 1 is gone already (it exited while no daemon ran): there is
		 * no pidfd to wait on, collect it now. */
		oneoff_pid_event(d, o);
		return;
	}
	e.data.ptr = &o->ev;
	epoll_ctl(d->ep, EPOLL_CTL_ADD, o->c.pidfd, &e);
	deadline_arm(d, o);
}

int oneoff_setup(struct daemon *d, struct berr *err)
{
	autofree char *dir = xasprintf("%s/containers", berth_run());
	autofree char *deadlines = xasprintf("%s/oneoff", berth_run());
	struct epoll_event e = { .events = EPOLLIN };
	struct strv ids = { 0 };

	if (mkdir_p(dir, 0755, err) < 0 || mkdir_p(deadlines, 0755, err) < 0)
		return -1;
	d->inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (d->inotify < 0 ||
	    inotify_add_watch(d->inotify, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
		return berr_sys(err, "watch %s", dir);
	/* run:detached writes the deadline after the container started. */
	deadlines_wd = inotify_add_watch(d->inotify, deadlines, IN_MOVED_TO | IN_CLOSE_WRITE);
	if (deadlines_wd < 0)
		return berr_sys(err, "watch %s", deadlines);
	d->ev_inotify = (struct ev){ EV_INOTIFY, NULL };
	e.data.ptr = &d->ev_inotify;
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->inotify, &e);
	if (runtime_list(&ids, err) < 0)
		return -1;
	for (size_t i = 0; i < ids.n; i++)
		if (is_oneoff(ids.v[i]))
			oneoff_watch(d, ids.v[i]);
	strv_free(&ids);
	return 0;
}

void oneoff_inotify_event(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(d->inotify, buf, sizeof(buf));

		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len && ev->wd == deadlines_wd && str_has_suffix(ev->name, ".deadline")) {
				size_t idlen = strlen(ev->name) - strlen(".deadline");

				for (struct oneoff *o = d->oneoffs; o; o = o->next)
					if (strlen(o->c.id) == idlen && !strncmp(o->c.id, ev->name, idlen))
						deadline_arm(d, o);
			} else if (ev->len && str_has_suffix(ev->name, ".json") && is_oneoff(ev->name)) {
				autofree char *id = xstrndup(ev->name, strlen(ev->name) - 5);

				oneoff_watch(d, id);
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

void oneoff_pid_event(struct daemon *d, void *p)
{
	struct oneoff *o = p;
	struct berr err = { 0 };
	autofree char *deadline = NULL;
	int status;

	deadline_check(d, o);
	if (runtime_reap(&o->c, &status, &err) == 0)
		return;
	epoll_ctl(d->ep, EPOLL_CTL_DEL, o->c.pidfd, NULL);
	if (o->timer >= 0)
		close(o->timer);
	deadline = deadline_path(o->c.id);
	unlink(deadline);
	if (runtime_destroy(&o->c, &err) < 0)
		sink_warn(d->sink, "%s", err.msg);
	for (struct oneoff **q = &d->oneoffs; *q; q = &(*q)->next)
		if (*q == o) {
			*q = o->next;
			break;
		}
	free(o);
}

void oneoff_release_all(struct daemon *d)
{
	while (d->oneoffs) {
		struct oneoff *o = d->oneoffs;

		d->oneoffs = o->next;
		if (o->timer >= 0)
			close(o->timer);
		runtime_release(&o->c);
		free(o);
	}
	if (d->inotify >= 0)
		close(d->inotify);
}
