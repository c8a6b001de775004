/* config.c - config:set, config:get, config:unset, config:show, config:keys.
 * Restarting processes after a change arrives with the process manager;
 * --no-restart is accepted now so scripts written for Dokku keep working. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/platform.h"

/* Skip leading flags in flags[], return the index of the first argument. */
static int skip_flags(int argc, char **argv, const char *const *flags, bool *seen)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		bool known = false;

		for (size_t f = 0; flags[f]; f++)
			if (!strcmp(argv[i], flags[f]))
				known = seen[f] = true;
		if (!known)
			return -i;
	}
	return i;
}

static size_t key_width(const struct strv *env)
{
	size_t w = 0;

	for (size_t i = 0; i < env->n; i++) {
		size_t k = strcspn(env->v[i], "=");

		if (k > w)
			w = k;
	}
	return w + 1;
}

int cmd_config_set(int argc, char **argv)
{
	static const char *const flags[] = { "--no-restart", NULL };
	bool seen[1] = { false };
	int first = skip_flags(argc, argv, flags, seen);
	struct strv env = { 0 }, changed = { 0 };
	struct berr err;
	const char *app;

	if (first < 0)
		return cmd_fail("config:set: unknown option %s", argv[-first]);
	if (argc - first < 2)
		return cmd_fail("Usage: berth config:set [--no-restart] APP KEY=VALUE [KEY=VALUE ...]");
	app = argv[first];
	if (app_require(app, &err) < 0)
		return cmd_fail("%s", err.msg);
	/* Validate every pair before changing anything. */
	for (int i = first + 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		autofree char *key = eq ? xstrndup(argv[i], eq - argv[i]) : NULL;

		if (!key || !env_name_valid(key)) {
			strv_free(&changed);
			return cmd_fail("config:set: '%s' is not KEY=VALUE with KEY made of letters, digits and '_' (not starting with a digit)",
					argv[i]);
		}
		strv_setenv(&changed, key, eq + 1);
	}
	if (config_load(app, &env, &err) < 0)
		goto fail;
	for (size_t i = 0; i < changed.n; i++) {
		const char *eq = strchr(changed.v[i], '=');
		autofree char *key = xstrndup(changed.v[i], eq - changed.v[i]);

		strv_setenv(&env, key, eq + 1);
	}
	if (config_save(app, &env, &err) < 0)
		goto fail;
	ui_step("Setting config vars");
	for (size_t i = 0; i < changed.n; i++) {
		int k = (int)strcspn(changed.v[i], "=");

		printf("       %.*s:%*s%s\n", k, changed.v[i], (int)(key_width(&changed) - k), "",
		       changed.v[i] + k + 1);
	}
	strv_free(&env);
	strv_free(&changed);
	return 0;
fail:
	strv_free(&env);
	strv_free(&changed);
	return cmd_fail("%s", err.msg);
}

int cmd_config_unset(int argc, char **argv)
{
	static const char *const flags[] = { "--no-restart", NULL };
	bool seen[1] = { false };
	int first = skip_flags(argc, argv, flags, seen);
	struct strv env = { 0 }, kept = { 0 };
	struct berr err;
	const char *app;

	if (first < 0)
		return cmd_fail("config:unset: unknown option %s", argv[-first]);
	if (argc - first < 2)
		return cmd_fail("Usage: berth config:unset [--no-restart] APP KEY [KEY ...]");
	app = argv[first];
	if (app_require(app, &err) < 0 || config_load(app, &env, &err) < 0)
		return cmd_fail("%s", err.msg);
	for (size_t i = 0; i < env.n; i++) {
		bool drop = false;

		for (int a = first + 1; a < argc; a++)
			if (!strncmp(env.v[i], argv[a], strlen(argv[a])) && env.v[i][strlen(argv[a])] == '=')
				drop = true;
		if (!drop)
			strv_push(&kept, env.v[i]);
	}
	if (config_save(app, &kept, &err) < 0) {
		strv_free(&env);
		strv_free(&kept);
		return cmd_fail("%s", err.msg);
	}
	for (int a = first + 1; a < argc; a++)
		ui_step("Unsetting %s", argv[a]);
	strv_free(&env);
	strv_free(&kept);
	return 0;
}

int cmd_config_get(int argc, char **argv)
{
	struct strv env = { 0 };
	struct berr err;
	const char *v;
	int r;

	if (argc != 3)
		return cmd_fail("Usage: berth config:get APP KEY");
	if (app_require(argv[1], &err) < 0 || config_load(argv[1], &env, &err) < 0)
		return cmd_fail("%s", err.msg);
	v = strv_getenv(&env, argv[2]);
	if (v)
		puts(v);
	r = v ? 0 : 1;
	strv_free(&env);
	return r;
}

int cmd_config_show(int argc, char **argv)
{
	struct strv env = { 0 };
	struct berr err;

	if (argc != 2)
		return cmd_fail("Usage: berth config:show APP");
	if (app_require(argv[1], &err) < 0 || config_load(argv[1], &env, &err) < 0)
		return cmd_fail("%s", err.msg);
	ui_header("%s env vars", argv[1]);
	for (size_t i = 0; i < env.n; i++) {
		int k = (int)strcspn(env.v[i], "=");

		printf("%.*s:%*s%s\n", k, env.v[i], (int)(key_width(&env) - k), "", env.v[i] + k + 1);
	}
	strv_free(&env);
	return 0;
}

int cmd_config_keys(int argc, char **argv)
{
	struct strv env = { 0 };
	struct berr err;

	if (argc != 2)
		return cmd_fail("Usage: berth config:keys APP");
	if (app_require(argv[1], &err) < 0 || config_load(argv[1], &env, &err) < 0)
		return cmd_fail("%s", err.msg);
	for (size_t i = 0; i < env.n; i++)
		printf("%.*s\n", (int)strcspn(env.v[i], "="), env.v[i]);
	strv_free(&env);
	return 0;
}
