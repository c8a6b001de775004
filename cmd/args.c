/* args.c - command-line options as Dokku's commands take them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"

static const struct opt *opt_find(const struct opt *opts, const char *arg, const char **value)
{
	for (const struct opt *o = opts; o && o->name; o++) {
		size_t n = strlen(o->name);

		if (n == 0)  /* an option switched off for this command */
			continue;
		if (strncmp(arg, o->name, n))
			continue;
		if (arg[n] == '\0') {
			*value = NULL;
			return o;
		}
		if (arg[n] == '=') {
			*value = arg + n + 1;
			return o;
		}
	}
	return NULL;
}

static bool is_option(const char *arg)
{
	return arg[0] == '-' && arg[1] != '\0';
}

int args_parse(int argc, char **argv, const struct opt *opts, unsigned flags, char **pos)
{
	int n = 0;
	bool options = true;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value;
		const struct opt *o;

		if (!options || !is_option(arg)) {
			pos[n++] = argv[i];
			if ((flags & ARGS_STOP) && n >= 1)
				options = false;
			continue;
		}
		if (!strcmp(arg, "--")) {
			if (flags & ARGS_DASH_DASH)
				pos[n++] = argv[i];
			else
				options = false;
			continue;
		}
		o = opt_find(opts, arg, &value);
		if (!o) {
			cmd_fail("%s: unknown flag %s; see '%s %s --help'", argv[0], arg, cmd_name, argv[0]);
			return -1;
		}
		if (o->kind == OPT_BOOL) {
			if (value && strcmp(value, "true") && strcmp(value, "false")) {
				cmd_fail("%s: %s takes no value", argv[0], o->name);
				return -1;
			}
			*(bool *)o->out = !value || !strcmp(value, "true");
			continue;
		}
		if (!value) {
			if (i + 1 >= argc) {
				cmd_fail("%s: %s needs a value", argv[0], o->name);
				return -1;
			}
			value = argv[++i];
		}
		if (o->kind == OPT_STR)
			*(const char **)o->out = value;
		else
			strv_push(o->out, value);
	}
	pos[n] = NULL;
	return n;
}
