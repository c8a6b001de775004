/* busybox.c - `stacks:create busybox`: a tiny stack from the host's busybox-static.
 *
 * One layer: /bin/busybox and a symlink for every applet it lists, /etc/passwd and
 * /etc/group with root and the unprivileged "app" user (1000, the runtime's default),
 * /tmp and /var/tmp 1777, and the host's CA bundle when there is one. Every entry
 * gets the busybox binary's mtime, so the same host makes the same layer id every
 * time and a second create stores nothing new. Offline; well under a second. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "images/internal.h"

#define APP_UID 1000

static const char *const busybox_paths[] = { "/usr/bin/busybox", "/bin/busybox", "/usr/sbin/busybox" };
static const char *const ca_bundles[] = { "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt" };

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"app:x:1000:1000:app:/home/app:/bin/sh\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char group[] =
	"root:x:0:\n"
	"tty:x:5:\n"
	"app:x:1000:\n"
	"nogroup:x:65534:\n";

/* A dynamically linked busybox would need the host's libc inside the stack. */
static int check_static(const char *path, struct berr *err)
{
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;

	if (fd < 0)
		return berr_sys(err, "open %s", path);
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		return berr_fail(err, "%s is not a 64-bit ELF executable", path);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != (ssize_t)sizeof(ph))
			return berr_fail(err, "%s: truncated ELF program header", path);
		if (ph.p_type == PT_INTERP)
			return berr_fail(err, "%s is dynamically linked; install busybox-static (apt-get install busybox-static)", path);
	}
	return 0;
}

static const char *find_busybox(struct berr *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(busybox_paths); i++)
		if (access(busybox_paths[i], X_OK) == 0)
			return busybox_paths[i];
	berr_fail(err, "busybox is not installed; install busybox-static (apt-get install busybox-static)");
	return NULL;
}

struct builder {
	int rootfd;
	struct timespec times[2];
	struct strv dirs;   /* to stamp once everything is in */
	struct berr *err;
};

static int add_dir(struct builder *b, const char *path, mode_t mode, uid_t owner)
{
	autoclose int fd = -1;

	if (mkdirat(b->rootfd, path, 0700) < 0 && errno != EEXIST)
		return berr_sys(b->err, "create /%s", path);
	fd = open_beneath(b->rootfd, path, false, b->err);
	if (fd < 0)
		return -1;
	if (fchown(fd, owner, owner) < 0 || fchmod(fd, mode) < 0)
		return berr_sys(b->err, "set owner and mode of /%s", path);
	strv_push(&b->dirs, path);
	return 0;
}

static int add_file(struct builder *b, const char *path, const void *data, size_t len, mode_t mode)
{
	autoclose int fd = openat(b->rootfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0)
		return berr_sys(b->err, "create /%s", path);
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_sys(b->err, "write /%s", path);
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || futimens(fd, b->times) < 0)
		return berr_sys(b->err, "set mode and time of /%s", path);
	return 0;
}

static int add_host_file(struct builder *b, const char *path, const char *host, mode_t mode)
{
	autofree char *data = NULL;
	size_t len;

	if (read_file(host, &data, &len, b->err) < 0)
		return -1;
	return add_file(b, path, data, len, mode);
}

