/* platform.h - the public face of platform/: apps, their config and releases.
 *
 * Everything about an app lives in $BERTH_ROOT/apps/<app>/:
 *   settings.json   id range slot, stack, buildpacks, deploy branch, formation
 *   apps.json       apps:set's deploy-source and deploy-source-metadata
 *   config.json     config vars
 *   releases/vN.json, current   release records and the active version
 *   cache/          the build cache, kept between builds (repo:purge-cache)
 *   builds/<id>.json, <id>.log   a record of each deploy and its output (builds:*)
 *   builds.json     builds:set retention
 *   deploy.lock     held (flock) while a deploy runs; the kernel drops it when
 *                   the holder dies, so a killed build never leaves it behind;
 *                   the deploy writes its build id into it
 *   state.lock      held (flock) only around a read-modify-write of config.json
 *                   or settings.json (struct app, APP_LOCKED)
 * $BERTH_ROOT/config.json holds the global config vars (config:set --global).
 * Files are written atomically. */
#ifndef BERTH_PLATFORM_H
#define BERTH_PLATFORM_H

#include <stdbool.h>
#include <sys/types.h>

#include "build/build.h"
#include "common/err.h"
#include "common/sink.h"
#include "common/util.h"
#include "runtime/runtime.h"

/* Dokku's rule, ^[a-z0-9][a-z0-9.-]*$ (lowercase letters, digits, dots and
 * dashes, starting with a letter or digit), and at most 63 characters: the name
 * is the containers' hostname. */
int app_name_check(const char *name, struct berr *err);
/* $BERTH_ROOT/apps/<app>[/<sub>]; the caller frees. */
char *app_path(const char *app, const char *sub);
bool app_exists(const char *app);
/* Check the name and that the app exists: "App NAME does not exist". */
int app_require(const char *app, struct berr *err);
int app_create(const char *app, struct berr *err);
/* What a push (and git:sync) does with an app that does not exist: create it,
 * unless apps:set --global disable-autocreation true (then an error naming
 * apps:create). 0 when it exists, also when made meanwhile by another push. */
int app_autocreate(const char *app, struct berr *err);
bool apps_autocreation_disabled(void);
/* apps:set (app NULL: --global): deploy-source and deploy-source-metadata per
 * app, disable-autocreation (true|false) globally only, as Dokku refuses the
 * others ("Property can only / cannot be specified globally"); value NULL
 * unsets. _get gives the stored value or NULL. */
int apps_property_set(const char *app, const char *key, const char *value, struct berr *err);
char *apps_property_get(const char *app, const char *key);

/* builder:set's properties build-dir, selected, skip-cleanup (platform/builder.c):
 * the app's (app) or the global one (NULL); NULL when unset. */
int builder_set(const char *app, const char *key, const char *value, struct berr *err);
char *builder_property_get(const char *app, const char *key);
/* The app's value, else the global one, else the default ("false" for
 * skip-cleanup, NULL otherwise). */
char *builder_computed(const char *app, const char *key);
/* For a deploy of app: fails when a builder other than berth's buildpacks
 * (herokuish) is selected; *build_dir gets the build-dir to build from, or NULL. */
int builder_deploy_settings(const char *app, char **build_dir, struct berr *err);
/* builder:set skip-cleanup: a deploy's end keeps old releases and layers. */
bool builder_skip_cleanup(const char *app);
int app_list(struct strv *apps, struct berr *err);

