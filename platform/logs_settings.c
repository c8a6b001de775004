/* logs_settings.c - logs:set max-size: the size at which the daemon rotates an
 * app's log files (web.1.log -> web.1.log.1). Per app in <app>/logs.json, global
 * in $BERTH_ROOT/settings.json ("logs-max-size"); neither set: the daemon's
 * BERTH_LOG_MAX_BYTES (10m). */
#include <stdint.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/jsonfile.h"
#include "platform/daemon.h"
#include "platform/platform.h"

#define LOGS_MIN_BYTES 4096

int logs_max_size_parse(const char *value, uint64_t *bytes, struct berr *err)
{
	if (!strcmp(value, "unlimited")) {
		*bytes = UINT64_MAX;
		return 0;
	}
	if (parse_size(value, bytes, err) < 0 || *bytes < LOGS_MIN_BYTES)
		return berr_fail(err, "Invalid max-size '%s': a size of at least 4k (10m, 1g) or unlimited",
				 value);
	return 0;
}

char *logs_setting_get(const char *app, const char *key)
{
	autofree char *name = NULL;
	struct berr err;
	char *v = NULL;

	if (!app) {
		name = xasprintf("logs-%s", key);
		return global_setting_get(name, &v, &err) < 0 ? NULL : v;
	}
	return app_json_get(app, "logs.json", key);
}

int logs_set(const char *app, const char *key, const char *value, struct berr *err)
{
	uint64_t bytes;

	if (strcmp(key, "max-size"))
		return berr_fail(err, "Invalid logs property '%s': berth knows max-size", key);
	if (value && logs_max_size_parse(value, &bytes, err) < 0)
		return -1;
	if (!app) {
		autofree char *name = xasprintf("logs-%s", key);

		return global_setting_set(name, value, err);
	}
	return app_json_set(app, "logs.json", key, value, err);
}

uint64_t logs_max_bytes(const char *app)
{
	autofree char *own = logs_setting_get(app, "max-size");
	autofree char *global = own ? NULL : logs_setting_get(NULL, "max-size");
	const char *v = own ? own : global;
	uint64_t bytes = 0;
	struct berr err;

	if (v && logs_max_size_parse(v, &bytes, &err) < 0)
		bytes = 0;
	return bytes;
}
