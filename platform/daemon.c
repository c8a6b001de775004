/* daemon.c - `berth daemon`: one process, one epoll set, holding every app
 * container of the host by its pidfd and cgroup (no helper per container). It
 * serves the CLI on $BERTH_RUN/daemon/daemon.sock (root and the berth user
 * only), adopts what a previous daemon left running, and restores the apps that
 * should run (ps:restore) when it starts. Its own errors never end it. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "platform/daemon_internal.h"
#include "platform/platform.h"

static char *daemon_dir(void)
{
	return xasprintf("%s/daemon", berth_run());
}

/* systemd's readiness protocol (sd_notify(3)): one datagram to $NOTIFY_SOCKET. */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	autoclose int fd = -1;
	socklen_t len;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0;
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
}

static void reply(int fd, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	if (text) {
		size_t len = strlen(text);
		struct berr err;

		text = xrealloc(text, len + 2);
		text[len++] = '\n';
		write_all(fd, text, len, "reply", &err);
		free(text);
	}
	json_decref(msg);
	close(fd);
}

static void reply_error(int fd, const char *msg)
{
	reply(fd, json_pack("{s:s}", "error", msg));
}

static void reply_ok(int fd)
{
	reply(fd, json_pack("{s:b}", "ok", 1));
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == 0)
		return true;
	pw = getpwnam("berth");
	return pw && pw->pw_uid == cred.uid;
}

/* Answer fd once nothing of app (NULL: of any app) is stopping any more. */
static void wait_then_reply(struct daemon *d, int fd, const char *app)
{
	struct waiter *w;

	if (!daemon_app_busy(d, app)) {
		reply_ok(fd);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->app = app ? xstrdup(app) : NULL;
	w->next = d->waiters;
	d->waiters = w;
}

static void waiters_check(struct daemon *d)
{
	for (struct waiter **p = &d->waiters, *w; (w = *p);) {
		if (daemon_app_busy(d, w->app)) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		reply_ok(w->fd);
		free(w->app);
		free(w);
	}
}

/* One of the apps a request names: "app", or every app with "all". */
static int request_apps(json_t *req, struct strv *apps, struct berr *err)
{
	const char *app = json_get_str(req, "app");

	if (json_is_true(json_object_get(req, "all")))
		return app_list(apps, err);
	if (!app)
		return berr_fail(err, "no app given");
	if (app_require(app, err) < 0)
		return -1;
	strv_push(apps, app);
	return 0;
}

static void handle_request(struct daemon *d, int fd, json_t *req)
{
	const char *op = json_get_str(req, "op");
	const char *type = json_get_str(req, "type");
	struct strv apps = { 0 };
	struct berr err = { 0 };
	bool wait = false;
	int r = 0;

	if (!op) {
		reply_error(fd, "request without \"op\"");
		return;
	}
	if (!strcmp(op, "rollout")) {
		rollout_begin(d, fd, req);  /* answers fd when it is over */
		return;
	}
	if (!strcmp(op, "ping")) {
		reply(fd, json_pack("{s:b, s:I}", "ok", 1, "pid", (json_int_t)getpid()));
		return;
	}
	if (!strcmp(op, "restore")) {
		r = app_list(&apps, &err);
	} else if (!strcmp(op, "scale") || !strcmp(op, "start") || !strcmp(op, "stop") ||
		   !strcmp(op, "restart") || !strcmp(op, "reconcile")) {
		r = request_apps(req, &apps, &err);
	} else {
		reply_error(fd, "unknown request");
		return;
	}
	if (r == 0 && !strcmp(op, "scale")) {
		struct strv pairs = { 0 };

		json_to_strv(json_object_get(req, "pairs"), &pairs);
		r = ps_scale_edit(apps.v[0], &pairs, &err);
		strv_free(&pairs);
		wait = true;
	}
	for (size_t i = 0; r == 0 && i < apps.n; i++) {
		const char *app = apps.v[i];

		if (!strcmp(op, "start"))
			r = ps_set_stopped(app, type, false, &err);
		else if (!strcmp(op, "restart") && !type)
			r = ps_set_stopped(app, NULL, false, &err);
		else if (!strcmp(op, "stop"))
			r = ps_set_stopped(app, type, true, &err);
		if (r == 0)
			r = daemon_reconcile(d, app, !strcmp(op, "restart") ||
							 json_is_true(json_object_get(req, "restart")),
					     type, &err);
		if (r < 0 && !json_object_get(req, "app"))
			r = 0;  /* --all: one app's trouble does not stop the others */
	}
	if (!strcmp(op, "stop") || !strcmp(op, "restart"))
		wait = true;
	if (r < 0)
		reply_error(fd, err.msg);
	else if (wait)
		wait_then_reply(d, fd, apps.n == 1 ? apps.v[0] : NULL);
	else
		reply_ok(fd);
	strv_free(&apps);
}

static void accept_client(struct daemon *d)
{
	int fd = accept4(d->sock, NULL, NULL, SOCK_CLOEXEC);
	struct timeval tv = { .tv_sec = 2 };
	char buf[65536];
	size_t n = 0;
	json_t *req;
	json_error_t jerr;

	if (fd < 0)
		return;
	/* One request line; a client that sends nothing is dropped after 2 s. Read
	 * even from a refused peer: closing on unread bytes would reset the
	 * connection and lose the answer. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n < sizeof(buf) - 1) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (k <= 0)
			break;
		n += k;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = 0;
	if (!peer_allowed(fd)) {
		reply_error(fd, "permission denied: only root and the berth user may use the daemon");
		return;
	}
	req = json_loads(buf, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!json_is_object(req)) {
		json_decref(req);
		reply_error(fd, "malformed request");
		return;
	}
	handle_request(d, fd, req);
	json_decref(req);
}

static int listen_socket(const char *path, struct berr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berr_fail(err, "socket path %s is too long", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berr_sys(err, "socket");
	/* Root and the berth user are checked on each connection (SO_PEERCRED); the
	 * mode lets the berth user connect at all. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 64) < 0) {
		berr_sys(err, "listen on %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The pid file, locked for as long as the daemon lives: a second daemon on the
 * same BERTH_RUN finds it locked and refuses. */
static int lock_pidfile(const char *path, struct berr *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return berr_sys(err, "open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		if (errno == EWOULDBLOCK)
			return berr_fail(err, "berth daemon is already running (%s is locked)", path);
		return berr_sys(err, "lock %s", path);
	}
	return fd;
}

static void write_pid(int fd)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "%d\n", (int)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, text, n, 0) != n)
		return;
}