static int add_symlink(struct builder *b, const char *path, const char *target)
{
	if (symlinkat(target, b->rootfd, path) < 0) {
		if (errno == EEXIST)
			return 0;
		return berr_sys(b->err, "create symlink /%s", path);
	}
	if (utimensat(b->rootfd, path, b->times, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_sys(b->err, "set the time of /%s", path);
	return 0;
}

static int stamp_dirs(struct builder *b)
{
	for (size_t i = b->dirs.n; i-- > 0;) {
		autoclose int fd = open_beneath(b->rootfd, b->dirs.v[i], false, b->err);

		if (fd < 0 || futimens(fd, b->times) < 0)
			return fd < 0 ? -1 : berr_sys(b->err, "set the time of /%s", b->dirs.v[i]);
	}
	return 0;
}

/* "usr/bin/awk" and the like; anything else is not an applet path we understand. */
static bool applet_path_ok(const char *a)
{
	static const char *const dirs[] = { "bin/", "sbin/", "usr/bin/", "usr/sbin/" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (str_has_prefix(a, dirs[i])) {
			const char *n = a + strlen(dirs[i]);

			return *n && !strchr(n, '/') && strcmp(n, ".") && strcmp(n, "..") &&
			       strcmp(a, "bin/busybox");
		}
	return false;
}

static int build_rootfs(struct builder *b, const char *busybox, const struct strv *applets)
{
	static const struct { const char *path; mode_t mode; uid_t owner; } dirs[] = {
		{ ".", 0755, 0 }, { "bin", 0755, 0 }, { "sbin", 0755, 0 }, { "usr", 0755, 0 },
		{ "usr/bin", 0755, 0 }, { "usr/sbin", 0755, 0 }, { "etc", 0755, 0 },
		{ "etc/ssl", 0755, 0 }, { "etc/ssl/certs", 0755, 0 }, { "root", 0700, 0 },
		{ "home", 0755, 0 }, { "home/app", 0755, APP_UID }, { "tmp", 01777, 0 },
		{ "var", 0755, 0 }, { "var/tmp", 01777, 0 }, { "proc", 0555, 0 },
		{ "sys", 0555, 0 }, { "dev", 0755, 0 },
	};
	autofree char *os_release = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (add_dir(b, dirs[i].path, dirs[i].mode, dirs[i].owner) < 0)
			return -1;
	if (add_host_file(b, "bin/busybox", busybox, 0755) < 0)
		return -1;
	for (size_t i = 0; i < applets->n; i++) {
		const char *a = applets->v[i];

		if (!applet_path_ok(a))
			continue;
		if (add_symlink(b, a, "/bin/busybox") < 0)
			return -1;
	}
	os_release = xasprintf("NAME=\"berth busybox\"\nID=busybox\nPRETTY_NAME=\"berth busybox stack\"\n");
	if (add_file(b, "etc/passwd", passwd, strlen(passwd), 0644) < 0 ||
	    add_file(b, "etc/group", group, strlen(group), 0644) < 0 ||
	    add_file(b, "etc/hosts", "", 0, 0644) < 0 ||
	    add_file(b, "etc/hostname", "", 0, 0644) < 0 ||
	    add_file(b, "etc/resolv.conf", "", 0, 0644) < 0 ||
	    add_file(b, "etc/os-release", os_release, strlen(os_release), 0644) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(ca_bundles); i++)
		if (access(ca_bundles[i], R_OK) == 0) {
			if (add_host_file(b, "etc/ssl/certs/ca-certificates.crt", ca_bundles[i], 0644) < 0)
				return -1;
			break;
		}
	return stamp_dirs(b);
}

static char *busybox_version(const char *busybox)
{
	char *const argv[] = { (char *)busybox, "--help", NULL };
	struct strv lines = { 0 };
	struct berr ignored = { 0 };
	char *v = NULL;

	/* "BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) multi-call binary." */
	spawn_capture(argv, SPAWN_STDERR, &lines, &ignored);
	for (size_t i = 0; i < lines.n && !v; i++)
		if (str_has_prefix(lines.v[i], "BusyBox v")) {
			const char *s = lines.v[i] + 9;

			v = xstrndup(s, strcspn(s, " "));
		}
	strv_free(&lines);
	return v ? v : xstrdup("(unknown version)");
}

int stack_create_busybox(const char *name, const struct images_progress *progress,
			 struct berr *err)
{
	struct stack_record rec = { 0 };
	struct builder b = { .err = err };
	struct layer_tmp t = { .rootfd = -1 };
	struct strv applets = { 0 };
	autofree char *version = NULL;
	autofree char *origin = NULL;
	const char *busybox;
	char id[LAYER_ID_HEX + 1];
	bool created = false;
	struct images_lease *lease = NULL;
	struct stat st;
	int r = -1;

	if (stack_name_available(name, err) < 0)
		return -1;
	busybox = find_busybox(err);
	if (!busybox || check_static(busybox, err) < 0)
		return -1;
	if (stat(busybox, &st) < 0)
		return berr_sys(err, "stat %s", busybox);
	{
		char *const argv[] = { (char *)busybox, "--list-full", NULL };

		if (spawn_capture(argv, 0, &applets, err) < 0)
			return berr_prefix(err, "list busybox applets");
	}
	version = busybox_version(busybox);
	progress_say(progress, "BusyBox %s from %s, %zu applets", version, busybox,
		     applets.n);
	b.times[0] = b.times[1] = st.st_mtim;
	b.times[0].tv_nsec = b.times[1].tv_nsec = 0;
	if (layer_tmp_create(&t, err) < 0)
		goto out;
	b.rootfd = t.rootfd;
	if (build_rootfs(&b, busybox, &applets) < 0)
		goto out;
	origin = xasprintf("stacks:create busybox (BusyBox %s from %s)", version, busybox);
	if (images_lease_begin(&lease, err) < 0 ||
	    layer_tmp_finish(&t, NULL, NULL, 0, origin, lease, id, &created, err) < 0)
		goto out;
	rec.name = (char *)name;
	strv_push(&rec.layers, id);
	strv_setenv(&rec.config.env, "PATH", STACK_DEFAULT_PATH);
	rec.created = now_rfc3339();
	rec.origin = origin;
	if (stack_save(&rec, err) < 0) {
		if (created)
			layer_rollback(lease, id);
		goto out;
	}
	progress_say(progress, "layer %.12s (%s)", id, created ? "new" : "already stored");
	r = 0;
out:
	images_lease_end(lease);
	layer_tmp_discard(&t);
	strv_free(&applets);
	strv_free(&b.dirs);
	strv_free(&rec.layers);
	strv_free(&rec.config.env);
	free(rec.created);
	return r;
}
