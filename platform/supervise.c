/* supervise.c - the daemon's process slots: one per TYPE.N of an app's formation.
 * A slot starts its container (the release's layers and command, PORT, DYNO,
 * GIT_REV, a log pipe, an address on the bridge), watches its pidfd, restarts it
 * by the app's restart policy with exponential backoff, stops it with SIGTERM and
 * then cgroup.kill, and finds it again after a daemon restart (docs/daemon.md). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "platform/daemon_internal.h"
#include "platform/internal.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 60000
/* A process that ran this long was healthy: its next failure backs off from the
 * start again. */
#define HEALTHY_RUN_MS 10000

long long daemon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void slot_save(struct slot *s)
{
	struct berr err;

	proc_record_save(&s->rec, &err);
}

static void set_state(struct slot *s, const char *state)
{
	free(s->rec.state);
	s->rec.state = xstrdup(state);
	slot_save(s);
}

struct slot *slot_find(struct daemon *d, const char *app, const char *type, unsigned index)
{
	for (struct slot *s = d->slots; s; s = s->next)
		if (!s->ro && !s->retiring && !strcmp(s->rec.app, app) && !strcmp(s->rec.type, type) &&
		    s->rec.index == index)
			return s;
	return NULL;
}

struct slot *slot_new(struct daemon *d, const char *app, const char *type, unsigned index)
{
	struct slot *s = xcalloc(1, sizeof(*s));

	s->rec.app = xstrdup(app);
	s->rec.type = xstrdup(type);
	s->rec.index = index;
	s->rec.exit_code = -1;
	s->rec.state = xstrdup("starting");
	s->log_fd = s->log_out = -1;
	s->c.pidfd = s->c.cgroup_fd = -1;
	s->chk.fd = -1;
	s->ev_pid = (struct ev){ EV_PIDFD, s };
	s->ev_log = (struct ev){ EV_LOG, s };
	s->next = d->slots;
	d->slots = s;
	return s;
}

void slot_free(struct slot *s)
{
	if (s->has_c)
		runtime_release(&s->c);
	if (s->log_fd >= 0)
		close(s->log_fd);
	if (s->log_out >= 0)
		close(s->log_out);
	free(s->line);
	strv_free(&s->tail);
	if (s->chk.fd >= 0)
		close(s->chk.fd);
	free(s->chk.req);
	free(s->chk.buf);
	free(s->chk.host);
	free(s->chk.why);
	checks_free(&s->chk.checks);
	proc_record_free(&s->rec);
	free(s);
}

void slot_tail_push(struct slot *s, const char *text, size_t len)
{
	if (!s->chk.active || s->chk.kind != CHECK_STARTUP)
		return;
	if (s->tail.n == TAIL_LINES) {
		free(s->tail.v[0]);
		memmove(s->tail.v, s->tail.v + 1, (TAIL_LINES - 1) * sizeof(*s->tail.v));
		s->tail.v[--s->tail.n] = NULL;
	}
	strv_push_owned(&s->tail, xstrndup(text, len));
}

void slot_unlink(struct daemon *d, struct slot *s)
{
	if (s->unlinked)
		return;
	s->unlinked = true;
	for (struct slot **p = &d->slots; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	checks_cancel(d, s);
	proc_record_remove(&s->rec);
	/* Later events of the same epoll batch may still name it. */
	s->next = d->graveyard;
	d->graveyard = s;
}

void daemon_bury(struct daemon *d)
{
	while (d->graveyard) {
		struct slot *s = d->graveyard;

		d->graveyard = s->next;
		slot_free(s);
	}
}

static void watch_pid(struct daemon *d, struct slot *s)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &s->ev_pid };

	epoll_ctl(d->ep, EPOLL_CTL_ADD, s->c.pidfd, &e);
}

/* A web process listens where the router sends the app's requests: its http
 * port map's container port (ports:*, default 5000), unless the app's config
 * sets PORT. *port stays empty when release_spec()'s PORT stands. */
static int web_port(struct daemon *d, const char *app, char port[16], struct berr *err)
{
	struct app_settings as;
	struct strv config = { 0 };
	const char *colon = strrchr(d->net.http_addr, ':');
	unsigned p;

	if (config_load_merged(app, &config, err) < 0)
		return -1;
	if (strv_getenv(&config, "PORT")) {
		strv_free(&config);
		return 0;
	}
	strv_free(&config);
	if (app_settings_load(app, &as, err) < 0)
		return -1;
	p = routes_app_port(&as, colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 80);
	app_settings_free(&as);
	if (p)
		snprintf(port, 16, "%u", p);
	return 0;
}

