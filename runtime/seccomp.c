/* seccomp.c - the container's default seccomp profile.
 *
 * An allowlist in the spirit of Docker's default profile, stricter where that is
 * cheap: anything not listed fails with EPERM. Not listed on purpose: mount and the
 * new mount API, unshare, setns, pivot_root, chroot, keyctl/add_key/request_key, bpf,
 * perf_event_open, userfaultfd, kexec_*, *_module, ptrace, process_vm_*, kcmp,
 * open_by_handle_at, io_uring_*, reboot, swapon/off, acct, clock/time setting,
 * sethostname, quotactl, fanotify_init, the NUMA setters. clone with any CLONE_NEW*
 * flag fails; clone3 fails with ENOSYS so libc falls back to clone, whose flags a
 * filter can see. ioctl(TIOCSTI) (typing into the caller's terminal) fails.
 *
 * The filter is compiled with libseccomp once and cached as BPF under BERTH_RUN,
 * keyed by a hash of this profile, so starting a container only reads it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "runtime/internal.h"

/* Bump when the rules below change in a way the names do not show. */
#define PROFILE_VERSION 3

static const char *const allowed_syscalls[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk",
	"cachestat", "capget", "capset", "chdir", "chmod", "chown", "clock_getres",
	"clock_gettime", "clock_nanosleep", "close", "close_range", "connect",
	"copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
	"epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait", "eventfd", "eventfd2",
	"execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
	"fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown",
	"fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
	"fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex",
	"futex_requeue", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu",
	"getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid", "getgroups",
	"getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
	"getrandom", "getresgid", "getresuid", "getrlimit", "get_robust_list", "getrusage",
	"getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday",
	"getuid", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
	"inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
	"ioprio_get", "ioprio_set", "io_setup", "io_submit", "kill", "landlock_add_rule",
	"landlock_create_ruleset", "landlock_restrict_self", "lchown", "lgetxattr", "link",
	"linkat", "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr",
	"lstat", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret",
	"mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall",
	"mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	"mq_timedsend", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
	"msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
	"newfstatat", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal",
	"pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "prctl",
	"pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
	"pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
	"readv", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages", "removexattr",
	"rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
	"rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
	"sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
	"sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
	"sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
	"semget", "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto",
	"setfsgid", "setfsuid", "setgid", "setgroups", "setitimer", "setpgid", "setpriority",
	"setregid", "setresgid", "setresuid", "setreuid", "setrlimit", "set_robust_list",
	"setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setxattr",
	"shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
	"signalfd4", "socketpair", "splice", "stat", "statfs", "statx", "symlink",
	"symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time",
	"timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime",
	"timerfd_create", "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate",
	"umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimes", "vfork",
	"vmsplice", "wait4", "waitid", "write", "writev",
};

/* Namespace-creating clone flags; CLONE_NEWTIME shares bits with the exit signal in
 * clone's first argument and cannot be passed to clone at all. */
