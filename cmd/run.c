/* run.c - run, run:detached and enter: commands in containers of an app. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/tty.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/daemon.h"
#include "platform/platform.h"
#include "runtime/runtime.h"

/* The words after the first, single-quoted for the shell the command runs in. */
static char *append_quoted(const char *command, char **words, int n)
{
	char *s = xstrdup(command);

	for (int i = 0; i < n; i++) {
		size_t len = strlen(s);
		size_t extra = 3;

		for (const char *p = words[i]; *p; p++)
			extra += *p == '\'' ? 4 : 1;
		s = xrealloc(s, len + extra + 1);
		char *o = s + len;
		*o++ = ' ';
		*o++ = '\'';
		for (const char *p = words[i]; *p; p++) {
			if (*p == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else {
				*o++ = *p;
			}
		}
		*o++ = '\'';
		*o = '\0';
	}
	return s;
}

struct run_args {
	struct strv env, user_env, command;
	bool no_tty, force_tty;
	const char *app;
	uint64_t ttl_seconds;
};

static void run_args_free(struct run_args *a)
{
	strv_free(&a->env);
	strv_free(&a->user_env);
	strv_free(&a->command);
}

/* run and run:detached take the same arguments; 0, or the exit status. */
static int run_parse(int argc, char **argv, struct run_args *a)
{
	const char *ttl = NULL;
	const struct opt opts[] = {
		{ "--env", OPT_LIST, &a->user_env },
		{ "-e", OPT_LIST, &a->user_env },
		{ "--no-tty", OPT_BOOL, &a->no_tty },
		{ "--force-tty", OPT_BOOL, &a->force_tty },
		{ "--ttl-seconds", OPT_STR, &ttl },
		{ NULL, 0, NULL },
	};
	struct release cur;
	struct berr err;
	uint64_t seconds;
	const char *proc = NULL;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, ARGS_STOP, pos);

	if (n < 0)
		return 1;
	if (ttl && (parse_uint(ttl, UINT32_MAX, &seconds, &err) < 0 || !seconds))
		return cmd_fail("--ttl-seconds must be a positive integer");
	/* As Dokku: one-off containers run for 24 hours at most unless told. */
	a->ttl_seconds = ttl ? seconds : 86400;
	if (a->no_tty && a->force_tty)
		return cmd_fail("Cannot specify both --force-tty and --no-tty");
	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	a->app = pos[0];
	if (app_require(pos[0], &err) < 0)
		return cmd_fail_app(pos[0], &err);
	if (n < 2 || (n == 2 && !strcmp(pos[1], "--")))
		return cmd_fail("Please specify a command to run");
	int first = strcmp(pos[1], "--") ? 1 : 2;
	/* A first word naming a Procfile process type runs that type's command. */
	if (release_current(pos[0], &cur, &err) == 0) {
		const char *c = proctypes_get(&cur.procs, pos[first]);

		if (c) {
			ui_step_q("Found '%s' in Procfile, running that command", pos[first]);
			strv_push_owned(&a->command, append_quoted(c, pos + first + 1, n - first - 1));
			proc = c;
		}
		release_free(&cur);
	}
	if (!proc)
		for (int i = first; i < n; i++)
			strv_push(&a->command, pos[i]);
	for (size_t i = 0; i < a->user_env.n; i++)
		strv_push(&a->env, a->user_env.v[i]);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct run_opts o = { 0 };
	struct tty_session t;
	struct runtime_container c;
	autofree char *dyno = NULL;
	struct berr err = { 0 };
	int status = run_parse(argc, argv, &a);

	if (status)
		goto out;
	/* A pty when the caller has a terminal (ssh -t), as Dokku's docker run -t;
	 * --force-tty asks for one even when ssh was not given -t (there is then
	 * no terminal to make one from, so it changes nothing). */
	if (tty_open(&t, !a.no_tty, &err) < 0) {
		tty_close(&t);
		status = cmd_fail("%s", err.msg);
		goto out;
	}
	/* DYNO=run.N with N varying from run to run, as Dokku numbers one-off
	 * containers; a user's --env DYNO=... still wins. */
	dyno = xasprintf("run.%d", 1 + (int)((getpid() ^ time(NULL)) % 32767));
	o.dyno = dyno;
	o.tty = t.tty;
	o.term = getenv("TERM");
	for (int i = 0; i < 3; i++)
		o.stdio[i] = t.stdio[i];
	if (app_run_start(a.app, &a.command, &a.env, &o, &c, &err) < 0) {
		tty_close(&t);
		status = cmd_fail_app(a.app, &err);
		goto out;
	}
	tty_started(&t);
	/* --ttl-seconds: the container is killed once it has run that long. */
	if (tty_relay(&t, c.pidfd, a.ttl_seconds * 1000) == 0 && runtime_kill(&c, SIGKILL, &err) < 0)
		cmd_fail("%s", err.msg);
	tty_close(&t);
	if (runtime_wait(&c, &status, &err) < 0)
		status = cmd_fail("%s", err.msg);
	if (runtime_destroy(&c, &err) < 0)
		cmd_fail("%s", err.msg);
out:
	run_args_free(&a);
	return status;
}

int cmd_run_detached(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct run_opts o = { .detached = true };
	struct runtime_container c;
	struct berr err = { 0 };
	int status = run_parse(argc, argv, &a);

	if (status)
		goto out;
	if (app_run_start(a.app, &a.command, &a.env, &o, &c, &err) < 0) {
		status = cmd_fail_app(a.app, &err);
		goto out;
	}
	/* The daemon kills it at its deadline, whoever watches (oneoff.c). */
	if (oneoff_deadline_set(c.id, a.ttl_seconds, &err) < 0)
		ui_warn("%s", err.msg);
	else if (!daemon_running())
		ui_warn("the berth daemon is not running: %s is killed after %llu seconds only once it is",
			c.id, (unsigned long long)a.ttl_seconds);
	/* Dokku prints the container's name: enter and ps find it by that. */
	printf("%s\n", c.id);
	runtime_release(&c);
out:
	run_args_free(&a);
	return status;
}
