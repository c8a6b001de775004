/* syscall-probe - attempt system calls a container must not make and report what
 * the kernel answered, one "NAME RESULT" line each (RESULT: "ok" or an errno name
 * such as EPERM).
 *
 * Used by tests/integration/runtime_isolation.sh: built statically and copied into a
 * test layer, it runs once inside a container and once on the host as a control.
 * Each call's arguments are chosen so that, without a seccomp filter, the kernel
 * rejects it for a reason other than permission (EFAULT, EBADF, EINVAL, ...) and
 * nothing happens even for host root. So EPERM inside the container can only come
 * from the filter, and the host run shows the arguments were not EPERM-bound.
 *
 *   syscall-probe            run every probe
 *   syscall-probe NAME...    run the named probes */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* CLONE_THREAD without CLONE_SIGHAND is EINVAL before any namespace is made. */
#define CLONE_BAD (CLONE_THREAD | SIGCHLD)

static long probe_mount(void) { return syscall(SYS_mount, NULL, NULL, NULL, 0, NULL); }
static long probe_umount2(void) { return syscall(SYS_umount2, NULL, 0); }
static long probe_pivot_root(void) { return syscall(SYS_pivot_root, NULL, NULL); }
static long probe_chroot(void) { return syscall(SYS_chroot, NULL); }
static long probe_fsopen(void) { return syscall(SYS_fsopen, NULL, 0); }
static long probe_open_tree(void) { return syscall(SYS_open_tree, -1, NULL, 0); }
static long probe_move_mount(void) { return syscall(SYS_move_mount, -1, NULL, -1, NULL, 0); }
/* 0x1 is not an unshare flag: EINVAL unless something refuses first. */
static long probe_unshare(void) { return syscall(SYS_unshare, CLONE_NEWUSER | 0x1); }
static long probe_setns(void) { return syscall(SYS_setns, -1, 0); }
static long probe_keyctl(void) { return syscall(SYS_keyctl, -1, 0, 0, 0, 0); }
static long probe_add_key(void) { return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0); }
static long probe_request_key(void) { return syscall(SYS_request_key, NULL, NULL, NULL, 0); }
static long probe_bpf(void) { return syscall(SYS_bpf, -1, NULL, 0); }
static long probe_perf_event_open(void) { return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0); }
static long probe_userfaultfd(void) { return syscall(SYS_userfaultfd, -1); }
/* More segments than KEXEC_SEGMENT_MAX (16). */
static long probe_kexec_load(void) { return syscall(SYS_kexec_load, 0, 17, NULL, 0); }
static long probe_init_module(void) { return syscall(SYS_init_module, NULL, 0, ""); }
static long probe_finit_module(void) { return syscall(SYS_finit_module, -1, "", 0); }
static long probe_delete_module(void) { return syscall(SYS_delete_module, NULL, 0); }
/* A pid above any pid_max: ESRCH. */
static long probe_ptrace(void) { return syscall(SYS_ptrace, PTRACE_ATTACH, 0x7fffffff, 0, 0); }
static long probe_clone_newuser(void) { return syscall(SYS_clone, CLONE_BAD | CLONE_NEWUSER, 0, 0, 0, 0); }
static long probe_clone_newns(void) { return syscall(SYS_clone, CLONE_BAD | CLONE_NEWNS, 0, 0, 0, 0); }
static long probe_clone_newpid(void) { return syscall(SYS_clone, CLONE_BAD | CLONE_NEWPID, 0, 0, 0, 0); }
static long probe_clone_newnet(void) { return syscall(SYS_clone, CLONE_BAD | CLONE_NEWNET, 0, 0, 0, 0); }
static long probe_clone_newuts(void) { return syscall(SYS_clone, CLONE_BAD | CLONE_NEWUTS, 0, 0, 0, 0); }
static long probe_clone_newipc(void) { return syscall(SYS_clone, CLONE_BAD | CLONE_NEWIPC, 0, 0, 0, 0); }
static long probe_clone_newcgroup(void) { return syscall(SYS_clone, CLONE_BAD | CLONE_NEWCGROUP, 0, 0, 0, 0); }
/* clone3 hides its flags from seccomp in memory; it must fail as unsupported. */
static long probe_clone3(void) { return syscall(SYS_clone3, NULL, 0); }
static long probe_io_uring_setup(void) { return syscall(SYS_io_uring_setup, 1, NULL); }
static long probe_ioctl_tiocsti(void) { char c = 'x'; return syscall(SYS_ioctl, -1, TIOCSTI, &c); }
/* The kernel reads the request as 32 bits: high bits must not slip past the filter. */
static long probe_ioctl_tiocsti_high(void)
{
	char c = 'x';

	return syscall(SYS_ioctl, -1, (unsigned long)TIOCSTI | (1UL << 32), &c);
}
static long probe_socket_vsock(void)
{
	long fd = syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0);

	if (fd >= 0)
		close((int)fd);
	return fd < 0 ? -1 : 0;
}