struct app_settings {
	unsigned id_slot;         /* 1.. (0 is runtime:run's): host ids from
				   * runtime_id_slot_base(slot), that is
				   * RUNTIME_ID_BASE + slot * RUNTIME_ID_RANGE */
	char *stack;              /* NULL: the global default */
	struct strv buildpacks;   /* buildpacks:set/add; empty: .buildpacks or detect */
	char *deploy_branch;      /* NULL: main */
	long long created_at;     /* Unix time of apps:create; 0 when unknown */
	struct strv formation;    /* TYPE=COUNT */
	struct strv resources;    /* TYPE.memory|cpu|pids=VALUE (resource:limit);
				   * TYPE "_default" for every process type */
	struct strv storage;      /* /host:/container[:ro] (storage:mount) */
	bool domains_set;         /* domains:* changed the app's vhosts; else the default */
	struct strv domains;      /* the app's vhosts when domains_set */
	bool vhost_disabled;      /* domains:disable: served on its own http ports only */
	struct strv ports;        /* port maps "SCHEME:HOST-PORT:CONTAINER-PORT" (ports:*) */
	unsigned releases_keep;   /* releases:set APP keep N; 0: the global setting */
};

int app_settings_load(const char *app, struct app_settings *s, struct berr *err);
int app_settings_save(const char *app, const struct app_settings *s, struct berr *err);
void app_settings_free(struct app_settings *s);
uid_t app_host_id_base(const struct app_settings *s);
/* The stack an app builds on: its own setting, the global default, or the only
 * stack there is. */
int app_stack(const struct app_settings *s, char **stack, struct berr *err);

/* An open app: what an operation needs, opened once and passed down.
 * app_open() checks the name and that the app exists ("App X does not exist").
 * With APP_LOCKED it takes the app's state lock before loading the settings and
 * holds it until app_close() (or app_unlock()): every read-modify-write of
 * config.json or settings.json happens under it. The lock is short-lived and
 * separate from the deploy lock, so an edit never waits for a build. */
struct app {
	char *name;
	int dirfd;                     /* O_PATH of $BERTH_ROOT/apps/<name> */
	struct app_settings settings;  /* as loaded by app_open() */
	int lock_fd;                   /* the state lock while held, else -1 */
};

enum { APP_LOCKED = 1 };

int app_open(const char *name, int flags, struct app *app, struct berr *err);
void app_close(struct app *app);
int app_lock(struct app *app, struct berr *err);
void app_unlock(struct app *app);
/* Save app->settings; only under the state lock. */
int app_save(struct app *app, struct berr *err);
/* A command's per-app property in the app's own JSON file (file: "ps.json",
 * "builder.json", ...): set key to value (NULL removes it) under the app's
 * state lock; read it, NULL when unset or empty. Global properties are
 * global_setting_set/get's. */
int app_json_set(const char *app, const char *file, const char *key, const char *value,
		 struct berr *err);
char *app_json_get(const char *app, const char *file, const char *key);
/* One read-modify-write of the settings: under the state lock (taken and
 * dropped here unless the caller holds it), reload app->settings, let edit
 * change them, save. */
int app_settings_edit(struct app *app,
		      int (*edit)(struct app_settings *s, void *ctx, struct berr *err), void *ctx,
		      struct berr *err);
/* Remove an app and everything of it (app_lifecycle.c): its processes (through
 * the daemon if one runs, else their containers here) with their cgroups and
 * address leases, its directory (config, releases, build cache, repository),
 * logs, routes and forwarded ports, and the layers nothing else uses. Refused
 * while a deploy of it runs. */
int app_destroy(const char *name, struct berr *err);
/* Stop and remove every process and container of app (apps:destroy|rename). */
int app_processes_end(const char *app, struct berr *err);
/* apps:rename: processes stopped, the app moved whole (releases, config,
 * settings, logs) to new_name; with restart its processes start again under
 * the new name when it was deployed. */
int app_rename(const char *old, const char *new_name, bool restart, struct berr *err);
/* apps:clone: a new app with old's settings (not its domains nor tcp/udp host
 * ports), config vars and process settings; with deploy, old's active image as
 * its first release ("Clone of OLD vN"), rolled out. */
int app_clone(const char *old, const char *new_name, bool deploy, const struct sink *sink,
	      struct berr *err);

