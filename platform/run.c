/* run.c - one-off containers of an app's active release (`berth run`), and the
 * environment every app process gets. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "images/images.h"
#include "platform/daemon.h"
#include "platform/internal.h"
#include "runtime/runtime.h"

/* Heroku's order at process start: .profile.d scripts, then .profile, then the
 * command; the command itself gets the same shell so $VARS in it expand. */
static const char profile_wrapper[] =
	"for f in /app/.profile.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; done; "
	"[ -r /app/.profile ] && . /app/.profile; "
	"if [ $# -eq 1 ]; then exec /bin/sh -c \"$1\"; fi; exec \"$@\"";

void process_argv(struct strv *argv, const struct strv *command)
{
	strv_push(argv, "/bin/sh");
	strv_push(argv, "-c");
	strv_push(argv, profile_wrapper);
	strv_push(argv, "berth");
	for (size_t i = 0; i < command->n; i++)
		strv_push(argv, command->v[i]);
}

int app_process_env(const struct app *app, const struct release *rel, struct strv *env,
		    struct berr *err)
{
	struct stack_config sc = { 0 };
	struct strv config = { 0 };

	if (stack_config_load(rel->stack, &sc, err) < 0)
		return -1;
	stack_env_apply(&sc, env, "/app", NULL);
	stack_config_release(&sc);
	strv_setenv(env, "STACK", rel->stack);
	/* The global vars as they are now, the release's own over them: an app's
	 * vars change only with a release (config:set, a deploy, a rollback); a
	 * global var reaches a process when it next starts. */
	if (config_load(NULL, &config, err) < 0)
		return berr_prefix(err, "App %s", app->name);
	for (size_t i = 0; i < rel->app_config.n; i++) {
		const char *eq = strchr(rel->app_config.v[i], '=');
		autofree char *key = xstrndup(rel->app_config.v[i], eq - rel->app_config.v[i]);

		strv_setenv(&config, key, eq + 1);
	}
	for (size_t i = 0; i < config.n; i++) {
		const char *eq = strchr(config.v[i], '=');
		autofree char *key = xstrndup(config.v[i], eq - config.v[i]);

		strv_setenv(env, key, eq + 1);
	}
	strv_free(&config);
	return 0;
}

/* The process type of a dyno name: "web" of "web.1". */
static char *dyno_type(const char *dyno)
{
	const char *dot = strrchr(dyno, '.');

	return dot ? xstrndup(dyno, dot - dyno) : xstrdup(dyno);
}

/* app_process_env() and Heroku's per-dyno variables: the port to listen on (the
 * app's PORT config wins), the dyno's name, the source revision
 * (GIT_REV, or the app's git:set rev-env-var). */
static int dyno_env(const struct app *app, const struct release *rel, const char *dyno,
		    struct strv *env, struct berr *err)
{
	if (app_process_env(app, rel, env, err) < 0)
		return -1;
	if (!strv_getenv(env, "PORT"))
		strv_setenv(env, "PORT", "5000");
	strv_setenv(env, "DYNO", dyno);
	/* GIT_REV, or the name git:set APP rev-env-var gives it (none: off). */
	if (rel->source_version) {
		autofree char *rev = git_rev_env_var(app->name);

		if (rev && !strv_getenv(env, rev))
			strv_setenv(env, rev, rel->source_version);
	}
	return 0;
}

int release_spec(const struct app *app, const struct release *rel, const char *dyno,
		 struct runtime_spec *spec, struct berr *err)
{
	autofree char *type = dyno_type(dyno);

	spec->host_id_base = app_host_id_base(&app->settings);
	if (resource_apply(&app->settings, type, spec, err) < 0)
		return -1;
	if (storage_apply(&app->settings, spec, err) < 0)
		return berr_prefix(err, "App %s", app->name);
	for (size_t i = 0; i < rel->layers.n; i++) {
		if (!layer_exists(rel->layers.v[i]))
			return berr_fail(err, "App %s release v%u: layer %.12s is missing from the store",
					 app->name, rel->version, rel->layers.v[i]);
		strv_push_owned(&spec->layers, layer_path(rel->layers.v[i]));
	}
	if (dyno_env(app, rel, dyno, &spec->env, err) < 0)
		return -1;
	spec->workdir = "/app";
	spec->uid = spec->gid = BUILD_UID;
	return 0;
}

/* The next free <app>.run.N among the containers there are. */
static unsigned next_run_number(const char *app)
{
	autofree char *prefix = xasprintf("%s.run.", app);
	struct strv ids = { 0 };
	struct berr ignored;
	unsigned max = 0;

	if (runtime_list(&ids, &ignored) == 0)
		for (size_t i = 0; i < ids.n; i++) {
			unsigned long n;
			char *end;

			if (!str_has_prefix(ids.v[i], prefix))
				continue;
			n = strtoul(ids.v[i] + strlen(prefix), &end, 10);
			if (!*end && n > max && n < 1000000)
				max = (unsigned)n;
		}
	strv_free(&ids);
	return max + 1;
}

