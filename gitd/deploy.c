/* deploy.c - run the deploy hook while the git client waits.
 *
 * The deploy reports through a sink (progress, warnings, a buildpack's own
 * output) and never prints. It runs in a child process whose sink writes each
 * line, with its Dokku prefix, into a pipe; this process is the only writer of
 * the git stream: each chunk read from the pipe becomes a side-band 2 packet at
 * once (shown by the client as "remote: ..."), or goes to err_fd when the client
 * asked for no side-band, and a keepalive packet goes out when the deploy stays
 * silent, so that ssh and proxies do not drop a long build. A child rather than a
 * thread: the runtime creates containers by cloning the calling thread, which a
 * second thread in the process makes unsafe, and a crashing deploy takes only
 * itself down. The child's exit status is the deploy's outcome. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "gitd/internal.h"

/* The child's sink: one line, prefixed, into the pipe to the receiver. */
static void pipe_line(void *ctx, enum sink_kind kind, const char *text)
{
	int fd = *(int *)ctx;
	autofree char *line = xasprintf("%s%s\n", sink_prefix(kind), text);
	struct berr ignored;

	write_all(fd, line, strlen(line), "the deploy's output", &ignored);
}

struct tree_source {
	git_repository *repo;
	const git_oid *commit;
	const char *branch;     /* of the .git, with keep_git_dir */
	bool keep_git_dir;
};

static int write_tree(void *ctx, struct tree_request *req, struct berr *err)
{
	struct tree_source *t = ctx;
	char *label;

	if (!t->keep_git_dir)
		return gitd_checkout(t->repo, t->commit, req, err);
	/* The whole tree and a .git; the label says so, and no later checkout
	 * diffs from it (it names no plain tree), so a .git never outlives
	 * keep-git-dir in a layer below. */
	req->base = NULL;
	if (gitd_checkout(t->repo, t->commit, req, err) < 0 ||
	    gitd_write_git_dir(t->repo, t->commit, t->branch, req->dir, req->uid, req->gid, err) < 0)
		return -1;
	label = xasprintf("%s with .git", req->label);
	free(req->label);
	req->label = label;
	return 0;
}

static bool keeps_git_dir(const struct gitd_hooks *hooks, const char *app)
{
	return hooks->keep_git_dir && hooks->keep_git_dir(hooks->ctx, app);
}

static void deploy_child(const struct gitd_options *o, int out, git_repository *repo,
			 const char *app, const char *branch, const git_oid *commit)
{
	struct tree_source t = { .repo = repo, .commit = commit, .branch = branch,
				 .keep_git_dir = keeps_git_dir(o->hooks, app) };
	struct sink sink = { .line = pipe_line, .ctx = &out };
	char sha[GIT_OID_HEXSZ + 1];
	struct berr err;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	/* Nothing should print; what would still goes to the pusher, never into
	 * the protocol stream. */
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		_exit(125);
	git_oid_tostr(sha, sizeof(sha), commit);
	if (o->hooks->deploy(o->hooks->ctx, app, sha, write_tree, &t, &sink, &err) < 0) {
		sink_error(&sink, "%s", err.msg);
		_exit(1);
	}
	_exit(0);
}

int gitd_run_deploy(const struct gitd_options *o, struct pkt_writer *w, git_repository *repo,
		    const char *app, const char *branch, const git_oid *commit, struct berr *err)
{
	int p[2], status = 0;
	bool exited = false;
	char buf[8192];
	pid_t pid;
	int timeout = (int)(o->keepalive_seconds ? o->keepalive_seconds : 5) * 1000;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berr_sys(err, "pipe for the deploy's output");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return berr_sys(err, "start the deploy of %s", app);
	}
	if (pid == 0) {
		close(p[0]);
		deploy_child(o, p[1], repo, app, branch, commit);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int n = poll(&pfd, 1, timeout);
		ssize_t got;

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			/* An empty band-1 packet: git's own receive-pack keepalive. */
			if (w->sideband)
				pkt_band(w, 1, "", 0);
			/* Something the deploy started may hold the pipe open after
			 * the deploy itself ended: its end is what counts. */
			if (waitpid(pid, &status, WNOHANG) == pid) {
				exited = true;
				break;
			}
			continue;
		}
		got = read(p[0], buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		/* A client that went away does not stop the deploy: it runs to its
		 * end, and the ref moves only if it succeeded. */
		if (w->sideband) {
			pkt_band(w, 2, buf, (size_t)got);
		} else {
			struct berr ignored;

			write_all(o->err_fd, buf, (size_t)got, "the deploy's output", &ignored);
		}
	}
	close(p[0]);
	while (!exited && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return berr_sys(err, "wait for the deploy of %s", app);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return berr_fail(err, "the deploy of %s was killed by signal %d", app,
				 WTERMSIG(status));
	return berr_fail(err, "the deploy of %s failed", app);
}

int gitd_sync_deploy(const struct gitd_hooks *hooks, const char *app, const char *commit,
		     const char *branch, const struct sink *sink, struct berr *err)
{
	git_repository *repo = NULL;
	git_oid id;
	struct tree_source t = { .commit = &id, .branch = branch,
				 .keep_git_dir = keeps_git_dir(hooks, app) };
	int r;

	if (git_oid_fromstr(&id, commit) < 0)
		return berr_fail(err, "'%s' is not a commit id", commit);
	if (gitd_repo_open(hooks, app, &repo, err) < 0)
		return -1;
	if (!repo)
		return berr_fail(err, "App %s has no repository", app);
	t.repo = repo;
	r = hooks->deploy(hooks->ctx, app, commit, write_tree, &t, sink, err);
	git_repository_free(repo);
	return r;
}
