/* builder.c - from source layer to release metadata.
 *
 * The build container: the stack's layers, the source layer (/app owned by the
 * build user) and a small scaffold layer (/tmp/build -> /app, so BUILD_DIR has
 * herokuish's path while the buildpacks write the slug in place), with
 *   /tmp/buildpacks  the buildpacks, writable (for their export files)
 *   /tmp/cache       the app's build cache, kept between builds
 *   /tmp/env         ENV_DIR: one file per config var
 *   /tmp/berth       the build script and what it reports back
 * It runs as the build user with the runtime's full isolation; its writable layer
 * is kept and its /app becomes the build layer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "common/ui.h"
#include "runtime/runtime.h"

/* Bump when the build's shape changes, so a rebuild cannot reuse older output. */
#define BUILD_FORMAT "berth-build-1"

void build_result_free(struct build_result *res)
{
	strv_free(&res->layers);
	proctypes_free(&res->procs);
}

static int make_work_dir(const char *what, char **out, struct berr *err)
{
	autofree char *base = xasprintf("%s/tmp", berth_root());
	autofree char *tmpl = NULL;

	if (mkdir_p(base, 0755, err) < 0)
		return -1;
	tmpl = xasprintf("%s/%s-XXXXXX", base, what);
	if (!mkdtemp(tmpl))
		return berr_sys(err, "create %s", tmpl);
	/* Container ids reach into the work dir only through idmapped binds, but
	 * the stage may not be reachable for them without search permission. */
	if (chmod(tmpl, 0755) < 0)
		return berr_sys(err, "chmod %s", tmpl);
	*out = steal_ptr(tmpl);
	return 0;
}

int build_source_layer(int fd, const char *origin, char id[LAYER_ID_HEX + 1], struct berr *err)
{
	autofree char *work = NULL;
	autofree char *app = NULL;
	struct berr ignored;

	if (make_work_dir("source", &work, err) < 0)
		return -1;
	app = xasprintf("%s/app", work);
	if (source_extract(fd, app, BUILD_UID, BUILD_UID, UNWRAP_SOURCE, err) < 0 ||
	    chmod(app, 0755) < 0 ||
	    layer_commit_dir(work, origin, id, err) < 0) {
		rm_rf(work, &ignored);
		return -1;
	}
	return 0;
}

static int mkdir_owned(const char *path, mode_t mode, uid_t uid, struct berr *err)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return berr_sys(err, "create %s", path);
	if (chown(path, uid, uid) < 0 || chmod(path, mode) < 0)
		return berr_sys(err, "set owner of %s", path);
	return 0;
}

/* ENV_DIR: one file per config var, named after it, holding its value. */
static int write_env_dir(const char *dir, const struct strv *config, struct berr *err)
{
	if (mkdir_owned(dir, 0755, 0, err) < 0)
		return -1;
	for (size_t i = 0; i < config->n; i++) {
		const char *eq = strchr(config->v[i], '=');
		autofree char *key = eq ? xstrndup(config->v[i], eq - config->v[i]) : NULL;
		autofree char *path = NULL;

		if (!key || !env_name_valid(key))
			continue;
		path = xasprintf("%s/%s", dir, key);
		if (write_file_atomic(path, eq + 1, strlen(eq + 1), 0644, err) < 0)
			return -1;
	}
	return 0;
}

/* Fetch each buildpack into <work>/buildpacks/NN-name, owned by the build user,
 * and fold its content into the build key. */
static int fetch_buildpacks(const struct strv *specs, bool detect, const char *dir,
			    struct strv *names, struct sha256 *key, struct berr *err)
{
	if (mkdir_owned(dir, 0755, BUILD_UID, err) < 0)
		return -1;
	for (size_t i = 0; i < specs->n; i++) {
		autofree char *shortname = buildpack_short_name(specs->v[i]);
		autofree char *name = xasprintf("%02zu-%s", i + 1, shortname);
		autofree char *dest = xasprintf("%s/%s", dir, name);

		if (!detect)
			ui_step("Fetching buildpack %s", specs->v[i]);
		if (buildpack_fetch(specs->v[i], dest, err) < 0 ||
		    tree_own_and_hash(dest, BUILD_UID, BUILD_UID, key, true, err) < 0)
			return -1;
		sha256_update_str(key, specs->v[i]);
		strv_push(names, name);
	}
	return 0;
}

/* /tmp (as the stacks make it, 1777) with /tmp/build -> /app. */
static int make_scaffold(const char *dir, struct berr *err)
{
	autofree char *tmp = xasprintf("%s/tmp", dir);
	autofree char *link = xasprintf("%s/tmp/build", dir);

	if (mkdir_owned(dir, 0755, 0, err) < 0 || mkdir_owned(tmp, 01777, 0, err) < 0)
		return -1;
	if (symlink("/app", link) < 0 || lchown(link, BUILD_UID, BUILD_UID) < 0)
		return berr_sys(err, "create %s", link);
	return 0;
}

