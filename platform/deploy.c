/* deploy.c - source in, release out.
 *
 * A deploy opens the app once (struct app: its directory, settings and state
 * lock) and holds the app's deploy lock from start to end, so a second push
 * waits for nothing and is told why it was refused. The layers it makes are
 * held by its own image-store lease until a release names them. The active
 * release changes only at the very end, when the build, the release record and
 * the release phase all succeeded: a failed deploy leaves the running release
 * untouched. Everything it has to say goes to the caller's sink. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "images/images.h"
#include "platform/checks.h"
#include "platform/daemon.h"
#include "platform/internal.h"

/* Before a deploy: remove what killed deploys left in $BERTH_ROOT/tmp (their work
 * dirs hold config vars in clear; live ones are locked and kept), and make the
 * app's state root's alone where an older berth left it open (0755). */
static int deploy_prepare(const struct app *app, struct berr *err)
{
	autofree char *tmp = xasprintf("%s/tmp", berth_root());
	autofree char *apps = xasprintf("%s/apps", berth_root());

	workdir_remove_stale(tmp);
	if (chmod(apps, 0700) < 0 || fchmodat(app->dirfd, ".", 0700, 0) < 0)
		return berr_sys(err, "make the state of app %s root-only", app->name);
	return 0;
}

#define DEPLOY_LOG_MAX (256 * 1024)

/* Every line goes on to the caller's sink and into d->log (its tail). */
static void tee_line(void *ctx, enum sink_kind kind, const char *text)
{
	struct deploy *d = ctx;
	const char *prefix = sink_prefix(kind);
	size_t n = strlen(prefix) + strlen(text) + 1;

	if (d->caller && d->caller->line)
		d->caller->line(d->caller->ctx, kind, text);
	build_run_line(&d->build, prefix, text);
	if (n > DEPLOY_LOG_MAX / 2)
		return;
	if (d->log_len + n > DEPLOY_LOG_MAX) {
		/* Drop the older half, at a line's start. */
		char *cut = memchr(d->log + d->log_len / 2, '\n', d->log_len - d->log_len / 2);
		size_t drop = cut ? (size_t)(cut + 1 - d->log) : d->log_len;

		memmove(d->log, d->log + drop, d->log_len - drop);
		d->log_len -= drop;
	}
	d->log = xrealloc(d->log, d->log_len + n + 1);
	d->log_len += (size_t)sprintf(d->log + d->log_len, "%s%s\n", prefix, text);
}

static int deploy_open(const char *name, const char *source, const struct sink *sink,
		       unsigned wait_s, struct deploy *d, struct berr *err)
{
	memset(d, 0, sizeof(*d));
	d->lock = -1;
	d->build.log_fd = -1;
	d->sink = sink;
	if (app_open(name, 0, &d->app, err) < 0)
		return -1;
	if (app_lock_deploy_wait(name, wait_s, sink, &d->lock, err) < 0 ||
	    deploy_prepare(&d->app, err) < 0 || images_lease_begin(&d->lease, err) < 0) {
		deploy_end(d);  /* not a deploy yet: nothing to keep */
		return -1;
	}
	/* From here on it is a deploy: its output is kept for logs:failed, and
	 * err (the caller's) says why when it fails. */
	d->caller = sink;
	d->tee = (struct sink){ tee_line, d };
	d->sink = &d->tee;
	d->err = err;
	build_run_begin(&d->build, &d->app, d->lock, source, sink);
	return 0;
}

int deploy_begin(const char *name, const char *source, const struct sink *sink, struct deploy *d,
		 struct berr *err)
{
	return deploy_open(name, source, sink, 0, d, err);
}

int deploy_begin_wait(const char *name, const char *source, const struct sink *sink,
		      struct deploy *d, struct berr *err)
{
	return deploy_open(name, source, sink, DEPLOY_WAIT_SECONDS, d, err);
}

/* The last failed deploy's output, $BERTH_ROOT/apps/<app>/failed-deploy.log
 * (logs:failed). A successful deploy leaves the last failure's in place. */
static void keep_failed_log(struct deploy *d, int result)
{
	struct berr ignored;
	autofree char *text = NULL;

	if (result >= 0 || !d->err)
		return;
	text = xasprintf("%.*s%s%s\n", (int)d->log_len, d->log ? d->log : "", sink_prefix(SINK_ERROR),
			 d->err->msg);
	write_file_atomic_at(d->app.dirfd, "failed-deploy.log", text, strlen(text), 0600, &ignored);
}

