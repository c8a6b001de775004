/* spawn.c - running the host programs images/ relies on (busybox to list its
 * applets, debootstrap to make a Debian root): output read line by line, exit
 * status turned into a message. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "images/internal.h"

static int wait_status(pid_t pid, const char *prog, struct berr *err)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return berr_sys(err, "wait for %s", prog);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return berr_fail(err, "%s could not be run", prog);
	if (WIFEXITED(status))
		return berr_fail(err, "%s failed (exit status %d)", prog, WEXITSTATUS(status));
	return berr_fail(err, "%s was killed by signal %d", prog, WTERMSIG(status));
}

int spawn_lines(char *const argv[], int flags, spawn_line_fn fn, void *arg, struct berr *err)
{
	int fds[2];
	pid_t pid;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return berr_sys(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return berr_sys(err, "fork for %s", argv[0]);
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		/* Mounts the program makes (debootstrap mounts /proc in its target) die
		 * with this private mount namespace, even if it is killed. */
		if ((flags & SPAWN_PRIVATE_MOUNTS) &&
		    (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0))
			_exit(126);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(fds[1], 1) < 0 ||
		    dup2((flags & SPAWN_STDERR) ? fds[1] : 2, 2) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (!f) {
		close(fds[0]);
		kill(pid, SIGKILL);
		wait_status(pid, argv[0], err);
		return berr_sys(err, "read from %s", argv[0]);
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (fn)
			fn(arg, line);
	}
	free(line);
	fclose(f);
	r = wait_status(pid, argv[0], err);
	return r;
}

static void append_line(void *arg, const char *line)
{
	struct strv *sv = arg;

	strv_push(sv, line);
}

int spawn_capture(char *const argv[], int flags, struct strv *lines, struct berr *err)
{
	return spawn_lines(argv, flags, append_line, lines, err);
}
