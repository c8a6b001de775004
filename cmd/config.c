/* config.c - config, config:show, config:keys, config:get, config:set,
 * config:unset, config:clear, with Dokku's flags and output. config:export and
 * config:import are in config_io.c.
 *
 * A change of an app's vars (not --global) without --no-restart is a release:
 * the active release's image with the new vars, rolled out as a deploy is
 * ("-----> Restarting app APP"). With --no-restart the vars are only stored;
 * they go live with the app's next release: a deploy, ps:rebuild, ps:restart,
 * or the next config change without --no-restart (docs/releases.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/config.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/platform.h"

int config_target_open(bool global, int n, char **pos, struct config_target *t, int *rest)
{
	struct berr err;

	memset(t, 0, sizeof(*t));
	t->app.dirfd = t->app.lock_fd = -1;
	if (global) {
		*rest = 0;
		return 0;
	}
	if (n < 1)
		return cmd_fail("Please specify an app to run the command on");
	if (app_open(pos[0], 0, &t->app, &err) < 0)
		return cmd_fail_app(pos[0], &err);
	t->name = t->app.name;
	*rest = 1;
	return 0;
}

void config_target_close(struct config_target *t)
{
	if (t->name)
		app_close(&t->app);
	t->name = NULL;
}

struct app *config_target_app(struct config_target *t)
{
	return t->name ? &t->app : NULL;
}

int config_target_load(struct config_target *t, bool merged, struct strv *env)
{
	struct berr err;
	int r = merged && t->name ? config_load_merged(t->name, env, &err)
				  : config_load(t->name, env, &err);

	if (r < 0) {
		strv_free(env);
		return cmd_fail("%s", err.msg);
	}
	return 0;
}

static void print_pretty(const struct strv *env)
{
	ui_env_rows("", (const char *const *)env->v, env->n);
}

/* config:show, and bare `config` with Dokku's deprecated --shell/--export. */
static int show(int argc, char **argv, bool allow_legacy)
{
	bool global = false, merged = false, shell = false, exports = false;
	const struct opt opts[] = {
		{ "--global", OPT_BOOL, &global },
		{ "--merged", OPT_BOOL, &merged },
		{ allow_legacy ? "--shell" : "", OPT_BOOL, &shell },  /* "": not taken here */
		{ allow_legacy ? "--export" : "", OPT_BOOL, &exports },
		{ NULL, 0, NULL },
	};
	struct config_target t;
	struct strv env = { 0 };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), rest, r;

	if (n < 0)
		return 1;
	if ((r = config_target_open(global, n, pos, &t, &rest)) != 0)
		return r;
	if (shell && exports) {
		config_target_close(&t);
		return cmd_fail("Only one of --shell and --export can be given");
	}
	if ((r = config_target_load(&t, merged, &env)) != 0) {
		config_target_close(&t);
		return r;
	}
	if (shell) {
		ui_warn("Deprecated: Use 'config:export --format shell' instead");
		config_export_print(&env, "shell");
	} else if (exports) {
		ui_warn("Deprecated: Use 'config:export --format exports' instead");
		config_export_print(&env, "exports");
	} else {
		ui_header_q("%s env vars", t.name ? t.name : "global");
		print_pretty(&env);
		if (env.n == 0)
			putchar('\n');
	}
	strv_free(&env);
	config_target_close(&t);
	return 0;
}

int cmd_config(int argc, char **argv)
{
	return show(argc, argv, true);
}

int cmd_config_show(int argc, char **argv)
{
	return show(argc, argv, false);
}

int cmd_config_keys(int argc, char **argv)
{
	bool global = false, merged = false;
	const struct opt opts[] = {
		{ "--global", OPT_BOOL, &global },
		{ "--merged", OPT_BOOL, &merged },
		{ NULL, 0, NULL },
	};
	struct config_target t;
	struct strv env = { 0 };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), rest, r;

	if (n < 0)
		return 1;
	if ((r = config_target_open(global, n, pos, &t, &rest)) != 0)
		return r;
	r = config_target_load(&t, merged, &env);
	for (size_t i = 0; r == 0 && i < env.n; i++)
		printf("%.*s\n", (int)strcspn(env.v[i], "="), env.v[i]);
	strv_free(&env);
	config_target_close(&t);
	return r;
}