static void add_bind(struct runtime_spec *spec, const char *src, const char *dst, bool ro)
{
	spec->binds = xrealloc(spec->binds, (spec->nbinds + 1) * sizeof(*spec->binds));
	spec->binds[spec->nbinds].src = xstrdup(src);
	spec->binds[spec->nbinds].dst = xstrdup(dst);
	spec->binds[spec->nbinds].ro = ro;
	spec->nbinds++;
}

static int run_build_container(const struct build_request *req, const char *work,
			       struct berr *err)
{
	struct runtime_spec spec;
	struct stack_config sc = { 0 };
	autofree char *scaffold = xasprintf("%s/scaffold", work);
	autofree char *meta = xasprintf("%s/meta", work);
	autofree char *bps = xasprintf("%s/buildpacks", work);
	autofree char *env = xasprintf("%s/env", work);
	autofree char *upper = xasprintf("%s/upper", work);
	autofree char *leaf = xasprintf("build-%s", req->app);
	int status = 0, r = -1;

	runtime_spec_init(&spec);
	if (stack_layer_dirs(req->stack, &spec.layers, err) < 0 ||
	    stack_config_load(req->stack, &sc, err) < 0)
		goto out;
	strv_push_owned(&spec.layers, layer_path(req->source_layer));
	strv_push(&spec.layers, scaffold);
	for (size_t i = 0; i < sc.env.n; i++)
		strv_push(&spec.env, sc.env.v[i]);
	if (!strv_getenv(&spec.env, "PATH"))
		strv_setenv(&spec.env, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	strv_setenv(&spec.env, "HOME", "/app");
	strv_setenv(&spec.env, "STACK", req->stack);
	strv_setenv(&spec.env, "SOURCE_VERSION", req->source_version ? req->source_version : "");
	strv_setenv(&spec.env, "HOSTNAME", req->app);
	strv_push(&spec.argv, "/bin/sh");
	strv_push(&spec.argv, "/tmp/berth/build.sh");
	add_bind(&spec, meta, "/tmp/berth", false);
	add_bind(&spec, bps, "/tmp/buildpacks", false);
	add_bind(&spec, req->cache_dir, "/tmp/cache", false);
	add_bind(&spec, env, "/tmp/env", true);
	spec.hostname = req->app;
	spec.workdir = "/app";
	spec.uid = spec.gid = BUILD_UID;
	spec.host_id_base = req->host_id_base;
	spec.keep_upper = upper;
	spec.name = leaf;
	spec.quiet_limits = true;
	if (runtime_spawn_wait(&spec, &status, err) < 0) {
		berr_prefix(err, "build container");
		goto out;
	}
	if (status == RUNTIME_EXIT_NOTFOUND || status == RUNTIME_EXIT_NOEXEC)
		berr_fail(err, "Build failed: the stack %s has no usable /bin/sh", req->stack);
	else if (status != 0)
		berr_fail(err, "Build failed");
	else
		r = 0;
out:
	stack_config_release(&sc);
	runtime_spec_release(&spec);
	return r;
}

/* What the buildpacks reported: bin/release YAML (later buildpacks win) and the
 * Procfile the build ended with, which wins over default_process_types. */
static int read_outputs(const char *out, size_t npacks, struct buildpack_release *merged,
			struct proctypes *procs, struct berr *err)
{
	autofree char *procfile = xasprintf("%s/Procfile", out);

