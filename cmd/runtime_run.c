/* runtime_run.c - `berth runtime:run [options] -- CMD [ARGS...]`: plumbing that runs
 * one command in a new container, for tests, benchmarks and the curious.
 *
 * A thin wrapper over the runtime's handle: create the container (it dies with
 * berth), pass on the signals berth is sent, wait for it, destroy it, and exit
 * with the command's status. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/ui.h"
#include "images/images.h"
#include "runtime/runtime.h"

static int parse_user(const char *s, struct runtime_spec *spec, struct berr *err)
{
	autofree char *copy = xstrdup(s);
	char *colon = strchr(copy, ':');
	uint64_t uid, gid;

	if (colon)
		*colon++ = '\0';
	if (parse_uint(copy, RUNTIME_ID_RANGE - 1, &uid, err) < 0)
		return berr_prefix(err, "--user %s: uid", s);
	gid = uid;
	if (colon && parse_uint(colon, RUNTIME_ID_RANGE - 1, &gid, err) < 0)
		return berr_prefix(err, "--user %s: gid", s);
	spec->uid = (uid_t)uid;
	spec->gid = (gid_t)gid;
	return 0;
}

static int parse_bind(const char *s, struct runtime_spec *spec, struct berr *err)
{
	autofree char *copy = xstrdup(s);
	char *dst = strchr(copy, ':');
	char *mode;
	struct runtime_bind *b;

	if (!dst || dst == copy || !dst[1])
		return berr_fail(err, "--bind %s: use SRC:DST or SRC:DST:ro", s);
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") && strcmp(mode, "rw"))
			return berr_fail(err, "--bind %s: mode must be ro or rw", s);
	}
	spec->binds = xrealloc(spec->binds, (spec->nbinds + 1) * sizeof(*spec->binds));
	b = &spec->binds[spec->nbinds++];
	b->src = xstrdup(copy);
	b->dst = xstrdup(dst);
	b->ro = mode && !strcmp(mode, "ro");
	return 0;
}

static int parse_cpus(const char *s, struct runtime_spec *spec, struct berr *err)
{
	char *end;
	double cpus = strtod(s, &end);

	if (!*s || *end || !(cpus >= 0.01 && cpus <= 1024))
		return berr_fail(err, "--cpus %s: use a number of CPUs between 0.01 and 1024 (e.g. 1.5)", s);
	spec->cpu_period_us = 100000;
	spec->cpu_quota_us = (uint64_t)(cpus * 100000 + 0.5);
	return 0;
}

static int parse_env(const char *s, struct runtime_spec *spec, struct berr *err)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s)
		return berr_fail(err, "--env %s: use KEY=VALUE", s);
	autofree char *key = xstrndup(s, eq - s);
	strv_setenv(&spec->env, key, eq + 1);
	return 0;
}

enum { OPT_LAYER = 256, OPT_HOSTNAME, OPT_ENV, OPT_WORKDIR, OPT_USER, OPT_BIND, OPT_MEMORY,
       OPT_PIDS, OPT_CPUS, OPT_NET, OPT_KEEP_UPPER, OPT_STACK };

static const struct option options[] = {
	{ "layer", required_argument, NULL, OPT_LAYER },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "workdir", required_argument, NULL, OPT_WORKDIR },
	{ "user", required_argument, NULL, OPT_USER },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "net", required_argument, NULL, OPT_NET },
	{ "keep-upper", required_argument, NULL, OPT_KEEP_UPPER },
	{ "stack", required_argument, NULL, OPT_STACK },
	{ NULL, 0, NULL, 0 },
};

static int parse_option(int opt, const char *arg, struct runtime_spec *spec, struct berr *err)
{
	uint64_t n;

	switch (opt) {
	case OPT_LAYER: strv_push(&spec->layers, arg); return 0;
	case OPT_HOSTNAME:
		if (!*arg || strlen(arg) > 63 || strspn(arg, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != strlen(arg))
			return berr_fail(err, "--hostname '%s': use up to 63 letters, digits, '-' or '.'", arg);
		spec->hostname = arg;
		return 0;
	case OPT_ENV: return parse_env(arg, spec, err);
	case OPT_WORKDIR: spec->workdir = arg; return 0;
	case OPT_USER: return parse_user(arg, spec, err);
	case OPT_BIND: return parse_bind(arg, spec, err);
	case OPT_MEMORY:
		if (parse_size(arg, &spec->memory_max, err) < 0)
			return berr_prefix(err, "--memory");
		return 0;
	case OPT_PIDS:
		if (parse_uint(arg, 1u << 22, &n, err) < 0 || n == 0)
			return berr_fail(err, "--pids '%s': use a number of processes from 1 to 4194304", arg);
		spec->pids_max = n;
		return 0;
	case OPT_CPUS: return parse_cpus(arg, spec, err);
	case OPT_KEEP_UPPER: spec->keep_upper = arg; return 0;
	}
	return berr_fail(err, "unknown option; see 'berth help runtime:run'");
}

/* --stack NAME: the stack's layers go below any --layer, and its image config's Env
 * and WorkingDir apply where the command line does not say otherwise. */
static int apply_stack(const char *name, struct runtime_spec *spec, struct stack_config *cfg,
		       struct berr *err)
{
	struct strv layers = { 0 };

