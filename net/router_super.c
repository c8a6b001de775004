/* router_super.c - `berth router`'s parent: it holds the listening sockets and keeps
 * one worker serving them. A worker that dies (a crash, kill -9) is replaced at
 * once; meanwhile the kernel queues new connections on the sockets the parent
 * still holds, so no client sees a refused connection. The parent does little
 * else and so has little to crash on:
 *
 * - SIGHUP: the host ports the table's apps name (besides the main one) are
 *   listened on or closed to match it; the worker gets the sockets over its
 *   control socket (SCM_RIGHTS), then the SIGHUP (re-read the table).
 * - SIGTERM, SIGINT: the sockets close here at once, the worker finishes what
 *   is in flight (at most drain_timeout_ms) and is killed if it has not gone
 *   2 s after that; then the parent exits. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "net/router.h"

struct super {
	const struct router_options *o;
	int fds[ROUTER_MAX_LISTEN];       /* fds[0]: the main port */
	uint16_t ports[ROUTER_MAX_LISTEN];
	size_t n;
	char ip[INET_ADDRSTRLEN];         /* the main port's address: every port's */
	pid_t self, worker;
	int ctl;                          /* this end of the worker's control socket */
};

static void worker_start(struct super *s)
{
	int sv[2] = { -1, -1 };
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		router_log("router: control socket: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		struct berr err;

		/* The signals stay blocked: the worker takes them from its signalfd, and
		 * one sent before it got there waits instead of killing it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != s->self)
			_exit(0);
		if (sv[0] >= 0)
			close(sv[0]);
		if (s->ctl >= 0)
			close(s->ctl);
		if (router_worker(s->fds, s->n, sv[1], s->o, &err) < 0) {
			router_log("router: worker: %s", err.msg);
			_exit(1);
		}
		_exit(0);
	}
	if (sv[1] >= 0)
		close(sv[1]);
	if (pid < 0) {
		router_log("router: fork a worker: %s", strerror(errno));
		if (sv[0] >= 0)
			close(sv[0]);
		return;
	}
	if (s->ctl >= 0)
		close(s->ctl);
	s->ctl = sv[0];
	s->worker = pid;
}

static void port_close(struct super *s, size_t i)
{
	close(s->fds[i]);
	memmove(s->fds + i, s->fds + i + 1, (s->n - i - 1) * sizeof(*s->fds));
	memmove(s->ports + i, s->ports + i + 1, (s->n - i - 1) * sizeof(*s->ports));
	s->n--;
}

/* Listen on the ports the table names and on no other (the main one always);
 * true when something changed. A table that does not load changes nothing. */
static bool ports_sync(struct super *s)
{
	struct rt_table *t;
	struct berr err;
	bool changed = false;

	if (rt_table_load(s->o->table_path, s->ports[0], &t, &err) < 0)
		return false;  /* the worker logs why */
	for (size_t i = s->n; i-- > 1;) {
		bool keep = false;

		for (size_t j = 0; j < t->nlisten && !keep; j++)
			keep = t->listen[j] == s->ports[i];
		if (!keep) {
			port_close(s, i);
			changed = true;
		}
	}
	for (size_t j = 0; j < t->nlisten; j++) {
		char addr[INET_ADDRSTRLEN + 8];
		bool have = false;
		int fd;

		for (size_t i = 0; i < s->n && !have; i++)
			have = s->ports[i] == t->listen[j];
		if (have)
			continue;
		if (s->n == ROUTER_MAX_LISTEN) {
			router_log("router: more than %d ports: port %u is not listened on",
				   ROUTER_MAX_LISTEN, t->listen[j]);
			continue;
		}
		snprintf(addr, sizeof(addr), "%s:%u", s->ip, t->listen[j]);
		fd = router_listen(addr, &err);
		if (fd < 0) {
			router_log("router: %s", err.msg);
			continue;
		}
		s->fds[s->n] = fd;
		s->ports[s->n++] = t->listen[j];
		changed = true;
	}
	rt_table_free(t);
	return changed;
}

/* Every listening socket to the worker, in one message. */
static void ports_send(struct super *s)
{
	char byte = 'L';
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * ROUTER_MAX_LISTEN)];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * s->n) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	if (s->ctl < 0)
		return;
	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * s->n);
	memcpy(CMSG_DATA(cm), s->fds, sizeof(int) * s->n);
	if (sendmsg(s->ctl, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		router_log("router: ports to the worker: %s", strerror(errno));
}

static void log_ports(const struct super *s)
{
	char list[ROUTER_MAX_LISTEN * 7] = "";
	size_t len = 0;

	for (size_t i = 0; i < s->n && len < sizeof(list) - 8; i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%u", i ? " " : "", s->ports[i]);
	router_log("router: listening on %s:%s, worker %d", s->ip, list, (int)s->worker);
}

/* SIGTERM: wait for the worker to finish, and kill it if it does not in time. */
static void stop(struct super *s, const sigset_t *mask)
{
	uint64_t until = now_ms() + s->o->drain_timeout_ms + 2000;
	bool killed = false;

	while (s->n)
		port_close(s, s->n - 1);
	if (s->worker > 0)
		kill(s->worker, SIGTERM);
	while (s->worker > 0) {
		uint64_t now = now_ms();
		struct timespec ts;
		siginfo_t si;
		int status;

		if (waitpid(s->worker, &status, WNOHANG) == s->worker) {
			s->worker = -1;
			break;
		}
		if (now >= until && !killed) {
			router_log("router: worker %d still busy: killed", (int)s->worker);
			kill(s->worker, SIGKILL);
			killed = true;
			until = now + 5000;
		} else if (now >= until) {
			break;  /* not reaped after SIGKILL: nothing more to do */
		}
		ts.tv_sec = (until - now) / 1000;
		ts.tv_nsec = (long)((until - now) % 1000) * 1000000;
		sigtimedwait(mask, &si, &ts);
	}
}

int router_supervise(int listen_fd, const struct router_options *o, const char *pidfile,
		     struct berr *err)
{
	struct super s = { .o = o, .fds = { listen_fd }, .n = 1, .self = getpid(), .worker = -1,
			   .ctl = -1 };
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	sigset_t mask, old;
	char pidtext[32];
	uint64_t started;
	int quick_deaths = 0;

	if (getsockname(listen_fd, (struct sockaddr *)&sa, &salen) < 0) {
		close(listen_fd);
		return berr_sys(err, "router socket");
	}
	s.ports[0] = ntohs(sa.sin_port);
	inet_ntop(AF_INET, &sa.sin_addr, s.ip, sizeof(s.ip));
	/* Dispositions are inherited through exec: with SIGCHLD ignored the worker's
	 * death would never be seen (children reaped by the kernel, no signal). */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &old);
	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)s.self);
	if (pidfile && write_file_atomic(pidfile, pidtext, strlen(pidtext), 0644, err) < 0)
		goto fail;
	ports_sync(&s);
	worker_start(&s);
	if (s.worker < 0) {
		berr_sys(err, "fork the router worker");
		goto fail;
	}
	started = now_ms();
	log_ports(&s);
	for (;;) {
		siginfo_t si;
		int status;
		pid_t p;

		if (sigwaitinfo(&mask, &si) < 0)
			continue;
		if (si.si_signo == SIGHUP) {
			if (ports_sync(&s)) {
				ports_send(&s);
				log_ports(&s);
			}
			if (s.worker > 0)
				kill(s.worker, SIGHUP);
			continue;
		}
		if (si.si_signo == SIGTERM || si.si_signo == SIGINT)
			break;
		while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
			if (p != s.worker)
				continue;
			s.worker = -1;
			router_log("router: worker %d %s %d; starting another", (int)p,
				   WIFSIGNALED(status) ? "killed by signal" : "exited with",
				   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			/* A worker that cannot live a second is not restarted in a busy loop. */
			quick_deaths = now_ms() - started < 1000 ? quick_deaths + 1 : 0;
			if (quick_deaths >= 3) {
				struct timespec ts = { 1, 0 };
				siginfo_t ign;
				int sig;

				while ((sig = sigtimedwait(&mask, &ign, &ts)) == SIGCHLD || sig == SIGHUP)
					;
				if (sig == SIGTERM || sig == SIGINT)
					goto stopping;
			}
			worker_start(&s);
			started = now_ms();
		}
	}
stopping:
	stop(&s, &mask);
	if (pidfile)
		unlink(pidfile);
	if (s.ctl >= 0)
		close(s.ctl);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
fail:
	while (s.n)
		port_close(&s, s.n - 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return -1;
}
