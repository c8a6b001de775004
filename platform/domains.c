/* domains.c - the names an app answers on (domains:*), as Dokku keeps them.
 *
 * The global domains live in $BERTH_ROOT/settings.json ("domains", a list); an
 * app's own in its settings.json ("domains"). An app whose domains were never
 * changed answers on its default vhosts: APP.<global domain> for each global
 * domain that is a name (not an IP address), or the app's name alone when the
 * name is itself a domain (has a dot). The first change to an app's domains
 * starts from those defaults, as Dokku writes them into its VHOST file. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "platform/internal.h"

int domain_check(const char *domain, struct berr *err)
{
	size_t len = strlen(domain);

	/* Dokku's rule: "_" (nginx's catch-all), or ^[a-z0-9.*-]*[a-z0-9*-]$. */
	if (strcmp(domain, "_") == 0)
		return 0;
	if (len == 0 || len > 253 || strspn(domain, "abcdefghijklmnopqrstuvwxyz0123456789.*-") != len ||
	    domain[len - 1] == '.')
		return berr_fail(err, "%s is invalid. exiting...", domain);
	return 0;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

static bool strv_has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

/* Check every domain first (lowercased into out): a bad one changes nothing. */
static int domains_checked(const struct strv *in, struct strv *out, struct berr *err)
{
	for (size_t i = 0; i < in->n; i++) {
		char *d = xstrdup(in->v[i]);

		lower(d);
		strv_push_owned(out, d);
		if (domain_check(d, err) < 0) {
			strv_free(out);
			return -1;
		}
	}
	return 0;
}

/* settings.json at the root is shared with global_setting_set(); the edit of
 * its list takes a lock of its own so two domains:*-global never lose one. */
static int global_edit(int (*edit)(struct strv *list, void *ctx, struct berr *err), void *ctx,
		       struct berr *err)
{
	autofree char *path = xasprintf("%s/settings.json", berth_root());
	autofree char *lock_path = xasprintf("%s/.domains.lock", berth_root());
	autoclose int lock = -1;
	struct strv list = { 0 };
	json_t *obj = NULL;
	int r = -1;

	if (mkdir_p(berth_root(), 0755, err) < 0)
		return -1;
	lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return berr_sys(err, "lock %s", lock_path);
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (!obj)
		obj = json_object();
	if (json_to_strv(json_object_get(obj, "domains"), &list) < 0)
		berr_fail(err, "%s: domains is not a list of names", path);
	else if (edit(&list, ctx, err) == 0) {
		json_object_set_new(obj, "domains", strv_to_json(&list));
		r = json_file_save(path, obj, err);
	}
	strv_free(&list);
	json_decref(obj);
	return r;
}

int domains_global_list(struct strv *out, struct berr *err)
{
	autofree char *path = xasprintf("%s/settings.json", berth_root());
	json_t *obj;
	int r = 0;

	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (obj && json_to_strv(json_object_get(obj, "domains"), out) < 0)
		r = berr_fail(err, "%s: domains is not a list of names", path);
	json_decref(obj);
	return r;
}

/* One edit of a list of domains, global or an app's: op on given, changed gets
 * what was actually added or removed. */
enum domains_op { D_ADD, D_REMOVE, D_SET, D_CLEAR, D_RESET, D_DISABLE, D_ENABLE };
struct domains_edit {
	enum domains_op op;
	const struct strv *given;
	struct strv *changed;
	const char *app;       /* for D_RESET and an app's first change */
	bool was;              /* D_DISABLE: was enabled; D_ENABLE: was disabled */
	bool had_vhosts;       /* D_DISABLE: the app had vhosts */
};

static void domains_default(const char *app, const struct strv *global, struct strv *out)
{
	struct in_addr a4;
	struct in6_addr a6;

	for (size_t i = 0; i < global->n; i++) {
		const char *g = global->v[i];

		if (inet_pton(AF_INET, g, &a4) == 1 || inet_pton(AF_INET6, g, &a6) == 1)
			continue;
		if (strchr(app, '.')) {
			if (!strv_has(out, app))
				strv_push(out, app);
		} else {
			strv_push_owned(out, xasprintf("%s.%s", app, g));
		}
	}
}

static int apply(struct strv *list, void *ctx, struct berr *err)
{
	struct domains_edit *e = ctx;
	struct strv keep = { 0 };

	(void)err;
	switch (e->op) {
	case D_ADD:
		for (size_t i = 0; i < e->given->n; i++) {
			if (strv_has(list, e->given->v[i]))
				continue;
			strv_push(list, e->given->v[i]);
			strv_push(e->changed, e->given->v[i]);
		}
		return 0;
	case D_REMOVE:
		for (size_t i = 0; i < list->n; i++) {
			if (strv_has(e->given, list->v[i]))
				strv_push(e->changed, list->v[i]);
			else
				strv_push(&keep, list->v[i]);
		}
		break;
	case D_SET:
		for (size_t i = 0; i < e->given->n; i++)
			if (!strv_has(&keep, e->given->v[i]))
				strv_push(&keep, e->given->v[i]);
		break;
	case D_CLEAR:
	case D_DISABLE:
	case D_ENABLE:
		break;
	case D_RESET: {
		struct strv global = { 0 };

		if (domains_global_list(&global, err) < 0)
			return -1;
		domains_default(e->app, &global, &keep);
		strv_free(&global);
		break;
	}
	}
	strv_free(list);
	*list = keep;
	return 0;
}

