/* doctor.c - `berth doctor`: what this host's kernel offers berth, and what follows. */
#include <stdio.h>
#include <sys/utsname.h>

#include "cmd/commands.h"
#include "common/paths.h"
#include "net/net.h"
#include "runtime/runtime.h"

static int failed;

static void row(const char *what, bool ok, const char *if_ok, const char *if_missing,
		bool required)
{
	printf("       %-22s %-8s %s\n", what, ok ? "ok" : "missing", ok ? if_ok : if_missing);
	if (!ok && required)
		failed = 1;
}

int cmd_doctor(int argc, char **argv)
{
	struct runtime_host h;
	struct utsname u;
	char cg[512];

	(void)argc;
	(void)argv;
	failed = 0;
	runtime_probe_host(&h);
	uname(&u);
	printf("=====> berth doctor\n");
	printf("       %-22s %-8s %s %s\n", "kernel", "", u.sysname, u.release);
	row("overlayfs", h.has_overlay, "layered images", "no layered images: berth cannot run containers", true);
	row("user namespaces", h.has_userns, "container root is an unprivileged host id",
	    "no user namespaces: berth cannot run containers", true);
	row("idmapped mounts", h.has_idmap, "layers are shared between apps with distinct id ranges",
	    "BERTH_ROOT's filesystem cannot be idmapped: use ext4, xfs or btrfs", true);
	row("seccomp", h.has_seccomp, "syscall filter at least as strict as Docker's",
	    "no seccomp: berth refuses to run containers without a syscall filter", true);
	snprintf(cg, sizeof(cg), "mounted at %s", h.cgroup2_mount);
	row("cgroup v2", h.cgroup2_mount[0] != '\0', cg,
	    "no cgroup v2 hierarchy: berth cannot track or kill container processes", true);
	row("cgroup.kill", h.has_cgroup_kill, "every process of a container is killed at once",
	    "containers are stopped by signalling each member of their cgroup", false);
	row("memory controller", h.has_memory, "memory limits are enforced (memory.max)",
	    "memory limits are NOT enforced: the controller is not available in cgroup v2 (hybrid host)", false);
	row("pids controller", h.has_pids, "process limits are enforced (pids.max)",
	    "pids.max is NOT available: berth limits processes with RLIMIT_NPROC per container user", false);
	row("cpu controller", h.has_cpu, "cpu limits are enforced (cpu.max)",
	    "cpu limits are NOT enforced: the controller is not available in cgroup v2", false);
	row("io controller", h.has_io, "io weights can be set", "io limits are NOT enforced", false);
	row("nftables", h.has_nftables, "egress NAT and published ports",
	    "nf_tables is not loaded yet (modprobe nf_tables); networking will load it", false);
	row("ip forwarding", net_forwarding_enabled("all"), "containers reach the outside through NAT",
	    "off host-wide: berth turns it on for its bridge only; egress NAT also needs it on the "
	    "uplink (sysctl net.ipv4.conf.<uplink>.forwarding=1, or net.ipv4.ip_forward=1)", false);
	printf("       %-22s %-8s %s\n", "BERTH_ROOT", "", berth_root());
	printf("       %-22s %-8s %s\n", "BERTH_RUN", "", berth_run());
	return failed;
}
