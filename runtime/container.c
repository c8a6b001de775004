/* container.c - the monitor: create one container, wait for it, leave nothing.
 *
 * Order (the monitor is host root; the child is the container's pid 1):
 *   1. private mount namespace for the monitor, tmpfs "stage" in it;
 *   2. cgroup for the container; seccomp filter (cached BPF);
 *   3. clone3 into the cgroup with new user, pid, net, ipc and uts namespaces;
 *   4. id maps; idmapped mounts of each layer (and binds) on the stage;
 *   5. "go": the child mounts the overlay, /proc, /sys, /dev, pivots, drops
 *      privileges, loads seccomp and runs the command as pid 1's child;
 *   6. forward signals until it exits, then kill what is left in the cgroup.
 * The stage and every mount live only in namespaces that die with these processes,
 * so even a killed monitor leaves no mount behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "runtime/internal.h"

static const int forwarded_signals[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
};

void runtime_spec_init(struct runtime_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->uid = RUNTIME_DEFAULT_UID;
	spec->gid = RUNTIME_DEFAULT_UID;
}

void runtime_spec_release(struct runtime_spec *spec)
{
	strv_free(&spec->layers);
	strv_free(&spec->argv);
	strv_free(&spec->env);
	for (size_t i = 0; i < spec->nbinds; i++) {
		free(spec->binds[i].src);
		free(spec->binds[i].dst);
	}
	free(spec->binds);
	spec->binds = NULL;
	spec->nbinds = 0;
}

int runtime_spec_validate(const struct runtime_spec *spec, struct berr *err)
{
	static const char *const reserved[] = { "/proc", "/sys", "/dev" };

	if (spec->layers.n == 0)
		return berr_fail(err, "no layer given: pass --layer DIR or --stack NAME");
	if (spec->argv.n == 0)
		return berr_fail(err, "no command given");
	for (size_t i = 0; i < spec->layers.n; i++)
		if (!is_dir(spec->layers.v[i]))
			return berr_fail(err, "layer '%s' is not a directory", spec->layers.v[i]);
	if (spec->layers.n > 128)
		return berr_fail(err, "too many layers (%zu); overlayfs takes at most 128 here",
				 spec->layers.n);
	if (spec->workdir && spec->workdir[0] != '/')
		return berr_fail(err, "working directory '%s' must be an absolute path", spec->workdir);
	if (spec->uid >= RUNTIME_ID_RANGE || spec->gid >= RUNTIME_ID_RANGE)
		return berr_fail(err, "user %u:%u is outside the container's id range 0-%u",
				 (unsigned)spec->uid, (unsigned)spec->gid, RUNTIME_ID_RANGE - 1);
	for (size_t i = 0; i < spec->nbinds; i++) {
		const char *dst = spec->binds[i].dst;

		if (!path_exists(spec->binds[i].src))
			return berr_fail(err, "bind source %s does not exist", spec->binds[i].src);
		if (dst[0] != '/' || strstr(dst, "/../") || str_has_suffix(dst, "/.."))
			return berr_fail(err, "bind target '%s' must be an absolute path without '..'", dst);
		if (dst[strspn(dst, "/")] == '\0')
			return berr_fail(err, "bind target '%s' would hide the container's root; bind below it", dst);
		for (size_t r = 0; r < ARRAY_SIZE(reserved); r++)
			if (!strcmp(dst, reserved[r]) ||
			    (str_has_prefix(dst, reserved[r]) && dst[strlen(reserved[r])] == '/'))
				return berr_fail(err, "bind target %s is inside %s, which berth manages",
						 dst, reserved[r]);
	}
	if (spec->keep_upper) {
		autofree char *parent = xstrdup(spec->keep_upper);
		char *slash = strrchr(parent, '/');

		if (path_exists(spec->keep_upper))
			return berr_fail(err, "--keep-upper %s already exists", spec->keep_upper);
		if (slash)
			*(slash == parent ? slash + 1 : slash) = '\0';
		if (!is_dir(slash ? parent : "."))
			return berr_fail(err, "--keep-upper %s: directory %s does not exist",
					 spec->keep_upper, parent);
	}
	return 0;
}

static int stage_file(const char *stage, const char *name, const char *content,
		      uid_t owner, struct berr *err)
{
	autofree char *path = xasprintf("%s/%s", stage, name);
	autoclose int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(content);

	if (fd < 0 || write(fd, content, len) != (ssize_t)len || fchown(fd, owner, owner) < 0)
		return berr_sys(err, "write %s", path);
	return 0;
}

static int stage_dir(const char *stage, const char *name, uid_t owner, struct berr *err)
{
	autofree char *path = xasprintf("%s/%s", stage, name);

	if (mkdir(path, 0755) < 0)
		return berr_sys(err, "create %s", path);
	if (owner && chown(path, owner, owner) < 0)
		return berr_sys(err, "chown %s", path);
	return 0;
}

/* Monitor side, before the child exists: private mounts and the stage, which the
 * child inherits with the monitor's mount namespace. */
