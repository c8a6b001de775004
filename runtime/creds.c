/* creds.c - the container user's credentials: ids, capabilities, rlimits.
 *
 * A non-root container user keeps no capability at all: bounding, permitted,
 * effective, inheritable and ambient sets are empty. Container root (--user 0)
 * keeps a subset of Docker's default set (no NET_RAW, MKNOD or AUDIT_WRITE), and
 * only inside its user namespace, where it is an unprivileged host id. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/internal.h"

static const cap_value_t root_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
	CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_SETFCAP,
};

static bool is_root_cap(cap_value_t c)
{
	for (size_t i = 0; i < ARRAY_SIZE(root_caps); i++)
		if (root_caps[i] == c)
			return true;
	return false;
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
	bool root = spec->uid == 0;
	cap_t caps = NULL;
	int r = -1;

	if (set_rlimits(spec, pids_rlimit, err) < 0)
		return -1;
	for (cap_value_t c = 0; c <= (cap_value_t)cap_max_bits() - 1; c++) {
		if (root && is_root_cap(c))
			continue;
		if (cap_drop_bound(c) < 0 && errno != EINVAL)
			return berr_sys(err, "drop capability %d from the bounding set", c);
	}
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return berr_sys(err, "clear ambient capabilities");
	if (setgroups(1, &spec->gid) < 0)
		return berr_sys(err, "set groups to %u", (unsigned)spec->gid);
	if (setresgid(spec->gid, spec->gid, spec->gid) < 0)
		return berr_sys(err, "set gid %u", (unsigned)spec->gid);
	if (setresuid(spec->uid, spec->uid, spec->uid) < 0)
		return berr_sys(err, "set uid %u", (unsigned)spec->uid);
	caps = cap_init();
	if (!caps)
		return berr_sys(err, "cap_init");
	if (root &&
	    (cap_set_flag(caps, CAP_PERMITTED, ARRAY_SIZE(root_caps), root_caps, CAP_SET) < 0 ||
	     cap_set_flag(caps, CAP_EFFECTIVE, ARRAY_SIZE(root_caps), root_caps, CAP_SET) < 0)) {
		berr_sys(err, "build the capability set");
		goto out;
	}
	if (cap_set_proc(caps) < 0) {
		berr_sys(err, "set capabilities");
		goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		berr_sys(err, "set no_new_privs");
		goto out;
	}
	r = 0;
out:
	cap_free(caps);
	return r;
}
