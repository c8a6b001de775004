/* netns.c - the container's network namespace, made beside the rest of its setup.
 *
 * Creating a network namespace is the slowest single step of a start (about 1 ms:
 * every pernet subsystem registers itself, and the previous container's namespace
 * may still be tearing down). Done by the container's first process, it would add
 * to that process's mount work. Instead a short-lived helper, forked by the
 * creator, joins the container's user namespace, creates the network namespace
 * there (so the container's user namespace owns it, exactly as if the container
 * had made it), brings lo up and passes a descriptor of it to the container's
 * first process, which joins it just before it mounts /sys. With two CPUs both run
 * at once.
 *
 * The helper runs no container code and exits as soon as it has handed over the
 * namespace (or, with a network hook, once the creator has run the hook on it). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/internal.h"

/* A new network namespace has lo down; an ioctl is all it takes to bring it up. */
static int loopback_up(struct berr *err)
{
	autoclose int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };

	if (s < 0)
		return berr_sys(err, "socket for lo");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return berr_sys(err, "get flags of lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return berr_sys(err, "bring lo up");
	return 0;
}

static __attribute__((noreturn)) void helper_fail(int err_fd, struct berr *err)
{
	/* One line: the creator reports the first of the child's and the helper's. */
	char line[sizeof(err->msg) + 1];
	int n = snprintf(line, sizeof(line), "%s\n", err->msg);
	ssize_t w = write(err_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);

	(void)w;
	_exit(RUNTIME_EXIT_ERROR);
}

static __attribute__((noreturn)) void helper_main(int userns_fd, int to_child, int ctl,
						  int err_fd)
{
	struct berr err = { 0 };
	autoclose int netfd = -1;
	char byte;

	/* Die with the creator; it would not be there to take our answer. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setns(userns_fd, CLONE_NEWUSER) < 0) {
		berr_sys(&err, "join the container's user namespace");
		helper_fail(err_fd, &err);
	}
	if (unshare(CLONE_NEWNET) < 0) {
		berr_sys(&err, "create the network namespace");
		helper_fail(err_fd, &err);
	}
	if (loopback_up(&err) < 0)
		helper_fail(err_fd, &err);
	netfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (netfd < 0) {
		berr_sys(&err, "open the network namespace");
		helper_fail(err_fd, &err);
	}
	/* With a network hook: "ready" to the creator, then wait until it has run. */
	if (ctl >= 0 && (write(ctl, "r", 1) != 1 || read(ctl, &byte, 1) != 1))
		_exit(RUNTIME_EXIT_ERROR);
	if (fds_send(to_child, &netfd, 1, 'n') < 0) {
		berr_sys(&err, "hand the network namespace to the container");
		helper_fail(err_fd, &err);
	}
	_exit(0);
}

int netns_helper_start(struct netns_helper *h, int userns_fd, int to_child, int err_fd,
		       bool hook, struct berr *err)
{
	struct clone_args args = { .exit_signal = 0 };
	int ctl[2] = { -1, -1 };

	h->pid = -1;
	h->ctl_fd = -1;
	if (hook && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0)
		return berr_sys(err, "socketpair for the network helper");
	/* No SIGCHLD for the creator (exit signal 0), and invisible to a wait for
	 * "any child" that the creator may run elsewhere: only __WCLONE reaps it. */
	h->pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (h->pid < 0) {
		berr_sys(err, "fork the network namespace helper");
		if (hook) {
			close(ctl[0]);
			close(ctl[1]);
		}
		return -1;
	}
	if (h->pid == 0) {
		if (hook)
			close(ctl[0]);
		helper_main(userns_fd, to_child, ctl[1], err_fd);
	}
	if (hook) {
		close(ctl[1]);
		h->ctl_fd = ctl[0];
	}
	return 0;
}

int netns_helper_hook(struct netns_helper *h, runtime_hook_fn fn, void *arg, struct berr *err)
{
	char byte;
	int r;

	if (read(h->ctl_fd, &byte, 1) != 1)
		return berr_fail(err, "the container's network namespace was not created");
	r = fn(h->pid, arg, err);
	if (r == 0 && write(h->ctl_fd, "c", 1) != 1)
		r = berr_sys(err, "resume the network namespace helper");
	return r;
}

void netns_helper_reap(struct netns_helper *h, bool kill_it)
{
	if (h->pid > 0) {
		if (kill_it)
			kill(h->pid, SIGKILL);
		while (waitpid(h->pid, NULL, __WCLONE) < 0 && errno == EINTR)
			;
		h->pid = -1;
	}
	if (h->ctl_fd >= 0) {
		close(h->ctl_fd);
		h->ctl_fd = -1;
	}
}

int netns_join(int from_helper, struct berr *err)
{
	autoclose int fd = -1;
	int r = fds_recv(from_helper, &fd, 1);

	if (r == -2)
		return -2;  /* the helper failed and said why */
	if (r < 0)
		return berr_sys(err, "receive the network namespace");
	if (setns(fd, CLONE_NEWNET) < 0)
		return berr_sys(err, "join the network namespace");
	return 0;
}
