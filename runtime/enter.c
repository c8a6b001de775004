/* enter.c - start a command in a running container (`berth enter`).
 *
 * A host child of the caller joins the container's cgroup, then (one setns on
 * pid 1's pidfd) its user, mount, pid, net, uts, ipc and cgroup namespaces. A
 * pid namespace applies to children only, so it forks the command, which takes
 * on exactly what the container's own command got from creds_drop(): pid 1's
 * uid/gid, its capabilities (none for non-root), its RLIMIT_NPROC,
 * no_new_privs, and the same seccomp filter, loaded last. The host child stays
 * outside as the command's parent: it forwards signals and exits with the
 * command's status. Nothing of the container is changed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/internal.h"

extern char **environ;

static const int passed_on[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

/* "Uid:" or "Gid:" of /proc/pid/status (real id, as the host sees it). */
static int host_id_of(pid_t pid, const char *field, unsigned long *id, struct berr *err)
{
	autofree char *path = xasprintf("/proc/%d/status", (int)pid);
	autofclose FILE *f = fopen(path, "re");
	char line[256];

	if (!f)
		return berr_sys(err, "read %s", path);
	while (fgets(line, sizeof(line), f))
		if (str_has_prefix(line, field) && sscanf(line + strlen(field), "%lu", id) == 1)
			return 0;
	return berr_fail(err, "read %s: no %s line", path, field);
}

/* The container's id for host id: through /proc/pid/{uid,gid}_map. */
static int inner_id(pid_t pid, const char *map, unsigned long host, unsigned *out,
		    struct berr *err)
{
	autofree char *path = xasprintf("/proc/%d/%s", (int)pid, map);
	autofclose FILE *f = fopen(path, "re");
	unsigned long in, outside, count;

	if (!f)
		return berr_sys(err, "read %s", path);
	while (fscanf(f, "%lu %lu %lu", &in, &outside, &count) == 3)
		if (host >= outside && host - outside < count) {
			*out = (unsigned)(in + (host - outside));
			return 0;
		}
	return berr_fail(err, "%s: host id %lu is not mapped", path, host);
}

struct enter_ctx {
	const struct runtime_container *c;
	const struct runtime_spec *spec;
	struct sock_fprog seccomp;
	uid_t uid;
	gid_t gid;
	struct rlimit nproc;
	int err_fd;   /* write end: one line on failure; EOF once the command exec'd */
};

static __attribute__((noreturn)) void enter_fail(struct enter_ctx *x, const struct berr *err)
{
	if (write(x->err_fd, err->msg, strlen(err->msg)) < 0) {
		/* nobody to tell */
	}
	_exit(RUNTIME_EXIT_ERROR);
}

