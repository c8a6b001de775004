/* Unit tests for runtime/: spec validation, host id slots, container ids, overlay
 * options, cgroup creation errors, descriptor passing, state files and the compiled
 * seccomp profile (loaded in a child process). */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/internal.h"
#include "tests/unit/unit.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static char tmpdir[] = "/tmp/berth-unit.XXXXXX";

static const char *scratch(void)
{
	static int made;

	if (!made) {
		made = mkdtemp(tmpdir) != NULL;
		setenv("BERTH_RUN", tmpdir, 1);
	}
	return tmpdir;
}

__attribute__((destructor)) static void remove_scratch(void)
{
	struct berr ignored = { 0 };

	if (strcmp(tmpdir, "/tmp/berth-unit.XXXXXX"))
		rm_rf(tmpdir, &ignored);
}

/* A spec with one existing layer and `true` as its command. */
static void spec_with_layer(struct runtime_spec *spec)
{
	runtime_spec_init(spec);
	strv_push(&spec->layers, scratch());
	strv_push(&spec->argv, "true");
}

static int validate_bind(const char *dst, struct berr *err)
{
	struct runtime_spec spec;
	struct runtime_bind bind = { .src = (char *)scratch(), .dst = (char *)dst };
	int r;

	spec_with_layer(&spec);
	spec.binds = &bind;
	spec.nbinds = 1;
	r = runtime_spec_validate(&spec, err);
	spec.binds = NULL;
	spec.nbinds = 0;
	runtime_spec_release(&spec);
	return r;
}

TEST(spec_validation_accepts_a_plain_spec)
{
	struct runtime_spec spec;
	struct berr err = { 0 };

	spec_with_layer(&spec);
	CHECK(runtime_spec_validate(&spec, &err) == 0);
	runtime_spec_release(&spec);
}

TEST(spec_validation_rejects_bind_targets_berth_owns_or_cannot_place)
{
	struct berr err = { 0 };

	CHECK(validate_bind("/data", &err) == 0);
	CHECK(validate_bind("/proc/x", &err) < 0 && strstr(err.msg, "inside /proc"));
	CHECK(validate_bind("/dev", &err) < 0 && strstr(err.msg, "inside /dev"));
	CHECK(validate_bind("/sys/fs", &err) < 0 && strstr(err.msg, "inside /sys"));
	CHECK(validate_bind("/", &err) < 0 && strstr(err.msg, "hide the container's root"));
	CHECK(validate_bind("//", &err) < 0 && strstr(err.msg, "hide the container's root"));
	CHECK(validate_bind("rel", &err) < 0 && strstr(err.msg, "absolute path"));
	CHECK(validate_bind("/a/../etc", &err) < 0 && strstr(err.msg, "without '..'"));
	CHECK(validate_bind("/a/..", &err) < 0);
	/* Names that only start like a reserved path are fine. */
	CHECK(validate_bind("/procfs", &err) == 0);
	CHECK(validate_bind("/device", &err) == 0);
}

TEST(spec_validation_checks_layers_user_workdir_and_keep_upper)
{
	struct runtime_spec spec;
	struct berr err = { 0 };

	spec_with_layer(&spec);
	strv_push(&spec.layers, "/no/such/layer");
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "'/no/such/layer'"));
	runtime_spec_release(&spec);

	spec_with_layer(&spec);
	spec.uid = RUNTIME_ID_RANGE;
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "outside the container's id range"));
	spec.uid = 0;
	spec.workdir = "relative";
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "absolute path"));
	spec.workdir = "/";
	spec.keep_upper = scratch();
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "already exists"));
	spec.keep_upper = "/no/such/dir/upper";
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "/no/such/dir does not exist"));
	runtime_spec_release(&spec);

	spec_with_layer(&spec);
	strv_free(&spec.argv);
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "no command"));
	runtime_spec_release(&spec);
}