	memset(merged, 0, sizeof(*merged));
	/* release-N.yml for the Nth buildpack run, when it has a bin/release. */
	for (size_t i = 1; i <= npacks; i++) {
		autofree char *path = xasprintf("%s/release-%zu.yml", out, i);
		autofree char *text = NULL;
		struct buildpack_release one;
		size_t len;

		if (!path_exists(path))
			continue;
		if (read_file(path, &text, &len, err) < 0 ||
		    release_yaml_parse(text, len, &one, err) < 0)
			return -1;
		for (size_t k = 0; k < one.default_process_types.n; k++)
			proctypes_set(&merged->default_process_types, one.default_process_types.v[k].name,
				      one.default_process_types.v[k].command);
		for (size_t k = 0; k < one.config_vars.n; k++) {
			const char *eq = strchr(one.config_vars.v[k], '=');
			autofree char *key = xstrndup(one.config_vars.v[k], eq - one.config_vars.v[k]);

			strv_setenv(&merged->config_vars, key, eq + 1);
		}
		buildpack_release_free(&one);
	}
	if (path_exists(procfile)) {
		autofree char *text = NULL;

		if (read_file(procfile, &text, NULL, err) < 0 || procfile_parse(text, procs, err) < 0)
			return -1;
	}
	if (procs->n == 0)
		for (size_t k = 0; k < merged->default_process_types.n; k++)
			proctypes_set(procs, merged->default_process_types.v[k].name,
				      merged->default_process_types.v[k].command);
	return 0;
}

/* A Procfile in the source is checked before any buildpack runs: a broken one
 * should not cost a whole build to find out. */
static int check_source_procfile(const char *source_layer, struct berr *err)
{
	autofree char *dir = layer_path(source_layer);
	autofree char *path = xasprintf("%s/app/Procfile", dir);
	autofree char *text = NULL;
	struct proctypes pt = { 0 };

	if (!path_exists(path))
		return 0;
	if (read_file(path, &text, NULL, err) < 0 || procfile_parse(text, &pt, err) < 0)
		return -1;
	proctypes_free(&pt);
	return 0;
}

static void key_add_config(struct sha256 *key, const struct strv *config)
{
	/* config_load keeps vars sorted, so equal config hashes equally. */
	for (size_t i = 0; i < config->n; i++)
		sha256_update_str(key, config->v[i]);
}

int build_run(const struct build_request *req, struct build_result *res, struct berr *err)
{
	autofree char *work = NULL;
	autofree char *meta = NULL, *out = NULL, *script = NULL, *script_path = NULL;
	autofree char *bps = NULL, *env = NULL, *upper = NULL, *scaffold = NULL;
	struct strv specs = { 0 }, dirs = { 0 }, stack_ids = { 0 };
	struct buildpack_release rel = { 0 };
	struct sha256 key;
	struct berr ignored;
	char build_layer[LAYER_ID_HEX + 1];
	bool detect;
	int r = -1;

	memset(res, 0, sizeof(*res));
	sha256_init(&key);
	sha256_update_str(&key, BUILD_FORMAT);
	if (check_source_procfile(req->source_layer, err) < 0 ||
	    stack_layer_ids(req->stack, &stack_ids, err) < 0 ||
	    build_select_buildpacks(req, &specs, &detect, err) < 0 ||
	    make_work_dir("build", &work, err) < 0)
		goto out;
	for (size_t i = 0; i < stack_ids.n; i++)
		sha256_update_str(&key, stack_ids.v[i]);
	sha256_update_str(&key, req->source_layer);
	sha256_update_str(&key, detect ? "detect" : "explicit");
	key_add_config(&key, &req->config);
	bps = xasprintf("%s/buildpacks", work);
	if (fetch_buildpacks(&specs, detect, bps, &dirs, &key, err) < 0)
		goto out;
	sha256_final_hex(&key, res->build_key);
	if (req->reuse_key && !strcmp(req->reuse_key, res->build_key)) {
		res->reused = true;
		r = 0;
		goto out;
	}
	meta = xasprintf("%s/meta", work);
	out = xasprintf("%s/out", meta);
	env = xasprintf("%s/env", work);
	upper = xasprintf("%s/upper", work);
	scaffold = xasprintf("%s/scaffold", work);
	script_path = xasprintf("%s/build.sh", meta);
	script = build_script(&dirs, detect);
	if (mkdir_owned(meta, 0755, BUILD_UID, err) < 0 || mkdir_owned(out, 0755, BUILD_UID, err) < 0 ||
	    write_file_atomic(script_path, script, strlen(script), 0644, err) < 0 ||
	    write_env_dir(env, &req->config, err) < 0 || make_scaffold(scaffold, err) < 0 ||
	    mkdir_p(req->cache_dir, 0755, err) < 0 || chown(req->cache_dir, BUILD_UID, BUILD_UID) < 0)
		goto out;
	if (run_build_container(req, work, err) < 0)
		goto out;
	if (read_outputs(out, dirs.n, &rel, &res->procs, err) < 0 ||
	    slug_commit(upper, work, &rel.config_vars, build_layer, err) < 0)
		goto out;
	for (size_t i = 0; i < stack_ids.n; i++)
		strv_push(&res->layers, stack_ids.v[i]);
	strv_push(&res->layers, req->source_layer);
	strv_push(&res->layers, build_layer);
	r = 0;
out:
	if (key.ctx)
		sha256_free(&key);
	if (work)
		rm_rf(work, &ignored);
	buildpack_release_free(&rel);
	strv_free(&specs);
	strv_free(&dirs);
	strv_free(&stack_ids);
	if (r < 0)
		build_result_free(res);
	return r;
}
