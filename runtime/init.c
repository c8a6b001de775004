/* init.c - the container side: set up, then be pid 1.
 *
 * The child that clone3() made waits for the monitor's "go", becomes root of its
 * user namespace, builds its root filesystem, drops privileges, loads seccomp and
 * forks the command. As pid 1 it then reaps every zombie in the namespace and
 * forwards signals to the command; it exits with the command's status. Errors
 * before the command starts go to the monitor over err_fd as one line. */
#include <errno.h>
#include <linux/close_range.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/param.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/internal.h"

/* In the container, pid 1 shows as "berth-init", not as the host's command line
 * (layer paths, options). Its argument strings are a private copy since clone and
 * end where the environment's begin, as setproctitle implementations assume; a
 * non-NUL last byte makes the kernel report only the first string. Call it only
 * once nothing more reads spec: the caller's option values may live there. */
static void name_init(void)
{
	static const char name[] = "berth-init";
	char *start = program_invocation_name;
	char *end = environ && environ[0] ? environ[0] : NULL;
	char *p = start;

	prctl(PR_SET_NAME, name);
	while (end && p < end && p - start < 65536)
		p += strlen(p) + 1;
	if (!end || p != end || (size_t)(end - start) < sizeof(name) + 1)
		end = start + strlen(start) + 1;
	memset(start, 0, end - start);
	memcpy(start, name, MIN(sizeof(name), (size_t)(end - start)) - 1);
	if ((size_t)(end - start) > sizeof(name))
		end[-1] = ' ';
}

static __attribute__((noreturn)) void child_fail(struct child_config *cfg, struct berr *err)
{
	ssize_t n = write(cfg->err_fd, err->msg, strlen(err->msg));

	(void)n;
	_exit(RUNTIME_EXIT_ERROR);
}

static bool monitor_gone(int sync_fd)
{
	struct pollfd p = { .fd = sync_fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

/* execve through the container's PATH, reporting as a shell does: 127 when nothing
 * is found, 126 when something is found but cannot be executed. */
static __attribute__((noreturn)) void exec_command(const struct runtime_spec *spec)
{
	const char *file = spec->argv.v[0];
	const char *path = strv_getenv(&spec->env, "PATH");
	int saved = ENOENT;

	if (strchr(file, '/')) {
		execve(file, spec->argv.v, spec->env.v);
		saved = errno;
	} else {
		autofree char *dirs = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
		char *save = NULL;

		for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			autofree char *candidate = xasprintf("%s/%s", *d ? d : ".", file);

			execve(candidate, spec->argv.v, spec->env.v);
			if (errno != ENOENT && errno != ENOTDIR)
				saved = errno;
		}
	}
	fprintf(stderr, " !     exec %s: %s\n", file,
		saved == ENOENT ? "command not found in the container" : strerror(saved));
	_exit(saved == ENOENT || saved == ENOTDIR ? RUNTIME_EXIT_NOTFOUND : RUNTIME_EXIT_NOEXEC);
}

/* Signals ignored by whoever started berth (a script's background job ignores
 * SIGINT and SIGQUIT, nohup SIGHUP) stay ignored across execve: the command must
 * start with every disposition at its default, as in a freshly booted system. The
 * raw syscall also reaches the signals glibc reserves for itself (32 and 33). */
static void reset_signal_dispositions(void)
{
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = { 0 };

	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

static bool from_sender(const siginfo_t *si)
{
	/* A terminal's ^C reaches every process of the foreground group, the command
	 * included; only forward what was sent with kill(2), or it arrives twice. */
	return si->si_code == SI_USER || si->si_code == SI_QUEUE || si->si_code == SI_TKILL;
}

static __attribute__((noreturn)) void be_init(pid_t command, const sigset_t *watched)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(watched, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			if (from_sender(&si))
				kill(command, sig);
			continue;
		}
		for (;;) {
			int status;
			pid_t p = waitpid(-1, &status, WNOHANG);

			if (p <= 0)
				break;
			if (p != command)
				continue;
			/* Everything else in the namespace dies with pid 1. */
			if (WIFEXITED(status))
				_exit(WEXITSTATUS(status));
			_exit(128 + WTERMSIG(status));
		}
	}
}

void container_child(struct child_config *cfg)
{
	const struct runtime_spec *spec = cfg->spec;
	struct berr err = { 0 };
	sigset_t watched;
	char go;
	pid_t command;
	int r;

	/* Descriptors the caller of berth left open (a directory of the host, say)
	 * must not reach the container: every one above stdio closes at exec. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	/* While the monitor writes our id maps and stages the layers. A new user
	 * namespace gives its first process every capability in it, before any id is
	 * mapped. */
	if (sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
		berr_sys(&err, "set hostname %s", spec->hostname);
		child_fail(cfg, &err);
	}
	/* "go" ('n': limit processes with RLIMIT_NPROC); EOF means the monitor gave up. */
	if (read(cfg->sync_fd, &go, 1) != 1)
		_exit(RUNTIME_EXIT_ERROR);
	cfg->pids_rlimit = go == 'n';
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 || setgroups(0, NULL) < 0) {
		berr_sys(&err, "become root of the container's user namespace");
		child_fail(cfg, &err);
	}
	/* Before unshare: it moves the working directory into the new namespace's copy
	 * of the stage, where the child mounts with stage-relative paths. */
	if (fchdir(cfg->stage_fd) < 0) {
		berr_sys(&err, "chdir to %s", cfg->stage);
		child_fail(cfg, &err);
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP) < 0) {
		berr_sys(&err, "create mount and cgroup namespaces");
		child_fail(cfg, &err);
	}
	r = rootfs_setup(cfg, &err);
	if (r == -2)
		_exit(RUNTIME_EXIT_ERROR);
	if (r < 0)
		child_fail(cfg, &err);
	if (chdir(spec->workdir) < 0) {
		berr_sys(&err, "working directory %s", spec->workdir);
		child_fail(cfg, &err);
	}
	if (creds_drop(spec, cfg->pids_rlimit, &err) < 0)
		child_fail(cfg, &err);
	/* Die with the monitor. Set after the id change, which clears it; a monitor
	 * that died before then has closed its end of the sync socket. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (monitor_gone(cfg->sync_fd))
		_exit(RUNTIME_EXIT_ERROR);
	close(cfg->sync_fd);
	if (seccomp_install(&cfg->seccomp) < 0) {
		berr_sys(&err, "load the seccomp filter");
		child_fail(cfg, &err);
	}
	/* Last use of spec strings that may point into the caller's argv. */
	name_init();
	/* vfork: no copy of pid 1's page tables, no copy-on-write faults after; pid 1
	 * waits until the command has exec'd (or failed and exited). The child only
	 * makes syscalls on its own stack frame, then execs. */
	command = vfork();
	if (command < 0) {
		berr_sys(&err, "fork the command");
		child_fail(cfg, &err);
	}
	if (command == 0) {
		sigset_t none;

		reset_signal_dispositions();
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		exec_command(spec);
	}
	/* pid 1 needs no descriptor now; the command's are its stdio only. */
	close_range(3, ~0U, 0);
	sigemptyset(&watched);
	sigaddset(&watched, SIGCHLD);
	for (const int *s = (const int[]){ SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
					   SIGWINCH, 0 }; *s; s++)
		sigaddset(&watched, *s);
	be_init(command, &watched);
}
