/* release_deploy.c - releases that are not builds: a config change and a
 * rollback, each a new numbered release made live like a deploy (under the
 * deploy lock, through deploy_rollout()); and what a deploy cleans up at its end
 * (releases beyond the kept number, then the layers nothing keeps). */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "images/images.h"
#include "platform/daemon.h"
#include "platform/internal.h"

bool env_equal(const struct strv *a, const struct strv *b)
{
	struct strv x = { 0 }, y = { 0 };
	bool same = a->n == b->n;

	for (size_t i = 0; same && i < a->n; i++) {
		strv_push(&x, a->v[i]);
		strv_push(&y, b->v[i]);
	}
	strv_sort(&x);
	strv_sort(&y);
	for (size_t i = 0; same && i < x.n; i++)
		same = !strcmp(x.v[i], y.v[i]);
	strv_free(&x);
	strv_free(&y);
	return same;
}

int deploy_release_from(struct deploy *d, const struct release *base, const struct strv *app_config,
			const char *description, unsigned *version, struct berr *err)
{
	struct release rel = { 0 }, now = { 0 };
	struct berr ignored = { 0 };
	int r = -1;

	release_copy_image(base, &rel);
	for (size_t i = 0; i < app_config->n; i++)
		strv_push(&rel.app_config, app_config->v[i]);
	strv_sort(&rel.app_config);
	rel.description = xstrdup(description);
	if (release_create(&d->app, &rel, err) < 0)
		goto out;
	sink_step(d->sink, "Releasing %s v%u: %s", d->app.name, rel.version, description);
	if (deploy_rollout(d, rel.version, false, err) < 0) {
		/* Dropped unless it became the active one after all. */
		if (release_current(d->app.name, &now, &ignored) == 0 && now.version != rel.version)
			release_discard(&d->app, rel.version, &ignored);
		goto out;
	}
	if (version)
		*version = rel.version;
	r = 0;
out:
	release_free(&now);
	release_free(&rel);
	return r;
}

/* "Set A, B; Unset C": what changes from the vars from to the vars to. */
static char *config_change_text(const struct strv *from, const struct strv *to)
{
	char *set = xstrdup(""), *unset = xstrdup(""), *out;

	for (size_t i = 0; i < to->n; i++) {
		autofree char *key = xstrndup(to->v[i], strcspn(to->v[i], "="));
		const char *was = strv_getenv(from, key);

		if (!was || strcmp(was, to->v[i] + strlen(key) + 1)) {
			char *next = xasprintf("%s%s%s", set, *set ? ", " : "", key);

			free(set);
			set = next;
		}
	}
	for (size_t i = 0; i < from->n; i++) {
		autofree char *key = xstrndup(from->v[i], strcspn(from->v[i], "="));

		if (!strv_getenv(to, key)) {
			char *next = xasprintf("%s%s%s", unset, *unset ? ", " : "", key);

			free(unset);
			unset = next;
		}
	}
	out = xasprintf("%s%s%s%s%s", *set ? "Set " : "", set, *set && *unset ? "; " : "",
			*unset ? "Unset " : "", unset);
	free(set);
	free(unset);
	return out;
}

int deploy_config_release(struct deploy *d, const char *description, unsigned *version,
			  struct berr *err)
{
	struct release cur;
	struct strv config = { 0 };
	autofree char *text = NULL;
	int r;

	*version = 0;
	if (release_current(d->app.name, &cur, err) < 0)
		return -1;
	if (cur.version == 0) {
		release_free(&cur);
		return 0;  /* never deployed: its first deploy takes the config */
	}
	r = config_load(d->app.name, &config, err);
	if (r == 0 && !description)
		description = text = config_change_text(&cur.app_config, &config);
	if (r == 0)
		r = deploy_release_from(d, &cur, &config, description, version, err);
	strv_free(&config);
	release_free(&cur);
	return r;
}

bool release_config_pending(const char *app)
{
	struct release cur;
	struct strv config = { 0 };
	struct berr ignored;
	bool pending = false;

	if (release_current(app, &cur, &ignored) < 0)
		return false;
	if (cur.version && config_load(app, &config, &ignored) == 0)
		pending = !env_equal(&cur.app_config, &config);
	strv_free(&config);
	release_free(&cur);
	return pending;
}