static int global_op(enum domains_op op, const struct strv *given, struct strv *changed,
		     struct berr *err)
{
	struct strv checked = { 0 };
	struct domains_edit e = { .op = op, .given = &checked, .changed = changed };
	int r;

	if (given && domains_checked(given, &checked, err) < 0)
		return -1;
	r = global_edit(apply, &e, err);
	strv_free(&checked);
	return r;
}

int domains_global_add(const struct strv *d, struct strv *added, struct berr *err)
{
	return global_op(D_ADD, d, added, err);
}

int domains_global_remove(const struct strv *d, struct strv *removed, struct berr *err)
{
	return global_op(D_REMOVE, d, removed, err);
}

int domains_global_set(const struct strv *d, struct berr *err)
{
	struct strv ignored = { 0 };
	int r = global_op(D_SET, d, &ignored, err);

	strv_free(&ignored);
	return r;
}

int domains_global_clear(struct berr *err)
{
	struct strv ignored = { 0 };
	int r = global_op(D_CLEAR, NULL, &ignored, err);

	strv_free(&ignored);
	return r;
}

int domains_app_vhosts(const char *app, const struct app_settings *s, struct strv *out,
		       struct berr *err)
{
	struct strv global = { 0 };

	if (s->vhost_disabled)
		return 0;  /* domains:disable */
	if (s->domains_set) {
		for (size_t i = 0; i < s->domains.n; i++)
			strv_push(out, s->domains.v[i]);
		return 0;
	}
	if (domains_global_list(&global, err) < 0)
		return -1;
	domains_default(app, &global, out);
	strv_free(&global);
	return 0;
}

static int app_apply(struct app_settings *s, void *ctx, struct berr *err)
{
	struct domains_edit *e = ctx;

	/* As Dokku: disable drops the vhosts (its VHOST file), enable starts again
	 * from the defaults; add and set enable an app they give names to. */
	if (e->op == D_DISABLE || e->op == D_ENABLE) {
		e->was = e->op == D_DISABLE ? !s->vhost_disabled : s->vhost_disabled;
		if (!e->was)
			return 0;
		if (e->op == D_DISABLE) {
			struct strv v = { 0 };

			if (domains_app_vhosts(e->app, s, &v, err) < 0)
				return -1;
			e->had_vhosts = v.n > 0;
			strv_free(&v);
		}
		strv_free(&s->domains);
		s->domains_set = false;
		s->vhost_disabled = e->op == D_DISABLE;
		return 0;
	}
	if ((e->op == D_ADD || e->op == D_SET) && s->vhost_disabled) {
		/* Dokku's VHOST file went with disable: the names start from none. */
		s->vhost_disabled = false;
		s->domains_set = true;
		strv_free(&s->domains);
	}

	/* The first change starts from the defaults, as Dokku's VHOST file does. */
	if (!s->domains_set) {
		strv_free(&s->domains);
		if (domains_app_vhosts(e->app, s, &s->domains, err) < 0)
			return -1;
		s->domains_set = true;
	}
	return apply(&s->domains, ctx, err);
}

static int app_op(struct app *app, enum domains_op op, const struct strv *given,
		  struct strv *changed, struct berr *err)
{
	struct strv checked = { 0 }, ignored = { 0 };
	struct domains_edit e = { .op = op, .given = &checked, .changed = changed ? changed : &ignored, .app = app->name };
	int r;

	if (given && domains_checked(given, &checked, err) < 0)
		return -1;
	r = app_settings_edit(app, app_apply, &e, err);
	strv_free(&checked);
	strv_free(&ignored);
	return r;
}

int domains_add(struct app *app, const struct strv *d, struct strv *added, struct berr *err)
{
	return app_op(app, D_ADD, d, added, err);
}

int domains_remove(struct app *app, const struct strv *d, struct strv *removed, struct berr *err)
{
	return app_op(app, D_REMOVE, d, removed, err);
}

int domains_set(struct app *app, const struct strv *d, struct berr *err)
{
	return app_op(app, D_SET, d, NULL, err);
}

int domains_clear(struct app *app, struct berr *err)
{
	return app_op(app, D_CLEAR, NULL, NULL, err);
}

int domains_reset(struct app *app, struct berr *err)
{
	return app_op(app, D_RESET, NULL, NULL, err);
}

int domains_disable(struct app *app, bool *changed, bool *had_vhosts, struct berr *err)
{
	struct strv ignored = { 0 };
	struct domains_edit e = { .op = D_DISABLE, .changed = &ignored, .app = app->name };
	int r = app_settings_edit(app, app_apply, &e, err);

	*changed = e.was;
	if (had_vhosts)
		*had_vhosts = e.had_vhosts;
	return r;
}

int domains_enable(struct app *app, bool *changed, struct berr *err)
{
	struct strv ignored = { 0 };
	struct domains_edit e = { .op = D_ENABLE, .changed = &ignored, .app = app->name };
	int r = app_settings_edit(app, app_apply, &e, err);

	*changed = e.was;
	return r;
}
