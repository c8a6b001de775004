/* app_lifecycle.c - the end and the moves of an app: apps:destroy leaves
 * nothing of it (files, logs, processes and their cgroups, address leases,
 * routes and forwarded ports, layers only it used); apps:rename moves it whole;
 * apps:clone makes a new app of its settings, config, image and git repository.
 *
 * Processes are stopped through the daemon when one runs (it frees their
 * addresses and rewrites the routes); containers left without a daemon are
 * destroyed here, found by their names (<app>.<type>.<n>[.<k>], <app>.run.<n>). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "images/images.h"
#include "net/net.h"
#include "platform/daemon.h"
#include "platform/internal.h"

/* s is one or more digits up to its end or its first dot. */
static bool number_part(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && (s[n] == '\0' || s[n] == '.');
}

/* Is id one of app's containers: "<app>.<type>.<n>", or "<app>.<type>.<n>.<k>"
 * (a slot's second container during a rollout), with a type that starts with a
 * letter and has no dots, so app "a" never claims app "a.b"'s "a.b.web.1"? */
static bool container_of(const char *id, const char *app)
{
	size_t len = strlen(app);
	const char *type, *num, *dot;

	if (strncmp(id, app, len) || id[len] != '.')
		return false;
	type = id + len + 1;
	if (!((*type >= 'a' && *type <= 'z') || (*type >= 'A' && *type <= 'Z') || *type == '_'))
		return false;
	if (!(num = strchr(type, '.')) || !number_part(++num))
		return false;
	dot = strchr(num, '.');
	return !dot || (number_part(dot + 1) && !strchr(dot + 1, '.'));
}

