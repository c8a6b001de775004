/* runtime.h - one container: the public face of runtime/.
 *
 * runtime/ owns starting a single process in a fully isolated container: user,
 * mount, pid, uts, ipc, net and cgroup namespaces; an overlay of read-only layers
 * under a writable upper; /proc, /sys and /dev as Docker shapes them; capabilities,
 * no_new_privs, seccomp, rlimits; a cgroup v2 group per container. It knows nothing
 * about apps, images or networks: callers hand it directories and numbers.
 *
 * Containers are handles (struct runtime_container: id, pidfd, cgroup) that one
 * long-running process can hold many of: create, poll the pidfds, reap, kill,
 * destroy; a later process finds them again by id (docs/runtime.md). The caller's
 * process state (mount namespace, signals, working directory, umask) is never
 * changed.
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
#include "common/sink.h"
#include "common/util.h"

/* Container uid/gid 0..RUNTIME_ID_RANGE-1 map onto host ids base..base+range-1. */
#define RUNTIME_ID_RANGE 65536u
/* First host id of berth's ranges; range n starts at RUNTIME_ID_BASE + n * RANGE. */
#define RUNTIME_ID_BASE 1000000000u
/* Ranges 0..RUNTIME_ID_SLOTS-1 end below the invalid id (uid_t)-1; one more would
 * wrap around into low host ids (root's among them). */
#define RUNTIME_ID_SLOTS ((unsigned)((0xffffffffu - RUNTIME_ID_BASE) / RUNTIME_ID_RANGE))
#define RUNTIME_DEFAULT_UID 1000u
#define RUNTIME_DEFAULT_PIDS 4096u
/* Where pid 1 keeps spec.pid1_fd (3 is its status file). */
#define RUNTIME_PID1_FD 4
/* Container ids: letters, digits, '_', '.', '-'; at most this long. */
#define RUNTIME_ID_MAX 100

/* berth's errors inside runtime:run are exit 125; 126/127 as a shell reports them. */
#define RUNTIME_EXIT_ERROR 125
#define RUNTIME_EXIT_NOEXEC 126
#define RUNTIME_EXIT_NOTFOUND 127

/* The first host id of range slot, or (uid_t)-1 when slot is out of range (which
 * every runtime call refuses as a host_id_base). Slot 0 is runtime:run's. */
uid_t runtime_id_slot_base(unsigned slot);

struct runtime_bind {
	char *src;  /* host path */
	char *dst;  /* absolute path inside the container */
	bool ro;
};

/* Called by the creator after the container's namespaces exist and before its
 * process starts, e.g. to move a veth into the network namespace (pid is in it). */
typedef int (*runtime_hook_fn)(pid_t container_pid, void *arg, struct berr *err);

struct runtime_spec {
	struct strv layers;          /* read-only lower dirs, bottom first; >= 1 */
	struct strv argv;            /* command; >= 1 */
	struct strv env;             /* KEY=VALUE; PATH/HOSTNAME/HOME defaulted */
	const char *id;              /* the container's id; default <name>-<random> */
	const char *name;            /* prefix of a generated id; default "c" */
	const char *hostname;        /* default: "berth" */
	const char *workdir;         /* default: "/" */
	uid_t uid;                   /* container uid, default RUNTIME_DEFAULT_UID */
	gid_t gid;
	int stdio[3];                /* the command's stdin, stdout, stderr: descriptors
				      * of the caller, dup'ed (default 0, 1, 2) */
	bool tty;                    /* stdin is a terminal (a pty the caller made):
				      * the command gets a session of its own with
				      * it as controlling terminal, so ^C and window
				      * changes reach it */
	bool die_with_creator;       /* SIGKILL the container when the thread that
				      * created it exits; otherwise it outlives it.
				      * Such a container is its creator's alone: not
				      * listed, not found by runtime_open */
	struct runtime_bind *binds;
	size_t nbinds;
	uint64_t memory_max;         /* bytes, 0 = no limit */
	uint64_t pids_max;           /* 0 = RUNTIME_DEFAULT_PIDS */
	uint64_t cpu_quota_us;       /* per cpu_period_us; 0 = no limit */
	uint64_t cpu_period_us;
	uid_t host_id_base;          /* start of the host id range; 0 = RUNTIME_ID_BASE */
	const char *keep_upper;      /* keep the writable layer here (must not exist) */
	bool quiet_limits;           /* do not warn about limits the host cannot enforce */
	const struct sink *sink;     /* where warnings go (common/sink.h); NULL: nowhere */
	int pid1_fd;                 /* -1 (default), or a caller descriptor that pid 1
				      * keeps open as RUNTIME_PID1_FD (the command never
				      * sees it), e.g. a log pipe's read end that must
				      * outlive the caller; another process takes it with
				      * pidfd_getfd() */
	runtime_hook_fn net_hook;    /* optional; see runtime_hook_fn */
	void *net_hook_arg;
};