/* The spec of a slot's container; the parts other commands share come from
 * release_spec() and process_argv(). */
static int slot_spec(struct daemon *d, struct slot *s, const struct release *rel,
		     struct runtime_spec *spec, struct berr *err)
{
	autofree char *command = ps_process_command(s->rec.app, rel, s->rec.type);
	struct strv cmd = { 0 };
	char dyno[128], addr[16], port[16] = "";
	struct app a;
	int r;

	if (!command)
		return berr_fail(err, "App %s release v%u has no %s process", s->rec.app,
				 rel->version, s->rec.type);
	snprintf(dyno, sizeof(dyno), "%s.%u", s->rec.type, s->rec.index);
	/* Layers, env (PORT, DYNO, GIT_REV, config), limits, storage binds. */
	if (app_open(s->rec.app, 0, &a, err) < 0)
		return -1;
	r = release_spec(&a, rel, dyno, spec, err);
	app_close(&a);
	if (r < 0)
		return -1;
	strv_push(&cmd, command);
	process_argv(&spec->argv, &cmd);
	strv_free(&cmd);
	if (!strcmp(s->rec.type, "web") && web_port(d, s->rec.app, port, err) < 0)
		return -1;
	if (port[0])
		strv_setenv(&spec->env, "PORT", port);
	spec->hostname = s->rec.app;
	spec->quiet_limits = true;
	spec->die_with_creator = false;
	if (d->net_ok) {
		/* The host side (bridge, nft table) once, not per container. */
		if (!d->net_ready && net_host_setup(&d->net, err) < 0)
			return -1;
		d->net_ready = true;
		if (net_attach_lease(&s->att, &d->net, s->rec.app, getpid(), err) < 0)
			return -1;
		s->attached = true;
		/* After the app's own storage binds. */
		spec->binds = xrealloc(spec->binds, (spec->nbinds + 2) * sizeof(*spec->binds));
		spec->binds[spec->nbinds++] = (struct runtime_bind){
			xstrdup(s->att.resolv_conf), xstrdup("/etc/resolv.conf"), true };
		spec->binds[spec->nbinds++] = (struct runtime_bind){
			xstrdup(s->att.hosts), xstrdup("/etc/hosts"), true };
		spec->net_hook = net_attach_hook;
		spec->net_hook_arg = &s->att;
		free(s->rec.addr);
		s->rec.addr = xasprintf("%s:%s", net_ntoa(s->att.addr, addr),
					strv_getenv(&spec->env, "PORT"));
	}
	return 0;
}

/* <app>.<type>.<n> while that is free, else <app>.<type>.<n>.<k>: a deploy's
 * new container runs next to the old one. The slot record names the one in
 * use (`enter APP web.1`, ps:report); types have no dots. */
static char *slot_pick_id(struct daemon *d, const struct slot *s)
{
	for (unsigned k = 1;; k++) {
		char *id = k == 1 ? xasprintf("%s.%s.%u", s->rec.app, s->rec.type, s->rec.index)
				  : xasprintf("%s.%s.%u.%u", s->rec.app, s->rec.type, s->rec.index, k);
		bool used = false;

		for (struct slot *o = d->slots; o && !used; o = o->next)
			used = o->has_c && !strcmp(o->c.id, id);
		if (!used)
			return id;
		free(id);
	}
}