/* Global settings ($BERTH_ROOT/settings.json), e.g. the default stack. */
int global_setting_get(const char *key, char **value, struct berr *err);
int global_setting_set(const char *key, const char *value, struct berr *err);

/* git:set properties other than deploy-branch (git_settings.c): keep-git-dir,
 * rev-env-var, source-image, archive-max-size, archive-max-files; app NULL is
 * the global value. *value NULL: not set. set: value NULL or "" unsets
 * (rev-env-var "" is kept: the variable is off). computed: the app's, else the
 * global, else fallback (may be NULL). */
#define GIT_REV_ENV_VAR_DEFAULT "GIT_REV"
#define GIT_ARCHIVE_MAX_SIZE_DEFAULT 1073741824ULL   /* Dokku's: bytes of an archive */
#define GIT_ARCHIVE_MAX_FILES_DEFAULT 10000ULL       /* and its entries */
bool git_property_known(const char *key);
int git_property_check(const char *key, const char *value, struct berr *err);
int git_property_get(const char *app, const char *key, char **value, struct berr *err);
int git_property_set(const char *app, const char *key, const char *value, struct berr *err);
int git_property_computed(const char *app, const char *key, const char *fallback, char **value,
			  struct berr *err);
/* The variable that carries a release's source version into its processes
 * (GIT_REV unless rev-env-var says otherwise); NULL when turned off. */
char *git_rev_env_var(const char *app);
/* What git:from-archive accepts: bytes of the archive as it comes in, entries. */
struct git_archive_limits {
	uint64_t max_bytes, max_files;
};
int git_archive_limits(const char *app, struct git_archive_limits *l, struct berr *err);

/* Take the app's deploy lock without waiting; fails with a clear message when
 * another deploy holds it, or when the app is locked (apps:lock). *fd is the
 * lock; close it to release. */
int app_lock_deploy(const char *app, int *fd, struct berr *err);
/* The same, waiting up to wait_s seconds for a running deploy to end (saying so
 * to sink, which may be NULL) before it gives up with that message. */
int app_lock_deploy_wait(const char *app, unsigned wait_s, const struct sink *sink, int *fd,
			 struct berr *err);
/* A config change goes live: a release of the active one's image with the app's
 * vars as config.json has them now (description: "Set KEY"; NULL: what changed,
 * "Set A, B; Unset C"), rolled out as a
 * deploy is, after waiting for one in progress. *version 0: the app was never
 * deployed, so nothing ran and its first deploy takes the vars. */
int app_config_release(const char *app, const char *description, const struct sink *sink,
		       unsigned *version, struct berr *err);
/* releases:rollback: a new release *version of target's image and config vars
 * ("Rollback to vN"), rolled out as a deploy; config.json becomes target's vars.
 * target 0: the release before the active one. */
int app_rollback(const char *app, unsigned target, const struct sink *sink, unsigned *version,
		 struct berr *err);
/* The active release does not run with the app's config vars as config.json
 * has them (config:set --no-restart since). */
bool release_config_pending(const char *app);
/* apps:lock / apps:unlock: a marker that refuses deploys until removed. */
int app_set_deploy_locked(const char *app, bool locked, struct berr *err);
bool app_deploy_locked(const char *app);   /* the marker is there */
bool app_deploy_running(const char *app);  /* a deploy holds the deploy lock */

/* Config vars: KEY=VALUE, sorted by key. app NULL: the global config vars. */
int config_load(const char *app, struct strv *env, struct berr *err);
int config_save(const char *app, const struct strv *env, struct berr *err);
/* The global config vars with the app's over them: what its processes and
 * builds get (config:show --merged). */
int config_load_merged(const char *app, struct strv *env, struct berr *err);
/* Dokku's key rule, ^[A-Za-z_][A-Za-z0-9_]*$: "Invalid key name: 'K'". */
int config_key_check(const char *key, struct berr *err);
/* A value is stored as UTF-8 text without NUL bytes; anything else is refused
 * (not silently dropped). len is the value's length in bytes. */
