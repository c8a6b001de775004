/* router_feed.c - the router's table from the daemon's running web processes
 * (routes_write() adds each app's vhosts and http port, writes
 * $BERTH_RUN/router/table.json and signals the router), and starting the router
 * when none runs. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "platform/daemon_internal.h"
#include "platform/platform.h"

/* The running router's supervisor, or 0. */
static pid_t router_pid(void)
{
	autofree char *pidfile = xasprintf("%s/router/router.pid", berth_run());
	autofree char *text = NULL;
	size_t len;
	uint64_t pid;
	struct berr err;

	if (read_file(pidfile, &text, &len, &err) < 0)
		return 0;
	text[strcspn(text, "\n")] = 0;
	if (parse_uint(text, 1u << 22, &pid, &err) < 0 || pid <= 1 || kill((pid_t)pid, 0) < 0)
		return 0;
	return (pid_t)pid;
}

void router_ensure(struct daemon *d)
{
	const char *want = getenv("BERTH_ROUTER");
	autofree char *log = xasprintf("%s/logs/router.log", berth_root());
	autofree char *logdir = xasprintf("%s/logs", berth_root());
	struct berr err = { 0 };
	pid_t pid;

	if ((want && !strcmp(want, "off")) || router_pid())
		return;
	if (mkdir_p(logdir, 0700, &err) < 0) {
		sink_warn(d->sink, "router: %s", err.msg);
		return;
	}
	/* Twice forked and in its own session: not the daemon's child, not in its
	 * process group, so it outlives the daemon (and systemd's KillMode=process). */
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		sigset_t none;
		int fd;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		if (fork() != 0)
			_exit(0);
		fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 0);
		execl("/proc/self/exe", "berth", "router", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	sink_step(d->sink, "started the router (log: %s)", log);
}

void router_feed(struct daemon *d)
{
	struct route_backend *v = NULL;
	struct route_backends b = { 0 };
	struct berr err = { 0 };
	size_t n = 0;

	d->table_dirty = false;
	for (struct slot *s = d->slots; s; s = s->next)
		/* Only processes that passed their startup checks: a deploy's
		 * candidates until the switch, a new or restarted one until then. */
		if (!strcmp(s->rec.type, "web") && s->has_c && !s->stopping && s->ready && !s->ro &&
		    !s->retiring && s->rec.addr) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = (struct route_backend){ s->rec.app, s->rec.addr, s->c.pid };
		}
	b.v = v;
	b.n = n;
	/* Every app's vhosts (domains:*) and http port (ports:*), these backends. */
	if (routes_write(&b, &err) < 0)
		sink_warn(d->sink, "router table: %s", err.msg);
	free(v);
}
