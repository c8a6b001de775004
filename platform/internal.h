/* internal.h - pieces of platform/ shared between its files. */
#ifndef BERTH_PLATFORM_INTERNAL_H
#define BERTH_PLATFORM_INTERNAL_H

#include "platform/platform.h"
#include "runtime/runtime.h"

/* argv for an app process: the .profile.d wrapper around command. */
void process_argv(struct strv *argv, const struct strv *command);
/* Layers, environment (with PORT, DYNO, GIT_REV), user, id range, resource
 * limits and storage binds of a release's container named dyno ("web.1"; its
 * type picks the limits). */
int release_spec(const struct app *app, const struct release *rel, const char *dyno,
		 struct runtime_spec *spec, struct berr *err);
/* resource.c, storage.c: the app's settings onto a spec. */
int resource_apply(const struct app_settings *s, const char *type, struct runtime_spec *spec,
		   struct berr *err);
int storage_apply(const struct app_settings *s, struct runtime_spec *spec, struct berr *err);
/* "/host:/container[:ro]" as a bind (checks the container path only). */
int storage_parse(const char *spec, struct runtime_bind *b, struct berr *err);
void strv_remove_at(struct strv *sv, size_t i);

/* A deploy's build record while it runs (builds.c): begun when it holds the
 * deploy lock (the lock gets the id), each line of its output appended to the
 * log, ended with its result (and, failed, message) and pruning. Failing to
 * record warns and never fails the deploy. */
struct build_run {
	char *id;                /* NULL: no record */
	char *source;
	long long started_at;
	int log_fd;
	size_t log_bytes;
	bool log_full;
};
void build_run_begin(struct build_run *r, const struct app *app, int lock_fd, const char *source,
		     const struct sink *sink);
void build_run_line(struct build_run *r, const char *prefix, const char *text);
void build_run_end(struct build_run *r, const struct app *app, int lock_fd, int result,
		   const char *message);
/* builds.c for builds_run.c: a new id, a source's kind, a record written
 * atomically (builds/ made when missing). */
char *build_id_new(void);
const char *build_kind_of(const char *source);
int build_record_save(const char *app, const struct build_record *b, struct berr *err);

/* One deploy (deploy.c): the app opened once, its deploy lock, the image-store
 * lease holding what it makes until a release names it, where it reports. */
struct deploy {
	struct app app;
	int lock;
	struct images_lease *lease;
	const struct sink *sink;  /* the caller's, through tee */
	bool restart;      /* ps:rebuild: restart processes even without a new release */
	/* logs:failed: what the deploy said (its last 256 KiB), kept by
	 * deploy_finish() as the app's failed-deploy log, with err's message,
	 * when the deploy failed. */
	const struct sink *caller;
	struct sink tee;
	char *log;
	size_t log_len;
	struct berr *err;
	struct build_run build;   /* builds:*: its record and whole log */
};
/* source names what started it in its build record, as Dokku's do: git-hook,
 * git:from-archive, git:sync, ps:rebuild (kind build); ps:restart,
 * config-redeploy, releases:rollback, apps:clone, deploy (kind deploy). */
int deploy_begin(const char *app, const char *source, const struct sink *sink, struct deploy *d,
		 struct berr *err);
void deploy_end(struct deploy *d);
/* deploy_end() of a deploy that ended with result: when negative (it failed,
 * err says why) its output is kept for logs:failed. */
void deploy_finish(struct deploy *d, int result);
int deploy_rollout(struct deploy *d, unsigned version, bool restart, struct berr *err);
/* Build source_layer into a release and make it live (deploy_rollout()). */
int deploy_build(struct deploy *d, const char *source_layer, const char *source_version,
		 const char *description, struct berr *err);
/* deploy_begin(), but waiting up to DEPLOY_WAIT_SECONDS for another deploy of
 * the app to end (saying so to sink) instead of refusing at once. */
#define DEPLOY_WAIT_SECONDS 600
int deploy_begin_wait(const char *app, const char *source, const struct sink *sink,
		      struct deploy *d, struct berr *err);

/* Releases that are not builds (release_deploy.c). Each creates a release of
 * base's image (layers, procs, build) with app_config as the app's vars, says
 * "Releasing APP vN: description" and makes it live with deploy_rollout(); one
 * that fails is dropped and the active one stays. *version gets the new one
 * (may be NULL). */
int deploy_release_from(struct deploy *d, const struct release *base, const struct strv *app_config,
			const char *description, unsigned *version, struct berr *err);
/* A config change: the active release's image with config.json's vars; *version
 * 0 when the app was never deployed (nothing to restart). */
int deploy_config_release(struct deploy *d, const char *description, unsigned *version,
			  struct berr *err);
/* releases:rollback: target's image and vars as a new release; config.json
 * becomes target's vars once it is live. */
int deploy_rollback(struct deploy *d, unsigned target, unsigned *version, struct berr *err);
/* At a deploy's end, under its lock: drop releases beyond the kept number (not
 * the active one, nor one a process still runs), then images_gc(). */
void deploy_collect(const struct app *app, const struct sink *sink);
/* KEY=VALUE lists with the same pairs, in any order. */
bool env_equal(const struct strv *a, const struct strv *b);

/* The active release was built from version with the app's current config and stack. */
bool deploy_source_unchanged(const struct app *app, const char *version);

/* The deploy lock alone, as app_lock_deploy_wait() takes it but without
 * looking at apps:lock's marker (apps:destroy and apps:rename ignore it). */
int app_deploy_lock_take(const char *app, unsigned wait_s, const struct sink *sink, int *fd,
			 struct berr *err);
/* app_destroy()'s files part, the caller holding the deploy lock: under the
 * state lock, the directory renamed away, its release references dropped, then
 * removed. */
int app_remove_files(const char *name, struct berr *err);
/* Rename $BERTH_ROOT/apps/old to new under the lock apps:create takes:
 * "Name is already taken" when new exists. */
int app_move_dir(const char *old, const char *new_name, struct berr *err);

/* Open (creating) name in dirfd and take an exclusive flock on it, waiting. */
int platform_flock_at(int dirfd, const char *name, int *fd, struct berr *err);

#endif