/* 'value' with every ' as '\'' : what a POSIX shell reads back as value. */
void print_single_quoted(const char *v)
{
	putchar('\'');
	for (; *v; v++) {
		if (*v == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*v);
	}
	putchar('\'');
}

int cmd_config_get(int argc, char **argv)
{
	bool global = false, quoted = false;
	const struct opt opts[] = {
		{ "--global", OPT_BOOL, &global },
		{ "--quoted", OPT_BOOL, &quoted },
		{ NULL, 0, NULL },
	};
	struct config_target t;
	struct strv env = { 0 };
	const char *v = NULL;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), rest, r;

	if (n < 0)
		return 1;
	if ((r = config_target_open(global, n, pos, &t, &rest)) != 0)
		return r;
	if (n - rest != 1) {
		config_target_close(&t);
		if (n - rest == 0)
			return cmd_fail("Expected: key");
		return cmd_fail("Unexpected argument(s): %s", pos[rest + 1]);
	}
	r = config_target_load(&t, false, &env);
	if (r == 0)
		v = strv_getenv(&env, pos[rest]);
	if (v && quoted) {
		print_single_quoted(v);
		putchar('\n');
	} else if (v) {
		puts(v);
	}
	/* An unset key: exit 1 and say nothing, as Dokku does. */
	if (r == 0 && !v)
		r = 1;
	strv_free(&env);
	config_target_close(&t);
	return r;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with padding, strict as Go's StdEncoding. */
static int base64_decode(const char *in, char **out, size_t *out_len, size_t *bad_at)
{
	size_t len = strlen(in), n = 0;
	char *buf;

	if (len % 4) {
		*bad_at = len - len % 4;
		return -1;
	}
	buf = xmalloc(len / 4 * 3 + 1);
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2 &&
			    (k == 3 || in[i + 3] == '=')) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = b64_value(in[i + k]);
			if (v[k] < 0 || pad) {
				free(buf);
				*bad_at = i + (size_t)k;
				return -1;
			}
		}
		buf[n++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			buf[n++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			buf[n++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

/* "KEY1, KEY2" of KEY=VALUE pairs or bare keys. */
static char *key_list(const struct strv *items)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < items->n; i++) {
		char *next = xasprintf("%s%s%.*s", out, i ? ", " : "",
				       (int)strcspn(items->v[i], "="), items->v[i]);

		free(out);
		out = next;
	}
	return out;
}

int config_restart(struct config_target *t, bool no_restart, const char *verb,
		   const struct strv *keys)
{
	autofree char *description = NULL;
	autofree char *list = NULL;
	struct release cur;
	struct berr err;
	unsigned v;
	bool deployed;

	if (!t->name || no_restart)
		return 0;
	if (release_current(t->name, &cur, &err) < 0)
		return cmd_fail("%s", err.msg);
	deployed = cur.version != 0;
	release_free(&cur);
	if (!deployed)
		return 0;  /* stored; the first deploy takes it */
	list = keys ? key_list(keys) : NULL;
	description = list ? xasprintf("%s %s", verb, list) : xstrdup(verb);
	ui_step("Restarting app %s", t->name);
	fflush(stdout);
	if (app_config_release(t->name, description, ui_sink(), &v, &err) < 0)
		return cmd_fail("%s (the config vars are stored and go live with the next deploy or ps:restart)",
				err.msg);
	return 0;
}

/* "-----> Setting config vars" and the pairs, sorted and padded. */
void config_print_set(const struct strv *pairs)
{
	struct strv sorted = { 0 };

	if (ui_quiet)
		return;
	for (size_t i = 0; i < pairs->n; i++)
		strv_push(&sorted, pairs->v[i]);
	strv_sort(&sorted);
	ui_step_q("Setting config vars");
	ui_env_rows("       ", (const char *const *)sorted.v, sorted.n);
	strv_free(&sorted);
}

int cmd_config_set(int argc, char **argv)
{
	bool global = false, encoded = false, no_restart = false;
	const struct opt opts[] = {
		{ "--global", OPT_BOOL, &global },
		{ "--encoded", OPT_BOOL, &encoded },
		{ "--no-restart", OPT_BOOL, &no_restart },
		{ NULL, 0, NULL },
	};
	struct config_target t;
	struct strv pairs = { 0 };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), rest, r = 0;

	if (n < 0)
		return 1;
	if ((r = config_target_open(global, n, pos, &t, &rest)) != 0)
		return r;
	if (n - rest == 0) {
		config_target_close(&t);
		return cmd_fail("At least one env pair must be given");
	}
	/* Every pair is checked before anything changes. */
	for (int i = rest; i < n && r == 0; i++) {
		const char *eq = strchr(pos[i], '=');
		autofree char *key = eq ? xstrndup(pos[i], (size_t)(eq - pos[i])) : NULL;
		autofree char *value = NULL;
		size_t len, bad;

		if (!eq) {
			r = cmd_fail("Invalid env pair: %s", pos[i]);
			break;
		}
		if (config_key_check(key, &err) < 0) {
			r = cmd_fail("%s", err.msg);
			break;
		}
		if (encoded) {
			if (base64_decode(eq + 1, &value, &len, &bad) < 0) {
				r = cmd_fail("illegal base64 data at input byte %zu for key '%s'", bad, key);
				break;
			}
		} else {
			value = xstrdup(eq + 1);
			len = strlen(value);
		}
		if (config_value_check(key, value, len, &err) < 0) {
			r = cmd_fail("%s", err.msg);
			break;
		}
		strv_setenv(&pairs, key, value);
	}
	if (r == 0 && config_set(config_target_app(&t), &pairs, false, &err) < 0)
		r = cmd_fail("%s", err.msg);
	if (r == 0) {
		config_print_set(&pairs);
		r = config_restart(&t, no_restart, "Set", &pairs);
	}
	strv_free(&pairs);
	config_target_close(&t);
	return r;
}

