/* init.c - `berth init`: prepare this host for berth, idempotently.
 *
 * In order: $BERTH_ROOT and $BERTH_RUN; the berth system user (home BERTH_ROOT,
 * shell /bin/sh, so that sshd's forced command runs) with .ssh/authorized_keys
 * owned by it; a sudoers rule that lets that user run `berth ssh:serve` as root
 * (ssh:serve hands itself to sudo when it starts as the user); the network
 * settings given in the environment written to $BERTH_ROOT/berth.conf (so that
 * the daemon and ssh logins find them); the bridge and nftables table; the
 * busybox stack; the daemon (systemd's berth.service where systemd runs and the
 * unit is installed, else `berth daemon --background`), which starts the router.
 * Each step that finds its work done says so and changes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "common/ui.h"
#include "net/net.h"
#include "platform/daemon.h"

char *cmd_self_path(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return NULL;
	self[n] = '\0';
	if (str_has_suffix(self, "-full")) {
		autofree char *lean = xstrndup(self, (size_t)n - 5);

		if (access(lean, X_OK) == 0)
			return xstrdup(lean);
	}
	return xstrdup(self);
}

static bool user_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Run argv (argv[0] a path or a name on PATH); its output to the file out
 * (appended) when given: a daemon must not hold our stdout open. */
static int run(char *const argv[], const char *out)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int ensure_user(const char *user, struct passwd *out, struct berr *err)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		char *argv[] = { "useradd", "--system", "--home-dir", (char *)berth_root(),
				 "--no-create-home", "--shell", "/bin/sh", "--comment", "berth",
				 /* no password, yet not locked: sshd refuses locked accounts */
				 "--password", "*",
				 (char *)user, NULL };

		if (run(argv, NULL) != 0)
			return berr_fail(err, "useradd %s failed", user);
		pw = getpwnam(user);
		if (!pw)
			return berr_fail(err, "user %s: not found after useradd", user);
		ui_step("Created user %s (home %s)", user, berth_root());
	} else {
		ui_step("User %s exists (uid %u)", user, (unsigned)pw->pw_uid);
	}
	if (!getenv("BERTH_AUTHORIZED_KEYS") && strcmp(pw->pw_dir, berth_root()))
		return berr_fail(err, "user %s's home is %s, not BERTH_ROOT %s: sshd would not find its keys",
				 user, pw->pw_dir, berth_root());
	*out = *pw;
	return 0;
}

static int ensure_keys(const struct passwd *pw, struct berr *err)
{
	const char *env = getenv("BERTH_AUTHORIZED_KEYS");
	autofree char *keys = env && *env ? xstrdup(env) : xasprintf("%s/.ssh/authorized_keys", berth_root());
	autofree char *dir = xstrdup(keys);
	autoclose int fd = -1;

	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	if (chown(dir, pw->pw_uid, pw->pw_gid) < 0 || chmod(dir, 0700) < 0)
		return berr_sys(err, "set the owner of %s", dir);
	fd = open(keys, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchown(fd, pw->pw_uid, pw->pw_gid) < 0 || fchmod(fd, 0600) < 0)
		return berr_sys(err, "prepare %s", keys);
	ui_step("Keys in %s (owner %s, mode 0600)", keys, pw->pw_name);
	return 0;
}

/* The user may run `berth ssh:serve` as root, keeping the variables that
 * say which berth and which command. */
static int ensure_sudoers(const char *user, struct berr *err)
{
	autofree char *self = cmd_self_path();
	autofree char *path = NULL;
	autofree char *text = NULL;

	if (access("/etc/sudoers.d", F_OK) < 0 && access("/usr/bin/sudo", X_OK) < 0) {
		ui_warn("sudo is not installed: ssh logins as %s cannot run berth (apt-get install sudo)", user);
		return 0;
	}
	if (!self)
		return berr_sys(err, "find berth's own executable");
	path = xasprintf("/etc/sudoers.d/berth-%s", user);
	text = xasprintf("# written by berth init: the forced command of berth's ssh keys runs as root\n"
			 "Defaults:%s env_keep += \"SSH_ORIGINAL_COMMAND BERTH_ROOT BERTH_RUN BERTH_CGROUP "
			 "BERTH_AUTHORIZED_KEYS\"\n"
			 "%s ALL=(root) NOPASSWD: %s ssh\\:serve *\n",
			 user, user, self);
	if (mkdir_p("/etc/sudoers.d", 0755, err) < 0 ||
	    write_file_atomic(path, text, strlen(text), 0440, err) < 0)
		return -1;
	ui_step("sudo rule %s: %s may run %s ssh:serve as root", path, user, self);
	return 0;
}

/* BERTH_BRIDGE, BERTH_SUBNET, BERTH_HTTP_ADDR from the environment into
 * berth.conf, when there is none yet. */
