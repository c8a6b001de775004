/* oneoff.c - the daemon collects one-off containers (`run:detached`, ids
 * <app>.run.N) once they exit: they outlive the command that started them, so
 * nobody else removes their cgroup and state. New ones are seen through inotify
 * on $BERTH_RUN/containers (their state file), the rest at start-up. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "platform/daemon_internal.h"

struct oneoff {
	struct runtime_container c;
	struct ev ev;
	struct oneoff *next;
};

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
	if (runtime_open(id, &o->c, &err) < 0) {
		free(o);  /* not written completely yet: its close brings it again */
		return;
	}
	o->ev = (struct ev){ EV_ONEOFF, o };
	e.data.ptr = &o->ev;
	epoll_ctl(d->ep, EPOLL_CTL_ADD, o->c.pidfd, &e);
	o->next = d->oneoffs;
	d->oneoffs = o;
}

int oneoff_setup(struct daemon *d, struct berr *err)
{
	autofree char *dir = xasprintf("%s/containers", berth_run());
	struct epoll_event e = { .events = EPOLLIN };
	struct strv ids = { 0 };

	if (mkdir_p(dir, 0755, err) < 0)
		return -1;
	d->inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (d->inotify < 0 ||
	    inotify_add_watch(d->inotify, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
		return berr_sys(err, "watch %s", dir);
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

			if (ev->len && str_has_suffix(ev->name, ".json") && is_oneoff(ev->name)) {
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
	int status;

	if (runtime_reap(&o->c, &status, &err) == 0)
		return;
	epoll_ctl(d->ep, EPOLL_CTL_DEL, o->c.pidfd, NULL);
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
		runtime_release(&o->c);
		free(o);
	}
	if (d->inotify >= 0)
		close(d->inotify);
}