int cmd_config_unset(int argc, char **argv)
{
	bool global = false, no_restart = false;
	const struct opt opts[] = {
		{ "--global", OPT_BOOL, &global },
		{ "--no-restart", OPT_BOOL, &no_restart },
		{ NULL, 0, NULL },
	};
	struct config_target t;
	struct strv keys = { 0 }, removed = { 0 };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), rest, r;

	if (n < 0)
		return 1;
	if ((r = config_target_open(global, n, pos, &t, &rest)) != 0)
		return r;
	if (n - rest == 0) {
		config_target_close(&t);
		return cmd_fail("At least one key must be given");
	}
	for (int i = rest; i < n; i++)
		strv_push(&keys, pos[i]);
	if (config_unset(config_target_app(&t), &keys, &removed, &err) < 0) {
		r = cmd_fail("%s", err.msg);
	} else {
		for (size_t i = 0; i < keys.n; i++) {
			bool was = false;

			for (size_t k = 0; k < removed.n && !was; k++)
				was = !strcmp(removed.v[k], keys.v[i]);
			if (was)
				ui_step_q("Unsetting %s", keys.v[i]);
			else
				ui_step_q("Skipping %s, it is not set in the environment", keys.v[i]);
		}
		if (removed.n)
			r = config_restart(&t, no_restart, "Unset", &removed);
	}
	strv_free(&keys);
	strv_free(&removed);
	config_target_close(&t);
	return r;
}

int cmd_config_clear(int argc, char **argv)
{
	bool global = false, no_restart = false;
	const struct opt opts[] = {
		{ "--global", OPT_BOOL, &global },
		{ "--no-restart", OPT_BOOL, &no_restart },
		{ NULL, 0, NULL },
	};
	struct config_target t;
	struct strv removed = { 0 };
	struct berr err;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), rest, r;

	if (n < 0)
		return 1;
	if ((r = config_target_open(global, n, pos, &t, &rest)) != 0)
		return r;
	if (n - rest > 0) {
		config_target_close(&t);
		return cmd_fail("Unexpected argument(s): %s", pos[rest]);
	}
	if (config_clear(config_target_app(&t), &removed, &err) < 0)
		r = cmd_fail("%s", err.msg);
	for (size_t i = 0; r == 0 && i < removed.n; i++)
		ui_step_q("Unsetting %s", removed.v[i]);
	if (r == 0 && removed.n)
		r = config_restart(&t, no_restart, "Unset", &removed);
	strv_free(&removed);
	config_target_close(&t);
	return r;
}
