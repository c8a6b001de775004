/* builder.c - from source layer to release metadata.
 *
 * The build container: the stack's layers, the source layer's chain (/app owned
 * by the build user; a push's layer holds only its changes, over the source
 * layers before it) and a small scaffold layer (/tmp/build -> /app, so BUILD_DIR has
 * herokuish's path while the buildpacks write the slug in place), with
 *   /tmp/buildpacks  the buildpacks, writable (for their export files)
 *   /tmp/cache       the app's build cache, kept between builds
 *   /tmp/env         ENV_DIR: one file per config var
 *   /tmp/berth       the build script and what it reports back
 * It runs as the build user with the runtime's full isolation; its writable layer
 * is kept and its /app becomes the build layer.
 *
 * Who sees what: the work directory is root's alone (0700, under a 0700 tmp), so
 * no host user reaches the secrets in ENV_DIR or can plant anything. What the
 * container must read or write is owned by the build user in container id space
 * (uid 1000 on disk): binds are idmapped, so the build sees it as its own while
 * no host path leads to it. What the buildpacks leave behind is read with
 * read_file_beneath(): no symlinks, regular files, bounded. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "runtime/runtime.h"

/* Bump when the build's shape changes, so a rebuild cannot reuse older output. */
#define BUILD_FORMAT "berth-build-1"

void build_result_free(struct build_result *res)
{
	strv_free(&res->layers);
	proctypes_free(&res->procs);
}

/* $BERTH_ROOT/tmp/work-<what>-XXXXXX, root's alone, locked while this deploy (or
 * the build container's monitor) lives: a killed deploy's is found and removed by
 * the next deploy or images:gc (workdir_remove_stale). Containers reach into it
 * only through binds mounted by the monitor, as host root. */
static int make_work_dir(const char *what, char **out, int *lock, struct berr *err)
{
	autofree char *base = xasprintf("%s/tmp", berth_root());

	return workdir_create(base, what, out, lock, err);
}

static int mkdir_owned(const char *path, mode_t mode, uid_t uid, struct berr *err);

/* A source work directory (0755: it becomes a layer's root) with an empty /app
 * of the build user's, for a tree writer or a copy to fill. On failure nothing
 * is left and *work is NULL. */
static int make_source_dir(char **work, char **app, int *lock, struct berr *err)
{
	struct berr ignored = { 0 };

	if (make_work_dir("source", work, lock, err) < 0)
		return -1;
	*app = xasprintf("%s/app", *work);
	if (chmod(*work, 0755) < 0)
		berr_sys(err, "set the mode of %s", *work);
	else if (mkdir_owned(*app, 0755, BUILD_UID, err) == 0)
		return 0;
	rm_rf(*work, &ignored);
	free(*work);
	*work = NULL;
	return -1;
}

/* An archive's tree: unpacked whole, owned by the build user by the extractor. */
int build_source_layer(int fd, const char *origin, struct images_lease *lease,
		       char id[LAYER_ID_HEX + 1], struct berr *err)
{
	autofree char *work = NULL;
	autofree char *app = NULL;
	autoclose int lock = -1;
	struct berr ignored = { 0 };
	int r = -1;

	if (make_work_dir("source", &work, &lock, err) < 0)
		return -1;
	app = xasprintf("%s/app", work);
	if (source_extract(fd, app, BUILD_UID, BUILD_UID, UNWRAP_SOURCE, err) < 0)
		goto out;
	/* The layer's own modes: the work dir (its root) becomes the layer root. */
	if (chmod(app, 0755) < 0 || chmod(work, 0755) < 0) {
		berr_sys(err, "set the mode of %s", app);
		goto out;
	}
	r = layer_commit_dir_leased(work, origin, lease, id, err);
out:
	if (r < 0)
		rm_rf(work, &ignored);
	return r;
}

/* What the writer may build on: base's label, and the /app of each layer of its
 * chain. A chain that is long enough is flattened: the whole tree is written
 * (*whole), linking unchanged files from the chain (a chain never grows without
 * bound, and flattening it costs little more than a push). */
static char *source_base(const char *base, struct strv *dirs, bool *whole)
{
	struct strv chain = { 0 };
	struct layer_info info;
	struct berr ignored = { 0 };
	char *label = NULL;

	*whole = false;
	if (!base || layer_chain(base, &chain, &ignored) < 0)
		return NULL;
	if (layer_info_load(base, &info, &ignored) == 0) {
		if (info.origin && *info.origin)
			label = xstrdup(info.origin);
		layer_info_release(&info);
	}
	*whole = chain.n >= BUILD_SOURCE_CHAIN_MAX;
	for (size_t i = 0; label && i < chain.n; i++) {
		autofree char *root = layer_path(chain.v[i]);

		strv_push_owned(dirs, xasprintf("%s/app", root));
	}
	strv_free(&chain);
	return label;
}

