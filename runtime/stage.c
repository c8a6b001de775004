/* stage.c - the container's stage: where its layers wait to be overlaid.
 *
 * Runs in the container's first process, root of its user namespace, right after
 * it entered its own mount namespace. A small tmpfs goes on the stage's mount point
 * (an empty directory under the container's state, reached through the working
 * directory: its path need not be searchable by container ids), and the detached
 * trees the creator made (each layer and bind idmapped, the writable layer on disk
 * when there is one) are attached on it as l0.., b0.. and disk. Nothing of this is
 * visible outside the container's mount namespace and it all goes with it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/internal.h"

static int stage_file(const char *name, const char *content, struct berr *err)
{
	autoclose int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t len = strlen(content);

	if (fd < 0 || write(fd, content, len) != (ssize_t)len)
		return berr_sys(err, "write the stage's %s", name);
	return 0;
}

static int attach(int tree, const char *name, struct berr *err)
{
	struct stat st;

	if (fstat(tree, &st) < 0)
		return berr_sys(err, "stage %s", name);
	if (S_ISDIR(st.st_mode) ? mkdir(name, 0755) < 0 : mknod(name, S_IFREG | 0644, 0) < 0)
		return berr_sys(err, "create the stage's %s", name);
	if (move_mount(tree, "", AT_FDCWD, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return berr_sys(err, "attach %s on the stage", name);
	return 0;
}

int stage_setup(const struct child_config *cfg, const int *trees, struct berr *err)
{
	const struct runtime_spec *spec = cfg->spec;
	autoclose int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	autoclose int mfd = -1;
	size_t t = 0;

	/* The stage holds the writable layer, so no small size cap: the kernel's
	 * default (half of RAM) applies, and where the memory controller works the
	 * pages count against the container's memory.max, charged to the writer. */
	if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0)
		return berr_sys(err, "mount the stage's tmpfs");
	/* The working directory is the mount point (the creator's stage_fd). */
	if (move_mount(mfd, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return berr_sys(err, "attach the stage's tmpfs");
	if (fchdir(mfd) < 0)
		return berr_sys(err, "enter the stage");
	if (mkdir("root", 0755) < 0)
		return berr_sys(err, "create the stage's root");
	for (size_t i = 0; i < spec->layers.n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "l%zu", i);
		if (attach(trees[t++], name, err) < 0)
			return berr_prefix(err, "layer %s", spec->layers.v[i]);
	}
	for (size_t i = 0; i < spec->nbinds; i++) {
		char name[32];

		snprintf(name, sizeof(name), "b%zu", i);
		if (attach(trees[t++], name, err) < 0)
			return berr_prefix(err, "bind %s", spec->binds[i].src);
	}
	if (cfg->upper_on_disk) {
		if (attach(trees[t++], "disk", err) < 0)
			return berr_prefix(err, "writable layer");
	} else if (mkdir("upper", 0755) < 0 || mkdir("work", 0755) < 0) {
		return berr_sys(err, "create the writable layer on the stage");
	}
	if (stage_file("etc-hosts", cfg->etc_hosts, err) < 0 ||
	    stage_file("etc-hostname", cfg->etc_hostname, err) < 0)
		return -1;
	return 0;
}