int config_value_check(const char *key, const char *value, size_t len, struct berr *err);

/* Edits of an app's config (app NULL: the global config), each one
 * load-modify-save under the state lock. pairs are KEY=VALUE, already checked
 * or checked here; replace drops every other key first (config:import
 * --replace). removed gets the keys that were set and are now gone. */
int config_set(struct app *app, const struct strv *pairs, bool replace, struct berr *err);
int config_unset(struct app *app, const struct strv *keys, struct strv *removed,
		 struct berr *err);
int config_clear(struct app *app, struct strv *removed, struct berr *err);
/* An envfile (KEY=VALUE lines; `export `, quotes and # comments as dotenv
 * reads them) or a JSON object of strings, as KEY=VALUE pairs. */
int config_parse_envfile(const char *text, size_t len, struct strv *env, struct berr *err);
int config_parse_json(const char *text, size_t len, struct strv *env, struct berr *err);
/* config:import FILE: read path as the berth user (the owner of its
 * authorized_keys, else nobody) would, as Dokku reads it as the dokku user:
 * berth runs as root, and a file only root may read (a key, /etc/shadow) must
 * not become an app's config var. A regular file of at most CONFIG_IMPORT_MAX
 * bytes. */
#define CONFIG_IMPORT_MAX (4 << 20)
int config_import_read(const char *path, char **text, size_t *len, struct berr *err);

/* Buildpack lists (buildpack_list.c). A buildpack is given as Dokku takes it
 * (an http/https/git URL, or "org/name" for
 * https://github.com/org/heroku-buildpack-name.git) or, beyond Dokku, as an
 * absolute path or file:// URL of something that exists. *url gets the form
 * stored; "Invalid buildpack specified: X" otherwise. */
int buildpack_url_normalize(const char *spec, char **url, struct berr *err);
/* Edits of app->settings.buildpacks under the state lock, saved. index is
 * 1-based, 0 when not given. */
int buildpacks_add(struct app *app, const char *url, size_t index, struct berr *err);
int buildpacks_set(struct app *app, const char *url, size_t index, struct berr *err);
int buildpacks_replace(struct app *app, const struct strv *urls, struct berr *err);
/* Remove by URL (index 0) or by index; *removed gets the URL removed. */
int buildpacks_remove(struct app *app, const char *url, size_t index, char **removed,
		      struct berr *err);
int buildpacks_clear(struct app *app, struct berr *err);
/* buildpacks:set-property stack: app NULL sets the global default. */
int buildpacks_set_stack(struct app *app, const char *stack, struct berr *err);

struct release {
	unsigned version;          /* 0: none */
	char *created;             /* RFC 3339 */
	char *description;
	char *stack;
	struct strv layers;        /* layer ids, bottom first: stack, source, build */
	char *source_layer;
	char *source_version;
	char *build_key;
	struct proctypes procs;
	struct strv config;        /* the merged config vars its build saw */
	struct strv app_config;    /* the app's own config vars it runs with (a
				    * rollback restores them); see app_process_env() */
	char *healthchecks;        /* the source's checks (checks.h's normal form,
				    * JSON text); NULL: none defined */
};

void release_free(struct release *r);
/* The active release; r->version == 0 when the app has none yet. */
int release_current(const char *app, struct release *r, struct berr *err);
int release_load(const char *app, unsigned version, struct release *r, struct berr *err);
/* Record r as the next version (sets r->version and r->created); not yet active.
 * The writers take the open app (a deploy's) and work beneath its directory. */
int release_create(const struct app *app, struct release *r, struct berr *err);
int release_activate(const struct app *app, unsigned version, struct berr *err);
/* Remove a release that never became active (e.g. its release phase failed). */
int release_discard(const struct app *app, unsigned version, struct berr *err);
/* dst = a copy of src's image (stack, layers, procs, source, build and its
 * config): what a config release or a rollback starts from. */
