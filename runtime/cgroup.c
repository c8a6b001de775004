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
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "common/ui.h"
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
	struct berr ignored;

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
static int cgroup_parent_path(const char *mnt, char **out, struct berr *err)
{
	autofree char *rel = xstrdup(berth_cgroup_name());
	autofree char *path = xstrdup(mnt);
	char *save = NULL;

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

static void warn_not_enforced(const char *what, const char *controller)
{
	ui_warn("warning: %s is not enforced: the %s controller is not available in cgroup v2 on this host (see 'berth doctor')",
		what, controller);
}

static int cgroup_apply_limits(const struct runtime_spec *spec, struct cgroup *cg,
			       struct berr *err)
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
			warn_not_enforced("memory limit", "memory");
		}
	}
	if (str_word_in(offered, "pids")) {
		snprintf(value, sizeof(value), "%llu",
			 (unsigned long long)(spec->pids_max ? spec->pids_max : RUNTIME_DEFAULT_PIDS));
		if (cgroup_set(cg, "pids.max", value, err) < 0)
			return -1;
		cg->pids_enforced = true;
	} else if (spec->pids_max && !spec->quiet_limits) {
		ui_warn("warning: pids limit is not enforced by cgroup: the pids controller is not available in cgroup v2 on this host; limiting processes per container user with RLIMIT_NPROC instead");
	}
	if (spec->cpu_quota_us) {
		if (str_word_in(offered, "cpu")) {
			snprintf(value, sizeof(value), "%llu %llu",
				 (unsigned long long)spec->cpu_quota_us,
				 (unsigned long long)spec->cpu_period_us);
			if (cgroup_set(cg, "cpu.max", value, err) < 0)
				return -1;
		} else if (!spec->quiet_limits) {
			warn_not_enforced("cpu limit", "cpu");
		}
	}
	return 0;
}

pid_t name_pid(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long pid;

	if (strncmp(name, prefix, n) || name[n] < '1' || name[n] > '9')
		return -1;
	errno = 0;
	pid = strtol(name + n, &end, 10);
	if (*end || errno || pid <= 0 || pid > (1L << 22))
		return -1;
	return (pid_t)pid;
}

/* A monitor killed with SIGKILL cannot remove its container's group (the container
 * itself dies with it, by parent-death signal). Such groups are named run-<pid> of a
 * monitor that no longer exists; remove them when empty. A reused pid only delays
 * this to a later start. */
static void cgroup_collect_stale(const char *parent)
{
	autoclosedir DIR *d = opendir(parent);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = name_pid(de->d_name, "run-");

		if (de->d_type != DT_DIR || pid <= 0 || pid == getpid() || kill(pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		/* Fails with EBUSY if anything still lives there: then it is not stale. */
		unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
}

int cgroup_create(const struct runtime_spec *spec, struct cgroup *cg, struct berr *err)
{
	const char *mnt = cgroup2_mount();
	autofree char *parent = NULL;
	autofree char *leaf = NULL;

	cg->path = NULL;
	cg->fd = -1;
	cg->pids_enforced = false;
	if (!mnt)
		return berr_fail(err, "no cgroup v2 hierarchy is mounted (looked at /sys/fs/cgroup and /sys/fs/cgroup/unified)");
	if (cgroup_parent_path(mnt, &parent, err) < 0)
		return -1;
	cgroup_collect_stale(parent);
	leaf = spec->cgroup_leaf ? xstrdup(spec->cgroup_leaf) : xasprintf("run-%d", getpid());
	if (strchr(leaf, '/') || !strcmp(leaf, "..") || !strcmp(leaf, "."))
		return berr_fail(err, "bad cgroup name '%s'", leaf);
	cg->path = xasprintf("%s/%s", parent, leaf);
	if (mkdir(cg->path, 0755) < 0) {
		/* Ours, left by a monitor that was killed: clear it and reuse the name. */
		if (errno != EEXIST) {
			berr_sys(err, "create cgroup %s", cg->path);
			goto fail;
		}
		cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg->fd < 0 || cgroup_destroy(cg, err) < 0)
			goto fail;
		cg->path = xasprintf("%s/%s", parent, leaf);
		if (mkdir(cg->path, 0755) < 0) {
			berr_sys(err, "create cgroup %s", cg->path);
			goto fail;
		}
	}
	cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0) {
		berr_sys(err, "open cgroup %s", cg->path);
		goto fail;
	}
	if (cgroup_apply_limits(spec, cg, err) < 0) {
		struct berr ignored;

		cgroup_destroy(cg, &ignored);
		return -1;
	}
	return 0;
fail:
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	free(cg->path);
	cg->path = NULL;
	return -1;
}

static bool cgroup_populated(int fd)
{
	autofree char *events = NULL;
	struct berr ignored;

	if (read_file_at(fd, "cgroup.events", &events, NULL, &ignored) < 0)
		return false;
	return strstr(events, "populated 1") != NULL;
}

/* Without cgroup.kill (kernels before 5.14): SIGKILL each member until none is left. */
static void cgroup_kill_members(int fd)
{
	autofree char *procs = NULL;
	struct berr ignored;

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

int cgroup_destroy(struct cgroup *cg, struct berr *err)
{
	struct berr ignored;
	struct timespec start, now;
	int r = 0;

	if (!cg->path)
		return 0;
	/* Usually the group is empty by now (pid 1 was reaped, and the kernel killed
	 * the rest of its pid namespace): one rmdir is all it takes. */
	if (rmdir(cg->path) == 0 || errno == ENOENT)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (cg->fd >= 0 && cgroup_populated(cg->fd)) {
		bool has_kill = faccessat(cg->fd, "cgroup.kill", F_OK, 0) == 0;

		if (has_kill)
			write_file_at(cg->fd, "cgroup.kill", "1", &ignored);
		while (cgroup_populated(cg->fd)) {
			autoclose int efd = openat(cg->fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
			struct pollfd pfd = { .fd = efd, .events = POLLPRI };

			if (!has_kill)
				cgroup_kill_members(cg->fd);
			/* cgroup.events signals POLLPRI when "populated" changes. */
			if (efd >= 0 && cgroup_populated(cg->fd))
				poll(&pfd, 1, 100);
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec > 10) {
				r = berr_fail(err, "cgroup %s still has processes after 10s", cg->path);
				break;
			}
		}
	}
	if (r == 0) {
		/* rmdir can race the last exiting task's release; retry briefly. */
		for (int i = 0; rmdir(cg->path) < 0; i++) {
			if (errno == ENOENT)
				break;
			if (errno != EBUSY || i > 200) {
				r = berr_sys(err, "remove cgroup %s", cg->path);
				break;
			}
			usleep(5000);
		}
	}
done:
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	free(cg->path);
	cg->path = NULL;
	return r;
}
