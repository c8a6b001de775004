/* rtctl.c - drives runtime/'s handle API from the outside, as a daemon would, so
 * that tests can prove what one process can do with containers another made.
 *
 *   rtctl three LAYER OUTDIR   start three containers at once from a threaded
 *                              process that ignores SIGCHLD and blocks SIGTERM (as
 *                              a daemon may); collect the two that exit (3 and 4)
 *                              in one poll loop; leave the third running and exit;
 *                              prints "exited ID STATUS" twice, "caller unchanged"
 *                              when its own process state is as before, and
 *                              "running ID"
 *   rtctl start LAYER OUT -- CMD...
 *                              start one container (stdout and stderr to OUT) that
 *                              outlives this process; prints its id
 *   rtctl list                 the containers with state, one id a line
 *   rtctl kill ID SIG          signal a container found again by id
 *   rtctl wait ID              find it again, wait for it, destroy it; print its
 *                              status
 *   rtctl destroy ID           find it again and destroy it, running or not
 * Built by the Makefile (bin/tests/rtctl) and linked with berth's objects. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/runtime.h"

static int fail(const char *what, const struct berr *err)
{
	fprintf(stderr, "rtctl: %s: %s\n", what, err->msg);
	return 1;
}

/* A detached container running argv on layer; its stdout and stderr go to out. */
static int start(const char *layer, const char *out, char **argv, int argc,
		 struct runtime_container *c, struct berr *err)
{
	struct runtime_spec spec;
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r;

	runtime_spec_init(&spec);
	strv_push(&spec.layers, layer);
	for (int i = 0; i < argc; i++)
		strv_push(&spec.argv, argv[i]);
	strv_setenv(&spec.env, "PATH", "/bin:/sbin");
	spec.name = "rt";
	spec.stdio[0] = in;
	spec.stdio[1] = spec.stdio[2] = fd;
	r = in < 0 || fd < 0 ? berr_sys(err, "open %s", out) : runtime_create(&spec, c, err);
	runtime_spec_release(&spec);
	if (in >= 0)
		close(in);
	if (fd >= 0)
		close(fd);
	return r;
}

/* What runtime_create must leave alone in its caller. */
struct caller_state {
	struct stat mntns;
	sigset_t mask;
	struct sigaction chld;
	char cwd[4096];
	mode_t umask;
};

static void caller_state(struct caller_state *s)
{
	memset(s, 0, sizeof(*s));
	stat("/proc/self/ns/mnt", &s->mntns);
	pthread_sigmask(SIG_SETMASK, NULL, &s->mask);
	sigaction(SIGCHLD, NULL, &s->chld);
	if (!getcwd(s->cwd, sizeof(s->cwd)))
		s->cwd[0] = '\0';
	s->umask = umask(077);
	umask(s->umask);
}

static bool caller_unchanged(const struct caller_state *a, const struct caller_state *b)
{
	for (int sig = 1; sig < 65; sig++)
		if (sigismember(&a->mask, sig) != sigismember(&b->mask, sig))
			return false;
	return a->mntns.st_ino == b->mntns.st_ino && a->chld.sa_handler == b->chld.sa_handler &&
	       !strcmp(a->cwd, b->cwd) && a->umask == b->umask;
}

/* A second thread, as a daemon has: unshare(CLONE_NEWNS) would now fail. */
static void *idle_thread(void *arg)
{
	char c;

	return (void *)(long)read(*(int *)arg, &c, 1);
}