void release_copy_image(const struct release *src, struct release *dst);
/* The versions recorded, newest first. */
int release_versions(const char *app, unsigned **versions, size_t *n, struct berr *err);
/* How many releases an app keeps (releases:set APP keep N, else the global
 * releases:set --global keep N, else RELEASES_KEEP_DEFAULT). */
#define RELEASES_KEEP_DEFAULT 5
#define RELEASES_KEEP_MAX 1000
unsigned releases_keep(const struct app *app);
/* Drop the releases beyond the newest keep ones, never the active one nor one a
 * process still runs (in_use, n_in_use); dropped gets "vN". Their layers stay
 * until images_gc(). Only under the app's deploy lock. */
int releases_prune(const struct app *app, unsigned keep, const unsigned *in_use, size_t n_in_use,
		   struct strv *dropped, struct berr *err);

/* Deploys (deploy.c, source.c). Each opens the app once, takes its deploy
 * lock, builds, records a release, runs the `release` process type if there
 * is one, and activates the release only when all of that succeeded; otherwise
 * the active one stays. Progress, warnings and the buildpacks' own output (as
 * SINK_OUTPUT lines, while they run) go to sink; nothing is printed. */
enum deploy_source_kind {
	DEPLOY_ARCHIVE,   /* fd: a tar (any compression) or zip, read to its end */
	DEPLOY_URL,       /* url: such an archive over http(s) */
	DEPLOY_TREE,      /* write_tree writes the source into /app, e.g. gitd's
			   * checkout; only the changes from the running
			   * release's source when it can (build/) */
};
struct deploy_source {
	enum deploy_source_kind kind;
	int fd;
	const char *url;
	tree_writer write_tree;
	void *ctx;
	const char *version;   /* SOURCE_VERSION, e.g. the commit; NULL: the
				* archive's sha256 (the source layer's id for a tree) */
	bool skip_unchanged;   /* Dokku's git:from-archive: nothing to do (two
				* warnings) when the source, config and stack are
				* the active release's */
	const char *source;    /* its build record's source (builds:list); NULL:
				* git-hook for a tree (a push), else git:from-archive */
	/* What apps:report shows as the app's deploy-source and its metadata
	 * once the deploy succeeded (Dokku's values: "git-push" and the commit,
	 * "git-sync" and URL#COMMIT, the archive type and its URL); NULL: kept. */
	const char *deploy_kind, *deploy_meta;
};
int deploy_source(const char *app, const struct deploy_source *src, const struct sink *sink,
		  struct berr *err);
int deploy_rebuild(const char *app, const struct sink *sink, struct berr *err);

/* Build records (builds.c): one per deploy, Dokku's builds:* (the record's
 * fields are Dokku's). status on disk is running, succeeded, failed or
 * canceled; a running record whose deploy is gone (its deploy lock no longer
 * held and naming it) shows as abandoned. */
struct build_record {
	char *id;                /* sortable: [0-9a-z], time first */
	char *app, *kind, *status, *source;   /* kind: build or deploy */
	long long pid;
	long long started_at, finished_at;    /* Unix seconds; finished_at 0: not yet */
	bool has_exit_code;
	int exit_code;           /* 0, 1 (failed), -1 (canceled or abandoned) */
	bool live;               /* running, and its deploy holds the deploy lock */
};
#define BUILDS_RETENTION_DEFAULT 20
#define BUILDS_RETENTION_MIN 1
#define BUILDS_RETENTION_MAX 100000
void build_record_free(struct build_record *b);
void build_records_free(struct build_record *v, size_t n);
/* "abandoned" for a running record that is not live, else its status. */
const char *build_display_status(const struct build_record *b);
/* RFC 3339 UTC ("2026-04-30T13:50:00Z"), and Go's way of saying a duration
 * ("1m14s"), as Dokku prints them; the caller frees. */
