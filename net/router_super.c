/* router_super.c - `berth router`'s parent: it holds the listening socket and keeps
 * one worker serving it. A worker that dies (a crash, kill -9) is replaced at once;
 * meanwhile the kernel queues new connections on the socket the parent still holds,
 * so no client sees a refused connection. The parent does nothing else and so has
 * nothing to crash on. SIGHUP is passed on (reload the table); SIGTERM and SIGINT
 * make the worker finish what is in flight, then both exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "net/router.h"

static pid_t worker_start(int listen_fd, const struct router_options *o, pid_t parent)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct berr err;

		/* The signals stay blocked: the worker takes them from its signalfd, and
		 * one sent before it got there waits instead of killing it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		if (router_worker(listen_fd, o, &err) < 0) {
			router_log("router: worker: %s", err.msg);
			_exit(1);
		}
		_exit(0);
	}
	return pid;
}

static uint64_t mono_ms(void)
{
	return now_ms();
}

int router_supervise(int listen_fd, const struct router_options *o, const char *pidfile,
		     struct berr *err)
{
	sigset_t mask, old;
	pid_t self = getpid(), worker;
	char pidtext[32];
	bool stopping = false;
	uint64_t started;
	int quick_deaths = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &old);
	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)self);
	if (pidfile && write_file_atomic(pidfile, pidtext, strlen(pidtext), 0644, err) < 0)
		goto fail;
	worker = worker_start(listen_fd, o, self);
	if (worker < 0) {
		berr_sys(err, "fork the router worker");
		goto fail;
	}
	started = mono_ms();
	router_log("router: listening, worker %d", (int)worker);
	for (;;) {
		siginfo_t si;
		int status;
		pid_t p;

		if (sigwaitinfo(&mask, &si) < 0)
			continue;
		if (si.si_signo == SIGHUP) {
			if (worker > 0)
				kill(worker, SIGHUP);
			continue;
		}
		if (si.si_signo == SIGTERM || si.si_signo == SIGINT) {
			stopping = true;
			if (worker > 0)
				kill(worker, SIGTERM);
			else
				break;
			continue;
		}
		while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
			if (p != worker)
				continue;
			worker = -1;
			if (stopping)
				break;
			router_log("router: worker %d %s %d; starting another", (int)p,
				   WIFSIGNALED(status) ? "killed by signal" : "exited with",
				   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			/* A worker that cannot live a second is not restarted in a busy loop. */
			quick_deaths = mono_ms() - started < 1000 ? quick_deaths + 1 : 0;
			if (quick_deaths >= 3) {
				struct timespec ts = { 1, 0 };
				siginfo_t ign;

				while (sigtimedwait(&mask, &ign, &ts) > 0 && ign.si_signo == SIGCHLD)
					;
				if (errno != EAGAIN && (ign.si_signo == SIGTERM || ign.si_signo == SIGINT)) {
					stopping = true;
					break;
				}
			}
			worker = worker_start(listen_fd, o, self);
			started = mono_ms();
			if (worker < 0)
				router_log("router: fork a worker: %s", strerror(errno));
		}
		if (stopping && worker < 0)
			break;
	}
	if (pidfile)
		unlink(pidfile);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
fail:
	sigprocmask(SIG_SETMASK, &old, NULL);
	return -1;
}