static void loop(struct daemon *d)
{
	struct epoll_event ev[64];

	while (!d->quit) {
		int timeout, n;

		daemon_bury(d);
		rollouts_free(d, false);
		timeout = daemon_tick(d);

		if (d->table_dirty)
			router_feed(d);
		waiters_check(d);
		n = epoll_wait(d->ep, ev, ARRAY_SIZE(ev), timeout);
		for (int i = 0; i < n; i++) {
			struct ev *e = ev[i].data.ptr;

			switch (e->kind) {
			case EV_SOCKET:
				accept_client(d);
				break;
			case EV_SIGNAL: {
				struct signalfd_siginfo si;

				if (read(d->sigfd, &si, sizeof(si)) == sizeof(si) &&
				    si.ssi_signo != SIGHUP && si.ssi_signo != SIGPIPE)
					d->quit = true;
				break;
			}
			case EV_PIDFD:
				daemon_pid_event(d, e->p);
				break;
			case EV_ONEOFF:
				oneoff_pid_event(d, e->p);
				break;
			case EV_INOTIFY:
				oneoff_inotify_event(d);
				break;
			case EV_PROBE:
				checks_event(d, e->p, ev[i].events);
				break;
			case EV_CLIENT:
				rollout_client_event(d, e->p);
				break;
			case EV_LOG: {
				struct slot *s = e->p;

				log_drain(d, s);
				if (ev[i].events & (EPOLLHUP | EPOLLERR) && !(ev[i].events & EPOLLIN)) {
					/* Every writer is gone; the pidfd event follows. */
					epoll_ctl(d->ep, EPOLL_CTL_DEL, s->log_fd, NULL);
				}
				break;
			}
			}
		}
	}
}