int app_run_start(const char *name, const struct strv *argv, const struct strv *extra_env,
		  const struct run_opts *o, struct runtime_container *c, struct berr *err)
{
	struct app a;
	const char *app = name;
	struct release rel = { 0 };
	struct runtime_spec spec;
	autofree char *leaf = NULL, *id = NULL, *dyno = NULL;
	autoclose int null = -1;
	int r = -1;

	if (app_open(name, 0, &a, err) < 0)
		return -1;
	runtime_spec_init(&spec);
	if (o->detached) {
		/* Found again by name: <app>.run.N, as the daemon names <app>.web.N. */
		unsigned n = next_run_number(app);

		id = xasprintf("%s.run.%u", app, n);
		dyno = xasprintf("run.%u", n);
		spec.id = id;
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0) {
			berr_sys(err, "open /dev/null");
			goto out;
		}
		for (int i = 0; i < 3; i++)
			spec.stdio[i] = null;
	} else {
		dyno = xstrdup(o->dyno ? o->dyno : "run.1");
		leaf = xasprintf("run-%s", app);
		spec.name = leaf;
		spec.die_with_creator = true;
		for (int i = 0; i < 3; i++)
			spec.stdio[i] = o->stdio[i];
		spec.tty = o->tty;
	}
	if (release_current(app, &rel, err) < 0)
		goto out;
	if (rel.version == 0) {
		berr_fail(err, "App %s has not been deployed", app);
		goto out;
	}
	/* A one-off process gets the app's vars as they are now, as Dokku's run
	 * does (also those set with --no-restart); supervised ones their release's. */
	strv_free(&rel.app_config);
	if (config_load(app, &rel.app_config, err) < 0)
		goto out;
	if (release_spec(&a, &rel, dyno, &spec, err) < 0)
		goto out;
	for (size_t i = 0; extra_env && i < extra_env->n; i++) {
		const char *eq = strchr(extra_env->v[i], '=');
		autofree char *key = eq ? xstrndup(extra_env->v[i], eq - extra_env->v[i]) : NULL;

		if (!key || !env_name_valid(key)) {
			berr_fail(err, "-e %s: use KEY=VALUE", extra_env->v[i]);
			goto out;
		}
		strv_setenv(&spec.env, key, eq + 1);
	}
	if (o->tty && !strv_getenv(&spec.env, "TERM"))
		strv_setenv(&spec.env, "TERM", o->term ? o->term : "xterm");
	process_argv(&spec.argv, argv);
	spec.hostname = app;
	spec.quiet_limits = true;
	r = runtime_create(&spec, c, err);
out:
	runtime_spec_release(&spec);
	release_free(&rel);
	app_close(&a);
	return r;
}

int app_enter_start(const char *app, const char *dyno, const struct strv *argv,
		    const struct run_opts *o, pid_t *pid, int *pidfd, struct berr *err)
{
	/* The slot record names its current container: after a zero-downtime
	 * deploy that is not always <app>.<dyno>. */
	autofree char *id = proc_container_id(app, dyno);
	struct runtime_container c;
	struct runtime_spec spec;
	struct release rel;
	struct app a;
	const char *dot = strrchr(dyno, '.');
	int r = -1;

	if (!dot || dot == dyno || !dot[1] || strspn(dot + 1, "0123456789") != strlen(dot + 1))
		return berr_fail(err, "Invalid process name '%s': use TYPE.N, e.g. web.1", dyno);
	if (app_open(app, 0, &a, err) < 0)
		return -1;
	if (!id)
		id = xasprintf("%s.%s", app, dyno);
	if (runtime_open(id, &c, err) < 0) {
		app_close(&a);
		return berr_fail(err, "No process %s of app %s is running", dyno, app);
	}
	if (release_current(app, &rel, err) < 0) {
		runtime_release(&c);
		app_close(&a);
		return -1;
	}
	runtime_spec_init(&spec);
	/* The environment the process got (it was started from the active
	 * release); limits and binds are the container's already. */
	if (rel.version && dyno_env(&a, &rel, dyno, &spec.env, err) < 0)
		goto out;
	for (int i = 0; i < 3; i++)
		spec.stdio[i] = o->stdio[i];
	spec.tty = o->tty;
	if (o->tty && !strv_getenv(&spec.env, "TERM"))
		strv_setenv(&spec.env, "TERM", o->term ? o->term : "xterm");
	spec.workdir = "/app";
	if (argv->n)
		process_argv(&spec.argv, argv);
	else
		strv_push(&spec.argv, "/bin/sh");
	r = runtime_enter(&c, &spec, pid, pidfd, err);
	if (r < 0 && !strstr(err->msg, dyno))
		berr_prefix(err, "enter %s of app %s", dyno, app);
out:
	runtime_spec_release(&spec);
	runtime_release(&c);
	release_free(&rel);
	app_close(&a);
	return r;
}

int app_image_export(const char *app, const char *dest, struct berr *err)
{
	struct release rel;
	struct stack_config cfg = { 0 };
	struct strv cmd = { 0 }, web = { 0 }, env = { 0 };
	const char *command;
	int r = -1;

	if (app_require(app, err) < 0 || release_current(app, &rel, err) < 0)
		return -1;
	if (rel.version == 0)
		return berr_fail(err, "App %s has not been deployed", app);
	/* The stack's environment and what every app process gets, but not the
	 * config vars: they may be secrets, and stay with berth. */
	if (stack_config_load(rel.stack, &cfg, err) < 0)
		goto out;
	stack_env_apply(&cfg, &env, "/app", NULL);
	strv_free(&cfg.env);
	cfg.env = env;
	strv_setenv(&cfg.env, "STACK", rel.stack);
	strv_setenv(&cfg.env, "PORT", "5000");
	free(cfg.workdir);
	cfg.workdir = xstrdup("/app");
	free(cfg.user);
	cfg.user = xasprintf("%u:%u", BUILD_UID, BUILD_UID);
	command = proctypes_get(&rel.procs, "web");
	if (command) {
		strv_push(&web, command);
		process_argv(&cmd, &web);
	}
	struct image_spec spec = { .name = app, .layers = &rel.layers, .config = &cfg,
				   .cmd = command ? &cmd : NULL, .created = rel.created };
	r = image_export(&spec, dest, err);
out:
	strv_free(&cmd);
	strv_free(&web);
	stack_config_release(&cfg);
	release_free(&rel);
	return r;
}
