/* create.c - runtime_create(): start a container from a process that stays itself.
 *
 * Order (the creator is host root; the child becomes the container's pid 1):
 *   1. the container's id and its cgroup, whose creation reserves the id; the
 *      seccomp filter (cached);
 *   2. clone3 into the cgroup with new user, pid, ipc and uts namespaces, exit
 *      signal 0 (no SIGCHLD for the creator) and a pidfd; a helper makes the
 *      network namespace meanwhile (netns.c);
 *   3. id maps; a detached idmapped tree (open_tree) of each layer, bind and the
 *      on-disk writable layer, passed to the child with "go";
 *   4. while the child mounts its stage and root in its own mount namespace, the
 *      state (state.c), then "commit"; the child starts the command (init.c), and
 *      its error pipe closing without a word says it has.
 * The creator's mount namespace, signal mask and handlers, working directory and
 * umask are never changed: a daemon can create many containers and keep running. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "runtime/internal.h"

/* Linux before 6.6 has no user.* xattrs on tmpfs, which overlayfs in a user
 * namespace needs for opaque directories and whiteouts (without them, removing a
 * layer's directory fails with EIO). Told by the version: trying on a detached
 * tmpfs would cost its unmount, an RCU grace period (milliseconds), per start. */
static bool tmpfs_has_user_xattrs(void)
{
	static int known = -1;
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (known < 0)
		known = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
			(major > 6 || (major == 6 && minor >= 6));
	return known;
}

/* Everything one creation holds until it succeeds or is undone. */
struct creation {
	struct runtime_spec spec;       /* the caller's, with defaults filled in */
	struct child_config cfg;
	struct runtime_state st;
	struct cgroup cg;
	bool reserved;                  /* the id's state files exist */
	int sync_pair[2], err_pipe[2], net_pair[2];
	struct netns_helper helper;
	int *trees;
	size_t ntrees;
	int pidfd;
};

/* A directory the container's ids must enter, 0755 whatever the caller's umask
 * (the upper layer's mode is the container root's). An existing one is fine. */
static int mkdir_mode(const char *path, struct berr *err)
{
	if (mkdir(path, 0755) < 0) {
		if (errno == EEXIST)
			return 0;
		if (errno != ENOENT)
			return berr_sys(err, "create %s", path);
		if (mkdir_p(path, 0755, err) < 0)
			return -1;
	}
	if (chmod(path, 0755) < 0)
		return berr_sys(err, "chmod %s", path);
	return 0;
}

/* The id, a fresh one or the caller's, and its cgroup: creating the group is what
 * reserves the id (an existing group is never reused). */
static int reserve_id(struct creation *k, struct berr *err)
{
	autofree char *parent = xasprintf("%s/containers", berth_run());

	if (mkdir_mode(parent, err) < 0)
		return -1;
	k->cfg.stage_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (k->cfg.stage_fd < 0)
		return berr_sys(err, "open %s", parent);
	for (int attempt = 0;; attempt++) {
		if (k->spec.id)
			snprintf(k->st.id, sizeof(k->st.id), "%s", k->spec.id);
		else
			runtime_id_generate(k->spec.name, k->st.id, sizeof(k->st.id));
		if (cgroup_create(&k->spec, k->st.id, &k->cg, err) == 0)
			return 0;
		if (errno != EEXIST || k->spec.id || attempt >= 8)
			return -1;
	}
}

/* After "go", while the child mounts: the state that lets another process find
 * the container, and the status file pid 1 will write; then "commit" with it,
 * which the child waits for before it starts the command. A container that dies
 * with its creator is its creator's alone (its parent, which reaps it): no state,
 * no status file; its cgroup says whose it is (cgroup_mark_creator). */
