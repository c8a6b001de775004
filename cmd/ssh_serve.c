/* ssh_serve.c - the forced command of every berth key (ssh:serve) and the
 * events log it writes.
 *
 * sshd runs `berth ssh:serve [--admin] NAME` for key NAME with the client's
 * command in SSH_ORIGINAL_COMMAND. It is split into words with the shell's
 * quoting rules and run as a berth command or as git's transport; no shell
 * ever sees it, so `;`, `|`, `$(...)` are plain characters of an argument.
 * Keys manage apps; commands that change the host itself or touch its files
 * (stacks, images, ssh-keys, runtime:run, events) need an admin key. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "common/ui.h"
#include "gitd/gitd.h"

/* What a key that is not an admin key may run. */
static const char *const app_commands[] = {
	"help", "version", "apps:", "config:", "ps:", "run", "enter", "logs", "domains:",
	"ports:", "checks:", "resource:", "releases", "git:", "git-receive-pack",
	"git-upload-pack", "buildpacks:add", "buildpacks:set", "buildpacks:remove",
	"buildpacks:clear", "buildpacks:list",
};

/* git:* commands about the host's own access to other git servers (its
 * netrc, known hosts, deploy key; git_auth.c): not one app's. */
static const char *const host_git_commands[] = {
	"git:auth", "git:auth-status", "git:allow-host", "git:generate-deploy-key", "git:public-key",
};

static bool is_app_command(const char *name)
{
	/* domains:add-global and the like change every app's names: the host's. */
	if (str_has_suffix(name, "-global"))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(host_git_commands); i++)
		if (!strcmp(name, host_git_commands[i]))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(app_commands); i++) {
		const char *a = app_commands[i];

		if (str_has_suffix(a, ":") ? str_has_prefix(name, a) : !strcmp(name, a))
			return true;
	}
	return false;
}

static bool is_remote_url(const char *s)
{
	return str_has_prefix(s, "https://") || str_has_prefix(s, "http://");
}

/* Arguments that would reach into the host's files are for admin keys only: a
 * local archive or repository, a buildpack directory. */
static const char *host_path_argument(int argc, char **argv)
{
	if (!strcmp(argv[0], "git:from-archive") && argc > 1 && strcmp(argv[argc - 1], "-") &&
	    !is_remote_url(argv[argc - 1]))
		return argv[argc - 1];
	if (!strcmp(argv[0], "git:sync")) {
		int url = argc > 1 && !strcmp(argv[1], "--build") ? 3 : 2;  /* [--build] APP URL */

		if (url < argc && !is_remote_url(argv[url]))
			return argv[url];
	}
	/* config:import reads FILE on the host: app keys may give only stdin. */
	if (!strcmp(argv[0], "config:import")) {
		int positional = 0;

		for (int i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--format")) {
				i++;
				continue;
			}
			if (str_has_prefix(argv[i], "--"))
				continue;
			if (++positional == 2 && strcmp(argv[i], "-"))
				return argv[i];
		}
	}
	/* A global setting (config, buildpacks, ps:set, logs:set, git:set ... --global,
	 * also as --global=true) reaches every app: the host's, not one app's. Only
	 * reports may read one. */
	for (int i = 1; i < argc; i++)
		if (str_has_prefix(argv[i], "--global") && !str_has_suffix(argv[0], ":report"))
			return argv[i];
	if (str_has_prefix(argv[0], "buildpacks:")) {
		for (int i = 1; i < argc; i++)
			if (argv[i][0] == '/' || argv[i][0] == '.' || argv[i][0] == '~' ||
			    str_has_prefix(argv[i], "file:"))
				return argv[i];
		if (!strcmp(argv[0], "buildpacks:set") || !strcmp(argv[0], "buildpacks:add"))
			for (int i = 1; i < argc; i++)
				if (!strcmp(argv[i], "--global"))
					return argv[i];
	}
	return NULL;
}

/* One JSON line per command in $BERTH_ROOT/events.log; O_APPEND keeps lines
 * of concurrent sessions whole. */