static int monitor_prepare(struct child_config *cfg, struct berr *err)
{
	if (unshare(CLONE_NEWNS) < 0)
		return berr_sys(err, "create the monitor's mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return berr_sys(err, "make the monitor's mounts private");
	if (mkdir(cfg->stage, 0755) < 0 && errno != EEXIST && mkdir_p(cfg->stage, 0755, err) < 0)
		return -1;
	/* The stage holds the writable layer, so no small size cap: the kernel's
	 * default (half of RAM) applies, and where the memory controller works the
	 * pages count against the container's memory.max, charged to the writer. */
	if (mount("tmpfs", cfg->stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		return berr_sys(err, "mount tmpfs on %s", cfg->stage);
	cfg->stage_fd = open(cfg->stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfg->stage_fd < 0)
		return berr_sys(err, "open %s", cfg->stage);
	return stage_dir(cfg->stage, "root", 0, err);
}

/* /etc/hosts and /etc/hostname for the container; the child binds them in. */
static int monitor_stage_files(struct child_config *cfg, uid_t base, struct berr *err)
{
	const struct runtime_spec *spec = cfg->spec;
	autofree char *hosts = NULL;
	autofree char *hostname = NULL;

	hostname = xasprintf("%s\n", spec->hostname);
	hosts = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			  "127.0.1.1\t%s\n", spec->hostname);
	if (stage_file(cfg->stage, "etc-hosts", hosts, base, err) < 0 ||
	    stage_file(cfg->stage, "etc-hostname", hostname, base, err) < 0)
		return -1;
	return 0;
}

/* upper-<pid> directories of monitors that were killed before removing them. */
static void scratch_collect_stale(const char *parent)
{
	autoclosedir DIR *d = opendir(parent);
	struct dirent *de;
	struct berr ignored;

	while (d && (de = readdir(d))) {
		pid_t pid = name_pid(de->d_name, "upper-");

		if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
			rm_rf_at(dirfd(d), de->d_name, &ignored);
	}
}

/* Where the writable layer lives. On the stage by default: nothing to create on
 * disk, nothing to delete. With --keep-upper, in a directory beside its target that
 * is renamed into place at the end. On Linux before 6.6 tmpfs has no user.* xattrs,
 * where overlayfs in a user namespace keeps opaque markers and directory whiteouts
 * (without them, removing a layer's directory fails with EIO): there it goes to a
 * scratch directory under $BERTH_ROOT/runtime, removed at the end. Directories on
 * disk are idmapped onto the stage like layers. Sets *dir to the one on disk. */
static int upper_prepare(const struct child_config *cfg, uid_t base, char **dir,
			 struct berr *err)
{
	const struct runtime_spec *spec = cfg->spec;

	if (spec->keep_upper) {
		*dir = xasprintf("%s.tmp-%d", spec->keep_upper, getpid());
	} else if (setxattr(cfg->stage, "user.berth", "1", 1, 0) == 0 || errno != EOPNOTSUPP) {
		if (stage_dir(cfg->stage, "upper", base, err) < 0 ||
		    stage_dir(cfg->stage, "work", base, err) < 0)
			return -1;
		return 0;
	} else {
		autofree char *parent = xasprintf("%s/runtime", berth_root());

		if (mkdir_p(parent, 0700, err) < 0)
			return berr_prefix(err, "writable layer");
		scratch_collect_stale(parent);
		*dir = xasprintf("%s/upper-%d", parent, getpid());
	}
	if (mkdir(*dir, 0755) < 0) {
		berr_sys(err, "create %s", *dir);
		free(*dir);
		*dir = NULL;
		return -1;
	}
	if (stage_dir(*dir, "upper", 0, err) < 0 || stage_dir(*dir, "work", 0, err) < 0)
		return -1;
	return 0;
}

/* For filesystems without idmap support (nfs, procfs): a plain bind, where files
 * the host owns show as nobody inside. */
static int plain_bind(const char *src, const char *dst, bool ro, struct berr *err)
{
	autoclose int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct mount_attr attr = { .attr_set = ro ? MOUNT_ATTR_RDONLY : 0 };

	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
	    move_mount(tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return berr_sys(err, "bind %s", src);
	return 0;
}

/* Where each layer and bind will be staged, and the overlay options that follow.
 * Computed before clone3 so the child's copy of memory has them. */
char *overlay_options(size_t nlayers, bool upper_on_disk)
{
	size_t cap = 64 + nlayers * 16;
	autofree char *lower = xcalloc(1, cap);
	const char *upper = upper_on_disk ? "disk/" : "";
	size_t used = 0;

	/* overlayfs lists the top layer first; spec->layers is bottom first. */
	for (size_t i = nlayers; i-- > 0;)
		used += snprintf(lower + used, cap - used, "%sl%zu", used ? ":" : "", i);
	return xasprintf("userxattr,lowerdir=%s,upperdir=%supper,workdir=%swork", lower, upper,
			 upper);
}

static void monitor_plan(struct child_config *cfg, bool upper_on_disk)
{
	/* Paths are relative to the stage, the child's working directory when it
	 * mounts: the stage's parents need not be searchable by container ids. */
	for (size_t i = 0; i < cfg->spec->nbinds; i++)
		strv_push_owned(&cfg->bind_srcs, xasprintf("b%zu", i));
	cfg->overlay_opts = overlay_options(cfg->spec->layers.n, upper_on_disk);
}

/* Monitor side, once the user namespace exists: idmapped layers and binds. */
static int monitor_stage_mounts(struct child_config *cfg, int ufd, const char *upper_dir,
				struct berr *err)
{
	const struct runtime_spec *spec = cfg->spec;

	for (size_t i = 0; i < spec->layers.n; i++) {
		autofree char *name = xasprintf("l%zu", i);
		autofree char *dst = xasprintf("%s/%s", cfg->stage, name);

		if (stage_dir(cfg->stage, name, 0, err) < 0 ||
		    idmap_mount(spec->layers.v[i], dst, ufd, true, err) < 0)
			return berr_prefix(err, "layer %s", spec->layers.v[i]);
	}
	for (size_t i = 0; i < spec->nbinds; i++) {
		autofree char *name = xasprintf("b%zu", i);
		autofree char *dst = xasprintf("%s/%s", cfg->stage, name);
		struct stat st;

		if (stat(spec->binds[i].src, &st) < 0)
			return berr_sys(err, "bind source %s", spec->binds[i].src);
		if (S_ISDIR(st.st_mode) ? stage_dir(cfg->stage, name, 0, err) < 0
					: stage_file(cfg->stage, name, "", 0, err) < 0)
			return -1;
		if (idmap_mount(spec->binds[i].src, dst, ufd, spec->binds[i].ro, err) < 0 &&
		    plain_bind(spec->binds[i].src, dst, spec->binds[i].ro, err) < 0)
			return -1;
	}
	if (upper_dir) {
		autofree char *dst = xasprintf("%s/disk", cfg->stage);

		if (stage_dir(cfg->stage, "disk", 0, err) < 0 ||
		    idmap_mount(upper_dir, dst, ufd, false, err) < 0)
			return berr_prefix(err, "writable layer");
	}
	return 0;
}

/* Straight into the container's cgroup: moving a process there later would cost
 * an RCU grace period (cgroup_threadgroup_rwsem), milliseconds. The network
 * namespace is not made here but by a helper, beside the child (netns.c). */
static pid_t clone_container(int cgroup_fd)
{
	struct clone_args args = {
		.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
			 CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgroup_fd,
	};

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* Everything the monitor does once the child exists: start the network helper
 * first (it has the most to do), then id maps and staging, then "go". */
static int monitor_setup_child(struct child_config *cfg, pid_t pid, uid_t base,
			       const char *upper_dir, const struct cgroup *cg,
			       struct netns_helper *helper, int helper_net_fd, int err_fd,
			       struct berr *err)
{
	const struct runtime_spec *spec = cfg->spec;
	autofree char *nspath = xasprintf("/proc/%d/ns/user", pid);
	autoclose int ufd = open(nspath, O_RDONLY | O_CLOEXEC);
	char go;

	if (ufd < 0)
		return berr_sys(err, "open %s", nspath);
	if (netns_helper_start(helper, ufd, helper_net_fd, err_fd, spec->net_hook != NULL, err) < 0)
		return -1;
	if (userns_write_maps(pid, base, err) < 0 || monitor_stage_files(cfg, base, err) < 0 ||
	    monitor_stage_mounts(cfg, ufd, upper_dir, err) < 0)
		return -1;
	if (spec->net_hook &&
	    netns_helper_hook(helper, spec->net_hook, spec->net_hook_arg, err) < 0)
		return -1;
	/* "go", carrying whether the child limits processes with RLIMIT_NPROC. */
	go = cg->pids_enforced ? 'g' : 'n';
	if (send(cfg->sync_fd, &go, 1, MSG_NOSIGNAL) != 1)
		return berr_sys(err, "start the container");
	return 0;
}

static bool sent_by_kill(const siginfo_t *si)
{
	return si->si_code == SI_USER || si->si_code == SI_QUEUE || si->si_code == SI_TKILL;
}

/* Forward signals to the container until its pid 1 exits; return its wait status.
 * The network helper exits early; reap it on the way. */
static int monitor_wait(pid_t pid, struct netns_helper *helper, const sigset_t *watched)
{
	for (;;) {
		siginfo_t si;
		int status;
		int sig = sigwaitinfo(watched, &si);

		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			pid_t p = waitpid(pid, &status, WNOHANG);

			netns_helper_reap(helper, false);
			if (p == pid)
				return status;
			continue;
		}
		/* Terminal-generated signals already reached the container's processes,
		 * which share our process group. */
		if (sent_by_kill(&si))
			kill(pid, sig);
	}
}

/* Keep the writable layer (the run went well and --keep-upper asked) or drop it. */
static int upper_finish(const char *dir, const char *keep, struct berr *err)
{
	struct berr ignored;

	if (keep) {
		autofree char *upper = xasprintf("%s/upper", dir);

		if (rename(upper, keep) < 0) {
			berr_sys(err, "move the writable layer to %s", keep);
			rm_rf(dir, &ignored);
			return -1;
		}
	}
	return rm_rf(dir, err);
}

int runtime_run(const struct runtime_spec *spec_in, int *status, struct berr *err)
{
	struct runtime_spec spec = *spec_in;
	struct child_config cfg = { .spec = &spec, .sync_fd = -1, .err_fd = -1, .net_fd = -1,
				    .stage_fd = -1 };
	struct cgroup cg = { .path = NULL, .fd = -1 };
	autofree char *stage = xasprintf("%s/stage", berth_run());
	autofree char *upper_dir = NULL;
	autofree char *errmsg = NULL;
	int sync_pair[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, net_pair[2] = { -1, -1 };
	struct netns_helper helper = { .pid = -1, .ctl_fd = -1 };
	sigset_t watched, old_mask;
	uid_t base;
	pid_t pid = -1;
	int wstatus = 0, setup, r = -1;
	struct berr ignored;

	if (!spec.hostname)
		spec.hostname = "berth";
	if (!spec.workdir)
		spec.workdir = "/";
	base = spec.host_id_base ? spec.host_id_base : RUNTIME_ID_BASE;
	if (runtime_spec_validate(&spec, err) < 0)
		return -1;
	cfg.stage = stage;
	sigemptyset(&watched);
	sigaddset(&watched, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaddset(&watched, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &watched, &old_mask);

	if (seccomp_profile_get(&cfg.seccomp, err) < 0)
		goto out;
	if (monitor_prepare(&cfg, err) < 0 || upper_prepare(&cfg, base, &upper_dir, err) < 0)
		goto out;
	if (cgroup_create(&spec, &cg, err) < 0)
		goto out;
	monitor_plan(&cfg, upper_dir != NULL);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync_pair) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, net_pair) < 0 ||
	    pipe2(err_pipe, O_CLOEXEC) < 0) {
		berr_sys(err, "pipe");
		goto out;
	}
	cfg.sync_fd = sync_pair[1];
	cfg.err_fd = err_pipe[1];
	cfg.net_fd = net_pair[1];
	pid = clone_container(cg.fd);
	if (pid < 0) {
		berr_sys(err, "clone3 into new namespaces");
		goto out;
	}
	if (pid == 0) {
		close(sync_pair[0]);
		close(net_pair[0]);
		close(err_pipe[0]);
		container_child(&cfg);
	}
	close(sync_pair[1]);
	close(net_pair[1]);
	sync_pair[1] = net_pair[1] = -1;
	cfg.sync_fd = sync_pair[0];

	setup = monitor_setup_child(&cfg, pid, base, upper_dir, &cg, &helper, net_pair[0],
				    err_pipe[1], err);
	/* Only the child and the helper write errors and send the namespace now. */
	close(err_pipe[1]);
	close(net_pair[0]);
	err_pipe[1] = net_pair[0] = -1;
	if (setup < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		netns_helper_reap(&helper, true);
		/* A child that failed first says why better than a broken pipe does. */
		if (read_fd(err_pipe[0], &errmsg, NULL, &ignored) == 0 && errmsg[0])
			berr_fail(err, "%s", errmsg);
		goto out;
	}
	wstatus = monitor_wait(pid, &helper, &watched);
	if (read_fd(err_pipe[0], &errmsg, NULL, &ignored) == 0 && errmsg[0]) {
		berr_fail(err, "%s", errmsg);
		goto out;
	}
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	r = 0;
out:
	netns_helper_reap(&helper, true);
	if (cgroup_destroy(&cg, r == 0 ? err : &ignored) < 0)
		r = -1;
	if (upper_dir && upper_finish(upper_dir, r == 0 ? spec.keep_upper : NULL,
				      r == 0 ? err : &ignored) < 0)
		r = -1;
	for (int i = 0; i < 2; i++) {
		if (sync_pair[i] >= 0)
			close(sync_pair[i]);
		if (net_pair[i] >= 0)
			close(net_pair[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	if (cfg.stage_fd >= 0)
		close(cfg.stage_fd);
	strv_free(&cfg.bind_srcs);
	free(cfg.overlay_opts);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return r;
}