static int ensure_conf(struct berr *err)
{
	static const char *const keys[] = { "BERTH_BRIDGE", "BERTH_SUBNET", "BERTH_HTTP_ADDR" };
	autofree char *path = xasprintf("%s/berth.conf", berth_root());
	autofree char *text = xstrdup("");

	if (access(path, F_OK) == 0) {
		ui_step("Settings in %s kept", path);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = getenv(keys[i]);
		char *next;

		if (!v || !*v)
			continue;
		next = xasprintf("%s%s=%s\n", text, keys[i], v);
		free(text);
		text = next;
	}
	if (!*text)
		return 0;
	if (write_file_atomic(path, text, strlen(text), 0644, err) < 0)
		return -1;
	ui_step("Settings written to %s", path);
	return 0;
}

static bool systemd_unit_installed(void)
{
	static const char *const dirs[] = { "/etc/systemd/system", "/usr/local/lib/systemd/system",
					    "/lib/systemd/system", "/usr/lib/systemd/system" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		autofree char *p = xasprintf("%s/berth.service", dirs[i]);

		if (access(p, F_OK) == 0)
			return true;
	}
	return false;
}

static int ensure_daemon(bool background, struct berr *err)
{
	autofree char *self = cmd_self_path();

	if (daemon_running()) {
		ui_step("The daemon runs");
		return 0;
	}
	/* The unit knows only the default roots. */
	if (!background && access("/run/systemd/system", F_OK) == 0 && systemd_unit_installed() &&
	    !getenv("BERTH_ROOT") && !getenv("BERTH_RUN") && !getenv("BERTH_CGROUP")) {
		char *argv[] = { "systemctl", "enable", "--now", "berth", NULL };

		if (run(argv, NULL) != 0)
			return berr_fail(err, "systemctl enable --now berth failed");
		ui_step("Started berth.service (systemctl enable --now berth)");
		return 0;
	}
	char *argv[] = { self, "daemon", "--background", NULL };
	autofree char *logs = xasprintf("%s/logs", berth_root());
	autofree char *log = xasprintf("%s/daemon.log", logs);

	if (mkdir_p(logs, 0755, err) < 0)
		return -1;
	if (!self || run(argv, log) != 0)
		return berr_fail(err, "berth daemon --background failed (see %s)", log);
	ui_step("Started the daemon in the background (pid file %s/daemon/daemon.pid)", berth_run());
	return 0;
}

static int ensure_stack(struct berr *err)
{
	autofree char *self = cmd_self_path();
	char *report[] = { self, "stacks:report", "busybox", NULL };
	char *create[] = { self, "stacks:create", "busybox", NULL };

	if (!self)
		return berr_sys(err, "find berth's own executable");
	if (run(report, "/dev/null") == 0) {
		ui_step("Stack busybox exists");
		return 0;
	}
	if (run(create, NULL) != 0)
		return berr_fail(err, "stacks:create busybox failed");
	return 0;
}

int cmd_init(int argc, char **argv)
{
	const char *user = getenv("BERTH_USER");
	bool background = false, no_daemon = false;
	struct passwd pw = { 0 };
	struct net_config cfg;
	struct berr err;
	char host[256];

	if (!user || !*user)
		user = "berth";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--user") && i + 1 < argc)
			user = argv[++i];
		else if (!strcmp(argv[i], "--background"))
			background = true;
		else if (!strcmp(argv[i], "--no-daemon"))
			no_daemon = true;
		else
			return cmd_fail("Usage: berth init [--user NAME] [--background] [--no-daemon]");
	}
	if (!user_name_ok(user))
		return cmd_fail("invalid user name %s", user);
	if (geteuid() != 0)
		return cmd_fail("berth init must run as root");

	ui_header("Preparing this host for berth (%s)", berth_root());
	if (mkdir_p(berth_root(), 0755, &err) < 0 || mkdir_p(berth_run(), 0755, &err) < 0 ||
	    ensure_user(user, &pw, &err) < 0 || ensure_keys(&pw, &err) < 0 ||
	    ensure_sudoers(user, &err) < 0 || ensure_conf(&err) < 0)
		return cmd_fail("init: %s", err.msg);
	if (net_config_load(&cfg, &err) < 0 || net_host_setup(&cfg, &err) < 0)
		return cmd_fail("init: %s", err.msg);
	ui_step("Bridge %s and nftables table %s set up", cfg.bridge, cfg.table);
	if (ensure_stack(&err) < 0)
		return cmd_fail("init: %s", err.msg);
	if (!no_daemon && ensure_daemon(background, &err) < 0)
		return cmd_fail("init: %s", err.msg);
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "HOST");
	host[sizeof(host) - 1] = '\0';
	ui_header("Ready. Add a key, then push an app:");
	printf("       berth ssh-keys:add NAME < ~/.ssh/id_ed25519.pub\n");
	printf("       git remote add berth %s@%s:APP\n", user, host);
	return 0;
}
