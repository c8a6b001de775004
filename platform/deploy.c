/* deploy.c - source in, release out.
 *
 * A deploy holds the app's lock from start to end, so a second push waits for
 * nothing and is told why it was refused. The active release changes only at the
 * very end, when the build, the release record and the release phase all
 * succeeded: a failed deploy leaves the running release untouched. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "common/ui.h"
#include "platform/internal.h"

/* Before a deploy: remove what killed deploys left in $BERTH_ROOT/tmp (their work
 * dirs hold config vars in clear; live ones are locked and kept), and make the
 * app's state root's alone where an older berth left it open (0755). */
static int deploy_prepare(const char *app, struct berr *err)
{
	autofree char *tmp = xasprintf("%s/tmp", berth_root());
	autofree char *apps = xasprintf("%s/apps", berth_root());
	autofree char *dir = app_path(app, NULL);

	workdir_remove_stale(tmp);
	if (chmod(apps, 0700) < 0 || chmod(dir, 0700) < 0)
		return berr_sys(err, "make the state of app %s root-only", app);
	return 0;
}

/* First deploy: web=1 when there is a web process, every other type 0. */
static int set_default_formation(const char *app, const struct proctypes *procs,
				 struct berr *err)
{
	struct app_settings s;
	int r = 0;

	if (app_settings_load(app, &s, err) < 0)
		return -1;
	if (s.formation.n == 0) {
		for (size_t i = 0; i < procs->n; i++) {
			if (!strcmp(procs->v[i].name, "release"))
				continue;
			strv_setenv(&s.formation, procs->v[i].name,
				    strcmp(procs->v[i].name, "web") ? "0" : "1");
		}
		r = app_settings_save(app, &s, err);
	}
	app_settings_free(&s);
	return r;
}

/* The `release` process type runs after the build and before the release goes
 * live (Heroku's release phase); its failure fails the deploy. */
static int release_phase(const char *app, const struct release *rel, struct berr *err)
{
	const char *command = proctypes_get(&rel->procs, "release");
	struct runtime_spec spec;
	struct strv argv = { 0 };
	autofree char *leaf = NULL;
	int status = 0, r = -1;

	if (!command)
		return 0;
	ui_step("Releasing %s (release phase): %s", app, command);
	runtime_spec_init(&spec);
	struct app a;
	if (app_open(app, 0, &a, err) < 0)
		goto out;
	r = release_spec(&a, rel, &spec, err);
	app_close(&a);
	if (r < 0)
		goto out;
	r = -1;
	strv_setenv(&spec.env, "DYNO", "release.1");
	strv_push(&argv, command);
	process_argv(&spec.argv, &argv);
	spec.hostname = app;
	leaf = xasprintf("release-%s", app);
	spec.name = leaf;
	spec.quiet_limits = true;
	if (runtime_spawn_wait(&spec, &status, err) < 0)
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

static int deploy_locked(const char *app, const char *source_layer, const char *source_version,
			 const char *description, struct berr *err)
{
	struct app_settings s = { 0 };
	struct build_request req = { 0 };
	struct build_result res = { 0 };
	struct release cur = { 0 }, rel = { 0 };
	autofree char *stack = NULL;
	autofree char *cache = app_path(app, "cache");
	int r = -1;

	if (app_settings_load(app, &s, err) < 0 || app_stack(&s, &stack, err) < 0 ||
	    release_current(app, &cur, err) < 0)
		goto out;
	req.app = app;
	req.stack = stack;
	req.source_layer = source_layer;
	req.source_version = source_version;
	req.buildpacks = s.buildpacks;
	req.cache_dir = cache;
	req.host_id_base = app_host_id_base(&s);
	req.reuse_key = cur.build_key;
	if (config_load_merged(app, &req.config, err) < 0)
		goto out;
	ui_step("Building %s on stack %s", app, stack);
	if (build_run(&req, &res, err) < 0)
		goto out;
	if (res.reused) {
		ui_step("No change since v%u (same source, stack, buildpacks and config): keeping its build",
			cur.version);
		r = 0;
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
	if (rel.procs.n == 0)
		ui_warn("warning: no Procfile and no default process types: %s has no processes to run", app);
	for (size_t i = 0; i < rel.procs.n; i++)
		ui_detail("%s: %s", rel.procs.v[i].name, rel.procs.v[i].command);
	if (release_create(app, &rel, err) < 0)
		goto out;
	if (release_phase(app, &rel, err) < 0) {
		struct berr ignored = { 0 };

		release_discard(app, rel.version, &ignored);
		goto out;
	}
	if (release_activate(app, rel.version, err) < 0 ||
	    set_default_formation(app, &rel.procs, err) < 0)
		goto out;
	ui_header("Application deployed: %s v%u", app, rel.version);
	r = 0;
out:
	strv_free(&req.config);
	build_result_free(&res);
	release_free(&cur);
	release_free(&rel);
	/* buildpacks are borrowed from s */
	app_settings_free(&s);
	return r;
}

int deploy_archive(const char *app, int fd, const char *source_version, struct berr *err)
{
	autoclose int lock = -1;
	char layer[LAYER_ID_HEX + 1];
	autofree char *desc = NULL;

	if (app_require(app, err) < 0 || app_lock_deploy(app, &lock, err) < 0 ||
	    deploy_prepare(app, err) < 0)
		return -1;
	struct strv held = { 0 };
	struct berr ignored = { 0 };
	int r;

	ui_step("Unpacking source");
	if (build_source_layer(fd, "source", layer, err) < 0)
		return -1;
	/* Hold the source layer until a release references it. */
	strv_push(&held, layer);
	r = image_refs_set("deploy", app, &held, err);
	strv_free(&held);
	if (r < 0)
		return -1;
	desc = xasprintf("Deploy %.12s", source_version ? source_version : layer);
	r = deploy_locked(app, layer, source_version ? source_version : layer, desc, err);
	image_refs_drop("deploy", app, &ignored);
	return r;
}

int deploy_rebuild(const char *app, struct berr *err)
{
	autoclose int lock = -1;
	struct release cur;
	int r;

	if (app_require(app, err) < 0 || app_lock_deploy(app, &lock, err) < 0 ||
	    deploy_prepare(app, err) < 0 || release_current(app, &cur, err) < 0)
		return -1;
	if (cur.version == 0 || !cur.source_layer) {
		release_free(&cur);
		return berr_fail(err, "App %s has not been deployed: there is no source to rebuild", app);
	}
	r = deploy_locked(app, cur.source_layer, cur.source_version, "Rebuild", err);
	release_free(&cur);
	return r;
}