int build_source_layer_from_tree(tree_writer write_tree, void *ctx, const char *base,
				 struct images_lease *lease, char id[LAYER_ID_HEX + 1],
				 struct berr *err)
{
	autofree char *work = NULL;
	autofree char *app = NULL;
	struct strv dirs = { 0 };
	bool whole;
	autofree char *base_label = source_base(base, &dirs, &whole);
	autoclose int lock = -1;
	struct berr ignored = { 0 };
	struct tree_request req = { .uid = BUILD_UID, .gid = BUILD_UID, .base = base_label,
				    .whole = whole, .base_dirs = &dirs };
	int r = -1;

	if (make_source_dir(&work, &app, &lock, err) < 0)
		goto out;
	req.dir = app;
	if (write_tree(ctx, &req, err) < 0)
		goto out;
	if (req.same && base_label && !whole) {
		/* Nothing changed: the running release's source is this one. */
		snprintf(id, LAYER_ID_HEX + 1, "%s", base);
		r = rm_rf(work, err);
		goto out;
	}
	r = layer_commit_dir_on(work, req.label ? req.label : "source",
				req.delta && base_label && !whole ? base : NULL, lease, id, err);
out:
	if (r < 0 && work)
		rm_rf(work, &ignored);
	free(req.label);
	strv_free(&dirs);
	return r;
}

static int mkdir_owned(const char *path, mode_t mode, uid_t uid, struct berr *err)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return berr_sys(err, "create %s", path);
	if (lchown(path, uid, uid) < 0 || chmod(path, mode) < 0)
		return berr_sys(err, "set owner and mode of %s", path);
	return 0;
}

/* ENV_DIR: one file per config var, named after it, holding its value. Owned by
 * the build user (its own files inside, through the idmapped bind), 0700/0600:
 * nobody else on the host or in the container reads the secrets. */
