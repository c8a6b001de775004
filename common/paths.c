/* paths.c - see paths.h. */
#include "common/paths.h"

#include <stdlib.h>

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

const char *berth_root(void)
{
	return env_or("BERTH_ROOT", "/var/lib/berth");
}

const char *berth_run(void)
{
	return env_or("BERTH_RUN", "/run/berth");
}

const char *berth_cgroup_name(void)
{
	return env_or("BERTH_CGROUP", "berth");
}