/* socket's domain is an int to the kernel: high bits must not slip past the filter. */
static long probe_socket_vsock_high(void)
{
	long fd = syscall(SYS_socket, (unsigned long)AF_VSOCK | (1UL << 32), SOCK_STREAM, 0);

	if (fd >= 0)
		close((int)fd);
	return fd < 0 ? -1 : 0;
}

/* Controls: what ordinary programs do must keep working. */
static long probe_getpid(void) { return syscall(SYS_getpid) > 0 ? 0 : -1; }
static long probe_ioctl_tcgets(void) { struct termios t; return syscall(SYS_ioctl, -1, TCGETS, &t); }
static long probe_socket_inet(void)
{
	long fd = syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);

	if (fd >= 0)
		close((int)fd);
	return fd < 0 ? -1 : 0;
}
static long probe_fork(void)
{
	long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	int status;

	if (pid == 0)
		_exit(7);
	if (pid < 0)
		return -1;
	if (waitpid((pid_t)pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 7) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

static const struct probe {
	const char *name;
	long (*fn)(void);
} probes[] = {
	{ "mount", probe_mount }, { "umount2", probe_umount2 }, { "pivot_root", probe_pivot_root },
	{ "chroot", probe_chroot }, { "fsopen", probe_fsopen }, { "open_tree", probe_open_tree },
	{ "move_mount", probe_move_mount }, { "unshare", probe_unshare }, { "setns", probe_setns },
	{ "keyctl", probe_keyctl }, { "add_key", probe_add_key }, { "request_key", probe_request_key },
	{ "bpf", probe_bpf }, { "perf_event_open", probe_perf_event_open },
	{ "userfaultfd", probe_userfaultfd }, { "kexec_load", probe_kexec_load },
	{ "init_module", probe_init_module }, { "finit_module", probe_finit_module },
	{ "delete_module", probe_delete_module }, { "ptrace", probe_ptrace },
	{ "clone_newuser", probe_clone_newuser }, { "clone_newns", probe_clone_newns },
	{ "clone_newpid", probe_clone_newpid }, { "clone_newnet", probe_clone_newnet },
	{ "clone_newuts", probe_clone_newuts }, { "clone_newipc", probe_clone_newipc },
	{ "clone_newcgroup", probe_clone_newcgroup }, { "clone3", probe_clone3 },
	{ "io_uring_setup", probe_io_uring_setup }, { "ioctl_tiocsti", probe_ioctl_tiocsti },
	{ "ioctl_tiocsti_high", probe_ioctl_tiocsti_high }, { "socket_vsock", probe_socket_vsock },
	{ "socket_vsock_high", probe_socket_vsock_high },
	{ "getpid", probe_getpid }, { "ioctl_tcgets", probe_ioctl_tcgets },
	{ "socket_inet", probe_socket_inet }, { "fork", probe_fork },
};

static int run(const struct probe *p)
{
	long r;

	errno = 0;
	r = p->fn();
	if (r >= 0) {
		printf("%s ok\n", p->name);
	} else {
		const char *name = strerrorname_np(errno);

		if (name)
			printf("%s %s\n", p->name, name);
		else
			printf("%s errno%d\n", p->name, errno);
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = sizeof(probes) / sizeof(probes[0]);
	int bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 1) {
		for (size_t i = 0; i < n; i++)
			run(&probes[i]);
		return 0;
	}
	for (int a = 1; a < argc; a++) {
		size_t i;

		for (i = 0; i < n && strcmp(probes[i].name, argv[a]); i++)
			;
		if (i == n) {
			fprintf(stderr, "syscall-probe: no probe named %s\n", argv[a]);
			bad = 1;
			continue;
		}
		run(&probes[i]);
	}
	return bad ? 2 : 0;
}
