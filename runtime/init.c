/* init.c - the container side: set up, then be pid 1.
 *
 * The child that clone3() made sets its own signal state (nothing of its creator's
 * may leak in), waits for the creator's staged trees and "go", becomes root of its
 * user namespace, builds its stage and root filesystem in its own mount namespace,
 * drops privileges, loads seccomp and forks the command. As pid 1 it then reaps
 * every zombie in the namespace and forwards signals to the command; it writes the
 * command's status to the status file and exits with it. Errors before the command
 * starts go to the creator over err_fd as one line; err_fd closing without one
 * tells the creator the command has started.
 *
 * This process is a raw clone3() child of a caller that may have threads: a lock
 * another thread held at that moment (malloc's, stdio's) stays locked here for
 * good. So nothing here allocates or uses stdio: the creator prepared every
 * string and buffer beforehand, and messages are formatted on the stack. */
#include <errno.h>
#include <linux/close_range.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/mount.h>
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
	/* One line: the creator reports the first of the child's and the helper's. */
	char line[sizeof(err->msg) + 1];
	int n = snprintf(line, sizeof(line), "%s\n", err->msg);
	ssize_t w = write(cfg->err_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);

	(void)w;
	_exit(RUNTIME_EXIT_ERROR);
}

/* execve through the container's PATH, reporting as a shell does: 127 when nothing
 * is found, 126 when something is found but cannot be executed. In the vfork child:
 * its own stack only, no malloc, no stdio. */
static __attribute__((noreturn)) void exec_command(const struct runtime_spec *spec)
{
	const char *file = spec->argv.v[0];
	const char *path = strv_getenv(&spec->env, "PATH");
	char msg[PATH_MAX + 128];
	int saved = ENOENT;
	ssize_t w;

	if (strchr(file, '/')) {
		execve(file, spec->argv.v, spec->env.v);
		saved = errno;
	} else {
		const char *d = path ? path : "/usr/local/bin:/usr/bin:/bin";

		for (;;) {
			size_t len = strcspn(d, ":");
			char candidate[PATH_MAX];
			int n = snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)len,
					 len ? d : ".", file);

			if (n > 0 && (size_t)n < sizeof(candidate)) {
				execve(candidate, spec->argv.v, spec->env.v);
				if (errno != ENOENT && errno != ENOTDIR)
					saved = errno;
			}
			if (!d[len])
				break;
			d += len + 1;
		}
	}
	snprintf(msg, sizeof(msg), " !     exec %s: %s\n", file,
		 saved == ENOENT ? "command not found in the container" : strerror(saved));
	w = write(2, msg, strlen(msg));
	(void)w;
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

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static bool from_sender(const siginfo_t *si)
{
	/* A terminal's ^C reaches every process of the foreground group, the command
	 * included; only forward what was sent with kill(2), or it arrives twice. */
	return si->si_code == SI_USER || si->si_code == SI_QUEUE || si->si_code == SI_TKILL;
}

/* The status as a shell reports it, into the status file (for whoever collects it
 * later, maybe not our parent), then as our own exit code. */
static __attribute__((noreturn)) void init_exit(int status_fd, int code)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%d\n", code);

	if (status_fd >= 0 && write(status_fd, text, n) != n)
		code = code ? code : RUNTIME_EXIT_ERROR;
	_exit(code);
}

static __attribute__((noreturn)) void be_init(pid_t command, const sigset_t *watched,
					      int status_fd)
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
			init_exit(status_fd, WIFEXITED(status) ? WEXITSTATUS(status)
							       : 128 + WTERMSIG(status));
		}
	}
}

/* The command's stdio from the caller's descriptors: copies above 2 first, so
 * that one caller descriptor may serve twice or already sit at 0, 1 or 2. */
