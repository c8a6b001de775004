/* rootfs.c - the container's root, built inside its own mount namespace.
 *
 * Runs in the container child as root of its user namespace, before pivot_root.
 * Every target inside the root is opened with openat2(RESOLVE_IN_ROOT), so a
 * symlink in an image (say /proc -> /etc) resolves inside the root and can never
 * make berth mount over a host path. Mounts are created detached with the new mount
 * API and attached onto those file descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/internal.h"

/* Docker's masked and read-only paths (moby/oci/defaults.go), plus /proc/interrupts. */
static const char *const masked_paths[] = {
	"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

static int root_open(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* Open path inside the root, creating it (and missing parents) as a directory, or
 * as an empty file when want_file is set, so that something can be mounted on it. */
static int root_target(int rootfd, const char *path, bool want_file, struct berr *err)
{
	char parent[PATH_MAX];
	autoclose int pfd = -1;
	const char *name;
	int fd;

	fd = root_open(rootfd, path, O_PATH);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : berr_sys(err, "open %s in the container", path);
	name = strrchr(path, '/');
	if (!name || name == path) {
		snprintf(parent, sizeof(parent), "/");
		name = path + (name ? 1 : 0);
	} else {
		if ((size_t)(name - path) >= sizeof(parent))
			return berr_fail(err, "path %s in the container is too long", path);
		snprintf(parent, sizeof(parent), "%.*s", (int)(name - path), path);
		name++;
	}
	pfd = root_target(rootfd, parent, false, err);
	if (pfd < 0)
		return -1;
	if (want_file) {
		fd = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0 && errno != EEXIST)
			return berr_sys(err, "create %s in the container", path);
		if (fd >= 0)
			close(fd);
	} else if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST) {
		return berr_sys(err, "create directory %s in the container", path);
	}
	fd = root_open(rootfd, path, O_PATH);
	if (fd < 0)
		return berr_sys(err, "open %s in the container", path);
	return fd;
}

