/* report.c - *:report output as Dokku prints it: a header, "Key:" rows padded
 * to the widest flag (at least 31 columns), one flag's value alone, or JSON
 * with every key both with and without the report's prefix. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "platform/platform.h"

int report_split_flag(int *argc, char **argv, const char **info_flag)
{
	int m = 1;

	*info_flag = NULL;
	for (int i = 1; i < *argc; i++) {
		if (str_has_prefix(argv[i], "--") && strcmp(argv[i], "--global") &&
		    strcmp(argv[i], "--format") && !str_has_prefix(argv[i], "--format=")) {
			if (*info_flag)
				return cmd_fail("Only one report flag may be given");
			*info_flag = argv[i];
			continue;
		}
		argv[m++] = argv[i];
		/* the value of --format stays with it */
		if (!strcmp(argv[i], "--format") && i + 1 < *argc)
			argv[m++] = argv[++i];
	}
	argv[m] = NULL;
	*argc = m;
	return 0;
}

/* "--buildpacks-computed-stack" -> "Buildpacks computed stack:" */
static char *report_label(const char *flag)
{
	char *label = xasprintf("%s:", flag + 2);

	for (char *p = label; *p; p++)
		if (*p == '-' || *p == '.')
			*p = ' ';
	if (label[0] >= 'a' && label[0] <= 'z')
		label[0] = (char)(label[0] - 'a' + 'A');
	return label;
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct report_row *)a)->flag, ((const struct report_row *)b)->flag);
}

int report_print(const char *name, const char *type, const struct report_row *rows, size_t n,
		 const char *info_flag, const char *format)
{
	autofree struct report_row *sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	autofree char *prefix = xasprintf("--%s-", type);
	size_t width = 31;

	if (format && strcmp(format, "json") && strcmp(format, "stdout"))
		return cmd_fail("Invalid --format value specified: %s (json or stdout)", format);
	if (format && !strcmp(format, "json") && info_flag)
		return cmd_fail("--format flag cannot be specified when specifying an info flag");
	if (n)
		memcpy(sorted, rows, n * sizeof(*rows));
	qsort(sorted, n, sizeof(*sorted), row_cmp);
	if (format && !strcmp(format, "json")) {
		json_t *obj = json_object();
		autofree char *text = NULL;

		for (size_t i = 0; i < n; i++) {
			const char *v = sorted[i].value ? sorted[i].value : "";

			json_object_set_new(obj, sorted[i].flag + 2, json_string(v));
			if (str_has_prefix(sorted[i].flag, prefix))
				json_object_set_new(obj, sorted[i].flag + strlen(prefix), json_string(v));
		}
		text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(obj);
		puts(text ? text : "{}");
		return 0;
	}
	if (info_flag) {
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(sorted[i].flag, info_flag)) {
				puts(sorted[i].value ? sorted[i].value : "");
				return 0;
			}
		}
		fputs(" !     Invalid flag passed, valid flags: ", stderr);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", sorted[i].flag);
		fputc('\n', stderr);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (strlen(sorted[i].flag) > width)
			width = strlen(sorted[i].flag);
	ui_header_q("%s %s information", name, type);
	for (size_t i = 0; i < n; i++) {
		autofree char *label = report_label(sorted[i].flag);

		printf("       %-*s%s\n", (int)width, label, sorted[i].value ? sorted[i].value : "");
	}
	return 0;
}

int report_command(int argc, char **argv, bool global_allowed, report_one_fn one)
{
	const char *format = "stdout";
	bool global = false;
	const struct opt opts[] = {
		{ "--format", OPT_STR, &format },
		{ global_allowed ? "--global" : NULL, OPT_BOOL, &global },
		{ NULL, 0, NULL },
	};
	const char *info_flag = NULL;
	struct strv apps = { 0 };
	struct berr err = { 0 };
	char *pos[argc + 1];
	int n, r = 0;

	if (report_split_flag(&argc, argv, &info_flag) != 0)
		return 1;
	n = args_parse(argc, argv, opts, 0, pos);
	if (n < 0)
		return 1;
	if (n > 1)
		return cmd_fail("Unexpected argument(s): %s", pos[1]);
	if (global || n == 1)
		return one(global ? NULL : pos[0], info_flag, format);
	if (app_list(&apps, &err) < 0)
		return cmd_fail("%s", err.msg);
	if (apps.n == 0)
		ui_warn("You haven't deployed any applications yet");
	for (size_t i = 0; i < apps.n && r == 0; i++)
		r = one(apps.v[i], info_flag, format);
	strv_free(&apps);
	return r;
}
