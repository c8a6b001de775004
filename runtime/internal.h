/* internal.h - pieces of runtime/ shared between its files; not for other parts. */
#ifndef BERTH_RUNTIME_INTERNAL_H
#define BERTH_RUNTIME_INTERNAL_H

#include <linux/filter.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "runtime/runtime.h"

/* cgroup.c: one group per container under berth's group in the v2 hierarchy. */
struct cgroup {
	char *path;      /* absolute path of the container's group */
	int fd;          /* O_DIRECTORY fd of it, for clone3(CLONE_INTO_CGROUP) */
	bool pids_enforced;
};

/* Path of the cgroup v2 mount, or NULL when the host has none. */
const char *cgroup2_mount(void);
/* Controllers that berth's group can hand to its children ("memory pids cpu"). */
int cgroup_available_controllers(char *buf, size_t len, struct berr *err);
/* berth's group (created with its controllers enabled when missing). */
int cgroup_parent(char **path, struct berr *err);
/* Group leaf (which must not exist) in the directory parent_fd (path parent):
 * created, opened into cg. The limits are applied separately. */
int cgroup_create_at(int parent_fd, const char *parent, const char *leaf, struct cgroup *cg,
		     struct berr *err);
int cgroup_apply_limits(const struct runtime_spec *spec, struct cgroup *cg, struct berr *err);
/* Both, in berth's group: the container's group named leaf, with spec's limits. */
int cgroup_create(const struct runtime_spec *spec, const char *leaf, struct cgroup *cg,
		  struct berr *err);
/* Open an existing group (of a container made by another process). */
int cgroup_open(const char *path, struct cgroup *cg, struct berr *err);
/* Kill everything left in the group, wait (cgroup.events) until it is empty, remove
 * it; closes cg either way. */
int cgroup_destroy(struct cgroup *cg, struct berr *err);
/* Mark the group of a container that dies with its creator: this process, and its
 * writable layer on disk (or NULL). */
int cgroup_mark_creator(const struct cgroup *cg, const char *upper_dir, struct berr *err);
/* Destroy the marked groups whose creator is gone, and their writable layers. */
int cgroup_collect_orphans(void);

/* seccomp.c: the default profile, compiled once per profile version and cached. */
int seccomp_profile_get(struct sock_fprog *prog, struct berr *err);
/* The profile's rules, added to a libseccomp filter context (scmp_filter_ctx). */
int seccomp_add_rules(void *ctx, struct berr *err);
/* In the container, right before exec: install prog. */
int seccomp_install(const struct sock_fprog *prog);

/* userns.c: id maps and idmapped mounts. */
int userns_write_maps(pid_t pid, uid_t host_base, struct berr *err);
/* A detached clone of src, idmapped through userns_fd (and optionally read-only),
 * to be attached by the container; returns its fd. */
int idmap_tree(const char *src, int userns_fd, bool ro, struct berr *err);
/* The same without the idmap (filesystems that cannot idmap: nfs, procfs). */
int plain_tree(const char *src, bool ro, struct berr *err);

/* netns.c: the network namespace, made by a helper while the child sets up. */
struct netns_helper {
	pid_t pid;       /* -1 once reaped */
	int ctl_fd;      /* creator <-> helper, only with a network hook */
};

/* Start the helper: it joins userns_fd, creates the network namespace, brings lo up
 * and sends it over to_child; it reports failures on err_fd. */
int netns_helper_start(struct netns_helper *h, int userns_fd, int to_child, int err_fd,
		       bool hook, struct berr *err);
/* Run fn on the new network namespace (the helper's pid) before the child gets it. */
int netns_helper_hook(struct netns_helper *h, runtime_hook_fn fn, void *arg, struct berr *err);
/* Reap the helper: wait for it, or kill it first (kill true). */
void netns_helper_reap(struct netns_helper *h, bool kill);
/* In the child: receive the network namespace and join it. -2: the helper failed
 * (and said why on the error pipe). */
int netns_join(int from_helper, struct berr *err);

/* fdpass.c: descriptors over a unix socket, up to FDPASS_MAX a message. */
#define FDPASS_MAX 200
int fds_send(int sock, const int *fds, size_t n, char tag);
/* Receive exactly n descriptors (in messages of up to FDPASS_MAX); returns the tag
 * byte of the last message, -1 with errno, or -2 at end of file. */
