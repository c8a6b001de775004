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

/* One deploy (deploy.c): the app opened once, its deploy lock, the image-store
 * lease holding what it makes until a release names it, where it reports. */
struct deploy {
	struct app app;
	int lock;
	struct images_lease *lease;
	const struct sink *sink;  /* the caller's, through tee */
	bool restart;      /* ps:rebuild: restart processes even without a new release */
	/* logs:failed: what the deploy said (its last 256 KiB), kept by
	 * deploy_end() as the app's failed-deploy log, with err's message, when
	 * the deploy failed. */
	const struct sink *caller;
	struct sink tee;
	char *log;
	size_t log_len;
	struct berr *err;
};
int deploy_begin(const char *app, const struct sink *sink, struct deploy *d, struct berr *err);
/* result: the deploy's (negative: it failed, err says why). */
void deploy_end(struct deploy *d, int result);
int deploy_rollout(struct deploy *d, unsigned version, bool restart, struct berr *err);
/* Build source_layer into a release and make it live (deploy_rollout()). */
int deploy_build(struct deploy *d, const char *source_layer, const char *source_version,
		 const char *description, struct berr *err);
/* The active release was built from version with the app's current config and stack. */
bool deploy_source_unchanged(const struct app *app, const char *version);

/* Open (creating) name in dirfd and take an exclusive flock on it, waiting. */
int platform_flock_at(int dirfd, const char *name, int *fd, struct berr *err);

#endif
