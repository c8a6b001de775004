/* internal.h - pieces of platform/ shared between its files. */
#ifndef BERTH_PLATFORM_INTERNAL_H
#define BERTH_PLATFORM_INTERNAL_H

#include "platform/platform.h"
#include "runtime/runtime.h"

/* argv for an app process: the .profile.d wrapper around command. */
void process_argv(struct strv *argv, const struct strv *command);
/* Layers, environment, user and id range of a release's containers. */
int release_spec(const struct app *app, const struct release *rel, struct runtime_spec *spec,
		 struct berr *err);

/* Open (creating) name in dirfd and take an exclusive flock on it, waiting. */
int platform_flock_at(int dirfd, const char *name, int *fd, struct berr *err);

#endif
