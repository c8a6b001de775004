/* config_io.c - config:export (every Dokku format) and config:import. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/config.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/ui.h"
#include "platform/platform.h"

/* JSON as Go's encoder writes it: compact, and <, >, &, U+2028, U+2029
 * escaped. Those characters only occur inside strings, so a plain replace is
 * safe. */
static void print_json_go(json_t *v)
{
	autofree char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	for (const char *p = text; p && *p; p++) {
		if (*p == '<')
			fputs("\\u003c", stdout);
		else if (*p == '>')
			fputs("\\u003e", stdout);
		else if (*p == '&')
			fputs("\\u0026", stdout);
		else if (!strncmp(p, "\xe2\x80\xa8", 3) || !strncmp(p, "\xe2\x80\xa9", 3)) {
			printf("\\u202%c", p[2] == '\xa8' ? '8' : '9');
			p += 2;
		} else
			putchar(*p);
	}
	putchar('\n');
}

/* dotenv's writer: integers bare (as strconv.Atoi reads them), everything
 * else double-quoted with \ " ! $ ` escaped and newlines as \n. */
static void print_envfile_value(const char *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v && *v != ' ' && *v != '\t' && *v != '\n' && !*end && errno == 0) {
		printf("%lld", n);
		return;
	}
	putchar('"');
	for (; *v; v++) {
		if (*v == '\n')
			fputs("\\n", stdout);
		else if (*v == '\r')
			fputs("\\r", stdout);
		else if (strchr("\\\"!$`", *v))
			printf("\\%c", *v);
		else
			putchar(*v);
	}
	putchar('"');
}

/* prefix K='v' entries joined by sep. */
static void print_quoted_list(const struct strv *env, const char *prefix, const char *sep)
{
	for (size_t i = 0; i < env->n; i++) {
		int k = (int)strcspn(env->v[i], "=");

		printf("%s%s%.*s=", i ? sep : "", prefix, k, env->v[i]);
		print_single_quoted(env->v[i] + k + 1);
	}
}

static void print_key_list(const struct strv *env, const char *prefix)
{
	for (size_t i = 0; i < env->n; i++)
		printf("%s%s%.*s", i ? " " : "", prefix, (int)strcspn(env->v[i], "="), env->v[i]);
}

int config_export_print(const struct strv *env, const char *format)
{
	if (!strcmp(format, "exports")) {
		print_quoted_list(env, "export ", "\n");
	} else if (!strcmp(format, "envfile")) {
		for (size_t i = 0; i < env->n; i++) {
			int k = (int)strcspn(env->v[i], "=");

			printf("%s%.*s=", i ? "\n" : "", k, env->v[i]);
			print_envfile_value(env->v[i] + k + 1);
		}
	} else if (!strcmp(format, "docker-args")) {
		print_quoted_list(env, "--env=", " ");
	} else if (!strcmp(format, "docker-args-keys")) {
		print_key_list(env, "--env=");
	} else if (!strcmp(format, "pack-keys")) {
		print_key_list(env, "--env ");
	} else if (!strcmp(format, "shell")) {
		print_quoted_list(env, "", " ");
		fputs(" ", stdout);
		return 0;
	} else if (!strcmp(format, "pretty")) {
		ui_env_rows("", (const char *const *)env->v, env->n);
		if (env->n == 0)
			putchar('\n');
		return 0;
	} else if (!strcmp(format, "json") || !strcmp(format, "json-list")) {
		bool list = !strcmp(format, "json-list");
		/* Go marshals an empty list as null. */
		json_t *out = list ? (env->n ? json_array() : json_null()) : json_object();

		for (size_t i = 0; i < env->n; i++) {
			autofree char *key = xstrndup(env->v[i], strcspn(env->v[i], "="));
			const char *v = env->v[i] + strlen(key) + 1;

			if (list)
				json_array_append_new(out, json_pack("{s:s, s:s}", "name", key, "value", v));
			else
				json_object_set_new(out, key, json_string(v));
		}
		print_json_go(out);
		json_decref(out);
		return 0;
	} else {
		return -1;
	}
	putchar('\n');
	return 0;
}

int cmd_config_export(int argc, char **argv)
{
	bool global = false, merged = false;
	const char *format = "exports";
	const struct opt opts[] = {
		{ "--global", OPT_BOOL, &global },
		{ "--merged", OPT_BOOL, &merged },
		{ "--format", OPT_STR, &format },
		{ NULL, 0, NULL },
	};
	static const char *const formats =
		"docker-args docker-args-keys envfile exports json json-list pack-keys pretty shell";
	struct config_target t;
	struct strv env = { 0 };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), rest, r;

	if (n < 0)
		return 1;
	if (!str_word_in(formats, format))
		return cmd_fail("Unknown export format: %s", format);
	if ((r = config_target_open(global, n, pos, &t, &rest)) != 0)
		return r;
	r = config_target_load(&t, merged, &env);
	if (r == 0)
		config_export_print(&env, format);
	fflush(stdout);
	strv_free(&env);
	config_target_close(&t);
	return r;
}

int cmd_config_import(int argc, char **argv)
{
	bool global = false, no_restart = false, replace = false;
	const char *format = "envfile";
	const struct opt opts[] = {
		{ "--global", OPT_BOOL, &global },
		{ "--no-restart", OPT_BOOL, &no_restart },
		{ "--replace", OPT_BOOL, &replace },
		{ "--format", OPT_STR, &format },
		{ NULL, 0, NULL },
	};
	struct config_target t;
	struct strv env = { 0 };
	struct berr err;
	autofree char *text = NULL;
	size_t len = 0;
	const char *file;
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos), rest, r;

	if (n < 0)
		return 1;
	if (strcmp(format, "envfile") && strcmp(format, "json"))
		return cmd_fail("Unknown format: %s", format);
	if ((r = config_target_open(global, n, pos, &t, &rest)) != 0)
		return r;
	if (n - rest != 1) {
		config_target_close(&t);
		return cmd_fail(n - rest ? "Unexpected argument(s): %s"
					 : "Please specify a file to import, or - for stdin%s",
				n - rest ? pos[rest + 1] : "");
	}
	file = pos[rest];
	if (!strcmp(file, "-")) {
		ui_step_q("Reading config vars from stdin");
		r = read_fd(STDIN_FILENO, &text, &len, &err);
	} else {
		r = config_import_read(file, &text, &len, &err);
	}
	if (r == 0)
		r = !strcmp(format, "json") ? config_parse_json(text, len, &env, &err)
					    : config_parse_envfile(text, len, &env, &err);
	if (r < 0) {
		config_target_close(&t);
		return cmd_fail("config:import %s: %s", file, err.msg);
	}
	if (env.n == 0) {
		config_target_close(&t);
		return cmd_fail("No config vars to set");
	}
	for (size_t i = 0; i < env.n; i++)
		ui_step_q("Setting config var %s", env.v[i]);
	if (config_set(config_target_app(&t), &env, replace, &err) < 0) {
		r = cmd_fail("%s", err.msg);
	} else {
		config_print_set(&env);
		r = config_restart(&t, no_restart, "Config import", NULL);
	}
	strv_free(&env);
	config_target_close(&t);
	return r;
}