int deploy_rollback(struct deploy *d, unsigned target, unsigned *version, struct berr *err)
{
	struct release old;
	autofree char *description = xasprintf("Rollback to v%u", target);
	int r;

	*version = 0;
	if (release_load(d->app.name, target, &old, err) < 0)
		return -1;
	r = deploy_release_from(d, &old, &old.app_config, description, version, err);
	/* The app's vars become the release's, so a later config:set starts from
	 * what runs. */
	if (r == 0)
		r = config_set(&d->app, &old.app_config, true, err);
	release_free(&old);
	return r;
}

/* The releases a process of the app still runs (the old ones while a rollout
 * moves them): never dropped under it. */
static void releases_in_use(const char *app, unsigned **v, size_t *n)
{
	struct proc_record *recs = NULL;
	size_t nrecs = 0;
	struct berr ignored;

	*v = NULL;
	*n = 0;
	if (proc_records_list(app, &recs, &nrecs, &ignored) < 0)
		return;
	*v = xcalloc(nrecs + 1, sizeof(**v));
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].id && recs[i].release)
			(*v)[(*n)++] = recs[i].release;
	proc_records_free(recs, nrecs);
}

void deploy_collect(const struct app *app, const struct sink *sink)
{
	autofree unsigned *in_use = NULL;
	struct strv dropped = { 0 }, freed = { 0 };
	struct berr err = { 0 };
	uint64_t bytes = 0;
	size_t n_in_use;

	releases_in_use(app->name, &in_use, &n_in_use);
	if (releases_prune(app, releases_keep(app), in_use, n_in_use, &dropped, &err) < 0)
		sink_warn(sink, "Could not remove old releases of %s: %s", app->name, err.msg);
	if (images_gc(NULL, &freed, &bytes, &err) < 0) {
		sink_warn(sink, "Could not remove unused layers: %s", err.msg);
	} else if (dropped.n || freed.n) {
		char human[32];
		autofree char *list = NULL;

		for (size_t i = 0; i < dropped.n; i++) {
			char *next = xasprintf("%s%s%s", list ? list : "", list ? ", " : "", dropped.v[i]);

			free(list);
			list = next;
		}
		images_format_size(bytes, human);
		if (list)
			sink_detail(sink, "Removed old releases %s (%zu layers, %s)", list, freed.n, human);
		else
			sink_detail(sink, "Removed %zu unused layers (%s)", freed.n, human);
	}
	strv_free(&dropped);
	strv_free(&freed);
}

int app_config_release(const char *app, const char *description, const struct sink *sink,
		       unsigned *version, struct berr *err)
{
	struct deploy d;
	int r;

	*version = 0;
	if (deploy_begin_wait(app, "config-redeploy", sink, &d, err) < 0)
		return -1;
	r = deploy_config_release(&d, description, version, err);
	deploy_finish(&d, r);
	return r;
}

/* The newest release older than version, 0 when there is none. */
static unsigned previous_version(const char *app, unsigned version)
{
	autofree unsigned *v = NULL;
	struct berr ignored;
	unsigned prev = 0;
	size_t n;

	if (release_versions(app, &v, &n, &ignored) == 0)
		for (size_t i = 0; i < n && !prev; i++)
			if (v[i] < version)
				prev = v[i];
	return prev;
}

int app_rollback(const char *app, unsigned target, const struct sink *sink, unsigned *version,
		 struct berr *err)
{
	struct deploy d;
	struct release cur;
	int r = -1;

	*version = 0;
	if (deploy_begin_wait(app, "releases:rollback", sink, &d, err) < 0)
		return -1;
	if (release_current(app, &cur, err) < 0)
		goto out;
	if (cur.version == 0) {
		berr_fail(err, "App %s has not been deployed: there is no release to roll back to", app);
	} else if (target == 0 && (target = previous_version(app, cur.version)) == 0) {
		berr_fail(err, "App %s has no release before v%u to roll back to", app, cur.version);
	} else {
		sink_step(sink, "Rolling back %s to v%u", app, target);
		r = deploy_rollback(&d, target, version, err);
	}
	release_free(&cur);
out:
	deploy_finish(&d, r);
	return r;
}
