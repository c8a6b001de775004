/* runtime.h - one container: the public face of runtime/.
 *
 * runtime/ owns starting a single process in a fully isolated container: user,
 * mount, pid, uts, ipc, net and cgroup namespaces; an overlay of read-only layers
 * under a writable upper; /proc, /sys and /dev as Docker shapes them; capabilities,
 * no_new_privs, seccomp, rlimits; a cgroup v2 group per container. It knows nothing
 * about apps, images or networks: callers hand it directories and numbers.
 *
 * Layers are stored in "container id space" (a file the image says root owns is
 * owned by uid 0 on disk). The runtime shows them to the container through idmapped
 * mounts, so the same layer serves apps whose host uid ranges differ. */
#ifndef BERTH_RUNTIME_H
#define BERTH_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/util.h"

/* Container uid/gid 0..RUNTIME_ID_RANGE-1 map onto host ids base..base+range-1. */
#define RUNTIME_ID_RANGE 65536u
/* First host id of berth's ranges; range n starts at RUNTIME_ID_BASE + n * RANGE. */
#define RUNTIME_ID_BASE 1000000000u
#define RUNTIME_DEFAULT_UID 1000u
#define RUNTIME_DEFAULT_PIDS 4096u

/* berth's errors inside runtime:run are exit 125; 126/127 as a shell reports them. */
#define RUNTIME_EXIT_ERROR 125
#define RUNTIME_EXIT_NOEXEC 126
#define RUNTIME_EXIT_NOTFOUND 127

struct runtime_bind {
	char *src;  /* host path */
	char *dst;  /* absolute path inside the container */
	bool ro;
};

/* Called in the monitor after the container's namespaces exist and before its
 * process starts, e.g. to move a veth into the network namespace. */
typedef int (*runtime_hook_fn)(pid_t container_pid, void *arg, struct berr *err);

struct runtime_spec {
	struct strv layers;          /* read-only lower dirs, bottom first; >= 1 */
	struct strv argv;            /* command; >= 1 */
	struct strv env;             /* KEY=VALUE; PATH/HOSTNAME/HOME defaulted */
	const char *hostname;        /* default: "berth" */
	const char *workdir;         /* default: "/" */
	uid_t uid;                   /* container uid, default RUNTIME_DEFAULT_UID */
	gid_t gid;
	struct runtime_bind *binds;
	size_t nbinds;
	uint64_t memory_max;         /* bytes, 0 = no limit */
	uint64_t pids_max;           /* 0 = RUNTIME_DEFAULT_PIDS */
	uint64_t cpu_quota_us;       /* per cpu_period_us; 0 = no limit */
	uint64_t cpu_period_us;
	uid_t host_id_base;          /* start of the host id range; 0 = RUNTIME_ID_BASE */
	const char *keep_upper;      /* keep the writable layer here (must not exist) */
	const char *cgroup_leaf;     /* cgroup name under berth's group; default unique */
	bool quiet_limits;           /* do not warn about limits the host cannot enforce */
	runtime_hook_fn net_hook;    /* optional; see runtime_hook_fn */
	void *net_hook_arg;
};

void runtime_spec_init(struct runtime_spec *spec);
void runtime_spec_release(struct runtime_spec *spec);

/* Run spec's command to completion and store its exit status in *status the way a
 * shell reports it (code, 126, 127, or 128+signal). Returns 0, or -1 with err set
 * when the container could not be created (nothing is left behind either way).
 *
 * The calling process becomes the container's monitor: it moves itself into a
 * private mount namespace and forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
 * SIGUSR2 and SIGWINCH to the container. Call it in a process of its own. */
int runtime_run(const struct runtime_spec *spec, int *status, struct berr *err);

/* runtime_run() in a forked monitor, for callers that must stay themselves (a
 * build, a one-off `run`). The monitor is sent SIGTERM if the caller dies. */
int runtime_spawn_wait(const struct runtime_spec *spec, int *status, struct berr *err);

/* What the host offers; used by `berth doctor` and to decide on warnings. */
struct runtime_host {
	char cgroup2_mount[256];     /* "" when no cgroup v2 hierarchy is mounted */
	bool has_memory, has_pids, has_cpu, has_io;  /* enableable for berth's group */
	bool has_cgroup_kill;
	bool has_overlay;
	bool has_userns;
	bool has_idmap;              /* idmapped mounts on BERTH_ROOT's filesystem */
	bool has_seccomp;
	bool has_nftables;
};

void runtime_probe_host(struct runtime_host *host);

#endif