int fds_recv(int sock, int *fds, size_t n);

/* spec.c, for tests too. */
int runtime_spec_validate(const struct runtime_spec *spec, struct berr *err);
bool runtime_id_valid(const char *id);
/* A fresh id: prefix-<12 hex digits>. */
void runtime_id_generate(const char *prefix, char *out, size_t len);
/* overlayfs options for nlayers staged layers l0..l<n-1> (l0 the bottom), with the
 * writable layer on the stage or on disk (staged at "disk/"). */
char *overlay_options(size_t nlayers, bool upper_on_disk);

/* state.c: $BERTH_RUN/containers/<id>.json and <id>.status (written by pid 1). */
struct runtime_state {
	char id[RUNTIME_ID_MAX + 1];
	pid_t pid;
	unsigned long long start_time;  /* of pid, in clock ticks since boot */
	char *cgroup;
	char *upper_dir;                /* on disk, or NULL (on the stage) */
	char *keep_upper;
	bool die_with_creator;
	bool started;                   /* the command was started */
};
/* $BERTH_RUN/containers/<id><ext> */
char *state_path(const char *id, const char *ext);
/* <id>.json: the first time (a new file), and again (replaced whole). */
int state_create(const struct runtime_state *st, const struct runtime_spec *spec,
		 struct berr *err);
int state_save(const struct runtime_state *st, const struct runtime_spec *spec,
	       struct berr *err);
int state_load(const char *id, struct runtime_state *st, struct berr *err);
void state_free(struct runtime_state *st);
/* Both files; what is already gone is fine. */
void state_remove(const char *id);
/* Field 22 of /proc/pid/stat, or 0 when pid does not exist. */
unsigned long long pid_start_time(pid_t pid);
/* The exit status pid 1 left in the status file, or -1. */
int status_read(const char *id);

/* Pieces the creator prepares and the container child consumes. */
struct child_config {
	const struct runtime_spec *spec;
	const char *id;
	int stage_fd;               /* O_PATH: the stage's mount point, which is
				     * $BERTH_RUN/containers (mounted over only in the
				     * container's own mount namespace) */
	char *overlay_opts;         /* overlay options, paths relative to the stage */
	bool upper_on_disk;         /* a writable layer comes with the layers */
	struct sock_fprog seccomp;  /* compiled filter */
	int sync_fd;                /* socket: creator -> child the staged trees and
				     * "go", later "commit" with the status file;
				     * EOF: the creator gave up or died */
	int err_fd;                 /* child -> creator: one-line error, CLOEXEC; its
				     * EOF without a line: the command started */
	int net_fd;                 /* helper -> child: the network namespace */
	int status_fd;              /* pid 1 writes the command's status here (received
				     * with "commit") */
	bool pids_rlimit;           /* enforce pids_max with RLIMIT_NPROC (sent with "go") */
	/* Prepared by the creator: the child allocates nothing (see init.c). */
	int *trees;                 /* room for the staged trees it receives */
	char *etc_hosts;            /* /etc/hosts and /etc/hostname for the stage */
	char *etc_hostname;
};

/* stage.c: in the container child, in its own mount namespace: a tmpfs on the
 * stage's mount point, the creator's trees attached on it (l0.., b0.., disk), and
 * /etc/hosts and /etc/hostname. Leaves the working directory at the stage. */
int stage_setup(const struct child_config *cfg, const int *trees, struct berr *err);

/* rootfs.c: in the container child, build the root and pivot into it; joins the
 * network namespace on the way (before /sys). -2 as netns_join. */
int rootfs_setup(const struct child_config *cfg, struct berr *err);

/* Credential changes for the container's own processes. glibc's setres[ug]id()
 * and setgroups() first make every thread of the process change too (a signal to
 * each, then a wait): a child cloned from one thread of a threaded caller still
 * believes in its parent's other threads and would wait forever. The raw system
 * calls change the calling thread only, which is all there is. */
static inline int sys_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }
static inline int sys_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }
static inline int sys_setgroups(size_t n, const gid_t *groups) { return (int)syscall(SYS_setgroups, n, groups); }

/* creds.c: drop to the container user, all capabilities for non-root. */
int creds_drop(const struct runtime_spec *spec, bool pids_rlimit, struct berr *err);

/* init.c: pid 1 of the container; never returns. */
__attribute__((noreturn)) void container_child(struct child_config *cfg);

#endif
