/* buildpack_list.c - the rules of an app's buildpack list (buildpacks:add, set,
 * remove, clear): which names are buildpacks, how shorthands are stored, where
 * an index puts an entry. Every edit is load-modify-save under the app's state
 * lock, so concurrent edits never lose one another. */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "images/images.h"
#include "platform/platform.h"

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* "org/name": word characters and dashes on both sides of one slash. */
static bool is_shorthand(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/'))
		return false;
	for (const char *p = s; *p; p++)
		if (p != slash && !word_char(*p))
			return false;
	return true;
}

static size_t span_not(const char *s, const char *reject)
{
	return strcspn(s, reject);
}

/* Dokku's URL form: (http|https|git)(://|@)HOST[/:]SEGMENT/REST */
static bool is_buildpack_url(const char *s)
{
	const char *p;
	size_t n;

	if (str_has_prefix(s, "https"))
		p = s + 5;
	else if (str_has_prefix(s, "http") || str_has_prefix(s, "git"))
		p = s + (s[0] == 'h' ? 4 : 3);
	else
		return false;
	if (str_has_prefix(p, "://"))
		p += 3;
	else if (*p == '@')
		p++;
	else
		return false;
	n = span_not(p, "/:");
	if (n == 0 || !p[n])
		return false;
	p += n + 1;
	n = span_not(p, "/:");
	if (n == 0 || p[n] != '/')
		return false;
	return p[n + 1] != '\0';
}

int buildpack_url_normalize(const char *spec, char **url, struct berr *err)
{
	*url = NULL;
	if (!spec || !*spec)
		return berr_fail(err, "Must specify a buildpack url or reference");
	if (strpbrk(spec, "\n\r\t ")) {
		/* nothing below accepts blanks */
	} else if (is_shorthand(spec)) {
		const char *slash = strchr(spec, '/');
		autofree char *org = xstrndup(spec, (size_t)(slash - spec));

		*url = xasprintf("https://github.com/%s/heroku-buildpack-%s.git",
				 strcmp(org, "heroku-community") ? org : "heroku", slash + 1);
		return 0;
	} else if (is_buildpack_url(spec)) {
		*url = xstrdup(spec);
		return 0;
	} else if (spec[0] == '/' || str_has_prefix(spec, "file:///")) {
		/* berth's own: a local directory, repository or tarball that exists. */
		autofree char *path = xstrdup(spec[0] == '/' ? spec : spec + strlen("file://"));
		char *hash = strchr(path, '#');

		if (hash)
			*hash = '\0';
		if (path_exists(path)) {
			*url = xstrdup(spec);
			return 0;
		}
	}
	return berr_fail(err, "Invalid buildpack specified: %s", spec);
}

/* Run edit on the app's buildpack list: one read-modify-write under its lock. */
struct list_edit {
	int (*edit)(struct strv *list, void *ctx, struct berr *err);
	void *ctx;
};

static int list_edit_settings(struct app_settings *s, void *ctx, struct berr *err)
{
	struct list_edit *e = ctx;

	return e->edit(&s->buildpacks, e->ctx, err);
}

static int list_edit(struct app *app, int (*edit)(struct strv *list, void *ctx, struct berr *err),
		     void *ctx, struct berr *err)
{
	struct list_edit e = { edit, ctx };

	return app_settings_edit(app, list_edit_settings, &e, err);
}

struct at {
	const char *app;
	const char *url;
	size_t index;
	char **removed;
	const struct strv *urls;
};

/* Insert before the index-th entry (1-based); 0 or past the end appends. */
static int add_edit(struct strv *list, void *ctx, struct berr *err)
{
	struct at *a = ctx;
	size_t at = a->index;
	char *v;

	(void)err;
	strv_push(list, a->url);
	if (at == 0 || at >= list->n)
		return 0;
	v = list->v[list->n - 1];
	memmove(&list->v[at], &list->v[at - 1], (list->n - at) * sizeof(char *));
	list->v[at - 1] = v;
	return 0;
}

/* Replace the index-th entry (default the first); past the end appends. */
static int set_edit(struct strv *list, void *ctx, struct berr *err)
{
	struct at *a = ctx;
	size_t at = a->index ? a->index - 1 : 0;

	(void)err;
	if (at >= list->n) {
		strv_push(list, a->url);
		return 0;
	}
	free(list->v[at]);
	list->v[at] = xstrdup(a->url);
	return 0;
}

static int replace_edit(struct strv *list, void *ctx, struct berr *err)
{
	struct at *a = ctx;

	(void)err;
	strv_free(list);
	for (size_t i = 0; i < a->urls->n; i++)
		strv_push(list, a->urls->v[i]);
	return 0;
}

static int remove_edit(struct strv *list, void *ctx, struct berr *err)
{
	struct at *a = ctx;
	size_t at = list->n;

	if (list->n == 0)
		return berr_fail(err, "No buildpacks were found, next release on %s will detect buildpack normally",
				 a->app);
	if (a->index) {
		if (a->index > list->n)
			return berr_fail(err, "Index %zu out of range: the app has %zu buildpacks",
					 a->index, list->n);
		at = a->index - 1;
	} else {
		for (size_t i = 0; i < list->n && at == list->n; i++)
			if (!strcmp(list->v[i], a->url))
				at = i;
		if (at == list->n)
			return berr_fail(err, "Buildpack %s not found", a->url);
	}
	*a->removed = list->v[at];
	memmove(&list->v[at], &list->v[at + 1], (list->n - at - 1) * sizeof(char *));
	list->n--;
	list->v[list->n] = NULL;
	return 0;
}

static int clear_edit(struct strv *list, void *ctx, struct berr *err)
{
	(void)ctx;
	(void)err;
	strv_free(list);
	return 0;
}

int buildpacks_add(struct app *app, const char *url, size_t index, struct berr *err)
{
	struct at a = { .url = url, .index = index };

	return list_edit(app, add_edit, &a, err);
}

int buildpacks_set(struct app *app, const char *url, size_t index, struct berr *err)
{
	struct at a = { .url = url, .index = index };

	return list_edit(app, set_edit, &a, err);
}

int buildpacks_replace(struct app *app, const struct strv *urls, struct berr *err)
{
	struct at a = { .urls = urls };

	return list_edit(app, replace_edit, &a, err);
}

int buildpacks_remove(struct app *app, const char *url, size_t index, char **removed,
		      struct berr *err)
{
	struct at a = { .app = app->name, .url = url, .index = index, .removed = removed };

	*removed = NULL;
	return list_edit(app, remove_edit, &a, err);
}

int buildpacks_clear(struct app *app, struct berr *err)
{
	return list_edit(app, clear_edit, NULL, err);
}

static int stack_edit(struct app_settings *s, void *ctx, struct berr *err)
{
	const char *stack = ctx;

	(void)err;
	free(s->stack);
	s->stack = stack ? xstrdup(stack) : NULL;
	return 0;
}

int buildpacks_set_stack(struct app *app, const char *stack, struct berr *err)
{
	if (!app)
		return global_setting_set("stack", stack, err);
	return app_settings_edit(app, stack_edit, (void *)stack, err);
}
