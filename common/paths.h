/* paths.h - where berth keeps things. Everything lives under two roots so that
 * tests use throw-away ones and run side by side:
 *   BERTH_ROOT (default /var/lib/berth): layers, stacks, apps, releases, logs;
 *   BERTH_RUN  (default /run/berth): runtime state that a reboot may clear.
 * BERTH_CGROUP (default "berth") names berth's group in the cgroup v2 hierarchy. */
#ifndef BERTH_COMMON_PATHS_H
#define BERTH_COMMON_PATHS_H

const char *berth_root(void);
const char *berth_run(void);
const char *berth_cgroup_name(void);

#endif
