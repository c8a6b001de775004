/* cgroup.c - a cgroup v2 group per container.
 *
 * Layout: <v2 mount>/<BERTH_CGROUP>/<leaf>. berth only ever writes to groups it
 * created. Limits go to memory.max, pids.max and cpu.max when the controller can
 * be enabled for berth's group; on hybrid hosts (controllers bound to v1) the group
 * still tracks and kills every process of the container, and berth says which
 * limit it cannot enforce instead of pretending. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "common/sink.h"
#include "runtime/internal.h"

static const char *const wanted_controllers[] = { "cpu", "io", "memory", "pids" };

const char *cgroup2_mount(void)
{
	static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs sfs;

	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
		if (statfs(candidates[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
			return candidates[i];
	return NULL;
}

/* Enable in group dir every wanted controller it offers, for its children. A group
 * berth just created has no processes, so the "no internal processes" rule holds. */
static void cgroup_enable_controllers(const char *dir)
{
	autofree char *ctl_path = xasprintf("%s/cgroup.controllers", dir);
	autofree char *sub_path = xasprintf("%s/cgroup.subtree_control", dir);
	autofree char *offered = NULL;
	autofree char *enabled = NULL;
	struct berr ignored = { 0 };

	if (read_file(ctl_path, &offered, NULL, &ignored) < 0 ||
	    read_file(sub_path, &enabled, NULL, &ignored) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(wanted_controllers); i++) {
		const char *c = wanted_controllers[i];
		autofree char *cmd = NULL;

		if (!str_word_in(offered, c) || str_word_in(enabled, c))
			continue;
		cmd = xasprintf("+%s", c);
		/* A controller that cannot be enabled stays off; limits then warn. */
		(void)write_file(sub_path, cmd, &ignored);
	}
}

