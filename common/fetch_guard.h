/* fetch_guard.h - where berth may connect when it fetches a URL that an app's
 * owner chose (buildpacks, git:sync, git:from-archive URLs): never this host
 * itself, link-local addresses (cloud metadata services) or the container and
 * VM networks behind this host's bridges. berth fetches as root on the host, so
 * without this an app's owner could read services that listen on loopback or on
 * the bridge (server-side request forgery). The operator may allow them all:
 * BERTH_FETCH_LOCAL=allow (environment, then $BERTH_ROOT/berth.conf). */
#ifndef BERTH_COMMON_FETCH_GUARD_H
#define BERTH_COMMON_FETCH_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* May a fetch connect to sa? If not, why names the address and the reason. */
bool fetch_addr_allowed(const struct sockaddr *sa, char *why, size_t n);

/* libgit2's plain socket streams (under TLS too) check every address they
 * connect to with fetch_addr_allowed (fetch_guard_git.c). Once per process,
 * after git_libgit2_init(). */
int fetch_guard_git_register(void);

#endif