	if (stack_layer_dirs(name, &layers, err) < 0 || stack_config_load(name, cfg, err) < 0) {
		strv_free(&layers);
		return -1;
	}
	for (size_t i = 0; i < spec->layers.n; i++)
		strv_push(&layers, spec->layers.v[i]);
	strv_free(&spec->layers);
	spec->layers = layers;
	return 0;
}

static const int forwarded_signals[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
};

/* Terminal-generated signals already reached the container's processes, which
 * share berth's process group: pass on only what was sent with kill(2). */
static bool sent_by_kill(const struct signalfd_siginfo *si)
{
	return si->ssi_code == SI_USER || si->ssi_code == SI_QUEUE || si->ssi_code == SI_TKILL;
}

/* Until the container's pid 1 exits, forward signals to it; then its status. */
static int watch(struct runtime_container *c, int sigfd, int *status, struct berr *err)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = c->pidfd, .events = POLLIN },
				       { .fd = sigfd, .events = POLLIN } };
		struct signalfd_siginfo si;
		struct berr ignored = { 0 };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return berr_sys(err, "wait for container %s", c->id);
		}
		if (p[1].revents & POLLIN && read(sigfd, &si, sizeof(si)) == sizeof(si) &&
		    sent_by_kill(&si))
			runtime_kill(c, (int)si.ssi_signo, &ignored);
		if (p[0].revents & (POLLIN | POLLHUP)) {
			int r = runtime_reap(c, status, err);

			if (r != 0)
				return r < 0 ? -1 : 0;
		}
	}
}

static int run_container(struct runtime_spec *spec, int *status, struct berr *err)
{
	struct runtime_container c;
	struct berr ignored = { 0 };
	sigset_t set;
	int sigfd, r;

	/* Blocked from before the container exists, so that none is lost or acts on
	 * berth itself; the container sets its own signal state. */
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaddset(&set, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sigfd < 0)
		return berr_sys(err, "signalfd");
	spec->die_with_creator = true;
	spec->sink = ui_sink();
	if (!spec->name)
		spec->name = "run";
	runtime_collect_stale();
	if (runtime_create(spec, &c, err) < 0) {
		close(sigfd);
		return -1;
	}
	r = watch(&c, sigfd, status, err);
	close(sigfd);
	if (runtime_destroy(&c, r == 0 ? err : &ignored) < 0)
		r = -1;
	return r;
}

int cmd_runtime_run(int argc, char **argv)
{
	struct runtime_spec spec;
	struct stack_config stack_cfg = { 0 };
	const char *stack = NULL;
	void *net = NULL;
	bool bridge = false;
	struct berr err = { 0 };
	int opt, status = 0;

	runtime_spec_init(&spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+:", options, NULL)) != -1) {
		if (opt == ':') {
			cmd_fail("runtime:run: option '%s' needs a value", argv[optind - 1]);
			runtime_spec_release(&spec);
			return RUNTIME_EXIT_ERROR;
		}
		if (opt == '?') {
			cmd_fail("runtime:run: unknown option '%s'; see 'berth help runtime:run'",
				 argv[optind - 1]);
			runtime_spec_release(&spec);
			return RUNTIME_EXIT_ERROR;
		}
		if (opt == OPT_STACK) {
			stack = optarg;
			continue;
		}
		if (opt == OPT_NET) {
			if (strcmp(optarg, "none") && strcmp(optarg, "bridge")) {
				berr_fail(&err, "--net '%s': use 'none' (a private namespace with lo only) or 'bridge' (eth0 on berth's bridge, NAT outwards)", optarg);
				goto fail;
			}
			bridge = !strcmp(optarg, "bridge");
			continue;
		}
		if (parse_option(opt, optarg, &spec, &err) < 0)
			goto fail;
	}
	for (int i = optind; i < argc; i++)
		strv_push(&spec.argv, argv[i]);
	if (stack && apply_stack(stack, &spec, &stack_cfg, &err) < 0)
		goto fail;
	stack_env_apply(stack ? &stack_cfg : NULL, &spec.env, NULL, &spec.workdir);
	if (!spec.hostname)
		spec.hostname = "berth";
	if (!strv_getenv(&spec.env, "HOSTNAME"))
		strv_setenv(&spec.env, "HOSTNAME", spec.hostname);
	if (bridge && !cmd_net_bridge) {
		/* argv is main()'s argv + 1: the whole command line is argv - 1. */
		runtime_spec_release(&spec);
		stack_config_release(&stack_cfg);
		cmd_exec_full("runtime:run", argv - 1);
		return RUNTIME_EXIT_ERROR;
	}
	if (bridge && cmd_net_bridge->attach(&spec, &net, &err) < 0)
		goto fail;
	if (run_container(&spec, &status, &err) < 0)
		goto fail;
	if (net)
		cmd_net_bridge->release(net);
	runtime_spec_release(&spec);
	stack_config_release(&stack_cfg);
	return status;
fail:
	cmd_fail("runtime:run: %s", err.msg);
	if (net)
		cmd_net_bridge->release(net);
	runtime_spec_release(&spec);
	stack_config_release(&stack_cfg);
	return RUNTIME_EXIT_ERROR;
}