static int commit_state(struct creation *k, struct berr *err)
{
	autofree char *status = NULL;
	autoclose int fd = -1;

	if (!k->spec.die_with_creator) {
		k->st.start_time = pid_start_time(k->st.pid);
		if (state_create(&k->st, &k->spec, err) < 0)
			return -1;
		k->reserved = true;
		status = state_path(k->st.id, ".status");
		fd = open(status, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			return berr_sys(err, "create %s", status);
	}
	if (fds_send(k->sync_pair[0], &fd, fd >= 0 ? 1 : 0, 'c') < 0)
		return berr_sys(err, "start the container");
	return 0;
}

/* Where the writable layer lives. On the stage by default: nothing on disk. With
 * keep_upper, in a directory beside its target that is renamed into place at the
 * end; without user xattrs on tmpfs, in $BERTH_ROOT/runtime/upper-<id>. */
static int upper_prepare(struct creation *k, struct berr *err)
{
	const char *keep = k->spec.keep_upper;
	autofree char *dir = NULL;
	autofree char *upper = NULL;
	autofree char *work = NULL;

	if (!keep && tmpfs_has_user_xattrs())
		return 0;
	if (keep) {
		dir = xasprintf("%s.tmp-%s", keep, k->st.id);
	} else {
		autofree char *parent = xasprintf("%s/runtime", berth_root());

		if (mkdir_p(parent, 0700, err) < 0)
			return berr_prefix(err, "writable layer");
		dir = xasprintf("%s/upper-%s", parent, k->st.id);
	}
	upper = xasprintf("%s/upper", dir);
	work = xasprintf("%s/work", dir);
	if (mkdir(dir, 0700) < 0)
		return berr_sys(err, "create %s", dir);
	k->st.upper_dir = steal_ptr(dir);
	if (mkdir_mode(upper, err) < 0 || mkdir_mode(work, err) < 0)
		return berr_prefix(err, "writable layer");
	k->cfg.upper_on_disk = true;
	return 0;
}

/* Detached trees for the child: each layer (read-only) and bind idmapped through
 * its user namespace, then the writable layer on disk. */
static int make_trees(struct creation *k, int ufd, struct berr *err)
{
	const struct runtime_spec *spec = &k->spec;
	struct berr ignored = { 0 };
	int fd;

	k->trees = xcalloc(spec->layers.n + spec->nbinds + 1, sizeof(int));
	for (size_t i = 0; i < spec->layers.n; i++) {
		fd = idmap_tree(spec->layers.v[i], ufd, true, err);
		if (fd < 0)
			return berr_prefix(err, "layer %s", spec->layers.v[i]);
		k->trees[k->ntrees++] = fd;
	}
	for (size_t i = 0; i < spec->nbinds; i++) {
		const struct runtime_bind *b = &spec->binds[i];

		/* Filesystems that cannot idmap (nfs, procfs) get a plain bind, where
		 * files the host owns show as nobody inside. */
		fd = idmap_tree(b->src, ufd, b->ro, &ignored);
		if (fd < 0)
			fd = plain_tree(b->src, b->ro, err);
		if (fd < 0)
			return -1;
		k->trees[k->ntrees++] = fd;
	}
	if (k->st.upper_dir) {
		fd = idmap_tree(k->st.upper_dir, ufd, false, err);
		if (fd < 0)
			return berr_prefix(err, "writable layer");
		k->trees[k->ntrees++] = fd;
	}
	return 0;
}

/* Straight into the container's cgroup: moving a process there later would cost
 * an RCU grace period (cgroup_threadgroup_rwsem), milliseconds. Exit signal 0: the
 * creator gets no SIGCHLD, and a wait for "any child" elsewhere in it cannot take
 * the container's status (only __WCLONE/__WALL waits see it). */
static pid_t clone_container(int cgroup_fd, int *pidfd)
{
	struct clone_args args = {
		.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
			 CLONE_INTO_CGROUP | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = 0,
		.cgroup = (uint64_t)cgroup_fd,
	};

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* Everything the creator does once the child exists: start the network helper
 * first (it has the most to do), then id maps, trees and "go", then the state. */
static int setup_child(struct creation *k, struct berr *err)
{
	const struct runtime_spec *spec = &k->spec;
	uid_t base = spec->host_id_base ? spec->host_id_base : RUNTIME_ID_BASE;
	autofree char *nspath = xasprintf("/proc/%d/ns/user", k->st.pid);
	autoclose int ufd = open(nspath, O_RDONLY | O_CLOEXEC);
	char go;

	if (ufd < 0)
		return berr_sys(err, "open %s", nspath);
	if (netns_helper_start(&k->helper, ufd, k->net_pair[0], k->err_pipe[1],
			       spec->net_hook != NULL, err) < 0)
		return -1;
	if (userns_write_maps(k->st.pid, base, err) < 0 || make_trees(k, ufd, err) < 0)
		return -1;
	if (spec->net_hook &&
	    netns_helper_hook(&k->helper, spec->net_hook, spec->net_hook_arg, err) < 0)
		return -1;
	/* "go", carrying whether the child limits processes with RLIMIT_NPROC. */
	go = k->cg.pids_enforced ? 'g' : 'n';
	if (fds_send(k->sync_pair[0], k->trees, k->ntrees, go) < 0)
		return berr_sys(err, "start the container");
	return commit_state(k, err);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0) {
			close(p[i]);
			p[i] = -1;
		}
}

/* Release what the creation holds; on failure (undo) also the container. */
static void creation_end(struct creation *k, bool undo)
{
	struct berr ignored = { 0 };

	if (undo && k->st.pid > 0) {
		siginfo_t si;

		syscall(SYS_pidfd_send_signal, k->pidfd, SIGKILL, NULL, 0);
		while (waitid(P_PIDFD, k->pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
			;
	}
	netns_helper_reap(&k->helper, true);
	close_pair(k->sync_pair);
	close_pair(k->err_pipe);
	close_pair(k->net_pair);
	for (size_t i = 0; i < k->ntrees; i++)
		close(k->trees[i]);
	free(k->trees);
	if (k->cfg.stage_fd >= 0)
		close(k->cfg.stage_fd);
	free(k->cfg.overlay_opts);
	free(k->cfg.trees);
	free(k->cfg.etc_hosts);
	free(k->cfg.etc_hostname);
	if (undo) {
		if (k->pidfd >= 0)
			close(k->pidfd);
		cgroup_destroy(&k->cg, &ignored);
		if (k->st.upper_dir)
			rm_rf(k->st.upper_dir, &ignored);
		if (k->reserved)
			state_remove(k->st.id);
	}
	state_free(&k->st);
}

static int start(struct creation *k, struct berr *err)
{
	autofree char *errmsg = NULL;
	struct berr ignored = { 0 };
	pid_t pid;
	int setup;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, k->sync_pair) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, k->net_pair) < 0 ||
	    pipe2(k->err_pipe, O_CLOEXEC) < 0)
		return berr_sys(err, "pipe");
	k->cfg.sync_fd = k->sync_pair[1];
	k->cfg.err_fd = k->err_pipe[1];
	k->cfg.net_fd = k->net_pair[1];
	pid = clone_container(k->cg.fd, &k->pidfd);
	if (pid < 0)
		return berr_sys(err, "clone3 into new namespaces");
	if (pid == 0) {
		close(k->sync_pair[0]);
		close(k->net_pair[0]);
		close(k->err_pipe[0]);
		container_child(&k->cfg);
	}
	k->st.pid = pid;
	close(k->sync_pair[1]);
	close(k->net_pair[1]);
	k->sync_pair[1] = k->net_pair[1] = -1;

	setup = setup_child(k, err);
	/* Only the child and the helper write errors and send the namespace now. */
	close(k->err_pipe[1]);
	close(k->net_pair[0]);
	k->err_pipe[1] = k->net_pair[0] = -1;
	if (setup < 0) {
		/* A child that failed first says why better than a broken pipe does. */
		syscall(SYS_pidfd_send_signal, k->pidfd, SIGKILL, NULL, 0);
		netns_helper_reap(&k->helper, true);
		if (read_fd(k->err_pipe[0], &errmsg, NULL, &ignored) == 0 && errmsg[0])
			berr_fail(err, "%.*s", (int)strcspn(errmsg, "\n"), errmsg);
		return -1;
	}
	/* Until the child has started the command (EOF) or said what failed. */
	if (read_fd(k->err_pipe[0], &errmsg, NULL, err) < 0)
		return berr_prefix(err, "container %s", k->st.id);
	if (errmsg[0])
		return berr_fail(err, "%.*s", (int)strcspn(errmsg, "\n"), errmsg);
	netns_helper_reap(&k->helper, false);
	return 0;
}