/* Create each missing level of berth's group and enable controllers in it. */
int cgroup_parent(char **out, struct berr *err)
{
	const char *mnt = cgroup2_mount();
	autofree char *rel = xstrdup(berth_cgroup_name());
	autofree char *path = NULL;
	char *save = NULL;

	if (!mnt)
		return berr_fail(err, "no cgroup v2 hierarchy is mounted (looked at /sys/fs/cgroup and /sys/fs/cgroup/unified)");
	path = xstrdup(mnt);

	for (char *tok = strtok_r(rel, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		char *next;

		if (!strcmp(tok, "..") || !strcmp(tok, "."))
			return berr_fail(err, "BERTH_CGROUP '%s' must not contain '.' or '..'",
					 berth_cgroup_name());
		next = xasprintf("%s/%s", path, tok);
		free(path);
		path = next;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return berr_sys(err, "create cgroup %s", path);
		cgroup_enable_controllers(path);
	}
	*out = steal_ptr(path);
	return 0;
}

/* Read-only: `doctor` must not create groups. An existing level of berth's group
 * has exactly its cgroup.controllers; a level berth would create gets what its
 * parent's subtree_control offers, and berth enables all of it further down. */
int cgroup_available_controllers(char *buf, size_t len, struct berr *err)
{
	const char *mnt = cgroup2_mount();
	autofree char *rel = xstrdup(berth_cgroup_name());
	autofree char *path = NULL;
	autofree char *offered = NULL;
	char *save = NULL;

	buf[0] = '\0';
	if (!mnt)
		return berr_fail(err, "no cgroup v2 hierarchy is mounted");
	path = xasprintf("%s/cgroup.subtree_control", mnt);
	if (read_file(path, &offered, NULL, err) < 0)
		return -1;
	for (char *tok = strtok_r(rel, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		/* strtok_r cut rel; the original name's prefix up to tok is the level. */
		free(path);
		path = xasprintf("%s/%.*s/cgroup.controllers", mnt,
				 (int)(tok + strlen(tok) - rel), berth_cgroup_name());
		if (!path_exists(path))
			break;
		free(offered);
		offered = NULL;
		if (read_file(path, &offered, NULL, err) < 0)
			return -1;
	}
	offered[strcspn(offered, "\n")] = '\0';
	snprintf(buf, len, "%s", offered);
	return 0;
}

static int cgroup_set(const struct cgroup *cg, const char *file, const char *value,
		      struct berr *err)
{
	if (write_file_at(cg->fd, file, value, err) < 0)
		return berr_prefix(err, "set %s in cgroup %s", file, cg->path);
	return 0;
}

static void warn_not_enforced(const struct runtime_spec *spec, const char *what,
			      const char *controller)
{
	sink_warn(spec->sink, "warning: %s is not enforced: the %s controller is not available in cgroup v2 on this host (see 'berth doctor')",
		  what, controller);
}

int cgroup_apply_limits(const struct runtime_spec *spec, struct cgroup *cg, struct berr *err)
{
	autofree char *offered = NULL;
	char value[64];

	if (read_file_at(cg->fd, "cgroup.controllers", &offered, NULL, err) < 0)
		return -1;
	if (spec->memory_max) {
		if (str_word_in(offered, "memory")) {
			snprintf(value, sizeof(value), "%llu", (unsigned long long)spec->memory_max);
			if (cgroup_set(cg, "memory.max", value, err) < 0)
				return -1;
		} else if (!spec->quiet_limits) {
			warn_not_enforced(spec, "memory limit", "memory");
		}
	}
	if (str_word_in(offered, "pids")) {
		snprintf(value, sizeof(value), "%llu",
			 (unsigned long long)(spec->pids_max ? spec->pids_max : RUNTIME_DEFAULT_PIDS));
		if (cgroup_set(cg, "pids.max", value, err) < 0)
			return -1;
		cg->pids_enforced = true;
	} else if (spec->pids_max && !spec->quiet_limits) {
		sink_warn(spec->sink, "warning: pids limit is not enforced by cgroup: the pids controller is not available in cgroup v2 on this host; limiting processes per container user with RLIMIT_NPROC instead");
	}
	if (spec->cpu_quota_us) {
		if (str_word_in(offered, "cpu")) {
			snprintf(value, sizeof(value), "%llu %llu",
				 (unsigned long long)spec->cpu_quota_us,
				 (unsigned long long)spec->cpu_period_us);
			if (cgroup_set(cg, "cpu.max", value, err) < 0)
				return -1;
		} else if (!spec->quiet_limits) {
			warn_not_enforced(spec, "cpu limit", "cpu");
		}
	}
	return 0;
}

int cgroup_create_at(int parent_fd, const char *parent, const char *leaf, struct cgroup *cg,
		     struct berr *err)
{
	cg->path = NULL;
	cg->fd = -1;
	cg->pids_enforced = false;
	if (!*leaf || strchr(leaf, '/') || !strcmp(leaf, "..") || !strcmp(leaf, "."))
		return berr_fail(err, "bad cgroup name '%s'", leaf);
	/* Never reuse a group: one that exists belongs to a container that may run. */
	if (mkdirat(parent_fd, leaf, 0755) < 0) {
		if (errno == EEXIST) {
			berr_fail(err, "container %s already exists (cgroup %s/%s)", leaf, parent, leaf);
			errno = EEXIST;
			return -1;
		}
		return berr_sys(err, "create cgroup %s/%s", parent, leaf);
	}
	cg->fd = openat(parent_fd, leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0) {
		berr_sys(err, "open cgroup %s/%s", parent, leaf);
		unlinkat(parent_fd, leaf, AT_REMOVEDIR);
		return -1;
	}
	cg->path = xasprintf("%s/%s", parent, leaf);
	return 0;
}

int cgroup_create(const struct runtime_spec *spec, const char *leaf, struct cgroup *cg,
		  struct berr *err)
{
	autofree char *parent = NULL;
	autoclose int pfd = -1;

	cg->path = NULL;
	cg->fd = -1;
	if (cgroup_parent(&parent, err) < 0)
		return -1;
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return berr_sys(err, "open cgroup %s", parent);
	if (cgroup_create_at(pfd, parent, leaf, cg, err) < 0)
		return -1;
	if (cgroup_apply_limits(spec, cg, err) < 0) {
		struct berr ignored = { 0 };

		cgroup_destroy(cg, &ignored);
		return -1;
	}
	return 0;
}

int cgroup_open(const char *path, struct cgroup *cg, struct berr *err)
{
	cg->pids_enforced = false;
	cg->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0) {
		cg->path = NULL;
		return berr_sys(err, "open cgroup %s", path);
	}
	cg->path = xstrdup(path);
	return 0;
}

static bool cgroup_populated(int fd)
{
	autofree char *events = NULL;
	struct berr ignored = { 0 };

	if (read_file_at(fd, "cgroup.events", &events, NULL, &ignored) < 0)
		return false;
	return strstr(events, "populated 1") != NULL;
}

/* Without cgroup.kill (kernels before 5.14): SIGKILL each member until none is left. */
static void cgroup_kill_members(int fd)
{
	autofree char *procs = NULL;
	struct berr ignored = { 0 };

	if (read_file_at(fd, "cgroup.procs", &procs, NULL, &ignored) < 0)
		return;
	for (char *p = procs; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
		p = end + (*end == '\n');
	}
}

static long ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* "populated 1" in the cgroup.events file open at efd; reading it also re-arms
 * the descriptor's POLLPRI, which kernfs raises on every change after a read. */
static int events_populated(int efd)
{
	char buf[256];
	ssize_t n;

	if (lseek(efd, 0, SEEK_SET) < 0 || (n = read(efd, buf, sizeof(buf) - 1)) < 0)
		return -1;
	buf[n] = '\0';
	return strstr(buf, "populated 1") != NULL;
}

/* Until cgroup.events says "populated 0", at most timeout_ms. Without cgroup.kill,
 * members are killed one by one on each round. 0 once empty, -1 when time ran out. */
static int cgroup_wait_empty(int fd, bool kill_members, long timeout_ms)
{
	autoclose int efd = openat(fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	struct timespec start;

	if (efd < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = efd, .events = POLLPRI };
		long left = timeout_ms - ms_since(&start);
		int populated;

		if (kill_members)
			cgroup_kill_members(fd);
		populated = events_populated(efd);
		if (populated == 0)
			return 0;
		if (populated < 0 || left <= 0)
			return -1;
		/* Members killed one by one may have forked meanwhile: look again soon. */
		poll(&pfd, 1, kill_members && left > 100 ? 100 : (int)left);
	}
}

int cgroup_destroy(struct cgroup *cg, struct berr *err)
{
	int r = 0;

	if (!cg->path)
		return 0;
	/* Usually the group is empty by now (pid 1 has exited, and the kernel killed
	 * the rest of its pid namespace): one rmdir is all it takes. */
	if (rmdir(cg->path) == 0 || errno == ENOENT)
		goto done;
	if (cg->fd >= 0 && cgroup_populated(cg->fd)) {
		bool has_kill = faccessat(cg->fd, "cgroup.kill", F_OK, 0) == 0;
		struct berr ignored = { 0 };

		if (has_kill)
			write_file_at(cg->fd, "cgroup.kill", "1", &ignored);
		if (cgroup_wait_empty(cg->fd, !has_kill, 10000) < 0)
			r = berr_fail(err, "cgroup %s still has processes after 10s", cg->path);
	}
	/* "populated 0" comes when the last task has exited; its css_set may be
	 * released a moment later, until when rmdir says EBUSY. Wait on the events
	 * file for that moment rather than sleeping blindly; give up after a second. */
	for (int i = 0; r == 0 && rmdir(cg->path) < 0; i++) {
		autoclose int efd = cg->fd >= 0 ? openat(cg->fd, "cgroup.events", O_RDONLY | O_CLOEXEC) : -1;
		struct pollfd pfd = { .fd = efd, .events = POLLPRI };

		if (errno == ENOENT)
			break;
		if (errno != EBUSY || i >= 200) {
			r = berr_sys(err, "remove cgroup %s", cg->path);
			break;
		}
		poll(&pfd, efd >= 0 ? 1 : 0, 5);
	}
done:
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	free(cg->path);
	cg->path = NULL;
	return r;
}

/* Who created a container that dies with its creator, as "pid start-time", and
 * its writable layer on disk: in extended attributes of its cgroup (kernfs keeps
 * trusted.* ones in memory), so that what a killed creator left can be found. */
#define XATTR_CREATOR "trusted.berth.creator"
#define XATTR_UPPER "trusted.berth.upper"

int cgroup_mark_creator(const struct cgroup *cg, const char *upper_dir, struct berr *err)
{
	static char me[64];

	if (!me[0])
		snprintf(me, sizeof(me), "%d %llu", getpid(), pid_start_time(getpid()));
	if (fsetxattr(cg->fd, XATTR_CREATOR, me, strlen(me), 0) < 0 ||
	    (upper_dir && fsetxattr(cg->fd, XATTR_UPPER, upper_dir, strlen(upper_dir), 0) < 0))
		return berr_sys(err, "mark cgroup %s with its creator", cg->path);
	return 0;
}

/* The leaf's creator, if it marked it and has exited since. */
static bool creator_gone(int parent_fd, const char *leaf)
{
	char who[64];
	autoclose int fd = openat(parent_fd, leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;
	int pid;
	unsigned long long start;

	if (fd < 0)
		return false;
	n = fgetxattr(fd, XATTR_CREATOR, who, sizeof(who) - 1);
	if (n <= 0)
		return false;
	who[n] = '\0';
	if (sscanf(who, "%d %llu", &pid, &start) != 2 || pid <= 0)
		return false;
	return pid_start_time(pid) != start;
}

int cgroup_collect_orphans(void)
{
	const char *mnt = cgroup2_mount();
	autofree char *parent = mnt ? xasprintf("%s/%s", mnt, berth_cgroup_name()) : NULL;
	autoclosedir DIR *d = parent ? opendir(parent) : NULL;
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		struct cgroup cg = { .fd = -1 };
		struct berr ignored = { 0 };
		char upper[4096];
		ssize_t len;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || !creator_gone(dirfd(d), de->d_name))
			continue;
		cg.path = xasprintf("%s/%s", parent, de->d_name);
		len = getxattr(cg.path, XATTR_UPPER, upper, sizeof(upper) - 1);
		cg.fd = open(cg.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cgroup_destroy(&cg, &ignored) == 0) {
			n++;
			if (len > 0) {
				upper[len] = '\0';
				rm_rf(upper, &ignored);
			}
		}
	}
	return n;
}
