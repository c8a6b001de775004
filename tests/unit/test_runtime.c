/* Unit tests for runtime/: spec validation, overlay options, stale-name parsing and
 * the compiled seccomp profile (loaded in a child process). */
#include <errno.h>
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
	struct berr ignored;

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
	struct berr err;

	spec_with_layer(&spec);
	CHECK(runtime_spec_validate(&spec, &err) == 0);
	runtime_spec_release(&spec);
}

TEST(spec_validation_rejects_bind_targets_berth_owns_or_cannot_place)
{
	struct berr err;

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
	struct berr err;

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

TEST(name_pid_reads_only_exact_prefix_and_pid)
{
	CHECK(name_pid("run-123", "run-") == 123);
	CHECK(name_pid("upper-4194304", "upper-") == 4194304);
	CHECK(name_pid("run-", "run-") == -1);
	CHECK(name_pid("run-0", "run-") == -1);
	CHECK(name_pid("run-012", "run-") == -1);
	CHECK(name_pid("run-12x", "run-") == -1);
	CHECK(name_pid("run--1", "run-") == -1);
	CHECK(name_pid("run-99999999999999999999", "run-") == -1);
	CHECK(name_pid("app-web-1", "run-") == -1);
	CHECK(name_pid("upper-5", "run-") == -1);
}

/* Load the profile in a child (no_new_privs first, as an unprivileged caller must)
 * and report each call's errno in the exit status bits. */
static int filtered_results(void)
{
	struct sock_fprog prog;
	struct berr err;
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
	struct berr err;
	autofree char *dir = xasprintf("%s/seccomp", scratch());
	struct stat st;

	CHECK(seccomp_profile_get(&a, &err) == 0);
	CHECK(seccomp_profile_get(&b, &err) == 0);
	CHECK(a.filter == b.filter && a.len == b.len && a.len > 0);
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
}