char *build_time_format(long long t);
char *build_duration_format(long long seconds);
char *build_log_path(const char *app, const char *id);
/* Every record of app, newest first; "No build record found for APP/ID". */
int builds_list(const char *app, struct build_record **v, size_t *n, struct berr *err);
int build_load(const char *app, const char *id, struct build_record *b, struct berr *err);
/* 1 and *id: the build that runs now (holds the deploy lock); 0: none. */
int builds_live(const char *app, char **id);
/* builds:set retention: app NULL for the global setting, value NULL clears.
 * "Invalid property", "Invalid retention" as Dokku says them. */
int builds_set(const char *app, const char *key, const char *value, struct berr *err);
char *builds_setting_get(const char *app, const char *key);
/* The records kept: the app's, else the global setting, else the default. */
unsigned builds_retention(const char *app);
/* Abandoned records finalised as failed (exit code -1); reaped gets their ids
 * (may be NULL). builds_prune: that, then the finished records beyond the
 * retention removed with their logs (never a live one); what every deploy
 * does at its end. */
int builds_reap(const char *app, struct strv *reaped, struct berr *err);
int builds_prune(const char *app, size_t *removed, struct berr *err);
/* builds:cancel: the running deploy's process SIGTERMed (SIGKILLed after 5 s),
 * its build containers gone with it and collected, its deploy lock free again,
 * its record canceled; Dokku's messages through sink (nothing running, an
 * abandoned record finalised as failed, ...). */
int builds_cancel(const char *app, const struct sink *sink, struct berr *err);
/* builds:output: the build's log through out (a negative return stops), and,
 * while the build runs, what it adds until it ends. */
typedef int (*build_output_fn)(const char *data, size_t len, void *ctx);
int build_output(const char *app, const char *id, build_output_fn out, void *ctx,
		 struct berr *err);

/* The app's repository and build cache (repo.c, repo_gc.c): repo:gc compacts
 * repo.git into one pack (reachable objects; unreachable ones stay loose for
 * two weeks, as git gc does); repo:purge-cache empties the build cache, under
 * the deploy lock. *done false: nothing to do (never pushed, no cache). */
struct repo_gc_stats {
	size_t objects;          /* in the new pack */
	size_t packs_removed;    /* old packs now contained in it */
	size_t loose_removed;    /* loose objects now in it, or unreachable and old */
	uint64_t bytes_before, bytes_after;
};
int app_repo_gc(const char *app, const struct sink *sink, bool *done, struct repo_gc_stats *st,
		struct berr *err);
int app_cache_purge(const char *app, bool *done, uint64_t *bytes, struct berr *err);

/* One-off containers of the active release and commands in running ones
 * (run.c). argv with one element is a shell command string; more are a command
 * and its arguments; run through the .profile.d wrapper. */
struct run_opts {
	bool detached;       /* run:detached: outlives the caller, named <app>.run.N,
			      * stdio /dev/null */
	bool tty;            /* stdio is a pty the caller made (its slave) */
	const char *term;    /* TERM for a tty; default xterm */
	const char *dyno;    /* DYNO of an attached run; default run.1 */
	int stdio[3];
};
/* Start: attached ones die with the caller; c->id names a detached one. */
/* run:detached --ttl-seconds: the daemon kills container id ttl_seconds from
 * now (oneoff.c), also after a restart of its own. */
int oneoff_deadline_set(const char *id, uint64_t ttl_seconds, struct berr *err);
int app_run_start(const char *app, const struct strv *argv, const struct strv *extra_env,
		  const struct run_opts *o, struct runtime_container *c, struct berr *err);
/* `enter APP web.1 [CMD]`: start argv (default /bin/sh) in the running container
 * <app>.<dyno>; see runtime_enter() for *pid and *pidfd. */
int app_enter_start(const char *app, const char *dyno, const struct strv *argv,
		    const struct run_opts *o, pid_t *pid, int *pidfd, struct berr *err);