void deploy_finish(struct deploy *d, int result)
{
	keep_failed_log(d, result);
	if (d->lock >= 0)
		build_run_end(&d->build, &d->app, d->lock, result,
			      result < 0 && d->err ? d->err->msg : NULL);
	if (d->caller)
		d->sink = d->caller;  /* what follows is not the deploy's own output */
	free(d->log);
	d->log = NULL;
	d->log_len = 0;
	d->err = NULL;
	images_lease_end(d->lease);
	d->lease = NULL;
	if (d->lock >= 0) {
		/* Still under the deploy lock: nothing else changes the releases. */
		if (builder_skip_cleanup(d->app.name))
			sink_detail(d->sink, "Skipping cleanup (builder:set skip-cleanup): old releases "
				    "and unused layers are kept");
		else
			deploy_collect(&d->app, d->sink);
		close(d->lock);
	}
	d->lock = -1;
	app_close(&d->app);
}

void deploy_end(struct deploy *d)
{
	deploy_finish(d, 0);
}

/* First deploy: web=1 when there is a web process, every other type 0. An edit
 * under the state lock: a config:set or ps:scale meanwhile loses nothing. */
static int default_formation(struct app_settings *s, void *ctx, struct berr *err)
{
	const struct proctypes *procs = ctx;

	(void)err;
	if (s->formation.n)
		return 0;
	for (size_t i = 0; i < procs->n; i++) {
		if (!strcmp(procs->v[i].name, "release"))
			continue;
		strv_setenv(&s->formation, procs->v[i].name, strcmp(procs->v[i].name, "web") ? "0" : "1");
	}
	return 0;
}

/* The `release` process type runs after the build and before the release goes
 * live (Heroku's release phase); its failure fails the deploy. */
static int release_phase(struct deploy *d, const struct release *rel, struct berr *err)
{
	const char *command = proctypes_get(&rel->procs, "release");
	const char *app = d->app.name;
	struct runtime_spec spec;
	struct strv argv = { 0 };
	autofree char *leaf = NULL;
	int status = 0, r = -1;

	if (!command)
		return 0;
	sink_step(d->sink, "Releasing %s (release phase): %s", app, command);
	runtime_spec_init(&spec);
	if (release_spec(&d->app, rel, "release.1", &spec, err) < 0)
		goto out;
	strv_push(&argv, command);
	process_argv(&spec.argv, &argv);
	spec.hostname = app;
	leaf = xasprintf("release-%s", app);
	spec.name = leaf;
	spec.quiet_limits = true;
	if (build_container_run(&spec, d->sink, &status, err) < 0)
		goto out;
	if (status != 0) {
		berr_fail(err, "Release phase failed (exit %d): v%u was not deployed", status,
			  rel->version);
		goto out;
	}
	r = 0;
out:
	strv_free(&argv);
	runtime_spec_release(&spec);
	return r;
}

/* The one way a release goes live (a deploy, a rebuild, a restart; config
 * changes and rollbacks): under the deploy lock, so one change per app runs at a
 * time. With a daemon, a zero-downtime rollout: the daemon starts the new
 * processes, checks them, switches the router and activates version itself
 * (restart: also processes that already run it); without one, version only
 * becomes the active release. */
int deploy_rollout(struct deploy *d, unsigned version, bool restart, struct berr *err)
{
	if (!daemon_running())
		return release_activate(&d->app, version, err);
	return daemon_rollout(d->app.name, version, restart, NULL, d->sink, err);
}

/* A rollout of a new release failed: unless it went live after all (a daemon
 * that died after the switch), it never will: remove it. */
static void discard_unless_active(struct deploy *d, unsigned version)
{
	struct release cur;
	struct berr ignored = { 0 };

	if (release_current(d->app.name, &cur, &ignored) < 0)
		return;
	if (cur.version != version)
		release_discard(&d->app, version, &ignored);
	release_free(&cur);
}

/* app.json's healthchecks or the CHECKS file of the source, for the release. */

int app_restart(const char *name, const char *type, const struct sink *sink, struct berr *err)
{
	struct deploy d;
	struct release cur;
	int r = -1;

	if (deploy_begin(name, "ps:restart", sink, &d, err) < 0)
		return -1;
	if (release_current(name, &cur, err) < 0)
		goto out;
	if (cur.version == 0) {
		berr_fail(err, "App %s has not been deployed", name);
	} else if (!type && release_config_pending(name)) {
		/* Vars stored with config:set --no-restart go live with a restart of
		 * the app: a release of them, whose rollout restarts every process. */
		unsigned v;

		r = deploy_config_release(&d, NULL, &v, err);
	} else {
		r = daemon_rollout(name, cur.version, true, type, sink, err);
	}
	release_free(&cur);
out:
	deploy_finish(&d, r);
	return r;
}

