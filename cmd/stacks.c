/* stacks.c - `berth stacks:*`: create, import, list, report and remove stacks. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/jsonfile.h"
#include "common/ui.h"
#include "images/images.h"

static void show_detail(void *arg, const char *line)
{
	(void)arg;
	ui_detail("%s", line);
}

static const struct images_progress details = { show_detail, NULL };

/* Parse options from a small table; positional arguments are left in argv[optind..]. */
static int parse_opts(int argc, char **argv, const struct option *opts, int (*fn)(int, const char *, void *),
		      void *arg)
{
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == '?')
			return cmd_fail("%s: unknown option '%s'; see 'berth help %s'", argv[0],
					argv[optind - 1], argv[0]);
		if (opt == ':' || fn(opt, optarg, arg) != 0)
			return 1;
	}
	return 0;
}

static void print_stack_done(const char *verb, const char *name)
{
	struct stack_info info;
	struct berr err;
	char human[32];

	if (stack_info_load(name, &info, &err) < 0) {
		ui_step("Stack %s %s", name, verb);
		return;
	}
	images_format_size(info.size, human);
	ui_step("Stack %s %s: %zu layer%s, %s", name, verb, info.layers.n, info.layers.n == 1 ? "" : "s", human);
	stack_info_release(&info);
}

struct create_opts {
	struct debian_options debian;
};

static int create_opt(int opt, const char *arg, void *p)
{
	struct create_opts *o = p;

	switch (opt) {
	case 's': o->debian.suite = arg; return 0;
	case 'i': o->debian.include = arg; return 0;
	case 'm': o->debian.mirror = arg; return 0;
	}
	return 1;
}

int cmd_stacks_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "suite", required_argument, NULL, 's' },
		{ "include", required_argument, NULL, 'i' },
		{ "mirror", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct create_opts o = { { NULL, NULL, NULL } };
	const char *kind, *name;
	struct berr err;
	int r;

	if (parse_opts(argc, argv, opts, create_opt, &o))
		return 1;
	if (argc - optind < 1 || argc - optind > 2)
		return cmd_fail("usage: berth stacks:create busybox|debian [NAME] [--suite SUITE] [--include PKG,PKG] [--mirror URL]");
	kind = argv[optind];
	name = argc - optind == 2 ? argv[optind + 1] : kind;
	if (!strcmp(kind, "busybox")) {
		if (o.debian.suite || o.debian.include || o.debian.mirror)
			return cmd_fail("stacks:create busybox takes no --suite, --include or --mirror");
		ui_header("Creating stack %s from busybox-static", name);
		r = stack_create_busybox(name, &details, &err);
	} else if (!strcmp(kind, "debian")) {
		ui_header("Creating stack %s with debootstrap", name);
		r = stack_create_debian(name, &o.debian, &details, &err);
	} else {
		return cmd_fail("stacks:create: unknown kind '%s'; use busybox or debian (or stacks:import for an image)", kind);
	}
	if (r < 0)
		return cmd_fail("stacks:create %s: %s", name, err.msg);
	print_stack_done("created", name);
	return 0;
}

int cmd_stacks_import(int argc, char **argv)
{
	struct berr err;

	if (argc != 3)
		return cmd_fail("usage: berth stacks:import NAME FILE|DIR|-");
	ui_header("Importing stack %s from %s", argv[1], strcmp(argv[2], "-") ? argv[2] : "stdin");
	if (stack_import(argv[1], argv[2], &details, &err) < 0)
		return cmd_fail("stacks:import %s: %s", argv[1], err.msg);
	print_stack_done("imported", argv[1]);
	return 0;
}

static bool want_json(int argc, char **argv, int *rest)
{
	bool json = false;

	*rest = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[i + 1], "json")) {
			json = true;
			i++;
		} else if (!strcmp(argv[i], "--format=json")) {
			json = true;
		} else {
			argv[++*rest] = argv[i];
		}
	}
	return json;
}