/* A new filesystem instance attached on targetfd. opts: "key=value" or "flag". */
static int mount_new_fs(const char *fstype, const char *const *opts, unsigned attrs,
			int targetfd, const char *where, struct berr *err)
{
	autoclose int fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
	autoclose int mfd = -1;

	if (fsfd < 0)
		return berr_sys(err, "mount %s on %s", fstype, where);
	for (; opts && *opts; opts++) {
		char key[256];
		char *value;
		int r;

		snprintf(key, sizeof(key), "%s", *opts);
		value = strchr(key, '=');
		if (value) {
			*value++ = '\0';
			r = fsconfig(fsfd, FSCONFIG_SET_STRING, key, value, 0);
		} else {
			r = fsconfig(fsfd, FSCONFIG_SET_FLAG, key, NULL, 0);
		}
		if (r < 0)
			return berr_sys(err, "mount %s on %s: option %s", fstype, where, *opts);
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return berr_sys(err, "mount %s on %s", fstype, where);
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		return berr_sys(err, "mount %s on %s", fstype, where);
	if (move_mount(mfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return berr_sys(err, "attach %s on %s", fstype, where);
	return 0;
}

static int mount_fs_at(int rootfd, const char *fstype, const char *const *opts,
		       unsigned attrs, const char *path, struct berr *err)
{
	autoclose int fd = root_target(rootfd, path, false, err);

	if (fd < 0)
		return -1;
	return mount_new_fs(fstype, opts, attrs, fd, path, err);
}

/* Bind srcfd/srcpath onto targetfd; attrs (e.g. MOUNT_ATTR_RDONLY) are set on the
 * new mount before it is attached, so it is never visible writable. */
static int bind_onto(int srcdir, const char *srcpath, int targetfd, unsigned attrs,
		     const char *where, struct berr *err)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
	autoclose int tree = open_tree(srcdir, srcpath, flags | (*srcpath ? 0 : AT_EMPTY_PATH));

	if (tree < 0)
		return berr_sys(err, "bind mount on %s", where);
	if (attrs) {
		struct mount_attr attr = { .attr_set = attrs };

		if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			return berr_sys(err, "set mount attributes on %s", where);
	}
	if (move_mount(tree, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return berr_sys(err, "attach bind mount on %s", where);
	return 0;
}

static int mask_path(int rootfd, const char *path, struct berr *err)
{
	static const char *const empty_ro[] = { "size=0", "mode=0555", NULL };
	autoclose int fd = root_open(rootfd, path, O_PATH | O_NOFOLLOW);
	struct stat st;

	if (fd < 0 && (errno == ENOENT || errno == ELOOP))
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return berr_sys(err, "mask %s", path);
	if (S_ISDIR(st.st_mode))
		return mount_new_fs("tmpfs", empty_ro, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
				    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, fd, path, err);
	return bind_onto(AT_FDCWD, "/dev/null", fd, MOUNT_ATTR_RDONLY, path, err);
}

static int readonly_path(int rootfd, const char *path, struct berr *err)
{
	autoclose int fd = root_open(rootfd, path, O_PATH | O_NOFOLLOW);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return berr_sys(err, "make %s read-only", path);
	return bind_onto(fd, "", fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			 MOUNT_ATTR_NOEXEC, path, err);
}

#define HARDENED (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

static int mask_and_protect(int rootfd, const char *prefix, struct berr *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++)
		if (str_has_prefix(masked_paths[i], prefix) &&
		    mask_path(rootfd, masked_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++)
		if (str_has_prefix(readonly_paths[i], prefix) &&
		    readonly_path(rootfd, readonly_paths[i], err) < 0)
			return -1;
	return 0;
}

static int setup_proc(int rootfd, struct berr *err)
{
	if (mount_fs_at(rootfd, "proc", NULL, HARDENED, "/proc", err) < 0)
		return -1;
	return mask_and_protect(rootfd, "/proc/", err);
}

/* sysfs shows the network namespace of whoever mounts it: join it first. */
static int setup_sys(int rootfd, struct berr *err)
{
	if (mount_fs_at(rootfd, "sysfs", NULL, HARDENED | MOUNT_ATTR_RDONLY, "/sys", err) < 0)
		return -1;
	/* The container's own cgroup (its cgroup namespace root), read-only as Docker. */
	if (mount_fs_at(rootfd, "cgroup2", NULL, HARDENED | MOUNT_ATTR_RDONLY, "/sys/fs/cgroup",
			err) < 0)
		return -1;
	return mask_and_protect(rootfd, "/sys/", err);
}

/* A minimal /dev: a small tmpfs with the host's harmless character devices bound in
 * (a user namespace cannot mknod), a private devpts, shm, mqueue and the fd links. */
static int setup_dev(int rootfd, struct berr *err)
{
	static const char *const dev_opts[] = { "mode=0755", "size=65536k", NULL };
	static const char *const pts_opts[] = { "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
	static const char *const shm_opts[] = { "mode=1777", "size=65536k", NULL };
	static const struct { const char *name, *target; } links[] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
		{ "ptmx", "pts/ptmx" },
	};
	autoclose int devfd = -1;

	if (mount_fs_at(rootfd, "tmpfs", dev_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
			"/dev", err) < 0)
		return -1;
	devfd = root_open(rootfd, "/dev", O_DIRECTORY);
	if (devfd < 0)
		return berr_sys(err, "open /dev in the container");
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		char host[64];
		autoclose int fd = openat(devfd, dev_nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);

		snprintf(host, sizeof(host), "/dev/%s", dev_nodes[i]);
		if (fd < 0)
			return berr_sys(err, "create /dev/%s in the container", dev_nodes[i]);
		if (bind_onto(AT_FDCWD, host, fd, 0, host, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i].target, devfd, links[i].name) < 0)
			return berr_sys(err, "create /dev/%s in the container", links[i].name);
	if (mount_fs_at(rootfd, "devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
			"/dev/pts", err) < 0)
		return -1;
	if (mount_fs_at(rootfd, "tmpfs", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			MOUNT_ATTR_NOEXEC, "/dev/shm", err) < 0)
		return -1;
	return mount_fs_at(rootfd, "mqueue", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			   MOUNT_ATTR_NOEXEC, "/dev/mqueue", err);
}

static int setup_binds(const struct child_config *cfg, int rootfd, struct berr *err)
{
	const struct runtime_spec *spec = cfg->spec;

	for (size_t i = 0; i < spec->nbinds; i++) {
		const struct runtime_bind *b = &spec->binds[i];
		struct stat st, tst;
		autoclose int fd = -1;

		char staged[32];

		snprintf(staged, sizeof(staged), "b%zu", i);
		if (stat(staged, &st) < 0)
			return berr_sys(err, "bind %s", b->src);
		fd = root_target(rootfd, b->dst, !S_ISDIR(st.st_mode), err);
		if (fd < 0)
			return berr_prefix(err, "bind %s on %s", b->src, b->dst);
		if (fstat(fd, &tst) < 0)
			return berr_sys(err, "bind %s on %s", b->src, b->dst);
		if (S_ISDIR(st.st_mode) != S_ISDIR(tst.st_mode))
			return berr_fail(err, "bind %s on %s: cannot bind a %s onto a %s", b->src, b->dst,
					 S_ISDIR(st.st_mode) ? "directory" : "file",
					 S_ISDIR(tst.st_mode) ? "directory" : "file");
		if (bind_onto(AT_FDCWD, staged, fd, 0, b->dst, err) < 0)
			return -1;
	}
	return 0;
}

/* /etc/hosts and /etc/hostname, generated on the stage and bound in when the image
 * has them, as Docker does; never written into the image's layers. */
static int setup_etc(int rootfd, struct berr *err)
{
	static const char *const files[] = { "hosts", "hostname" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char dst[32], src[32];
		autoclose int fd = -1;
		struct stat st;

		snprintf(dst, sizeof(dst), "/etc/%s", files[i]);
		snprintf(src, sizeof(src), "etc-%s", files[i]);
		fd = root_open(rootfd, dst, O_PATH);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (bind_onto(AT_FDCWD, src, fd, 0, dst, err) < 0)
			return -1;
	}
	return 0;
}

int rootfs_setup(const struct child_config *cfg, struct berr *err)
{
	autoclose int rootfd = -1;
	int r;

	if (mount("overlay", "root", "overlay", MS_NODEV, cfg->overlay_opts) < 0)
		return berr_sys(err, "mount the overlay of %zu layers", cfg->spec->layers.n);
	rootfd = open("root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berr_sys(err, "open the container's root");
	if (setup_binds(cfg, rootfd, err) < 0 || setup_proc(rootfd, err) < 0 ||
	    setup_dev(rootfd, err) < 0 || setup_etc(rootfd, err) < 0)
		return -1;
	/* As late as possible: the helper makes the namespace meanwhile. */
	r = netns_join(cfg->net_fd, err);
	if (r < 0)
		return r;
	if (setup_sys(rootfd, err) < 0)
		return -1;
	/* pivot_root(".", ".") stacks the old root under the new one; detaching "."
	 * then drops the whole host tree from this namespace. */
	if (fchdir(rootfd) < 0)
		return berr_sys(err, "enter the container's root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berr_sys(err, "pivot_root to the container's root");
	if (umount2(".", MNT_DETACH) < 0)
		return berr_sys(err, "detach the host's root");
	if (chdir("/") < 0)
		return berr_sys(err, "chdir /");
	return 0;
}
