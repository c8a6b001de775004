/* container.c - a container as a handle: find, signal, reap, destroy, list.
 *
 * The handle holds a pidfd of the container's pid 1 and its cgroup. pid 1 (berth's
 * init) writes the command's status to the state directory before it exits, so
 * any process can collect it, not only the creator (whose child pid 1 is, and
 * which also reaps it). An event loop polls the pidfd: readable means pid 1 has
 * exited; runtime_reap() then never blocks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "runtime/internal.h"

static void handle_reset(struct runtime_container *c)
{
	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->pidfd = c->cgroup_fd = -1;
	c->status = -1;
}

/* A pidfd of st's pid 1 if it is still that process (same start time), else -1. */
static int open_pid1(const struct runtime_state *st)
{
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);

	/* Checked after opening: the pidfd then names the process that was checked. */
	if (fd >= 0 && pid_start_time(st->pid) != st->start_time) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int runtime_open(const char *id, struct runtime_container *c, struct berr *err)
{
	struct runtime_state st;
	struct cgroup cg = { .fd = -1 };

	handle_reset(c);
	if (state_load(id, &st, err) < 0)
		return -1;
	/* A group that is gone (removed by hand) leaves a container that can still be
	 * reaped and destroyed. */
	if (path_exists(st.cgroup) && cgroup_open(st.cgroup, &cg, err) < 0) {
		state_free(&st);
		return -1;
	}
	snprintf(c->id, sizeof(c->id), "%s", st.id);
	c->pid = st.pid;
	c->pidfd = open_pid1(&st);
	/* Opened again by its creator: then it must still be reaped by us. */
	if (c->pidfd >= 0) {
		siginfo_t si;

		c->is_child = waitid(P_PIDFD, c->pidfd, &si,
				     WEXITED | WNOHANG | WNOWAIT | __WALL) == 0;
	}
	c->cgroup_fd = cg.fd;
	c->cgroup_path = cg.path ? cg.path : xstrdup(st.cgroup);
	c->upper_dir = steal_ptr(st.upper_dir);
	c->keep_upper = steal_ptr(st.keep_upper);
	c->started = st.started;
	state_free(&st);
	return 0;
}

int runtime_list(struct strv *ids, struct berr *err)
{
	autofree char *dir = xasprintf("%s/containers", berth_run());
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : berr_sys(err, "list %s", dir);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 5 && str_has_suffix(de->d_name, ".json")) {
			autofree char *id = xstrndup(de->d_name, n - 5);

			if (runtime_id_valid(id))
				strv_push(ids, id);
		}
	}
	strv_sort(ids);
	return 0;
}

int runtime_kill(const struct runtime_container *c, int sig, struct berr *err)
{
	if (c->pidfd < 0 || syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) < 0) {
		if (c->pidfd < 0 || errno == ESRCH)
			return berr_fail(err, "container %s has exited", c->id);
		return berr_sys(err, "signal container %s", c->id);
	}
	return 0;
}

static bool pid1_exited(const struct runtime_container *c)
{
	struct pollfd p = { .fd = c->pidfd, .events = POLLIN };

	return c->pidfd < 0 || (poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP)));
}

int runtime_reap(struct runtime_container *c, int *status, struct berr *err)
{
	if (c->status >= 0) {
		*status = c->status;
		return 1;
	}
	if (c->is_child) {
		/* Our child: its wait status is the truth even when pid 1 was killed
		 * before it could write the status file. */
		siginfo_t si = { 0 };

		if (waitid(P_PIDFD, c->pidfd, &si, WEXITED | WNOHANG | __WALL) < 0)
			return berr_sys(err, "wait for container %s", c->id);
		if (si.si_pid == 0)
			return 0;
		c->status = si.si_code == CLD_EXITED ? si.si_status & 0xff : 128 + si.si_status;
		c->is_child = false;
	} else {
		if (!pid1_exited(c))
			return 0;
		/* Nothing written: pid 1 was killed outright (SIGKILL: by runtime_kill,
		 * the OOM killer or its parent's death). */
		c->status = status_read(c->id);
		if (c->status < 0)
			c->status = 128 + SIGKILL;
	}
	*status = c->status;
	return 1;
}

int runtime_wait(struct runtime_container *c, int *status, struct berr *err)
{
	for (;;) {
		struct pollfd p = { .fd = c->pidfd, .events = POLLIN };
		int r = runtime_reap(c, status, err);

		if (r != 0)
			return r < 0 ? -1 : 0;
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return berr_sys(err, "wait for container %s", c->id);
	}
}

void runtime_release(struct runtime_container *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->cgroup_fd >= 0)
		close(c->cgroup_fd);
	free(c->cgroup_path);
	free(c->upper_dir);
	free(c->keep_upper);
	handle_reset(c);
}

/* Keep the writable layer (the command ran and keep_upper asked) or drop it. */
static int upper_finish(const struct runtime_container *c, struct berr *err)
{
	struct berr ignored = { 0 };

	if (!c->upper_dir)
		return 0;
	if (c->keep_upper && c->started) {
		autofree char *upper = xasprintf("%s/upper", c->upper_dir);

		if (rename(upper, c->keep_upper) < 0) {
			berr_sys(err, "move the writable layer to %s", c->keep_upper);
			rm_rf(c->upper_dir, &ignored);
			return -1;
		}
	}
	return rm_rf(c->upper_dir, err);
}

int runtime_destroy(struct runtime_container *c, struct berr *err)
{
	struct cgroup cg = { .path = c->cgroup_path, .fd = c->cgroup_fd };
	struct berr ignored = { 0 };
	int r = 0;

	/* pid 1 first: its death takes the pid namespace along; then whatever
	 * escaped to the cgroup only. */
	if (c->pidfd >= 0 && !pid1_exited(c))
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
	if (c->is_child) {
		siginfo_t si;

		while (waitid(P_PIDFD, c->pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
			;
		c->is_child = false;
	}
	c->cgroup_path = NULL;
	c->cgroup_fd = -1;
	if (cgroup_destroy(&cg, err) < 0)
		r = -1;
	if (upper_finish(c, r == 0 ? err : &ignored) < 0)
		r = -1;
	state_remove(c->id);
	runtime_release(c);
	return r;
}

int runtime_collect_stale(void)
{
	/* Containers that die with their creator have no state file: their cgroup
	 * says who created them. The others' state and status wait for whoever
	 * adopts them. */
	return cgroup_collect_orphans();
}