static void record_event(const char *key, int argc, char **argv)
{
	autofree char *path = xasprintf("%s/events.log", berth_root());
	autoclose int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	json_t *cmd = json_array(), *ev;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	char *line;

	if (fd < 0) {
		json_decref(cmd);
		return;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (int i = 0; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	ev = json_pack("{s:s, s:s, s:o}", "time", when, "key", key, "command", cmd);
	line = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	if (line) {
		size_t len = strlen(line);

		line[len] = '\n';
		if (write(fd, line, len + 1) < 0)
			ui_warn("could not record the event in %s", path);
		free(line);
	}
	json_decref(ev);
}

int cmd_ssh_serve(int argc, char **argv)
{
	const char *original = getenv("SSH_ORIGINAL_COMMAND");
	const struct command *c;
	struct strv words = { 0 };
	struct berr err;
	bool admin = false;
	const char *key, *bad;
	int status;

	/* Logged in as the berth user (berth init): berth runs as root through the
	 * sudo rule init wrote, which keeps SSH_ORIGINAL_COMMAND and BERTH_*. */
	if (geteuid() != 0 && argc <= 3) {
		autofree char *self = cmd_self_path();
		char *sudo[] = { "sudo", "-n", "--", self, "ssh:serve", argv[1], argc > 2 ? argv[2] : NULL, NULL };

		if (self && argc > 1) {
			fflush(stdout);
			execvp("sudo", sudo);
			return cmd_fail("ssh:serve runs as root; sudo: %s (run berth init)", strerror(errno));
		}
	}
	if (argc > 1 && !strcmp(argv[1], "--admin")) {
		admin = true;
		argc--;
		argv++;
	}
	if (argc != 2)
		return cmd_fail("Usage: berth ssh:serve [--admin] KEYNAME (run by sshd as a forced command)");
	key = argv[1];
	if (!original || !*original) {
		char *help[] = { "help", NULL };

		printf("berth: this key runs berth commands, e.g. ssh HOST apps:list\n\n");
		return cmd_help(1, help);
	}
	if (gitd_shell_split(original, &words, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (words.n == 0) {
		strv_free(&words);
		return cmd_fail("no command given");
	}
	/* Old git clients send "git receive-pack 'app'". */
	if (!strcmp(words.v[0], "git") && words.n > 1 &&
	    (!strcmp(words.v[1], "receive-pack") || !strcmp(words.v[1], "upload-pack"))) {
		char *joined = xasprintf("git-%s", words.v[1]);

		free(words.v[0]);
		free(words.v[1]);
		words.v[0] = joined;
		memmove(words.v + 1, words.v + 2, (words.n - 1) * sizeof(char *));
		words.n--;
	}
	c = command_find(words.v[0]);
	if (!c || !strcmp(c->name, "ssh:serve")) {
		status = cmd_fail("%s is not a berth command; see 'ssh HOST help'", words.v[0]);
		goto out;
	}
	if (!admin && !is_app_command(c->name)) {
		status = cmd_fail("%s needs an admin key: key %s manages apps only (ssh-keys:add --admin)",
				  c->name, key);
		goto out;
	}
	if (!admin && (bad = host_path_argument((int)words.n, words.v))) {
		status = cmd_fail("%s: '%s' names something on the host; only admin keys may (use - or an https:// URL)",
				  c->name, bad);
		goto out;
	}
	record_event(key, (int)words.n, words.v);
	status = c->fn((int)words.n, words.v);
	fflush(stdout);
out:
	strv_free(&words);
	return status;
}

int cmd_events(int argc, char **argv)
{
	autofree char *path = xasprintf("%s/events.log", berth_root());
	autofree char *text = NULL;
	struct berr err;
	char *save = NULL;

	(void)argv;
	if (argc != 1)
		return cmd_fail("Usage: berth events");
	if (read_file(path, &text, NULL, &err) < 0)
		return 0;  /* nothing recorded yet */
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *ev = json_loads(l, 0, NULL), *cmd;
		size_t i;
		json_t *w;

		if (!ev)
			continue;
		printf("%s [%s]", json_get_str(ev, "time") ? json_get_str(ev, "time") : "?",
		       json_get_str(ev, "key") ? json_get_str(ev, "key") : "?");
		cmd = json_object_get(ev, "command");
		json_array_foreach(cmd, i, w)
			printf(" %s", json_string_value(w) ? json_string_value(w) : "");
		putchar('\n');
		json_decref(ev);
	}
	return 0;
}