static int write_env_dir(const char *dir, const struct strv *config, struct berr *err)
{
	autoclose int dfd = -1;

	if (mkdir_owned(dir, 0700, BUILD_UID, err) < 0)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return berr_sys(err, "open %s", dir);
	for (size_t i = 0; i < config->n; i++) {
		const char *eq = strchr(config->v[i], '=');
		autofree char *key = eq ? xstrndup(config->v[i], eq - config->v[i]) : NULL;
		autofree char *path = NULL;
		autoclose int fd = -1;

		if (!key || !env_name_valid(key))
			continue;
		path = xasprintf("%s/%s", dir, key);
		fd = openat(dfd, key, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return berr_sys(err, "create %s", path);
		if (write_all(fd, eq + 1, strlen(eq + 1), path, err) < 0)
			return -1;
		if (fchown(fd, BUILD_UID, BUILD_UID) < 0)
			return berr_sys(err, "chown %s", path);
	}
	return 0;
}

/* Fetch each buildpack into <work>/buildpacks/NN-name, owned by the build user,
 * and fold its content into the build key. */
static int fetch_buildpacks(const struct strv *specs, bool detect, const char *dir,
			    struct strv *names, struct sha256 *key, const struct sink *sink,
			    struct berr *err)
{
	if (mkdir_owned(dir, 0755, BUILD_UID, err) < 0)
		return -1;
	for (size_t i = 0; i < specs->n; i++) {
		autofree char *shortname = buildpack_short_name(specs->v[i]);
		autofree char *name = xasprintf("%02zu-%s", i + 1, shortname);
		autofree char *dest = xasprintf("%s/%s", dir, name);

		if (!detect)
			sink_step(sink, "Fetching buildpack %s", specs->v[i]);
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

/* The app's build cache: the build user's (container id space, as binds are
 * idmapped), 0700, in the app's root-only directory. */
static int prepare_cache(const char *dir, struct berr *err)
{
	if (mkdir_p(dir, 0700, err) < 0)
		return berr_prefix(err, "build cache");
	if (lchown(dir, BUILD_UID, BUILD_UID) < 0 || chmod(dir, 0700) < 0)
		return berr_sys(err, "set owner and mode of the build cache %s", dir);
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

/* The tree at /app/<dir> of source's chain (dirs: its layers, bottom first) is
 * a directory: not absent, not a symlink, nothing above it hidden. */
static int source_has_dir(const struct strv *dirs, const char *dir, const char *app,
			  struct berr *err)
{
	autofree char *path = xasprintf("app/%s", dir);
	struct stat st;
	size_t at;
	int found = layers_find(dirs, path, &at, err);

	if (found < 0)
		return -1;
	if (found) {
		autofree char *full = xasprintf("%s/%s", dirs->v[at], path);

		found = lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
	}
	if (!found)
		return berr_fail(err, "Specified build-dir not found in the source of %s: %s "
				 "(builder:set %s build-dir)", app, dir, app);
	return 0;
}

int build_source_subdir(const struct build_request *req, const char *dir, char id[LAYER_ID_HEX + 1],
			struct berr *err)
{
	struct strv chain = { 0 }, dirs = { 0 };
	struct runtime_spec spec;
	autofree char *work = NULL, *app = NULL, *from = NULL;
	autofree char *leaf = xasprintf("build-dir-%s", req->app);
	autoclose int lock = -1;
	struct berr ignored = { 0 };
	struct stat st;
	int status = 0, r = -1;

	runtime_spec_init(&spec);
	if (layer_chain(req->source_layer, &chain, err) < 0)
		goto out;
	for (size_t i = 0; i < chain.n; i++)
		strv_push_owned(&dirs, layer_path(chain.v[i]));
	if (source_has_dir(&dirs, dir, req->app, err) < 0 || make_source_dir(&work, &app, &lock, err) < 0)
		goto out;
	/* overlayfs merges the chain: the copy sees the tree the build would. */
	if (stack_layer_dirs(req->stack, &spec.layers, err) < 0)
		goto out;
	for (size_t i = 0; i < dirs.n; i++)
		strv_push(&spec.layers, dirs.v[i]);
	from = xasprintf("/app/%s/.", dir);
	strv_push(&spec.argv, "cp");
	strv_push(&spec.argv, "-a");
	strv_push(&spec.argv, from);
	strv_push(&spec.argv, "/tmp/build-dir/");
	strv_setenv(&spec.env, "PATH", STACK_DEFAULT_PATH);
	add_bind(&spec, app, "/tmp/build-dir", false);
	spec.hostname = req->app;
	spec.uid = spec.gid = BUILD_UID;
	spec.host_id_base = req->host_id_base;
	spec.name = leaf;
	spec.quiet_limits = true;
	spec.sink = req->sink;
	if (build_container_run(&spec, req->sink, &status, err) < 0) {
		berr_prefix(err, "copy build-dir %s", dir);
		goto out;
	}
	if (status != 0) {
		berr_fail(err, "Could not copy build-dir %s out of the source (cp exited %d)", dir, status);
		goto out;
	}
	/* Over the source's chain, its /app opaque: the release keeps the whole
	 * source's layers, and the merged /app is the directory's tree alone. */
	if (setxattr(app, "user.overlay.opaque", "y", 1, 0) < 0) {
		berr_sys(err, "mark %s opaque", app);
		goto out;
	}
	/* The id covers times: the layer's root takes the directory's, so the
	 * same tree is the same layer (and build) again. */
	if (stat(app, &st) < 0 ||
	    utimensat(AT_FDCWD, work, (struct timespec[2]){ st.st_mtim, st.st_mtim }, 0) < 0) {
		berr_sys(err, "set the times of %s", work);
		goto out;
	}
	r = layer_commit_dir_on(work, "source build-dir", req->source_layer, req->lease, id, err);
out:
	if (r < 0 && work)
		rm_rf(work, &ignored);
	runtime_spec_release(&spec);
	strv_free(&chain);
	strv_free(&dirs);
	return r;
}

static int run_build_container(const struct build_request *req, const struct strv *source,
			       const char *work, struct berr *err)
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
	for (size_t i = 0; i < source->n; i++)
		strv_push_owned(&spec.layers, layer_path(source->v[i]));
	strv_push(&spec.layers, scaffold);
	stack_env_apply(&sc, &spec.env, "/app", NULL);
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
	spec.sink = req->sink;
	if (build_container_run(&spec, req->sink, &status, err) < 0) {
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
 * Procfile the build ended with, which wins over default_process_types. The build
 * controlled meta/out: nothing there is followed, opened blocking or read whole
 * without a bound. */
static int read_outputs(const char *work, size_t npacks, struct buildpack_release *merged,
			struct proctypes *procs, struct berr *err)
{
	autoclose int workfd = open(work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	autoclose int outfd = -1;
	autofree char *procfile = NULL;
	int found;

	memset(merged, 0, sizeof(*merged));
	if (workfd < 0)
		return berr_sys(err, "open %s", work);
	outfd = openat_beneath(workfd, "meta/out", O_PATH | O_DIRECTORY, err);
	if (outfd < 0)
		return berr_prefix(err, "build output");
	/* release-N.yml for the Nth buildpack run, when it has a bin/release. */
	for (size_t i = 1; i <= npacks; i++) {
		autofree char *name = xasprintf("release-%zu.yml", i);
		autofree char *what = xasprintf("bin/release output of buildpack %zu", i);
		autofree char *text = NULL;
		struct buildpack_release one;
		size_t len;

		found = read_file_beneath(outfd, name, what, BUILD_FILE_MAX, &text, &len, err);
		if (found < 0)
			return -1;
		if (found == 0)
			continue;
		if (release_yaml_parse(text, len, &one, err) < 0)
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
	found = read_file_beneath(outfd, "Procfile", "the Procfile the build left", BUILD_FILE_MAX,
				  &procfile, NULL, err);
	if (found < 0 || (found && procfile_parse(procfile, procs, err) < 0))
		return -1;
	if (procs->n == 0)
		for (size_t k = 0; k < merged->default_process_types.n; k++)
			proctypes_set(procs, merged->default_process_types.v[k].name,
				      merged->default_process_types.v[k].command);
	return 0;
}

/* A Procfile in the source is checked before any buildpack runs: a broken one
 * should not cost a whole build to find out. It is read beneath the layer: a
 * symlink (to /dev/zero, to a host file) is refused, not followed. */
static int check_source_procfile(const char *source_layer, const char *procfile_path,
				 struct berr *err)
{
	autofree char *text = NULL;
	autofree char *path = xasprintf("app/%s", procfile_path ? procfile_path : "Procfile");
	struct proctypes pt = { 0 };
	int found;

	/* From the layer of the chain that the merged /app/<Procfile> comes from. */
	found = layers_read_file(source_layer, path, path + 4, BUILD_FILE_MAX, &text, NULL, err);
	if (found <= 0)
		return found;
	if (procfile_parse(text, &pt, err) < 0)
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
	autoclose int lock = -1;
	struct strv specs = { 0 }, dirs = { 0 }, stack_ids = { 0 }, source = { 0 };
	struct buildpack_release rel = { 0 };
	struct sha256 key;
	struct berr ignored = { 0 };
	char build_layer[LAYER_ID_HEX + 1];
	bool detect;
	int r = -1;

	memset(res, 0, sizeof(*res));
	sha256_init(&key);
	sha256_update_str(&key, BUILD_FORMAT);
	if (layer_chain(req->source_layer, &source, err) < 0 ||
	    check_source_procfile(req->source_layer, req->procfile_path, err) < 0 ||
	    stack_layer_ids(req->stack, &stack_ids, err) < 0 ||
	    build_select_buildpacks(req, &specs, &detect, err) < 0 ||
	    make_work_dir("build", &work, &lock, err) < 0)
		goto out;
	for (size_t i = 0; i < stack_ids.n; i++)
		sha256_update_str(&key, stack_ids.v[i]);
	sha256_update_str(&key, req->source_layer);
	sha256_update_str(&key, detect ? "detect" : "explicit");
	/* Another build-dir is another build, even of the same tree. */
	if (req->build_dir) {
		sha256_update_str(&key, "build-dir");
		sha256_update_str(&key, req->build_dir);
	}
	/* Another Procfile is another build; the default keeps the keys it had. */
	if (req->procfile_path && strcmp(req->procfile_path, "Procfile"))
		sha256_update_str(&key, req->procfile_path);
	key_add_config(&key, &req->config);
	bps = xasprintf("%s/buildpacks", work);
	if (fetch_buildpacks(&specs, detect, bps, &dirs, &key, req->sink, err) < 0)
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
	script = build_script(&dirs, detect, req->procfile_path);
	/* meta (the script) is root's, read-only for the build; only out is its. */
	if (mkdir_owned(meta, 0755, 0, err) < 0 || mkdir_owned(out, 0700, BUILD_UID, err) < 0 ||
	    write_file_atomic(script_path, script, strlen(script), 0644, err) < 0 ||
	    write_env_dir(env, &req->config, err) < 0 || make_scaffold(scaffold, err) < 0 ||
	    prepare_cache(req->cache_dir, err) < 0)
		goto out;
	if (run_build_container(req, &source, work, err) < 0)
		goto out;
	if (read_outputs(work, dirs.n, &rel, &res->procs, err) < 0 ||
	    slug_commit(upper, work, &rel.config_vars, req->lease, build_layer, err) < 0)
		goto out;
	for (size_t i = 0; i < stack_ids.n; i++)
		strv_push(&res->layers, stack_ids.v[i]);
	for (size_t i = 0; i < source.n; i++)
		strv_push(&res->layers, source.v[i]);
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
	strv_free(&source);
	if (r < 0)
		build_result_free(res);
	return r;
}