void runtime_spec_init(struct runtime_spec *spec);
void runtime_spec_release(struct runtime_spec *spec);

/* A running (or exited, not yet destroyed) container. Every field is readable;
 * pidfd and cgroup_fd belong to the handle (closed by destroy/release). */
struct runtime_container {
	char id[RUNTIME_ID_MAX + 1];
	pid_t pid;                   /* the container's pid 1 (berth-init), host pid */
	int pidfd;                   /* readable (POLLIN) once pid 1 has exited */
	int cgroup_fd;               /* O_DIRECTORY fd of its cgroup v2 group */
	char *cgroup_path;
	bool is_child;               /* created by this process: it reaps pid 1 */
	int status;                  /* shell-style status once collected, else -1 */
	/* For runtime_destroy: the writable layer on disk (or NULL: it lives and dies
	 * in the container's mount namespace), where to keep it, and whether the
	 * command was started (a layer is kept only then). */
	char *upper_dir;
	char *keep_upper;
	bool started;
};

/* Create a container and start spec's command in it. Returns 0 once the command
 * has been started (its exec may still fail: status 126/127), or -1 with err set
 * and nothing left behind. The caller's process state is not touched (no mount
 * namespace, signal mask, handler, working directory or umask change); the
 * container is not the caller's to monitor: its pid 1 reaps and forwards signals,
 * and it writes the command's status where any process can read it. State lives in
 * $BERTH_RUN/containers/<id>/ until runtime_destroy(). Not async-signal-safe; from
 * a threaded process, create from one thread at a time. */
int runtime_create(const struct runtime_spec *spec, struct runtime_container *c,
		   struct berr *err);

/* Find a container again (made by another process, maybe one that has exited):
 * its state file and cgroup, a pidfd of its pid 1 (verified by start time against
 * pid reuse). A container whose pid 1 has exited opens fine: reap then destroy. */
int runtime_open(const char *id, struct runtime_container *c, struct berr *err);

/* Ids of every container with state under $BERTH_RUN (sorted): all but those that
 * die with their creator, which are their creator's alone. */
int runtime_list(struct strv *ids, struct berr *err);

/* Send sig to the container's pid 1, which passes SIGTERM, SIGINT, SIGHUP, SIGQUIT,
 * SIGUSR1, SIGUSR2 and SIGWINCH on to the command; SIGKILL ends the container. */
int runtime_kill(const struct runtime_container *c, int sig, struct berr *err);

/* Non-blocking: 1 and *status (0-255, as a shell reports it: code, 126, 127,
 * 128+signal) once pid 1 has exited; 0 while it runs; -1 on error. Meant for after
 * pidfd polls readable; the same answer every time once collected. */
int runtime_reap(struct runtime_container *c, int *status, struct berr *err);

/* Block until pid 1 has exited, then runtime_reap(). */
int runtime_wait(struct runtime_container *c, int *status, struct berr *err);

/* End the container: kill whatever is left in its cgroup, wait (cgroup.events)
 * until it is empty, remove the cgroup, the writable layer (or move it to
 * keep_upper, if the command ran) and the state; close the handle. */
int runtime_destroy(struct runtime_container *c, struct berr *err);

/* Close the handle only; the container keeps running (runtime_open finds it). */
void runtime_release(struct runtime_container *c);

/* Remove what containers created with die_with_creator left when their creator
 * was killed (their empty cgroup, writable layer); returns how many. */
int runtime_collect_stale(void);

/* Create, wait, destroy: run spec's command to completion and store its status in
 * *status; the container dies with the calling thread. For callers that must stay
 * themselves (a build, a one-off `run`). */
int runtime_spawn_wait(const struct runtime_spec *spec, int *status, struct berr *err);

/* Start spec's argv in the running container c, as `enter` does: in pid 1's
 * user, mount, pid, net, uts, ipc and cgroup namespaces and its cgroup, with the
 * uid/gid pid 1 runs as, the same capabilities (none for non-root), rlimits,
 * no_new_privs and seccomp filter; never more than the container's own command
 * has. Uses spec's argv, env, workdir, stdio and tty only. *pid and *pidfd: a
 * child of the caller (SIGCHLD) that waits for the command, passes SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH on to it, and exits with its
 * status (126/127 when it cannot be run); returns once the command was exec'd
 * or with err set. Collect it with runtime_enter_wait(). */
int runtime_enter(const struct runtime_container *c, const struct runtime_spec *spec,
		  pid_t *pid, int *pidfd, struct berr *err);
/* Wait for the process runtime_enter() made; its status as a shell reports it. */
int runtime_enter_wait(pid_t pid, int pidfd, int *status, struct berr *err);

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