static int daemon_setup(struct daemon *d, int *lock_fd, struct berr *err)
{
	autofree char *dir = daemon_dir();
	autofree char *pidfile = xasprintf("%s/daemon.pid", dir);
	autofree char *sockpath = xasprintf("%s/daemon.sock", dir);
	struct epoll_event e;
	sigset_t set;
	const char *max = getenv("BERTH_LOG_MAX_BYTES");
	struct berr nerr = { 0 };

	if (mkdir_p(dir, 0755, err) < 0)
		return -1;
	*lock_fd = lock_pidfile(pidfile, err);
	if (*lock_fd < 0)
		return -1;
	write_pid(*lock_fd);
	d->log_max = LOGS_DEFAULT_MAX_BYTES;
	if (max && *max) {
		uint64_t v;

		if (parse_size(max, &v, err) < 0)
			return berr_prefix(err, "BERTH_LOG_MAX_BYTES");
		d->log_max = v < 4096 ? 4096 : v;
	}
	d->net_ok = net_config_load(&d->net, &nerr) == 0;
	if (!d->net_ok)
		sink_warn(d->sink, "processes get no network: %s", nerr.msg);
	d->ep = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	d->ev_sig = (struct ev){ EV_SIGNAL, NULL };
	e = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &d->ev_sig };
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->sigfd, &e);
	/* Adopt before the socket answers, so no request races the adoption. */
	daemon_adopt(d);
	if (oneoff_setup(d, &nerr) < 0)
		sink_warn(d->sink, "one-off containers are not collected: %s", nerr.msg);
	d->sock = listen_socket(sockpath, err);
	if (d->sock < 0)
		return -1;
	d->ev_sock = (struct ev){ EV_SOCKET, NULL };
	e = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &d->ev_sock };
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->sock, &e);
	return 0;
}

/* ps:restore: every app that is not stopped comes back at its scale. */
static void restore_all(struct daemon *d)
{
	struct strv apps = { 0 };
	struct berr err = { 0 };

	if (app_list(&apps, &err) < 0) {
		sink_warn(d->sink, "ps:restore: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < apps.n; i++)
		if (daemon_reconcile(d, apps.v[i], false, NULL, &err) < 0)
			sink_warn(d->sink, "ps:restore %s: %s", apps.v[i], err.msg);
	strv_free(&apps);
}

int daemon_run(const struct daemon_options *o, struct berr *err)
{
	struct daemon d = { .ep = -1, .sock = -1, .sigfd = -1, .inotify = -1, .sink = o->sink };
	autoclose int lock_fd = -1;
	int ready[2] = { -1, -1 };
	int r = -1;

	if (o->background) {
		pid_t pid;
		char c;

		if (pipe2(ready, O_CLOEXEC) < 0)
			return berr_sys(err, "pipe");
		pid = fork();
		if (pid < 0)
			return berr_sys(err, "fork");
		if (pid > 0) {
			close(ready[1]);
			/* The child says "ready" once its socket listens, or exits. */
			ssize_t n = read(ready[0], &c, 1);

			close(ready[0]);
			if (n != 1)
				return berr_fail(err, "berth daemon did not start (see its log)");
			return 1;
		}
		close(ready[0]);
		setsid();
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, 0);
			close(null);
		}
	}
	if (daemon_setup(&d, &lock_fd, err) < 0)
		goto out;
	restore_all(&d);
	router_feed(&d);
	router_ensure(&d);
	notify_ready();
	if (ready[1] >= 0) {
		if (write(ready[1], "r", 1) != 1)
			goto out;
		close(ready[1]);
		ready[1] = -1;
	}
	sink_step(d.sink, "berth daemon %d: ready", (int)getpid());
	loop(&d);
	r = 0;
out:
	{
		autofree char *dir = daemon_dir();
		autofree char *sockpath = xasprintf("%s/daemon.sock", dir);
		autofree char *pidfile = xasprintf("%s/daemon.pid", dir);

		/* Leave every container running: the next daemon adopts them. */
		daemon_bury(&d);
		/* A rollout's client hears the daemon went (EOF); its candidates are
		 * the next daemon's to remove. */
		rollouts_free(&d, true);
		oneoff_release_all(&d);
		while (d.slots) {
			struct slot *s = d.slots;

			d.slots = s->next;
			slot_free(s);
		}
		while (d.waiters) {
			struct waiter *w = d.waiters;

			d.waiters = w->next;
			reply_error(w->fd, "berth daemon is shutting down");
			free(w->app);
			free(w);
		}
		if (d.sock >= 0) {
			unlink(sockpath);
			close(d.sock);
		}
		if (lock_fd >= 0 && r == 0) {
			autofree char *procs = xasprintf("%s/procs", dir);

			rmdir(procs);  /* only when no record is left */
			unlink(pidfile);
		}
		if (d.sigfd >= 0)
			close(d.sigfd);
		if (d.ep >= 0)
			close(d.ep);
		if (ready[1] >= 0)
			close(ready[1]);
	}
	daemon_bury(&d);
	return r;
}
