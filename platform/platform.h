/* platform.h - the public face of platform/: apps, their config and releases.
 *
 * Everything about an app lives in $BERTH_ROOT/apps/<app>/:
 *   settings.json   id range slot, stack, buildpacks, deploy branch, formation
 *   config.json     config vars
 *   releases/vN.json, current   release records and the active version
 *   cache/          the build cache, kept between builds
 *   deploy.lock     held (flock) while a deploy runs; the kernel drops it when
 *                   the holder dies, so a killed build never leaves it behind
 * Files are written atomically. */
#ifndef BERTH_PLATFORM_H
#define BERTH_PLATFORM_H

#include <stdbool.h>
#include <sys/types.h>

#include "build/build.h"
#include "common/err.h"
#include "common/util.h"

/* Dokku's rules, stricter: lowercase letters, digits and dashes, starting with a
 * letter or digit, at most 63 characters (a DNS label). */
int app_name_check(const char *name, struct berr *err);
/* $BERTH_ROOT/apps/<app>[/<sub>]; the caller frees. */
char *app_path(const char *app, const char *sub);
bool app_exists(const char *app);
/* Check the name and that the app exists: "App NAME does not exist". */
int app_require(const char *app, struct berr *err);
int app_create(const char *app, struct berr *err);
int app_list(struct strv *apps, struct berr *err);

struct app_settings {
	unsigned id_slot;         /* host ids RUNTIME_ID_BASE + (slot+1) * 65536 ... */
	char *stack;              /* NULL: the global default */
	struct strv buildpacks;   /* buildpacks:set/add; empty: .buildpacks or detect */
	char *deploy_branch;      /* NULL: main */
	struct strv formation;    /* TYPE=COUNT */
};

int app_settings_load(const char *app, struct app_settings *s, struct berr *err);
int app_settings_save(const char *app, const struct app_settings *s, struct berr *err);
void app_settings_free(struct app_settings *s);
uid_t app_host_id_base(const struct app_settings *s);
/* The stack an app builds on: its own setting, the global default, or the only
 * stack there is. */
int app_stack(const struct app_settings *s, char **stack, struct berr *err);

/* Global settings ($BERTH_ROOT/settings.json), e.g. the default stack. */
int global_setting_get(const char *key, char **value, struct berr *err);
int global_setting_set(const char *key, const char *value, struct berr *err);

/* Take the app's deploy lock without waiting; fails with a clear message when
 * another deploy holds it. *fd is the lock; close it to release. */
int app_lock_deploy(const char *app, int *fd, struct berr *err);

/* Config vars: KEY=VALUE, sorted by key. */
int config_load(const char *app, struct strv *env, struct berr *err);
int config_save(const char *app, const struct strv *env, struct berr *err);

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
	struct strv config;        /* snapshot at release time */
};

void release_free(struct release *r);
/* The active release; r->version == 0 when the app has none yet. */
int release_current(const char *app, struct release *r, struct berr *err);
int release_load(const char *app, unsigned version, struct release *r, struct berr *err);
/* Record r as the next version (sets r->version and r->created); not yet active. */
int release_create(const char *app, struct release *r, struct berr *err);
int release_activate(const char *app, unsigned version, struct berr *err);
/* Remove a release that never became active (e.g. its release phase failed). */
int release_discard(const char *app, unsigned version, struct berr *err);

/* Deploys (deploy.c). Each takes the app's deploy lock, builds, records a
 * release, runs the `release` process type if there is one, and activates the
 * release only when all of that succeeded; otherwise the active one stays. */
int deploy_archive(const char *app, int fd, const char *source_version, struct berr *err);
int deploy_rebuild(const char *app, struct berr *err);

/* One-off containers of the active release (run.c). argv with one element is a
 * shell command string; more are a command and its arguments. */
int app_run_oneoff(const char *app, const struct strv *argv, const struct strv *extra_env,
		   int *status, struct berr *err);
/* Export the active release as an OCI image archive: its layers, the stack's
 * Env with HOME and PORT, /app, the app user, and the web process as Cmd. */
int app_image_export(const char *app, const char *dest, struct berr *err);
/* The environment app processes get: stack env, PATH/HOME defaults, config. */
int app_process_env(const char *app, const struct release *rel, struct strv *env,
		    struct berr *err);

#endif