#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static uint64_t profile_hash(void)
{
	uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
	char extra[64];

	for (size_t i = 0; i < ARRAY_SIZE(allowed_syscalls); i++)
		for (const char *p = allowed_syscalls[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(extra, sizeof(extra), "v%d-%u.%u.%u", PROFILE_VERSION,
		 seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
	for (const char *p = extra; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static int allow_unless_low_bits(scmp_filter_ctx ctx, int nr, unsigned arg, uint32_t denied,
				 unsigned bits)
{
	int r = 0;

	for (unsigned b = 0; r == 0 && b < bits; b++) {
		uint64_t bit = 1ULL << b;
		struct scmp_arg_cmp cmp = {
			.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = bit,
			.datum_b = (denied & bit) ? 0 : bit,
		};

		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
	}
	return r;
}

int seccomp_add_rules(void *ctx_arg, struct berr *err)
{
	static const unsigned long personas[] = { 0x0, 0x0008, 0x20000, 0x20008, 0xffffffff };
	scmp_filter_ctx ctx = ctx_arg;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(allowed_syscalls); i++) {
		int nr = seccomp_syscall_resolve_name(allowed_syscalls[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;  /* not a syscall on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0)
			return berr_errno(err, -r, "seccomp rule for %s", allowed_syscalls[i]);
	}
	/* Each rule is checked on its own: one failure must not be hidden by the
	 * success of the next. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0));
	if (r < 0)
		return berr_errno(err, -r, "seccomp rule for clone without namespace flags");
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r < 0)
		return berr_errno(err, -r, "seccomp rule for clone3 (ENOSYS)");
	/* "Allowed unless equal" for 32-bit arguments. The kernel drops the high half
	 * of the register, so a plain "not equal" would let AF_VSOCK | 1 << 32 pass,
	 * and libseccomp cannot pair an unconditional allow with a conditional deny.
	 * So: allowed when one of the low bits differs from the denied value's. */
	r = allow_unless_low_bits(ctx, SCMP_SYS(ioctl), 1, TIOCSTI, 32);
	if (r < 0)
		return berr_errno(err, -r, "seccomp rule for ioctl without TIOCSTI");
	/* socket(AF_VSOCK) reaches the hypervisor. Families are below 64 (AF_MAX), so
	 * six bits decide; a larger value is no family, which the kernel refuses. */
	r = allow_unless_low_bits(ctx, SCMP_SYS(socket), 0, AF_VSOCK, 6);
	if (r < 0)
		return berr_errno(err, -r, "seccomp rule for socket without AF_VSOCK");
	for (size_t i = 0; i < ARRAY_SIZE(personas); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
				     SCMP_A0(SCMP_CMP_EQ, personas[i]));
		if (r < 0)
			return berr_errno(err, -r, "seccomp rule for personality 0x%lx", personas[i]);
	}
	return 0;
}

/* Filters of older profile versions, left by an earlier berth. */
static void remove_other_profiles(const char *keep)
{
	autofree char *dir = xstrdup(keep);
	const char *base = strrchr(keep, '/') + 1;
	autoclosedir DIR *d = NULL;
	struct dirent *de;

	*strrchr(dir, '/') = '\0';
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (str_has_prefix(de->d_name, "profile-") && str_has_suffix(de->d_name, ".bpf") &&
		    strcmp(de->d_name, base))
			unlinkat(dirfd(d), de->d_name, 0);
}

static int profile_compile(const char *cache_path, struct sock_fprog *prog, struct berr *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	autoclose int mfd = -1;
	autofree char *bpf = NULL;
	size_t len = 0;
	struct berr ignored = { 0 };
	int r;

	if (!ctx)
		return berr_fail(err, "seccomp: cannot create a filter context");
	/* A binary tree of syscall numbers rather than a list: the kernel emulates the
	 * filter for every syscall number when it is loaded (to cache the ones always
	 * allowed), so a shorter path per number halves the load time. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
		seccomp_release(ctx);
		return berr_fail(err, "seccomp: libseccomp cannot build a binary tree filter");
	}
	if (seccomp_add_rules(ctx, err) < 0) {
		seccomp_release(ctx);
		return -1;
	}
	mfd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	if (mfd < 0) {
		seccomp_release(ctx);
		return berr_sys(err, "seccomp: memfd_create");
	}
	r = seccomp_export_bpf(ctx, mfd);
	seccomp_release(ctx);
	if (r < 0)
		return berr_errno(err, -r, "seccomp: export filter");
	if (lseek(mfd, 0, SEEK_SET) < 0 ||
	    read_fd(mfd, &bpf, &len, err) < 0)
		return berr_prefix(err, "seccomp: read exported filter");
	if (len == 0 || len % sizeof(struct sock_filter))
		return berr_fail(err, "seccomp: exported filter has a bad size %zu", len);
	/* A cache that cannot be written only costs the next start a compile. */
	if (write_file_atomic(cache_path, bpf, len, 0644, &ignored) == 0)
		remove_other_profiles(cache_path);
	prog->len = len / sizeof(struct sock_filter);
	prog->filter = steal_ptr(bpf);
	return 0;
}

/* A cached filter is trusted only if root owns it and nobody else can write it. */
static int profile_read_cache(const char *path, struct sock_fprog *prog)
{
	autoclose int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	autofree char *bpf = NULL;
	struct stat st;
	struct berr ignored = { 0 };
	size_t len;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022) ||
	    !S_ISREG(st.st_mode))
		return -1;
	if (read_fd(fd, &bpf, &len, &ignored) < 0)
		return -1;
	if (len == 0 || len % sizeof(struct sock_filter) || len > 65536)
		return -1;
	prog->len = len / sizeof(struct sock_filter);
	prog->filter = steal_ptr(bpf);
	return 0;
}

int seccomp_profile_get(struct sock_fprog *prog, struct berr *err)
{
	static struct sock_fprog cached;
	autofree char *dir = xasprintf("%s/seccomp", berth_run());
	autofree char *path = NULL;
	struct berr ignored = { 0 };

	if (cached.filter) {
		*prog = cached;
		return 0;
	}
	path = xasprintf("%s/profile-%016llx.bpf", dir, (unsigned long long)profile_hash());
	if (profile_read_cache(path, &cached) < 0) {
		(void)mkdir_p(dir, 0755, &ignored);
		if (profile_compile(path, &cached, err) < 0)
			return -1;
	}
	*prog = cached;
	return 0;
}

int seccomp_install(const struct sock_fprog *prog)
{
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog);
}