static int setup_stdio(const int stdio[3], struct berr *err)
{
	int copy[3];

	for (int i = 0; i < 3; i++) {
		copy[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
		if (copy[i] < 0)
			return berr_sys(err, "the container's descriptor %d", i);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(copy[i], i) < 0)
			return berr_sys(err, "the container's descriptor %d", i);
	return 0;
}

void container_child(struct child_config *cfg)
{
	const struct runtime_spec *spec = cfg->spec;
	size_t ntrees = spec->layers.n + spec->nbinds + (cfg->upper_on_disk ? 1 : 0);
	int *trees = cfg->trees;
	struct berr err = { 0 };
	sigset_t watched;
	pid_t command;
	int r;
	volatile int hold = -1;  /* survives the vfork below */

	/* Our own signal state, whatever the creator's: default dispositions (an
	 * ignored SIGCHLD would reap the command behind our back), and the signals
	 * pid 1 waits for blocked. */
	reset_signal_dispositions();
	sigemptyset(&watched);
	sigaddset(&watched, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&watched, forwarded[i]);
	sigprocmask(SIG_SETMASK, &watched, NULL);
	umask(022);
	if (setup_stdio(spec->stdio, &err) < 0)
		child_fail(cfg, &err);
	/* Above every number the status file or RUNTIME_PID1_FD could take. */
	if (spec->pid1_fd >= 0 && (hold = fcntl(spec->pid1_fd, F_DUPFD_CLOEXEC, 16)) < 0) {
		berr_sys(&err, "the descriptor pid 1 keeps");
		child_fail(cfg, &err);
	}
	/* Descriptors the caller left open (a directory of the host, a daemon's
	 * sockets) must not reach the container: every one above stdio closes at
	 * exec, and pid 1 closes them once the command runs. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	/* A container that outlives its creator leaves the creator's session, so that
	 * the creator's terminal does not signal it. */
	if (!spec->die_with_creator)
		setsid();
	/* While the creator writes our id maps and stages the layers. A new user
	 * namespace gives its first process every capability in it, before any id is
	 * mapped. */
	if (sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
		berr_sys(&err, "set hostname %s", spec->hostname);
		child_fail(cfg, &err);
	}
	/* The staged trees, then "go" ('n': limit processes with RLIMIT_NPROC); EOF
	 * means the creator gave up. */
	r = fds_recv(cfg->sync_fd, trees, ntrees);
	if (r < 0)
		_exit(RUNTIME_EXIT_ERROR);
	cfg->pids_rlimit = r == 'n';
	if (sys_setresgid(0, 0, 0) < 0 || sys_setresuid(0, 0, 0) < 0 || sys_setgroups(0, NULL) < 0) {
		berr_sys(&err, "become root of the container's user namespace");
		child_fail(cfg, &err);
	}
	/* Before unshare: it moves the working directory into the new namespace's copy
	 * of the stage's mount point, where the stage is then mounted. */
	if (fchdir(cfg->stage_fd) < 0) {
		berr_sys(&err, "enter the stage's mount point");
		child_fail(cfg, &err);
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP) < 0) {
		berr_sys(&err, "create mount and cgroup namespaces");
		child_fail(cfg, &err);
	}
	/* The copy of the creator's mounts is a slave of them (a user namespace's copy
	 * never propagates back). Private, it also receives nothing, and the clones
	 * and the final detach of the host tree need no propagation work. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		berr_sys(&err, "make the container's mounts private");
		child_fail(cfg, &err);
	}
	if (stage_setup(cfg, trees, &err) < 0)
		child_fail(cfg, &err);
	for (size_t i = 0; i < ntrees; i++)
		close(trees[i]);
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
	/* Die with the creator, when asked. Set after the id change, which clears it;
	 * a creator that died before then has closed its end of the sync socket. */
	if (spec->die_with_creator)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* "commit": the creator has written the state that lets others find us, and
	 * sends the status file (none when it is our parent and reaps us). Not before
	 * it does the command start. */
	if (fds_recv(cfg->sync_fd, &cfg->status_fd, spec->die_with_creator ? 0 : 1) != 'c')
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

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* The terminal's ^C and window changes go to its foreground group:
		 * make that the command's own session. */
		if (spec->tty && setsid() >= 0)
			ioctl(0, TIOCSCTTY, 0);
		exec_command(spec);
	}
	/* pid 1 needs no descriptor now but the status file, kept as 3, and the
	 * caller's pid1_fd as RUNTIME_PID1_FD; closing err_fd tells the creator that
	 * the command has started. */
	if (cfg->status_fd >= 0 && cfg->status_fd != 3 && dup2(cfg->status_fd, 3) < 0)
		_exit(RUNTIME_EXIT_ERROR);
	if (hold >= 0 && dup2(hold, RUNTIME_PID1_FD) < 0)
		_exit(RUNTIME_EXIT_ERROR);
	if (hold >= 0 && cfg->status_fd < 0)
		close(3);
	close_range(hold >= 0 ? RUNTIME_PID1_FD + 1 : cfg->status_fd >= 0 ? 4 : 3, ~0U, 0);
	be_init(command, &watched, cfg->status_fd >= 0 ? 3 : -1);
}