TEST(overlay_options_list_the_top_layer_first)
{
	char *o = overlay_options(3, false);

	CHECK_STR(o, "userxattr,lowerdir=l2:l1:l0,upperdir=upper,workdir=work");
	free(o);
	o = overlay_options(1, true);
	CHECK_STR(o, "userxattr,lowerdir=l0,upperdir=disk/upper,workdir=disk/work");
	free(o);
	o = overlay_options(12, false);
	CHECK(strstr(o, "lowerdir=l11:l10:l9:") != NULL);
	free(o);
}

TEST(host_id_slots_never_wrap_into_low_host_ids)
{
	uid_t last = runtime_id_slot_base(RUNTIME_ID_SLOTS - 1);
	struct runtime_spec spec;
	struct berr err = { 0 };

	CHECK(runtime_id_slot_base(0) == RUNTIME_ID_BASE);
	CHECK(runtime_id_slot_base(1) == RUNTIME_ID_BASE + RUNTIME_ID_RANGE);
	/* The last slot's range ends below the invalid id (uid_t)-1... */
	CHECK(last != (uid_t)-1 && (uint64_t)last + RUNTIME_ID_RANGE - 1 < UINT32_MAX);
	/* ...and the next would not fit: 32-bit math would wrap it to a low id. */
	CHECK((uint64_t)RUNTIME_ID_BASE + (uint64_t)RUNTIME_ID_SLOTS * RUNTIME_ID_RANGE +
	      RUNTIME_ID_RANGE - 1 >= UINT32_MAX);
	CHECK(runtime_id_slot_base(RUNTIME_ID_SLOTS) == (uid_t)-1);
	CHECK(runtime_id_slot_base(60000) == (uid_t)-1);
	CHECK(runtime_id_slot_base(~0u) == (uid_t)-1);

	spec_with_layer(&spec);
	spec.host_id_base = last;
	CHECK(runtime_spec_validate(&spec, &err) == 0);
	spec.host_id_base = runtime_id_slot_base(RUNTIME_ID_SLOTS);
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "outside berth's ranges"));
	memset(&err, 0, sizeof(err));
	spec.host_id_base = 1000;  /* a low host range: real users' ids */
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "outside berth's ranges"));
	runtime_spec_release(&spec);
}

TEST(container_ids_are_checked_and_generated_from_the_name)
{
	char id[RUNTIME_ID_MAX + 1], other[RUNTIME_ID_MAX + 1];
	struct runtime_spec spec;
	struct berr err = { 0 };

	CHECK(runtime_id_valid("web.1"));
	CHECK(runtime_id_valid("run-myapp-0a1b2c3d4e5f"));
	CHECK(!runtime_id_valid(""));
	CHECK(!runtime_id_valid(".."));
	CHECK(!runtime_id_valid("a/b"));
	CHECK(!runtime_id_valid("-x"));
	runtime_id_generate("build-app", id, sizeof(id));
	runtime_id_generate("build-app", other, sizeof(other));
	CHECK(str_has_prefix(id, "build-app-") && strlen(id) == strlen("build-app-") + 12);
	CHECK(runtime_id_valid(id) && strcmp(id, other) != 0);
	runtime_id_generate(NULL, id, sizeof(id));
	CHECK(str_has_prefix(id, "c-"));

	spec_with_layer(&spec);
	spec.id = "../../etc";
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "container id '../../etc'"));
	spec.id = NULL;
	spec.name = "a/b";
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "container name"));
	runtime_spec_release(&spec);
}

TEST(spec_validation_names_a_closed_stdio_descriptor)
{
	struct runtime_spec spec;
	struct berr err = { 0 };
	int fds[2];

	CHECK(pipe(fds) == 0);
	close(fds[0]);
	close(fds[1]);
	spec_with_layer(&spec);
	spec.stdio[1] = fds[1];
	CHECK(runtime_spec_validate(&spec, &err) < 0 && strstr(err.msg, "stdout (descriptor"));
	runtime_spec_release(&spec);
}