int runtime_create(const struct runtime_spec *spec_in, struct runtime_container *c,
		   struct berr *err)
{
	struct creation k = {
		.spec = *spec_in,
		.cfg = { .sync_fd = -1, .err_fd = -1, .net_fd = -1, .stage_fd = -1,
			 .status_fd = -1 },
		.cg = { .fd = -1 },
		.sync_pair = { -1, -1 }, .err_pipe = { -1, -1 }, .net_pair = { -1, -1 },
		.helper = { .pid = -1, .ctl_fd = -1 },
		.pidfd = -1,
	};

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->pidfd = c->cgroup_fd = -1;
	c->status = -1;
	if (!k.spec.hostname)
		k.spec.hostname = "berth";
	if (!k.spec.workdir)
		k.spec.workdir = "/";
	k.cfg.spec = &k.spec;
	k.st.die_with_creator = k.spec.die_with_creator;
	if (runtime_spec_validate(&k.spec, err) < 0)
		return -1;
	if (reserve_id(&k, err) < 0)
		goto fail;
	k.cfg.id = k.st.id;
	if (k.spec.keep_upper)
		k.st.keep_upper = xstrdup(k.spec.keep_upper);
	if (seccomp_profile_get(&k.cfg.seccomp, err) < 0 || upper_prepare(&k, err) < 0)
		goto fail;
	if (k.spec.die_with_creator && cgroup_mark_creator(&k.cg, k.st.upper_dir, err) < 0)
		goto fail;
	k.st.cgroup = xstrdup(k.cg.path);
	k.cfg.overlay_opts = overlay_options(k.spec.layers.n, k.cfg.upper_on_disk);
	k.cfg.trees = xcalloc(k.spec.layers.n + k.spec.nbinds + 1, sizeof(int));
	k.cfg.etc_hostname = xasprintf("%s\n", k.spec.hostname);
	k.cfg.etc_hosts = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
				    "127.0.1.1\t%s\n", k.spec.hostname);
	if (start(&k, err) < 0)
		goto fail;
	/* Only a kept writable layer cares whether the command ran. */
	if (k.st.keep_upper) {
		k.st.started = true;
		if (state_save(&k.st, &k.spec, err) < 0)
			goto fail;
	}
	snprintf(c->id, sizeof(c->id), "%s", k.st.id);
	c->pid = k.st.pid;
	c->pidfd = k.pidfd;
	c->cgroup_fd = steal_fd(&k.cg.fd);
	c->cgroup_path = steal_ptr(k.cg.path);
	c->upper_dir = steal_ptr(k.st.upper_dir);
	c->keep_upper = steal_ptr(k.st.keep_upper);
	c->started = true;
	c->is_child = true;
	creation_end(&k, false);
	return 0;
fail:
	creation_end(&k, true);
	return -1;
}