/* What the daemon's records of app name: their addresses, to give back. */
static void record_addrs(const char *app, struct strv *addrs)
{
	struct proc_record *recs = NULL;
	size_t n = 0;
	struct berr ignored;

	if (proc_records_list(app, &recs, &n, &ignored) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (recs[i].addr)
			strv_push_owned(addrs, xstrndup(recs[i].addr, strcspn(recs[i].addr, ":")));
	proc_records_free(recs, n);
}

int app_processes_end(const char *app, struct berr *err)
{
	struct strv ids = { 0 }, addrs = { 0 };
	autofree char *records = xasprintf("%s/daemon/procs/%s", berth_run(), app);
	struct net_config cfg;
	struct berr ignored;
	int r = 0;

	if (daemon_app_stop(app, err) < 0)
		return -1;
	record_addrs(app, &addrs);
	if (runtime_list(&ids, err) < 0) {
		strv_free(&addrs);
		return -1;
	}
	for (size_t i = 0; i < ids.n && r == 0; i++) {
		struct runtime_container c;

		if (!container_of(ids.v[i], app) || runtime_open(ids.v[i], &c, &ignored) < 0)
			continue;
		r = runtime_destroy(&c, err);
	}
	/* The leases of containers that ended without a daemon to give them back. */
	if (r == 0 && addrs.n && net_config_load(&cfg, &ignored) == 0)
		for (size_t i = 0; i < addrs.n; i++) {
			struct in_addr a;

			if (inet_pton(AF_INET, addrs.v[i], &a) == 1)
				net_ipam_release(&cfg, ntohl(a.s_addr), &ignored);
		}
	if (r == 0)
		r = rm_rf(records, err);
	strv_free(&ids);
	strv_free(&addrs);
	return r;
}

/* The router's table and the forwarded ports without the app (or with its new
 * name): only where a router table was ever written. */
static void routes_update(void)
{
	autofree char *table = routes_table_path();
	struct berr ignored;

	if (path_exists(table))
		routes_refresh(&ignored);
}

int app_destroy(const char *name, struct berr *err)
{
	autofree char *logs = logs_dir(name);
	struct strv freed = { 0 };
	autoclose int deploy = -1;
	uint64_t bytes;
	int r;

	/* Not while a deploy runs (it would write into a directory being removed),
	 * and refused before anything stops. */
	if (app_require(name, err) < 0 || app_deploy_lock_take(name, 0, NULL, &deploy, err) < 0 ||
	    app_processes_end(name, err) < 0)
		return -1;
	r = app_remove_files(name, err);
	if (r == 0)
		r = rm_rf(logs, err);
	routes_update();
	/* Its layers go unless another app or a stack uses them. */
	if (r == 0)
		r = images_gc(NULL, &freed, &bytes, err);
	strv_free(&freed);
	return r;
}

/* Every release reference of app moves to the name new_name. */
static int move_release_refs(const char *old, const char *new_name, struct berr *err)
{
	autofree unsigned *v = NULL;
	size_t n;
	int r = 0;

	if (release_versions(new_name, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct release rel;
		autofree char *from = xasprintf("%s/v%u", old, v[i]);
		autofree char *to = xasprintf("%s/v%u", new_name, v[i]);

		if (release_load(new_name, v[i], &rel, err) < 0)
			return -1;
		r = image_refs_set("release", to, &rel.layers, err);
		if (r == 0)
			r = image_refs_drop("release", from, err);
		release_free(&rel);
	}
	return r;
}

/* apps:rename: the app's own names under each global domain follow it
 * (old.example.com -> new.example.com); every other domain stays (Dokku). */
struct rename_ctx {
	const char *old, *new_name;
	struct strv global;
};

static int rename_domains(struct app_settings *s, void *ctx, struct berr *err)
{
	struct rename_ctx *rc = ctx;

	(void)err;
	for (size_t i = 0; s->domains_set && i < s->domains.n; i++)
		for (size_t g = 0; g < rc->global.n; g++) {
			autofree char *was = xasprintf("%s.%s", rc->old, rc->global.v[g]);

			if (strcmp(s->domains.v[i], was))
				continue;
			free(s->domains.v[i]);
			s->domains.v[i] = xasprintf("%s.%s", rc->new_name, rc->global.v[g]);
			break;
		}
	return 0;
}

static int app_rename_domains(const char *old, const char *new_name, struct berr *err)
{
	struct rename_ctx rc = { old, new_name, { 0 } };
	struct app a;
	int r;

	if (domains_global_list(&rc.global, err) < 0)
		return -1;
	r = app_open(new_name, 0, &a, err);
	if (r == 0) {
		r = app_settings_edit(&a, rename_domains, &rc, err);
		app_close(&a);
	}
	strv_free(&rc.global);
	return r;
}

int app_rename(const char *old, const char *new_name, bool restart, struct berr *err)
{
	autofree char *old_logs = logs_dir(old);
	autofree char *new_logs = logs_dir(new_name);
	struct ps_settings ps;
	struct release cur;
	autoclose int deploy = -1;
	int r;

	if (app_require(old, err) < 0 || app_name_check(new_name, err) < 0)
		return -1;
	if (app_exists(new_name))
		return berr_fail(err, "Name is already taken");
	/* Not while it deploys (the deploy writes beneath the old name), and
	 * refused before anything stops. */
	if (app_deploy_lock_take(old, 0, NULL, &deploy, err) < 0 ||
	    ps_settings_load(old, &ps, err) < 0 || app_processes_end(old, err) < 0 ||
	    app_move_dir(old, new_name, err) < 0)
		return -1;
	r = move_release_refs(old, new_name, err);
	if (r == 0)
		r = app_rename_domains(old, new_name, err);
	if (r == 0 && path_exists(old_logs) && rename(old_logs, new_logs) < 0)
		r = berr_sys(err, "move the logs of %s to %s", old, new_logs);
	/* Stopping it for the move marked it stopped: back as it was. */
	if (r == 0)
		r = ps_settings_save(new_name, &ps, err);
	routes_update();
	if (r < 0 || !restart)
		return r;
	if (release_current(new_name, &cur, err) < 0)
		return -1;
	if (cur.version)
		r = daemon_notify(new_name, false, err);
	release_free(&cur);
	return r;
}

/* The new app's settings are the old one's, but for what is its own: host ids,
 * creation time, its domains (each app answers on its own names) and the host
 * ports only one app can forward. */
static int copy_settings(struct app_settings *s, void *ctx, struct berr *err)
{
	const struct app_settings *from = ctx;
	struct strv *lists[] = { &s->buildpacks, &s->formation, &s->resources, &s->storage, &s->ports };
	const struct strv *src[] = { &from->buildpacks, &from->formation, &from->resources,
				     &from->storage, &from->ports };

	(void)err;
	free(s->stack);
	s->stack = from->stack ? xstrdup(from->stack) : NULL;
	free(s->deploy_branch);
	s->deploy_branch = from->deploy_branch ? xstrdup(from->deploy_branch) : NULL;
	s->releases_keep = from->releases_keep;
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		strv_free(lists[l]);
		for (size_t i = 0; i < src[l]->n; i++)
			if (lists[l] != &s->ports || (!str_has_prefix(src[l]->v[i], "tcp:") &&
						      !str_has_prefix(src[l]->v[i], "udp:")))
				strv_push(lists[l], src[l]->v[i]);
	}
	return 0;
}

/* Each command's per-app properties, as Dokku clones every plugin's: ps:set
 * (ps.json; stopped or not is reset after), builder:set, checks:set, git:set,
 * logs:set. Not apps.json: the deploy source is the clone's own. */
static int copy_properties(const char *old, const char *new_name, struct berr *err)
{
	static const char *const files[] = { "ps.json", "builder.json", "checks.json", "git.json",
					     "logs.json" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		autofree char *from = app_path(old, files[i]);
		autofree char *to = app_path(new_name, files[i]);

		if (path_exists(from) > 0 && copy_file(from, to, 0600, err) < 0)
			return -1;
	}
	return 0;
}

/* The pushed repository too (Dokku copies the app's directory): the next push
 * to the clone sends only what it lacks. */
static int copy_repo(const char *old, const char *new_name, struct berr *err)
{
	autofree char *from = app_path(old, "repo.git");
	autofree char *to = app_path(new_name, "repo.git");

	if (!path_exists(from))
		return 0;
	return images_tree_copy(from, to, err);
}

int app_clone(const char *old, const char *new_name, bool deploy, const struct sink *sink,
	      struct berr *err)
{
	struct app from;
	struct deploy d;
	struct release cur = { 0 };
	struct ps_settings ps;
	struct strv config = { 0 };
	autofree char *desc = NULL;
	bool created = false;
	int r = -1;

	if (app_open(old, 0, &from, err) < 0)
		return -1;
	if (app_create(new_name, err) < 0)
		goto out;
	created = true;
	if (deploy_begin(new_name, "apps:clone", sink, &d, err) < 0)
		goto out;
	if (app_settings_edit(&d.app, copy_settings, &from.settings, err) < 0 ||
	    config_load(old, &config, err) < 0 || config_save(new_name, &config, err) < 0 ||
	    copy_properties(old, new_name, err) < 0 || ps_settings_load(old, &ps, err) < 0)
		goto end;
	ps.stopped = false;
	ps.stopped_types[0] = '\0';
	if (ps_settings_save(new_name, &ps, err) < 0 || release_current(old, &cur, err) < 0 ||
	    copy_repo(old, new_name, err) < 0)
		goto end;
	r = 0;
	/* Its image, with its own (copied) vars: no build needed. */
	if (deploy && cur.version) {
		desc = xasprintf("Clone of %s v%u", old, cur.version);
		r = deploy_release_from(&d, &cur, &config, desc, NULL, err);
	}
end:
	deploy_finish(&d, r);
out:
	if (r < 0 && created) {
		struct berr ignored;

		/* Whole or not at all: a half-made clone goes. */
		app_destroy(new_name, &ignored);
	}
	strv_free(&config);
	release_free(&cur);
	app_close(&from);
	return r;
}
