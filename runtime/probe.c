/* probe.c - what the host offers berth, for `berth doctor` and for warnings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "runtime/internal.h"

static bool file_has_word(const char *path, const char *word)
{
	autofree char *text = NULL;
	struct berr ignored = { 0 };

	return read_file(path, &text, NULL, &ignored) == 0 && strstr(text, word);
}

/* Idmapped mounts need a user namespace to map through: make one in a short-lived
 * child and try to idmap BERTH_ROOT (or its nearest existing parent). */
static bool probe_idmap(void)
{
	autofree char *dir = xstrdup(berth_root());
	struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	int pipefd[2];
	pid_t pid;
	bool ok = false;

	while (!is_dir(dir) && strrchr(dir, '/') && strrchr(dir, '/') != dir)
		*strrchr(dir, '/') = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return false;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		char c;

		close(pipefd[1]);
		_exit(read(pipefd[0], &c, 1) < 0);
	}
	close(pipefd[0]);
	if (pid > 0) {
		struct berr err = { 0 };
		autofree char *ns = xasprintf("/proc/%d/ns/user", pid);
		autoclose int ufd = -1;

		if (userns_write_maps(pid, RUNTIME_ID_BASE, &err) == 0 &&
		    (ufd = open(ns, O_RDONLY | O_CLOEXEC)) >= 0) {
			struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = ufd };
			autoclose int tree = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

			ok = tree >= 0 && mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0;
		}
	}
	close(pipefd[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return ok;
}

/* cgroup.kill (Linux 5.14) exists in every group but the root: look in berth's
 * group, else in this process's own, else in any group under the root. */
static bool probe_cgroup_kill(const char *mnt)
{
	autofree char *berth = xasprintf("%s/%s/cgroup.kill", mnt, berth_cgroup_name());
	autofree char *self = NULL;
	autoclosedir DIR *d = NULL;
	struct berr ignored = { 0 };
	struct dirent *de;

	if (path_exists(berth))
		return true;
	if (read_file("/proc/self/cgroup", &self, NULL, &ignored) == 0) {
		char *line = strstr(self, "0::/");

		if (line && line[4] != '\n' && line[4] != '\0') {
			autofree char *path = NULL;

			line[strcspn(line, "\n")] = '\0';
			path = xasprintf("%s%s/cgroup.kill", mnt, line + 3);
			return path_exists(path);
		}
	}
	d = opendir(mnt);
	while (d && (de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			autofree char *path = xasprintf("%s/%s/cgroup.kill", mnt, de->d_name);

			return path_exists(path);
		}
	return false;
}

static long max_user_namespaces(void)
{
	autofree char *text = NULL;
	struct berr ignored = { 0 };

	if (read_file("/proc/sys/user/max_user_namespaces", &text, NULL, &ignored) < 0)
		return 0;
	return strtol(text, NULL, 10);
}

void runtime_probe_host(struct runtime_host *host)
{
	const char *mnt = cgroup2_mount();
	char controllers[256];
	struct berr ignored = { 0 };

	memset(host, 0, sizeof(*host));
	if (mnt) {
		snprintf(host->cgroup2_mount, sizeof(host->cgroup2_mount), "%s", mnt);
		if (cgroup_available_controllers(controllers, sizeof(controllers), &ignored) == 0) {
			host->has_memory = str_word_in(controllers, "memory");
			host->has_pids = str_word_in(controllers, "pids");
			host->has_cpu = str_word_in(controllers, "cpu");
			host->has_io = str_word_in(controllers, "io");
		}
		host->has_cgroup_kill = probe_cgroup_kill(mnt);
	}
	host->has_overlay = file_has_word("/proc/filesystems", "overlay");
	host->has_userns = path_exists("/proc/self/ns/user") && max_user_namespaces() > 0;
	host->has_seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 &&
		file_has_word("/proc/self/status", "Seccomp:");
	host->has_idmap = host->has_userns && probe_idmap();
	host->has_nftables = file_has_word("/proc/modules", "nf_tables") ||
		path_exists("/sys/module/nf_tables");
}