/* Resource limits per process type (resource.c): keys cpu (CPUs, e.g. 1.5),
 * memory (bytes with a unit, e.g. 512m) and pids; type "_default" for all. */
extern const char *const resource_keys[];
int resource_type_check(const char *type, struct berr *err);
int resource_value_check(const char *key, const char *value, struct berr *err);
/* The value stored for exactly type (not merged with _default), or NULL. */
const char *resource_get(const struct app_settings *s, const char *type, const char *key);
/* pairs KEY=VALUE, VALUE "clear" removes one; checked first, nothing is saved
 * when one is bad. */
int resource_limit_set(struct app *app, const char *type, const struct strv *pairs,
		       struct berr *err);
/* type NULL: every limit of the app. */
int resource_limit_clear(struct app *app, const char *type, struct berr *err);
/* Whether this host enforces a limit on key: "enforced" or why not. */
const char *resource_enforcement(const char *key);

/* Persistent storage (storage.c): host paths under storage_root() only. */
char *storage_root(void);
int storage_host_check(const char *host, struct berr *err);
int storage_mount(struct app *app, const char *spec, struct berr *err);
int storage_unmount(struct app *app, const char *spec, struct berr *err);
/* storage:ensure-directory: storage_root()/name (name of [A-Za-z0-9_-]), made if
 * missing, owned by owner:owner unless owner < 0; *path is its path. */
int storage_ensure_directory(const char *name, long owner, char **path, struct berr *err);

/* Export the active release as an OCI image archive: its layers, the stack's
 * Env with HOME and PORT, /app, the app user, and the web process as Cmd. */
int app_image_export(const char *app, const char *dest, struct berr *err);
/* The environment app processes get: the stack's (stack_env_apply() with
 * HOME=/app), STACK, and the merged config vars over them. */
int app_process_env(const struct app *app, const struct release *rel, struct strv *env,
		    struct berr *err);

/* Disk use (disk.c, berth report). Bytes on disk (blocks) of files; layers by
 * their recorded size. */
struct app_disk {
	uint64_t source;     /* repo.git */
	uint64_t layers;     /* its releases' layers no stack has, each once */
	size_t nlayers;
	size_t releases;
	uint64_t cache;      /* the build cache */
	uint64_t logs;
	uint64_t state;      /* the rest of its directory: releases, config, settings */
};
struct store_disk {
	uint64_t layers, stacks, unused;   /* all; stacks' own; nothing uses them */
	size_t nlayers, nstacks, nunused;
};
int app_disk_usage(const char *app, struct app_disk *u, struct berr *err);
int store_disk_usage(struct store_disk *u, struct berr *err);
uint64_t path_disk_bytes(const char *path);

/* Domains (domains.c), Dokku's domains:*. A domain is "_" or matches
 * ^[a-z0-9.*-]*[a-z0-9*-]$ once lowercased: "D is invalid. exiting...". Each
 * edit checks every domain first (a bad one changes nothing); added/removed get
 * what actually changed. */
int domain_check(const char *domain, struct berr *err);
int domains_global_list(struct strv *out, struct berr *err);
int domains_global_add(const struct strv *d, struct strv *added, struct berr *err);
int domains_global_remove(const struct strv *d, struct strv *removed, struct berr *err);
int domains_global_set(const struct strv *d, struct berr *err);
int domains_global_clear(struct berr *err);
/* The names the app answers on: its own once changed, else APP.<global domain>
 * for each global domain (the app's name alone when it has a dot). */
int domains_app_vhosts(const char *app, const struct app_settings *s, struct strv *out,
		       struct berr *err);
