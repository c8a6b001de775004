/* userns.c - the user namespace: id maps and idmapped mounts.
 *
 * Container ids 0..65535 map to host ids base..base+65535, a range no host user
 * owns, so even container root is nobody on the host. Layers on disk keep the ids
 * the image gave them; an idmapped mount (Linux 5.12+) presents them through the
 * container's user namespace, so uid 0 on disk is root inside and base on the host.
 * The creator makes them detached (open_tree); the container attaches them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/internal.h"

int userns_write_maps(pid_t pid, uid_t host_base, struct berr *err)
{
	char path[64], map[64];

	snprintf(map, sizeof(map), "0 %u %u\n", (unsigned)host_base, RUNTIME_ID_RANGE);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	if (write_file(path, map, err) < 0)
		return berr_prefix(err, "map container uids to host %u+", (unsigned)host_base);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	if (write_file(path, map, err) < 0)
		return berr_prefix(err, "map container gids to host %u+", (unsigned)host_base);
	return 0;
}

int idmap_tree(const char *src, int userns_fd, bool ro, struct berr *err)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | (ro ? MOUNT_ATTR_RDONLY : 0) | MOUNT_ATTR_NODEV,
		.userns_fd = userns_fd,
	};
	autoclose int fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (fd < 0)
		return berr_sys(err, "open %s for an idmapped mount", src);
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
		if (errno == EINVAL)
			return berr_fail(err, "idmapped mount of %s: the filesystem does not support idmapped mounts (berth needs ext4, xfs, btrfs, or tmpfs on Linux 6.3+)",
					 src);
		return berr_sys(err, "idmapped mount of %s", src);
	}
	return steal_fd(&fd);
}

int plain_tree(const char *src, bool ro, struct berr *err)
{
	autoclose int fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct mount_attr attr = { .attr_set = (ro ? MOUNT_ATTR_RDONLY : 0) | MOUNT_ATTR_NODEV };

	if (fd < 0 || mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return berr_sys(err, "bind %s", src);
	return steal_fd(&fd);
}