int deploy_build(struct deploy *d, const char *source_layer, const char *source_version,
		 const char *description, struct berr *err)
{
	const struct app_settings *s = &d->app.settings;
	const char *app = d->app.name;
	struct build_request req = { 0 };
	struct build_result res = { 0 };
	struct release cur = { 0 }, rel = { 0 };
	struct strv app_config = { 0 };
	autofree char *stack = NULL;
	autofree char *cache = app_path(app, "cache");
	autofree char *procfile = ps_procfile_path(app);
	autofree char *build_dir = NULL;
	char subdir_layer[LAYER_ID_HEX + 1];
	bool skip = ps_skip_deploy(app);
	int r = -1;

	if (builder_deploy_settings(app, &build_dir, err) < 0 || app_stack(s, &stack, err) < 0 ||
	    release_current(app, &cur, err) < 0)
		goto out;
	req.app = app;
	req.stack = stack;
	req.source_layer = source_layer;
	req.source_version = source_version;
	req.procfile_path = procfile;
	req.buildpacks = s->buildpacks;
	req.cache_dir = cache;
	req.host_id_base = app_host_id_base(s);
	req.reuse_key = cur.build_key;
	req.sink = d->sink;
	req.lease = d->lease;
	if (config_load_merged(app, &req.config, err) < 0 || config_load(app, &app_config, err) < 0)
		goto out;
	sink_step(d->sink, "Building %s on stack %s", app, stack);
	/* builder:set build-dir: the build's source is that directory's tree; the
	 * release keeps the whole source (a later push, ps:rebuild). */
	if (build_dir) {
		sink_step(d->sink, "Using build-dir %s", build_dir);
		if (build_source_subdir(&req, build_dir, subdir_layer, err) < 0)
			goto out;
		req.source_layer = subdir_layer;
		req.build_dir = build_dir;
	}
	if (build_run(&req, &res, err) < 0)
		goto out;
	if (res.reused) {
		sink_step(d->sink,
			  "No change since v%u (same source, stack, buildpacks and config): keeping its build",
			  cur.version);
		if (skip) {
			sink_step(d->sink, "Skipping deployment (ps:set %s skip-deploy)", app);
			r = 0;
			goto out;
		}
		/* The build is the same, the app's own vars may not be (config:set
		 * --no-restart): then they make a release of their own. */
		if (!env_equal(&cur.app_config, &app_config))
			r = deploy_release_from(d, &cur, &app_config, description, NULL, err);
		else
			r = deploy_rollout(d, cur.version, d->restart, err);
		goto out;
	}
	rel.stack = xstrdup(stack);
	rel.layers = res.layers;
	res.layers = (struct strv){ 0 };
	rel.procs = res.procs;
	res.procs = (struct proctypes){ 0 };
	rel.source_layer = xstrdup(source_layer);
	rel.source_version = source_version ? xstrdup(source_version) : NULL;
	rel.build_key = xstrdup(res.build_key);
	rel.description = xstrdup(description);
	rel.config = req.config;
	req.config = (struct strv){ 0 };
	rel.app_config = app_config;
	app_config = (struct strv){ 0 };
	if (checks_from_source(req.source_layer, d->sink, &rel.healthchecks, err) < 0)
		goto out;
	if (rel.procs.n == 0)
		sink_warn(d->sink, "warning: no Procfile and no default process types: %s has no processes to run",
			  app);
	for (size_t i = 0; i < rel.procs.n; i++)
		sink_detail(d->sink, "%s: %s", rel.procs.v[i].name, rel.procs.v[i].command);
	if (release_create(&d->app, &rel, err) < 0)
		goto out;
	if (release_phase(d, &rel, err) < 0) {
		struct berr ignored = { 0 };

		release_discard(&d->app, rel.version, &ignored);
		goto out;
	}
	if (app_settings_edit(&d->app, default_formation, &rel.procs, err) < 0)
		goto out;
	if (skip) {
		/* Dokku's skip-deploy: built and released, not deployed. The running
		 * processes and the active release stay; `releases:rollback APP vN`
		 * (or a deploy without skip-deploy) makes it live. */
		sink_step(d->sink, "Skipping deployment (ps:set %s skip-deploy): v%u is built, %s",
			  app, rel.version, cur.version ? "the active release stays" : "nothing runs");
		r = 0;
		goto out;
	}
	if (deploy_rollout(d, rel.version, d->restart, err) < 0) {
		discard_unless_active(d, rel.version);
		goto out;
	}
	sink_header(d->sink, "Application deployed: %s v%u", app, rel.version);
	r = 0;
out:
	strv_free(&req.config);
	strv_free(&app_config);
	build_result_free(&res);
	release_free(&cur);
	release_free(&rel);
	return r;
}

int deploy_rebuild(const char *name, const struct sink *sink, struct berr *err)
{
	struct deploy d;
	struct release cur;
	int r = -1;

	if (deploy_begin(name, "ps:rebuild", sink, &d, err) < 0)
		return -1;
	if (release_current(name, &cur, err) < 0)
		goto out;
	if (cur.version == 0 || !cur.source_layer)
		berr_fail(err, "App %s has not been deployed: there is no source to rebuild", name);
	else {
		d.restart = true;
		r = deploy_build(&d, cur.source_layer, cur.source_version, "Rebuild", err);
	}
	release_free(&cur);
out:
	deploy_finish(&d, r);
	return r;
}
