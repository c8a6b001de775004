/* creds.c - the container user's credentials: ids, capabilities, rlimits.
 *
 * A non-root container user keeps no capability at all: bounding, permitted,
 * effective, inheritable and ambient sets are empty. Container root (--user 0)
 * keeps a subset of Docker's default set (no NET_RAW, MKNOD or AUDIT_WRITE), and
 * only inside its user namespace, where it is an unprivileged host id. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/internal.h"

/* Plain syscalls rather than libcap: its ambient reset asks about every capability
 * one by one, and a start is measured in syscalls. */
static const int root_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
	CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_SETFCAP,
};

static uint64_t root_cap_mask(void)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < ARRAY_SIZE(root_caps); i++)
		mask |= 1ULL << root_caps[i];
	return mask;
}

static int set_rlimits(const struct runtime_spec *spec, bool pids_rlimit, struct berr *err)
{
	struct rlimit core = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &core) < 0)
		return berr_sys(err, "set RLIMIT_CORE");
	if (pids_rlimit) {
		/* RLIMIT_NPROC counts the real uid's processes in this user namespace; each
		 * container has its own, so this is a per-container fork bomb stop. */
		rlim_t n = spec->pids_max ? spec->pids_max : RUNTIME_DEFAULT_PIDS;
		struct rlimit nproc = { n, n };

		if (setrlimit(RLIMIT_NPROC, &nproc) < 0)
			return berr_sys(err, "set RLIMIT_NPROC");
	}
	return 0;
}

int creds_drop(const struct runtime_spec *spec, bool pids_rlimit, struct berr *err)
{
	uint64_t keep = spec->uid == 0 ? root_cap_mask() : 0;
	struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (set_rlimits(spec, pids_rlimit, err) < 0)
		return -1;
	/* The bounding set, up to the last capability this kernel knows (EINVAL). */
	for (int c = 0; c < 64; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			return berr_sys(err, "drop capability %d from the bounding set", c);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berr_sys(err, "clear ambient capabilities");
	if (sys_setgroups(1, &spec->gid) < 0)
		return berr_sys(err, "set groups to %u", (unsigned)spec->gid);
	if (sys_setresgid(spec->gid, spec->gid, spec->gid) < 0)
		return berr_sys(err, "set gid %u", (unsigned)spec->gid);
	/* A change from uid 0 clears permitted and effective sets by itself; set them
	 * explicitly anyway, for root (the kept subset) and everyone else (nothing). */
	if (sys_setresuid(spec->uid, spec->uid, spec->uid) < 0)
		return berr_sys(err, "set uid %u", (unsigned)spec->uid);
	data[0].permitted = data[0].effective = (uint32_t)keep;
	data[1].permitted = data[1].effective = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &head, data) < 0)
		return berr_sys(err, "set capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berr_sys(err, "set no_new_privs");
	return 0;
}
