/* spawn.c - run a container to completion from a process that must stay itself
 * (a build, a one-off `run`): create, wait, destroy. The container dies with the
 * calling thread; the caller's signals are its own (a terminal's ^C reaches the
 * container's processes, which share its process group). */
#include "runtime/runtime.h"

int runtime_spawn_wait(const struct runtime_spec *spec_in, int *status, struct berr *err)
{
	struct runtime_spec spec = *spec_in;
	struct runtime_container c;
	struct berr ignored = { 0 };

	spec.die_with_creator = true;
	runtime_collect_stale();
	if (runtime_create(&spec, &c, err) < 0)
		return -1;
	if (runtime_wait(&c, status, err) < 0) {
		runtime_destroy(&c, &ignored);
		return -1;
	}
	return runtime_destroy(&c, err);
}
