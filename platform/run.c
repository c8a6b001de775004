/* run.c - one-off containers of an app's active release (`berth run`), and the
 * environment every app process gets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "images/images.h"
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
	if (config_load_merged(app->name, &config, err) < 0)
		return -1;
	for (size_t i = 0; i < config.n; i++) {
		const char *eq = strchr(config.v[i], '=');
		autofree char *key = xstrndup(config.v[i], eq - config.v[i]);

		strv_setenv(env, key, eq + 1);
	}
	strv_free(&config);
	return 0;
}

int release_spec(const struct app *app, const struct release *rel, struct runtime_spec *spec,
		 struct berr *err)
{
	spec->host_id_base = app_host_id_base(&app->settings);
	for (size_t i = 0; i < rel->layers.n; i++) {
		if (!layer_exists(rel->layers.v[i]))
			return berr_fail(err, "App %s release v%u: layer %.12s is missing from the store",
					 app->name, rel->version, rel->layers.v[i]);
		strv_push_owned(&spec->layers, layer_path(rel->layers.v[i]));
	}
	if (app_process_env(app, rel, &spec->env, err) < 0)
		return -1;
	spec->workdir = "/app";
	spec->uid = spec->gid = BUILD_UID;
	return 0;
}

int app_run_oneoff(const char *name, const struct strv *argv, const struct strv *extra_env,
		   int *status, struct berr *err)
{
	struct app a;
	const char *app = name;
	struct release rel = { 0 };
	struct runtime_spec spec;
	autofree char *leaf = NULL;
	int r = -1;

	if (app_open(name, 0, &a, err) < 0)
		return -1;
	runtime_spec_init(&spec);
	if (release_current(app, &rel, err) < 0)
		goto out;
	if (rel.version == 0) {
		berr_fail(err, "App %s has not been deployed", app);
		goto out;
	}
	if (release_spec(&a, &rel, &spec, err) < 0)
		goto out;
	strv_setenv(&spec.env, "DYNO", "run.1");
	if (!strv_getenv(&spec.env, "PORT"))
		strv_setenv(&spec.env, "PORT", "5000");
	for (size_t i = 0; extra_env && i < extra_env->n; i++) {
		const char *eq = strchr(extra_env->v[i], '=');
		autofree char *key = eq ? xstrndup(extra_env->v[i], eq - extra_env->v[i]) : NULL;

		if (!key || !env_name_valid(key)) {
			berr_fail(err, "-e %s: use KEY=VALUE", extra_env->v[i]);
			goto out;
		}
		strv_setenv(&spec.env, key, eq + 1);
	}
	process_argv(&spec.argv, argv);
	spec.hostname = app;
	leaf = xasprintf("run-%s", app);
	spec.name = leaf;
	spec.quiet_limits = true;
	r = runtime_spawn_wait(&spec, status, err);
out:
	runtime_spec_release(&spec);
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