/* In the container's namespaces: become what its command is, then exec. */
static __attribute__((noreturn)) void enter_command(struct enter_ctx *x)
{
	struct runtime_spec as = *x->spec;
	const char *file = x->spec->argv.v[0];
	struct berr err = { 0 };
	sigset_t none;
	int saved;

	/* Set while still privileged in the namespace (creds_drop leaves it alone). */
	if (setrlimit(RLIMIT_NPROC, &x->nproc) < 0) {
		berr_sys(&err, "set RLIMIT_NPROC");
		enter_fail(x, &err);
	}
	as.uid = x->uid;
	as.gid = x->gid;
	if (creds_drop(&as, false, &err) < 0)
		enter_fail(x, &err);
	if (x->spec->tty && setsid() >= 0)
		ioctl(0, TIOCSCTTY, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (seccomp_install(&x->seccomp) < 0) {
		berr_sys(&err, "load the seccomp filter");
		enter_fail(x, &err);
	}
	close(x->err_fd);
	environ = x->spec->env.v;
	execvp(file, x->spec->argv.v);
	saved = errno;
	dprintf(2, " !     exec %s: %s\n", file, strerror(saved));
	_exit(saved == ENOENT || saved == ENOTDIR ? RUNTIME_EXIT_NOTFOUND : RUNTIME_EXIT_NOEXEC);
}

static int dup_stdio(const int stdio[3], struct berr *err)
{
	int copy[3];

	for (int i = 0; i < 3; i++) {
		copy[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
		if (copy[i] < 0)
			return berr_sys(err, "descriptor %d", i);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(copy[i], i) < 0)
			return berr_sys(err, "descriptor %d", i);
	return 0;
}

/* The host child: cgroup, namespaces, then the command's parent. */
static __attribute__((noreturn)) void enter_child(struct enter_ctx *x)
{
	const int ns = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS |
		       CLONE_NEWIPC | CLONE_NEWCGROUP;
	struct berr err = { 0 };
	sigset_t watched;
	pid_t command;
	int fd;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&watched);
	sigaddset(&watched, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(passed_on); i++)
		sigaddset(&watched, passed_on[i]);
	sigprocmask(SIG_SETMASK, &watched, NULL);
	if (dup_stdio(x->spec->stdio, &err) < 0)
		enter_fail(x, &err);
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	/* The cgroup first: from inside the cgroup namespace ours would be out of
	 * sight. Its limits and cgroup.kill then cover the command too. */
	fd = openat(x->c->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		berr_sys(&err, "join the cgroup of container %s", x->c->id);
		enter_fail(x, &err);
	}
	close(fd);
	if (setns(x->c->pidfd, ns) < 0) {
		berr_sys(&err, "join the namespaces of container %s", x->c->id);
		enter_fail(x, &err);
	}
	if (chdir(x->spec->workdir ? x->spec->workdir : "/") < 0) {
		berr_sys(&err, "working directory %s", x->spec->workdir ? x->spec->workdir : "/");
		enter_fail(x, &err);
	}
	command = fork();
	if (command < 0) {
		berr_sys(&err, "fork in container %s", x->c->id);
		enter_fail(x, &err);
	}
	if (command == 0)
		enter_command(x);
	close(x->err_fd);
	close_range(3, ~0U, 0);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&watched, &si), status;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* A terminal's ^C reaches the command itself when it shares our
			 * group; pass on only what was sent with kill(2). */
			if (si.si_code == SI_USER || si.si_code == SI_QUEUE || si.si_code == SI_TKILL)
				kill(command, sig);
			continue;
		}
		if (waitpid(command, &status, WNOHANG) == command)
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
}

int runtime_enter(const struct runtime_container *c, const struct runtime_spec *spec,
		  pid_t *pidp, int *pidfdp, struct berr *err)
{
	struct enter_ctx x = { .c = c, .spec = spec };
	unsigned long host_uid, host_gid;
	unsigned uid, gid;
	autoclose int rd = -1;
	int pipefd[2], pidfd;
	char msg[sizeof(err->msg)];
	ssize_t n;
	pid_t pid;

	if (spec->argv.n < 1)
		return berr_fail(err, "enter %s: no command", c->id);
	if (c->pidfd < 0 || syscall(SYS_pidfd_send_signal, c->pidfd, 0, NULL, 0) < 0 ||
	    c->cgroup_fd < 0)
		return berr_fail(err, "container %s is not running", c->id);
	/* What pid 1 runs as (it dropped to the container user like its command). */
	if (host_id_of(c->pid, "Uid:", &host_uid, err) < 0 ||
	    host_id_of(c->pid, "Gid:", &host_gid, err) < 0 ||
	    inner_id(c->pid, "uid_map", host_uid, &uid, err) < 0 ||
	    inner_id(c->pid, "gid_map", host_gid, &gid, err) < 0)
		return berr_prefix(err, "container %s", c->id);
	x.uid = uid;
	x.gid = gid;
	if (prlimit(c->pid, RLIMIT_NPROC, NULL, &x.nproc) < 0)
		return berr_sys(err, "container %s: read its RLIMIT_NPROC", c->id);
	if (seccomp_profile_get(&x.seccomp, err) < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return berr_sys(err, "pipe");
	rd = pipefd[0];
	x.err_fd = pipefd[1];
	pid = fork();
	if (pid < 0) {
		close(pipefd[1]);
		return berr_sys(err, "fork");
	}
	if (pid == 0)
		enter_child(&x);
	close(pipefd[1]);
	do
		n = read(rd, msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		int status;

		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (n < 0)
			return berr_sys(err, "enter %s", c->id);
		msg[n] = '\0';
		return berr_fail(err, "%s", msg);
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int status;

		berr_sys(err, "pidfd of the process entering %s", c->id);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	*pidp = pid;
	*pidfdp = pidfd;
	return 0;
}

int runtime_enter_wait(pid_t pid, int pidfd, int *status, struct berr *err)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			if (pidfd >= 0)
				close(pidfd);
			return berr_sys(err, "wait for process %d", (int)pid);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}
