/* config.h - pieces shared by the config commands (config.c, config_io.c). */
#ifndef BERTH_CMD_CONFIG_H
#define BERTH_CMD_CONFIG_H

#include <stdbool.h>

#include "platform/platform.h"

/* What a config command works on: an app (opened) or, with --global, the
 * global config vars (name NULL). */
struct config_target {
	const char *name;
	struct app app;
};

/* Open the app named by pos[0] unless global; *rest is the index of the first
 * argument after it. Returns 0, or the exit status after printing the error. */
int config_target_open(bool global, int n, char **pos, struct config_target *t, int *rest);
void config_target_close(struct config_target *t);
/* The app handle for platform's config_* calls; NULL for the global vars. */
struct app *config_target_app(struct config_target *t);
int config_target_load(struct config_target *t, bool merged, struct strv *env);

void print_single_quoted(const char *v);
/* After a change of t's vars: unless global, no_restart or never deployed,
 * "-----> Restarting app APP" and a release described "VERB KEY1, KEY2" (keys
 * NULL: VERB alone) rolled out. Returns the exit status. */
int config_restart(struct config_target *t, bool no_restart, const char *verb,
		   const struct strv *keys);
void config_print_set(const struct strv *pairs);
/* Print env in one of config:export's formats; -1 for an unknown format. */
int config_export_print(const struct strv *env, const char *format);

#endif