static int cmd_three(const char *layer, const char *outdir)
{
	struct caller_state before, after;
	sigset_t term;
	pthread_t thread;
	int stop[2];
	char *cmds[3][3] = {
		{ "/bin/sh", "-c", "echo one; exit 3" },
		{ "/bin/sh", "-c", "echo two; exit 4" },
		{ "/bin/sh", "-c", "trap 'echo term; exit 42' TERM; echo three; sleep 1000 & wait $!" },
	};
	struct runtime_container c[3];
	struct berr err = { 0 };
	int left = 2;

	signal(SIGCHLD, SIG_IGN);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	umask(027);
	if (pipe(stop) < 0 || pthread_create(&thread, NULL, idle_thread, &stop[0]) != 0)
		return 1;
	caller_state(&before);
	for (int i = 0; i < 3; i++) {
		char out[4096];

		snprintf(out, sizeof(out), "%s/%d.out", outdir, i + 1);
		if (start(layer, out, cmds[i], 3, &c[i], &err) < 0) {
			while (i-- > 0)
				runtime_destroy(&c[i], &err);
			return fail("create", &err);
		}
	}
	/* An event loop over the pidfds: the first two end by themselves. */
	while (left > 0) {
		struct pollfd p[2] = { { .fd = c[0].pidfd, .events = POLLIN },
				       { .fd = c[1].pidfd, .events = POLLIN } };

		if (poll(p, 2, 10000) <= 0) {
			fprintf(stderr, "rtctl: containers did not exit within 10 s\n");
			return 1;
		}
		for (int i = 0; i < 2; i++) {
			int status;

			if (c[i].pidfd < 0 || !(p[i].revents & POLLIN))
				continue;
			if (runtime_reap(&c[i], &status, &err) != 1)
				return fail("reap", &err);
			printf("exited %s %d\n", c[i].id, status);
			if (runtime_destroy(&c[i], &err) < 0)
				return fail("destroy", &err);
			left--;
		}
	}
	caller_state(&after);
	if (caller_unchanged(&before, &after))
		printf("caller unchanged\n");
	close(stop[1]);
	pthread_join(thread, NULL);
	close(stop[0]);
	printf("running %s\n", c[2].id);
	runtime_release(&c[2]);
	return 0;
}

static int cmd_list(void)
{
	struct strv ids = { 0 };
	struct berr err = { 0 };

	if (runtime_list(&ids, &err) < 0)
		return fail("list", &err);
	for (size_t i = 0; i < ids.n; i++)
		printf("%s\n", ids.v[i]);
	strv_free(&ids);
	return 0;
}

static int cmd_kill(const char *id, int sig)
{
	struct runtime_container c;
	struct berr err = { 0 };
	int r;

	if (runtime_open(id, &c, &err) < 0)
		return fail("open", &err);
	r = runtime_kill(&c, sig, &err);
	runtime_release(&c);
	return r < 0 ? fail("kill", &err) : 0;
}

static int cmd_wait(const char *id)
{
	struct runtime_container c;
	struct berr err = { 0 };
	int status;

	if (runtime_open(id, &c, &err) < 0)
		return fail("open", &err);
	if (c.is_child) {
		fprintf(stderr, "rtctl: an adopted container is nobody's child here\n");
		return 1;
	}
	if (runtime_wait(&c, &status, &err) < 0) {
		runtime_release(&c);
		return fail("wait", &err);
	}
	if (runtime_destroy(&c, &err) < 0)
		return fail("destroy", &err);
	printf("%d\n", status);
	return 0;
}

static int cmd_destroy(const char *id)
{
	struct runtime_container c;
	struct berr err = { 0 };

	if (runtime_open(id, &c, &err) < 0)
		return fail("open", &err);
	return runtime_destroy(&c, &err) < 0 ? fail("destroy", &err) : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "three"))
		return cmd_three(argv[2], argv[3]);
	if (argc >= 6 && !strcmp(argv[1], "start") && !strcmp(argv[4], "--")) {
		struct runtime_container c;
		struct berr err = { 0 };

		if (start(argv[2], argv[3], argv + 5, argc - 5, &c, &err) < 0)
			return fail("create", &err);
		printf("%s\n", c.id);
		runtime_release(&c);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "list"))
		return cmd_list();
	if (argc == 4 && !strcmp(argv[1], "kill"))
		return cmd_kill(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "wait"))
		return cmd_wait(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "destroy"))
		return cmd_destroy(argv[2]);
	fprintf(stderr, "usage: rtctl three LAYER OUTDIR | start LAYER OUT -- CMD... | list | kill ID SIG | wait ID | destroy ID\n");
	return 2;
}