static json_t *stack_json(const struct stack_info *s)
{
	return json_pack("{s:s, s:o, s:I, s:s, s:s, s:o, s:s?, s:s?, s:o}", "name", s->name, "layers",
			 strv_to_json(&s->layers), "size", (json_int_t)s->size, "created", s->created, "origin",
			 s->origin, "env", strv_to_json(&s->config.env), "workdir", s->config.workdir, "user",
			 s->config.user, "used_by", strv_to_json(&s->users));
}

static void print_json(json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);

	puts(text);
	free(text);
	json_decref(o);
}

int cmd_stacks_list(int argc, char **argv)
{
	struct strv names = { 0 };
	struct berr err;
	json_t *all = NULL;
	int rest;
	bool json = want_json(argc, argv, &rest);

	if (rest)
		return cmd_fail("usage: berth stacks:list [--format json]");
	if (stack_list(&names, &err) < 0)
		return cmd_fail("stacks:list: %s", err.msg);
	if (json)
		all = json_array();
	else
		ui_header("Stacks");
	for (size_t i = 0; i < names.n; i++) {
		struct stack_info s;
		char human[32];

		if (stack_info_load(names.v[i], &s, &err) < 0) {
			ui_warn("stack %s: %s", names.v[i], err.msg);
			continue;
		}
		images_format_size(s.size, human);
		if (json)
			json_array_append_new(all, stack_json(&s));
		else
			printf("%-24s %3zu layer%s %10s  %s\n", s.name, s.layers.n, s.layers.n == 1 ? " " : "s",
			       human, s.origin);
		stack_info_release(&s);
	}
	if (json)
		print_json(all);
	strv_free(&names);
	return 0;
}

static char *join(const struct strv *sv, const char *sep)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + strlen(sep);
	out = xcalloc(1, len);
	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			strcat(out, sep);
		strcat(out, sv->v[i]);
	}
	return out;
}

int cmd_stacks_report(int argc, char **argv)
{
	struct stack_info s;
	struct berr err;
	char human[32], count[32];
	int rest;
	bool json = want_json(argc, argv, &rest);
	char *layers, *env, *users;

	if (rest != 1)
		return cmd_fail("usage: berth stacks:report NAME [--format json]");
	if (stack_info_load(argv[1], &s, &err) < 0)
		return cmd_fail("stacks:report: %s", err.msg);
	if (json) {
		print_json(stack_json(&s));
		stack_info_release(&s);
		return 0;
	}
	images_format_size(s.size, human);
	snprintf(count, sizeof(count), "%zu", s.layers.n);
	layers = join(&s.layers, " ");
	env = join(&s.config.env, " ");
	users = join(&s.users, " ");
	ui_header("%s stack information", s.name);
	ui_report_row("Stack name:", s.name);
	ui_report_row("Stack layers:", count);
	ui_report_row("Stack layer ids:", layers);
	ui_report_row("Stack size:", human);
	ui_report_row("Stack created at:", s.created);
	ui_report_row("Stack origin:", s.origin);
	ui_report_row("Stack env:", env);
	ui_report_row("Stack workdir:", s.config.workdir);
	ui_report_row("Stack user:", s.config.user);
	ui_report_row("Stack used by:", users);
	free(layers);
	free(env);
	free(users);
	stack_info_release(&s);
	return 0;
}

int cmd_stacks_remove(int argc, char **argv)
{
	const char *name = NULL;
	bool force = false;
	struct berr err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			force = true;
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else
			return cmd_fail("usage: berth stacks:remove NAME [--force]");
	}
	if (!name)
		return cmd_fail("usage: berth stacks:remove NAME [--force]");
	ui_step("Removing stack %s", name);
	if (stack_remove(name, force, &err) < 0)
		return cmd_fail("stacks:remove: %s", err.msg);
	ui_detail("its layers are freed by 'berth images:gc' once nothing else uses them");
	return 0;
}