/* cgroup_create_at works on any directory; a plain one stands in for cgroupfs. */
TEST(cgroup_creation_failures_fill_the_message_and_never_reuse_a_group)
{
	autofree char *parent = xasprintf("%s/cg", scratch());
	autofree char *gone = xasprintf("%s/gone", scratch());
	autoclose int pfd = -1;
	autoclose int gfd = -1;
	struct cgroup cg;
	struct berr err = { 0 };

	CHECK(mkdir(parent, 0755) == 0);
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(cgroup_create_at(pfd, parent, "c1", &cg, &err) == 0 && cg.fd >= 0);
	CHECK(cg.path && str_has_suffix(cg.path, "/cg/c1"));
	close(cg.fd);
	free(cg.path);
	/* An existing group may belong to a running container: refused, untouched. */
	CHECK(cgroup_create_at(pfd, parent, "c1", &cg, &err) < 0 && strstr(err.msg, "already exists"));
	CHECK(cg.fd == -1 && cg.path == NULL);
	memset(&err, 0, sizeof(err));
	CHECK(cgroup_create_at(pfd, parent, "..", &cg, &err) < 0 && strstr(err.msg, "bad cgroup name"));
	memset(&err, 0, sizeof(err));
	CHECK(cgroup_create_at(pfd, parent, "a/b", &cg, &err) < 0 && err.msg[0]);
	/* A parent that was removed: mkdirat fails, and says so. */
	CHECK(mkdir(gone, 0755) == 0);
	gfd = open(gone, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(rmdir(gone) == 0);
	memset(&err, 0, sizeof(err));
	CHECK(cgroup_create_at(gfd, gone, "c2", &cg, &err) < 0 &&
	      strstr(err.msg, "create cgroup") && strstr(err.msg, "/gone/c2"));
	memset(&err, 0, sizeof(err));
	CHECK(cgroup_open(gone, &cg, &err) < 0 && strstr(err.msg, "open cgroup") && cg.fd == -1);
}

TEST(descriptors_pass_in_batches_with_the_tag_last)
{
	enum { N = FDPASS_MAX + 37 };
	int sv[2], in[N], out[N];
	struct stat a, b;
	bool same = true;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	for (int i = 0; i < N; i++)
		in[i] = open(i % 2 ? "/" : "/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fds_send(sv[0], in, N, 'g') == 0);
	CHECK(fds_recv(sv[1], out, N) == 'g');
	for (int i = 0; i < N; i++) {
		same = same && fstat(in[i], &a) == 0 && fstat(out[i], &b) == 0 &&
		       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
		close(in[i]);
		close(out[i]);
	}
	CHECK(same);
	/* No descriptor at all: just the tag. */
	CHECK(fds_send(sv[0], NULL, 0, 'n') == 0);
	CHECK(fds_recv(sv[1], out, 0) == 'n');
	close(sv[0]);
	CHECK(fds_recv(sv[1], out, 1) == -2);
	close(sv[1]);
}

TEST(state_round_trips_and_the_status_file_is_read_strictly)
{
	struct runtime_state st = { .pid = getpid(), .start_time = pid_start_time(getpid()),
				    .die_with_creator = true };
	struct runtime_state back;
	struct runtime_spec spec;
	struct berr err = { 0 };
	autofree char *dir = xasprintf("%s/containers", scratch());
	autofree char *status = NULL;

	scratch();
	spec_with_layer(&spec);
	snprintf(st.id, sizeof(st.id), "unit-1");
	st.cgroup = xstrdup("/sys/fs/cgroup/berth/unit-1");
	st.keep_upper = xstrdup("/tmp/kept");
	status = state_path(st.id, ".status");
	CHECK(mkdir_p(dir, 0755, &err) == 0);
	CHECK(st.start_time > 0);
	CHECK(state_create(&st, &spec, &err) == 0);
	memset(&err, 0, sizeof(err));
	CHECK(state_create(&st, &spec, &err) < 0 && strstr(err.msg, "unit-1.json"));
	st.started = true;
	CHECK(state_save(&st, &spec, &err) == 0);
	st.started = false;
	CHECK(state_load("unit-1", &back, &err) == 0);
	CHECK(back.pid == st.pid && back.start_time == st.start_time && back.die_with_creator);
	CHECK_STR(back.cgroup, st.cgroup);
	CHECK_STR(back.keep_upper, "/tmp/kept");
	CHECK(back.upper_dir == NULL && back.started);
	state_free(&back);
	state_free(&st);
	memset(&err, 0, sizeof(err));
	CHECK(state_load("unit-2", &back, &err) < 0 && strstr(err.msg, "no container unit-2"));
	memset(&err, 0, sizeof(err));
	CHECK(state_load("../x", &back, &err) < 0 && strstr(err.msg, "not a container id"));
	CHECK(status_read("unit-1") == -1);
	CHECK(write_file_atomic(status, "143\n", 4, 0644, &err) == 0 && status_read("unit-1") == 143);
	CHECK(write_file_atomic(status, "1x\n", 3, 0644, &err) == 0 && status_read("unit-1") == -1);
	CHECK(write_file_atomic(status, "300\n", 4, 0644, &err) == 0 && status_read("unit-1") == -1);
	CHECK(pid_start_time(0) == 0);
	state_remove("unit-1");
	CHECK(!path_exists(status) && status_read("unit-1") == -1);
	runtime_spec_release(&spec);
}

/* seccomp_add_rules once let a later rule's success hide an earlier rule's
 * failure. A context whose default action is clone3's (ENOSYS) makes that rule,
 * and only it, fail: the error must say so. */
TEST(seccomp_rule_failures_are_never_hidden_by_later_rules)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	struct berr err = { 0 };

	CHECK(ctx != NULL);
	CHECK(seccomp_add_rules(ctx, &err) < 0 && strstr(err.msg, "clone3"));
	seccomp_release(ctx);
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	memset(&err, 0, sizeof(err));
	CHECK(seccomp_add_rules(ctx, &err) == 0 && err.msg[0] == '\0');
	seccomp_release(ctx);
}

/* Load the profile in a child (no_new_privs first, as an unprivileged caller must)
 * and report each call's errno in the exit status bits. */
static int filtered_results(void)
{
	struct sock_fprog prog;
	struct berr err = { 0 };
	pid_t pid;
	int status;

	scratch();
	if (seccomp_profile_get(&prog, &err) < 0) {
		fprintf(stderr, "# %s\n", err.msg);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int bits = 0;
		char c = 'x';

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_install(&prog) < 0)
			_exit(255);
		if (syscall(SYS_getpid) > 0)
			bits |= 1;
		if (syscall(SYS_ioctl, -1, TIOCSTI, &c) < 0 && errno == EPERM)
			bits |= 2;
		if (syscall(SYS_ioctl, -1, (unsigned long)TIOCSTI | (1UL << 32), &c) < 0 && errno == EPERM)
			bits |= 4;
		if (syscall(SYS_ioctl, -1, TIOCSTI + 1, &c) < 0 && errno == EBADF)
			bits |= 8;
		if (syscall(SYS_socket, (unsigned long)AF_VSOCK | (1UL << 32), SOCK_STREAM, 0) < 0 &&
		    errno == EPERM)
			bits |= 16;
		if (syscall(SYS_unshare, CLONE_NEWUSER) < 0 && errno == EPERM)
			bits |= 32;
		if (syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS)
			bits |= 64;
		_exit(bits);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(seccomp_profile_denies_what_it_must_and_allows_the_rest)
{
	int bits = filtered_results();

	CHECK(bits >= 0 && bits != 255);
	CHECK(bits & 1);   /* getpid allowed */
	CHECK(bits & 2);   /* ioctl(TIOCSTI) denied */
	CHECK(bits & 4);   /* ... also with high bits set in the request */
	CHECK(bits & 8);   /* other ioctls reach the kernel */
	CHECK(bits & 16);  /* socket(AF_VSOCK | 1 << 32) denied */
	CHECK(bits & 32);  /* unshare denied */
	CHECK(bits & 64);  /* clone3 says "not implemented" so libc falls back to clone */
}

TEST(seccomp_profile_is_cached_after_the_first_compile)
{
	struct sock_fprog a, b;
	struct berr err = { 0 };
	autofree char *dir = xasprintf("%s/seccomp", scratch());
	struct stat st;

	CHECK(seccomp_profile_get(&a, &err) == 0);
	CHECK(seccomp_profile_get(&b, &err) == 0);
	CHECK(a.filter == b.filter && a.len == b.len && a.len > 0);
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
}