int domains_add(struct app *app, const struct strv *d, struct strv *added, struct berr *err);
int domains_remove(struct app *app, const struct strv *d, struct strv *removed, struct berr *err);
int domains_set(struct app *app, const struct strv *d, struct berr *err);
int domains_clear(struct app *app, struct berr *err);
/* Back to the defaults (domains:reset). */
int domains_reset(struct app *app, struct berr *err);
/* domains:disable: the app's vhosts go (Dokku removes its VHOST file) and no
 * Host routes to it; it answers any Host on its http host ports other than the
 * router's main one. domains:enable: back to the default vhosts. *changed:
 * whether it was enabled (disable) or disabled (enable) before; *had_vhosts
 * (may be NULL): the app had vhosts. domains:add and domains:set enable too. */
int domains_disable(struct app *app, bool *changed, bool *had_vhosts, struct berr *err);
int domains_enable(struct app *app, bool *changed, struct berr *err);

/* Port maps (ports.c), Dokku's ports:*: "SCHEME:HOST-PORT:CONTAINER-PORT" with
 * SCHEME http, https, grpc, grpcs (the router's), tcp or udp (forwarded). */
struct port_map {
	char scheme[8];
	unsigned host_port;
	unsigned container_port;
};
struct port_maps {
	struct port_map *v;
	size_t n;
};
int port_map_parse(const char *spec, struct port_map *pm, struct berr *err);
char *port_map_format(const struct port_map *pm);
/* What berth maps when nothing is set: "http:80:5000". */
const char *ports_detected(void);
/* The maps in force: the app's, or the detected default. */
int ports_effective(const struct app_settings *s, struct port_maps *out, struct berr *err);
void port_maps_free(struct port_maps *m);
/* Edits under the state lock. A SCHEME:HOST-PORT used twice is refused
 * ("The same scheme:host-port is being reused"), so is a tcp map's host port
 * used by another map. A new tcp/udp map is refused on the router's port, on a
 * port a host service listens on, and on one another app forwards. remove
 * takes maps, "SCHEME:HOST-PORT" or "HOST-PORT". */
int ports_add(struct app *app, const struct strv *maps, struct berr *err);
int ports_set(struct app *app, const struct strv *maps, struct berr *err);
int ports_remove(struct app *app, const struct strv *what, struct berr *err);
int ports_clear(struct app *app, struct berr *err);

/* The router's table (routes.c). The caller (the daemon) gives the live web
 * backends: app and "IPv4" (the app's http container port is added) or
 * "IPv4:PORT"; starting lists apps whose processes are starting (503). */
#include <jansson.h>
struct route_backend {
	const char *app;
	const char *addr;
	pid_t netns;                   /* a pid in its network namespace (the router
					* connects from there: net/router_netns.c); 0: none */
};
struct route_backends {
	const struct route_backend *v;
	size_t n;
	const struct strv *starting;   /* may be NULL */
};
/* $BERTH_RUN/router/table.json */
char *routes_table_path(void);
/* The container port the router uses for an app when the router listens on
 * listen_port: its http map with that host port, else its first http map; 0
 * when it has none (the app is not routed). Also the PORT its web processes get. */
unsigned routes_app_port(const struct app_settings *s, unsigned listen_port);
/* How many http maps of the app name a host port other than the router's main
 * one (BERTH_HTTP_ADDR's, which http:80 also means): the router listens there. */
unsigned routes_app_own_ports(const struct app_settings *s);
/* Every app's vhosts and backends as the router's table (a new JSON object). */
int routes_build(json_t **table, const struct route_backends *b, struct berr *err);
/* routes_build, written atomically to routes_table_path(), then SIGHUP to the
 * running router (none running is fine: it reads the file when it starts),
 * then routes_forward(). */
int routes_write(const struct route_backends *b, struct berr *err);
/* The tcp/udp port maps of every app with a live backend, forwarded by nftables
 * DNAT to its first one (net_forward_apply); routes_write() ends with it. */
int routes_forward(const struct route_backends *b, struct berr *err);
/* routes_write with the backends of the table in force (domains:* and ports:*
 * call it: names and ports change, the live processes do not). */
int routes_refresh(struct berr *err);
int routes_signal(struct berr *err);

#endif
