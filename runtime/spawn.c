/* spawn.c - run a container from a process that must stay itself.
 *
 * runtime_run() turns its caller into the container's monitor (private mount
 * namespace, blocked signals). Commands that build or run one-off containers
 * call this instead: a forked child becomes the monitor and dies with us. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/runtime.h"

int runtime_spawn_wait(const struct runtime_spec *spec, int *status, struct berr *err)
{
	int pipefd[2];
	autofree char *msg = NULL;
	struct berr ignored;
	pid_t pid;
	int wstatus;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return berr_sys(err, "pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return berr_sys(err, "fork a container monitor");
	}
	if (pid == 0) {
		struct berr cerr;
		int code = 0;

		close(pipefd[0]);
		/* If whoever waits for us goes away (a push aborted), stop the container. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (runtime_run(spec, &code, &cerr) < 0) {
			ssize_t n = write(pipefd[1], cerr.msg, strlen(cerr.msg));

			(void)n;
			_exit(RUNTIME_EXIT_ERROR);
		}
		_exit(code);
	}
	close(pipefd[1]);
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR) {
			close(pipefd[0]);
			return berr_sys(err, "wait for the container monitor");
		}
	if (read_fd(pipefd[0], &msg, NULL, &ignored) == 0 && msg[0]) {
		close(pipefd[0]);
		return berr_fail(err, "%s", msg);
	}
	close(pipefd[0]);
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	return 0;
}