int slot_start(struct daemon *d, struct slot *s, struct berr *err)
{
	struct release rel;
	struct runtime_spec spec;
	autofree char *name = slot_pick_id(d, s);
	autoclose int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int pipefd[2] = { -1, -1 };
	int r = -1;

	if ((s->want_release ? release_load(s->rec.app, s->want_release, &rel, err)
			     : release_current(s->rec.app, &rel, err)) < 0)
		return -1;
	if (rel.version == 0) {
		release_free(&rel);
		return berr_fail(err, "App %s has not been deployed", s->rec.app);
	}
	runtime_spec_init(&spec);
	if (slot_spec(d, s, &rel, &spec, err) < 0)
		goto out;
	/* The log pipe: the command writes, the daemon reads, and pid 1 holds a copy
	 * of the read end so that lines wait in the pipe while no daemon runs. */
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		berr_sys(err, "create the log pipe of %s", name);
		goto out;
	}
	fcntl(pipefd[0], F_SETPIPE_SZ, 1 << 20);
	spec.stdio[0] = devnull;
	spec.stdio[1] = spec.stdio[2] = pipefd[1];
	spec.pid1_fd = pipefd[0];
	spec.id = name;
	if (runtime_create(&spec, &s->c, err) < 0)
		goto out;
	s->has_c = true;
	if (s->attached) {
		struct berr e2;

		/* The lease belongs to the container, which outlives the daemon. */
		net_ipam_reown(&d->net, s->att.addr, s->c.pid, &e2);
	}
	free(s->rec.id);
	s->rec.id = xstrdup(s->c.id);
	s->rec.pid = s->c.pid;
	s->rec.started = time(NULL);
	s->rec.release = rel.version;
	s->rec.exit_code = -1;
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	log_attach(d, s, pipefd[0]);
	pipefd[0] = -1;
	watch_pid(d, s);
	set_state(s, "running");
	log_note(d, s, "Starting process with command `%s`", spec.argv.n ? spec.argv.v[spec.argv.n - 1] : "");
	/* Routed once its startup checks pass. */
	s->ready = false;
	checks_start(d, s, CHECK_STARTUP);
	r = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (r < 0 && s->attached) {
		net_attach_release(&s->att);
		s->attached = false;
		d->net_ready = false;  /* someone may have removed the bridge: set up again */
	}
	/* The attachment's strings live in s->att until the container ends; the
	 * spec's copies go now. */
	runtime_spec_release(&spec);
	release_free(&rel);
	return r;
}

void slot_backoff(struct daemon *d, struct slot *s, const char *why)
{
	sink_warn(d->sink, "%s %s.%u: %s", s->rec.app, s->rec.type, s->rec.index, why);
	log_note(d, s, "Error starting process: %s", why);
	s->rec.exit_code = RUNTIME_EXIT_ERROR;
	s->fails++;
	s->deadline_ms = daemon_now_ms() + BACKOFF_MAX_MS;
	set_state(s, "crashed");
}

static void slot_start_or_backoff(struct daemon *d, struct slot *s)
{
	struct berr err = { 0 };

	if (slot_start(d, s, &err) < 0)
		slot_backoff(d, s, err.msg);
}

/* What the restart policy says about a process that ended with status. */
static bool policy_restarts(const struct ps_settings *ps, const struct slot *s, int status)
{
	switch (ps->policy) {
	case RESTART_NO:
		return false;
	case RESTART_ALWAYS:
	case RESTART_UNLESS_STOPPED:
		return true;
	case RESTART_ON_FAILURE:
		return status != 0 && (ps->max_retries == 0 || s->fails <= ps->max_retries);
	}
	return false;
}

/* pid 1 has exited: collect, drain the log, remove the container, then decide. */
void daemon_pid_event(struct daemon *d, struct slot *s)
{
	struct berr err = { 0 };
	struct ps_settings ps;
	int status = -1;
	long long ran;

	bool checking;

	if (!s->has_c || runtime_reap(&s->c, &status, &err) == 0)
		return;
	epoll_ctl(d->ep, EPOLL_CTL_DEL, s->c.pidfd, NULL);
	log_drain(d, s);
	log_note(d, s, "Process exited with status %d", status);
	log_detach(d, s);
	checking = s->chk.active && s->chk.kind == CHECK_STARTUP;
	checks_cancel(d, s);
	s->ready = false;
	if (runtime_destroy(&s->c, &err) < 0)
		sink_warn(d->sink, "%s", err.msg);
	s->has_c = false;
	if (s->attached) {
		net_attach_release(&s->att);
		s->attached = false;
	}
	d->table_dirty = true;
	s->rec.exit_code = status;
	s->rec.pid = 0;
	ran = (time(NULL) - s->rec.started) * 1000LL;
	if (s->ro) {
		char why[64];

		snprintf(why, sizeof(why), "the process exited with status %d", status);
		/* The rollout gives up and discards its candidates, this one too. */
		rollout_candidate_done(d, s, false, why);
	} else if (checking && s->wanted) {
		log_note(d, s, "Startup checks failed: the process exited with status %d", status);
	}
	if (!s->wanted) {
		slot_unlink(d, s);
		return;
	}
	if (s->restart_pending) {
		s->restart_pending = s->stopping = s->term_sent = false;
		s->fails = 0;
		slot_start_or_backoff(d, s);
		return;
	}
	if (ps_settings_load(s->rec.app, &ps, &err) < 0)
		ps.policy = RESTART_NO;
	if (ran >= HEALTHY_RUN_MS)
		s->fails = 0;
	if (status != 0)
		s->fails++;
	if (!policy_restarts(&ps, s, status)) {
		set_state(s, status == 0 ? "exited" : "crashed");
		return;
	}
	/* Exponential backoff: 100 ms, 200 ms, ... up to a minute. */
	unsigned shift = s->fails > 10 ? 10 : s->fails;
	long long delay = (long long)BACKOFF_FIRST_MS << shift;

	s->deadline_ms = daemon_now_ms() + (delay > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay);
	s->rec.restarts++;
	set_state(s, "backoff");
}

