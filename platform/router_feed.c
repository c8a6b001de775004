/* router_feed.c - the router's table from the daemon's running web processes:
 * APP.<domain> and the app's domains -> its web backends (docs/net.md). Written
 * atomically to $BERTH_RUN/router/table.json, then SIGHUP to the router. */
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

/* The global domain: BERTH_DOMAIN, else the global setting "domain", else the
 * host's name. */
static char *global_domain(void)
{
	const char *env = getenv("BERTH_DOMAIN");
	char *v = NULL;
	char host[256];
	struct berr err;

	if (env && *env)
		return xstrdup(env);
	if (global_setting_get("domain", &v, &err) == 0 && v)
		return v;
	if (gethostname(host, sizeof(host)) < 0)
		return xstrdup("localhost");
	host[sizeof(host) - 1] = 0;
	return xstrdup(host);
}

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

static void signal_router(void)
{
	pid_t pid = router_pid();

	if (pid)
		kill(pid, SIGHUP);
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
	autofree char *dir = xasprintf("%s/router", berth_run());
	autofree char *path = xasprintf("%s/table.json", dir);
	autofree char *domain = global_domain();
	static unsigned long long version;
	json_t *apps = json_object();
	json_t *table;
	char ver[32];
	struct berr err = { 0 };

	d->table_dirty = false;
	for (struct slot *s = d->slots; s; s = s->next) {
		json_t *app;

		if (strcmp(s->rec.type, "web"))
			continue;
		app = json_object_get(apps, s->rec.app);
		if (!app) {
			app = json_pack("{s:[], s:[], s:b}", "domains", "backends", "starting", 0);
			json_object_set_new(apps, s->rec.app, app);
		}
		if (s->has_c && !s->stopping && s->rec.addr)
			json_array_append_new(json_object_get(app, "backends"),
					      json_string(s->rec.addr));
	}
	snprintf(ver, sizeof(ver), "%lld.%llu", (long long)time(NULL), ++version);
	table = json_pack("{s:s, s:s, s:o}", "version", ver, "domain", domain, "apps", apps);
	if (mkdir_p(dir, 0755, &err) < 0 || json_file_save(path, table, &err) < 0)
		sink_warn(d->sink, "router table: %s", err.msg);
	else
		signal_router();
	json_decref(table);
}
