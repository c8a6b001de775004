/* internal.h - pieces of runtime/ shared between its files; not for other parts. */
#ifndef BERTH_RUNTIME_INTERNAL_H
#define BERTH_RUNTIME_INTERNAL_H

#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

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
int cgroup_create(const struct runtime_spec *spec, struct cgroup *cg, struct berr *err);
/* Kill everything left in the group, wait for it to empty, remove it. */
int cgroup_destroy(struct cgroup *cg, struct berr *err);

/* seccomp.c: the default profile, compiled once per profile version and cached. */
int seccomp_profile_get(struct sock_fprog *prog, struct berr *err);
/* In the container, right before exec: install prog. */
int seccomp_install(const struct sock_fprog *prog);

/* userns.c: id maps and idmapped mounts. */
int userns_write_maps(pid_t pid, uid_t host_base, struct berr *err);
/* Attach an idmapped (and optionally read-only) clone of src at dst. */
int idmap_mount(const char *src, const char *dst, int userns_fd, bool ro, struct berr *err);

/* netns.c: the network namespace, made by a helper while the child sets up. */
struct netns_helper {
	pid_t pid;       /* -1 once reaped */
	int ctl_fd;      /* monitor <-> helper, only with a network hook */
};

/* Fork the helper: it joins userns_fd, creates the network namespace, brings lo up
 * and sends it over to_child; it reports failures on err_fd. */
int netns_helper_start(struct netns_helper *h, int userns_fd, int to_child, int err_fd,
		       bool hook, struct berr *err);
/* Run fn on the new network namespace (the helper's pid) before the child gets it. */
int netns_helper_hook(struct netns_helper *h, runtime_hook_fn fn, void *arg, struct berr *err);
/* Reap the helper: if it exited (block false), or kill and wait for it. */
void netns_helper_reap(struct netns_helper *h, bool block);
/* In the child: receive the network namespace and join it. -2: the helper failed
 * (and said why on the error pipe). */
int netns_join(int from_helper, struct berr *err);

/* container.c, for tests too. */
int runtime_spec_validate(const struct runtime_spec *spec, struct berr *err);
/* overlayfs options for nlayers staged layers l0..l<n-1> (l0 the bottom), with the
 * writable layer on the stage or on disk (staged at "disk/"). */
char *overlay_options(size_t nlayers, bool upper_on_disk);
/* The pid in a name made of prefix and a pid ("run-123"), or -1. */
pid_t name_pid(const char *name, const char *prefix);

/* Pieces the monitor prepares and the container child consumes. */
struct child_config {
	const struct runtime_spec *spec;
	const char *stage;          /* tmpfs in the monitor's mount ns */
	int stage_fd;               /* the stage; the child works relative to it */
	char *overlay_opts;         /* overlay options, paths relative to the stage */
	struct strv bind_srcs;      /* per bind: staged (idmapped) source, relative */
	struct sock_fprog seccomp;  /* compiled filter */
	int sync_fd;                /* socket: child -> monitor "ready", monitor -> child
				     * "go" (1 byte each); EOF: the other side is gone */
	int err_fd;                 /* child -> monitor: one-line error, CLOEXEC */
	int net_fd;                 /* helper -> child: the network namespace */
	bool pids_rlimit;           /* enforce pids_max with RLIMIT_NPROC (sent with "go") */
};

/* rootfs.c: in the container child, build the root and pivot into it; joins the
 * network namespace on the way (before /sys). -2 as netns_join. */
int rootfs_setup(const struct child_config *cfg, struct berr *err);

/* creds.c: drop to the container user, all capabilities for non-root. */
int creds_drop(const struct runtime_spec *spec, bool pids_rlimit, struct berr *err);

/* init.c: pid 1 of the container; never returns. */
__attribute__((noreturn)) void container_child(struct child_config *cfg);

#endif