static void kill_cgroup(struct slot *s)
{
	autoclose int fd = openat(s->c.cgroup_fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
	struct berr err;

	if (fd < 0 || write(fd, "1", 1) != 1)
		runtime_kill(&s->c, SIGKILL, &err);
}

void slot_stop(struct daemon *d, struct slot *s, unsigned timeout, long long drain_ms)
{
	struct berr err;

	if (!s->has_c) {
		s->deadline_ms = 0;
		if (!s->wanted)
			slot_unlink(d, s);
		return;
	}
	if (s->stopping)
		return;
	s->stopping = true;
	s->stop_timeout = timeout;
	checks_cancel(d, s);
	set_state(s, s->retiring ? "retiring" : "stopping");
	if (!strcmp(s->rec.type, "web") && s->rec.addr && s->ready && drain_ms < WEB_DRAIN_MS)
		drain_ms = WEB_DRAIN_MS;  /* it was routed: the router reloads first */
	s->ready = false;
	d->table_dirty = true;
	if (drain_ms > 0) {
		s->deadline_ms = daemon_now_ms() + drain_ms;
		return;
	}
	s->term_sent = true;
	runtime_kill(&s->c, SIGTERM, &err);
	s->deadline_ms = daemon_now_ms() + timeout * 1000LL;
}

void slot_retire_mark(struct daemon *d, struct slot *s)
{
	(void)d;
	s->wanted = false;
	s->restart_pending = false;
	if (s->retiring)
		return;
	/* The record moves apart: the slot's own names the new container next. */
	s->retiring = true;
	s->rec.extra = true;
	if (s->has_c)
		slot_save(s);
}

void slot_retire(struct daemon *d, struct slot *s, unsigned timeout, long long drain_ms)
{
	slot_retire_mark(d, s);
	slot_stop(d, s, timeout, drain_ms);
}

void slot_discard(struct daemon *d, struct slot *s)
{
	s->ro = NULL;
	s->retiring = true;
	s->wanted = false;
	s->rec.extra = true;
	checks_cancel(d, s);
	if (!s->has_c) {
		slot_unlink(d, s);
		return;
	}
	s->stopping = s->term_sent = true;
	s->ready = false;
	s->deadline_ms = daemon_now_ms() + PS_DEFAULT_STOP_TIMEOUT * 1000LL;
	kill_cgroup(s);
}

void slot_checks_done(struct daemon *d, struct slot *s, bool ok, const char *why)
{
	if (ok) {
		s->ready = true;
		d->table_dirty = true;
		checks_start(d, s, CHECK_LIVENESS);
	}
	if (s->ro) {
		/* The rollout shows the last lines when it fails. */
		rollout_candidate_done(d, s, ok, why);
	} else if (!ok) {
		log_note(d, s, "Startup checks failed: %s", why);
		s->fails++;
		kill_cgroup(s);
	}
	strv_free(&s->tail);
}

void slot_liveness_failed(struct daemon *d, struct slot *s, const char *why)
{
	struct ps_settings ps;
	struct berr err;

	log_note(d, s, "Liveness checks failed: %s; restarting the process", why);
	if (ps_settings_load(s->rec.app, &ps, &err) < 0)
		ps.stop_timeout = PS_DEFAULT_STOP_TIMEOUT;
	s->restart_pending = true;
	s->rec.restarts++;
	slot_stop(d, s, ps.stop_timeout, 0);
}

/* One due deadline of s; true when it was. */
static bool slot_due(struct daemon *d, struct slot *s, long long now)
{
	if (checks_due(d, s, now))
		return true;
	if (!s->deadline_ms || s->deadline_ms > now)
		return false;
	s->deadline_ms = 0;
	if (s->has_c && s->stopping && !s->term_sent) {
		struct berr err;

		s->term_sent = true;
		runtime_kill(&s->c, SIGTERM, &err);
		s->deadline_ms = now + s->stop_timeout * 1000LL;
	} else if (s->has_c && s->stopping) {
		log_note(d, s, "Stop timeout reached: killing the process");
		kill_cgroup(s);
	} else if (!s->has_c && s->wanted && !s->ro) {
		slot_start_or_backoff(d, s);
	}
	return true;
}

int daemon_tick(struct daemon *d)
{
	long long now = daemon_now_ms(), next = -1;

again:
	/* What a deadline does may add or remove slots (a rollout ending): start
	 * over after each. */
	for (struct slot *s = d->slots; s; s = s->next)
		if (slot_due(d, s, now))
			goto again;
	for (struct slot *s = d->slots; s; s = s->next) {
		if (s->deadline_ms && (next < 0 || s->deadline_ms < next))
			next = s->deadline_ms;
		if (s->chk.active && s->chk.deadline_ms && (next < 0 || s->chk.deadline_ms < next))
			next = s->chk.deadline_ms;
	}
	return next < 0 ? -1 : (int)(next - now > 0 ? next - now : 0);
}

bool daemon_app_busy(struct daemon *d, const char *app)
{
	for (struct slot *s = d->slots; s; s = s->next)
		if ((!app || !strcmp(s->rec.app, app)) && (s->stopping || s->restart_pending) &&
		    s->has_c && !s->retiring)
			return true;
	return false;
}

static unsigned formation_count(const struct strv *formation, const char *type)
{
	const char *v = strv_getenv(formation, type);

	return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

int daemon_reconcile(struct daemon *d, const char *app, bool restart, const char *type,
		     struct berr *err)
{
	struct app_settings as;
	struct ps_settings ps;
	struct release rel;
	bool deployed;

	if (!app_exists(app)) {
		/* Destroyed: whatever still runs of it goes. */
		for (struct slot *s = d->slots, *n; s; s = n) {
			n = s->next;
			if (!strcmp(s->rec.app, app) && !s->ro) {
				s->wanted = false;
				if (s->retiring && s->has_c && !s->term_sent)
					s->deadline_ms = daemon_now_ms();  /* no more waiting */
				slot_stop(d, s, PS_DEFAULT_STOP_TIMEOUT, 0);
			}
		}
		return 0;
	}
	if (app_settings_load(app, &as, err) < 0)
		return -1;
	if (ps_settings_load(app, &ps, err) < 0 || release_current(app, &rel, err) < 0) {
		app_settings_free(&as);
		return -1;
	}
	deployed = rel.version != 0;
	/* Slots beyond the formation (or every one of a stopped app) go. */
	for (struct slot *s = d->slots, *n; s; s = n) {
		n = s->next;
		if (strcmp(s->rec.app, app) || s->ro || s->retiring)
			continue;
		s->wanted = deployed && !ps_type_stopped(&ps, s->rec.type) &&
			    s->rec.index <= formation_count(&as.formation, s->rec.type) &&
			    proctypes_get(&rel.procs, s->rec.type);
		if (!s->wanted) {
			slot_stop(d, s, ps.stop_timeout, 0);
			continue;
		}
		if (s->has_c && (s->rec.release != rel.version ||
				 (restart && (!type || !strcmp(type, s->rec.type))))) {
			s->restart_pending = true;
			slot_stop(d, s, ps.stop_timeout, 0);
		} else if (!s->has_c && !s->deadline_ms) {
			s->fails = 0;
			slot_start_or_backoff(d, s);
		} else if (!s->has_c && restart) {
			s->deadline_ms = 0;
			s->fails = 0;
			slot_start_or_backoff(d, s);
		}
	}
	for (size_t i = 0; deployed && !ps.stopped && i < as.formation.n; i++) {
		const char *eq = strchr(as.formation.v[i], '=');
		autofree char *t = xstrndup(as.formation.v[i], eq - as.formation.v[i]);
		unsigned count = (unsigned)strtoul(eq + 1, NULL, 10);

		if (!proctypes_get(&rel.procs, t) || !strcmp(t, "release") ||
		    ps_type_stopped(&ps, t))
			continue;
		for (unsigned k = 1; k <= count && k <= PS_SCALE_MAX; k++) {
			if (slot_find(d, app, t, k))
				continue;
			struct slot *s = slot_new(d, app, t, k);

			s->wanted = true;
			slot_start_or_backoff(d, s);
		}
	}
	release_free(&rel);
	app_settings_free(&as);
	return 0;
}

/* Take the container of s's record back: its pidfd, log pipe and address. */
static bool slot_adopt(struct daemon *d, struct slot *s)
{
	struct berr err = { 0 };
	int fd;

	if (!s->rec.id || runtime_open(s->rec.id, &s->c, &err) < 0)
		return false;
	s->has_c = true;
	fd = (int)syscall(SYS_pidfd_getfd, s->c.pidfd, RUNTIME_PID1_FD, 0);
	if (fd >= 0) {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		log_attach(d, s, fd);
	}
	/* Its address lease stays with its pid 1; the attachment is rebuilt for
	 * release when it ends. */
	if (s->rec.addr && d->net_ok) {
		unsigned a, b, c, e;

		if (sscanf(s->rec.addr, "%u.%u.%u.%u", &a, &b, &c, &e) == 4) {
			s->att.cfg = d->net;
			s->att.addr = a << 24 | b << 16 | c << 8 | e;
			s->att.dir = xasprintf("%s/net/%s/%u.%u.%u.%u", berth_run(), d->net.bridge, a,
					       b, c, e);
			s->att.leased = true;
			s->attached = true;
		}
	}
	watch_pid(d, s);
	return true;
}

/* Containers that were not a slot's own when the last daemon died: a deploy's
 * candidates (their rollout died with it: the old ones keep serving) and old
 * ones retiring. Both go; one the slot records also name (a promotion cut
 * short) is the slot's. */
static void adopt_extras(struct daemon *d, const char *app, const struct proc_record *recs,
			 size_t nrecs)
{
	struct proc_record *ex;
	size_t n;
	struct berr err = { 0 };

	if (proc_records_extra(app, &ex, &n, &err) < 0)
		return;
	for (size_t k = 0; k < n; k++) {
		bool dup = false;

		for (size_t i = 0; i < nrecs && !dup; i++)
			dup = recs[i].id && ex[k].id && !strcmp(recs[i].id, ex[k].id);
		if (dup || !ex[k].id) {
			proc_record_remove(&ex[k]);
			continue;
		}
		struct slot *s = slot_new(d, ex[k].app, ex[k].type, ex[k].index);

		proc_record_free(&s->rec);
		s->rec = ex[k];
		memset(&ex[k], 0, sizeof(ex[k]));
		s->retiring = true;
		s->wanted = false;
		if (!slot_adopt(d, s)) {
			slot_unlink(d, s);
			continue;
		}
		s->stopping = false;
		slot_stop(d, s, PS_DEFAULT_STOP_TIMEOUT, 0);
		daemon_pid_event(d, s);
	}
	proc_records_free(ex, n);
}

/* A restarted daemon finds its containers again: every record under
 * $BERTH_RUN/daemon/procs with a container id that runtime_open() knows. */
int daemon_adopt(struct daemon *d)
{
	struct strv apps = { 0 };
	struct berr err = { 0 };

	if (app_list(&apps, &err) < 0)
		return -1;
	for (size_t i = 0; i < apps.n; i++) {
		struct proc_record *recs;
		size_t n;

		if (proc_records_list(apps.v[i], &recs, &n, &err) < 0)
			continue;
		adopt_extras(d, apps.v[i], recs, n);
		for (size_t k = 0; k < n; k++) {
			struct slot *s = slot_new(d, recs[k].app, recs[k].type, recs[k].index);

			proc_record_free(&s->rec);
			s->rec = recs[k];
			memset(&recs[k], 0, sizeof(recs[k]));
			s->wanted = true;
			if (!slot_adopt(d, s))
				continue;  /* gone (a reboot): reconcile starts it again */
			/* It was routed, or about to be: its checks are not run again. */
			s->ready = true;
			checks_start(d, s, CHECK_LIVENESS);
			if (!strcmp(s->rec.state, "stopping") || !strcmp(s->rec.state, "retiring"))
				set_state(s, "running");
			/* Already exited while no daemon ran: collect now. */
			daemon_pid_event(d, s);
		}
		free(recs);
	}
	strv_free(&apps);
	d->table_dirty = true;
	return 0;
}
