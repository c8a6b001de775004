/* rollout.c - a zero-downtime deploy inside the daemon (docs/daemon.md).
 *
 * New web containers start next to the old ones (all at once) and run their
 * startup checks; only when every one passed does the release become active
 * (here, so that a killed client cannot leave processes and `current`
 * disagreeing), the new ones enter the router's table and the old ones leave it,
 * then retire after wait-to-retire (SIGTERM, cgroup.kill after the stop
 * timeout). Other types follow: new before old, one at a time; types with
 * checks:disable stop before they start again (Dokku's downtime). A failed start
 * or check, or the client going away before the switch, discards the new
 * containers and leaves the old release serving. Progress goes to the client as
 * {"line":...,"kind":N} lines before the final {"ok":true} or {"error":...}. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/jsonfile.h"
#include "platform/daemon_internal.h"
#include "platform/platform.h"

/* The least an old web process stays out of the table, alive, before its
 * SIGTERM (wait-to-retire 0): the router reloads and finishes what it sent it. */
#define RETIRE_DRAIN_MS 2000

static void ro_send(struct rollout *ro, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	json_decref(msg);
	if (!text)
		return;
	if (ro->fd >= 0) {
		size_t len = strlen(text);

		text = xrealloc(text, len + 2);
		text[len++] = '\n';
		/* A client that does not read loses lines, never stalls the daemon. */
		if (send(ro->fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
			/* gone: the epoll event says so too */
		}
	}
	free(text);
}

static void ro_vline(struct rollout *ro, enum sink_kind kind, const char *fmt, va_list ap)
{
	autofree char *text = NULL;

	if (ro->fd < 0 || vasprintf(&text, fmt, ap) < 0)
		return;
	ro_send(ro, json_pack("{s:s, s:i}", "line", text, "kind", (int)kind));
}

static void ro_line(struct rollout *ro, enum sink_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ro_line(struct rollout *ro, enum sink_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ro_vline(ro, kind, fmt, ap);
	va_end(ap);
}

void slot_say(struct daemon *d, struct slot *s, enum sink_kind kind, const char *fmt, ...)
{
	va_list ap;

	(void)d;
	if (!s->ro)
		return;
	va_start(ap, fmt);
	ro_vline(s->ro, kind, fmt, ap);
	va_end(ap);
}

/* The answer; the rollout is freed by daemon_bury(). */
static void ro_end(struct daemon *d, struct rollout *ro, const char *error)
{
	if (ro->fd >= 0) {
		epoll_ctl(d->ep, EPOLL_CTL_DEL, ro->fd, NULL);
		ro_send(ro, error ? json_pack("{s:s}", "error", error) : json_pack("{s:b}", "ok", 1));
		close(ro->fd);
		ro->fd = -1;
	}
	ro->done = true;
}

bool rollout_running(struct daemon *d, const char *app)
{
	for (struct rollout *ro = d->rollouts; ro; ro = ro->next)
		if (!ro->done && !strcmp(ro->app, app))
			return true;
	return false;
}

void rollouts_free(struct daemon *d, bool all)
{
	for (struct rollout **p = &d->rollouts, *ro; (ro = *p);) {
		if (!ro->done && !all) {
			p = &ro->next;
			continue;
		}
		*p = ro->next;
		if (ro->fd >= 0)
			close(ro->fd);
		free(ro->app);
		free(ro->type);
		free(ro);
	}
}

static void discard_candidates(struct daemon *d, struct rollout *ro)
{
	for (struct slot *s = d->slots, *n; s; s = n) {
		n = s->next;
		if (s->ro == ro)
			slot_discard(d, s);
	}
}

/* s (NULL: none in particular) failed with why: everything new goes. */
static void rollout_fail(struct daemon *d, struct rollout *ro, struct slot *s, const char *why)
{
	autofree char *msg = NULL;

	if (s) {
		ro_line(ro, SINK_WARN, "Could not start due to 1 failed checks (%s.%u)", s->rec.type,
			s->rec.index);
		if (s->tail.n) {
			ro_line(ro, SINK_HEADER, "Start of %s container output (%s.%u)", ro->app,
				s->rec.type, s->rec.index);
			for (size_t i = 0; i < s->tail.n; i++)
				ro_line(ro, SINK_DETAIL, "%s", s->tail.v[i]);
			ro_line(ro, SINK_HEADER, "End of %s container output (%s.%u)", ro->app,
				s->rec.type, s->rec.index);
		}
		msg = xasprintf("App %s v%u was not deployed: %s.%u: %s%s", ro->app, ro->version,
				s->rec.type, s->rec.index, why,
				s->tail.n ? " (its last lines of output are above)" : "");
	} else {
		msg = xasprintf("App %s v%u was not deployed: %s", ro->app, ro->version, why);
	}
	discard_candidates(d, ro);
	ro_end(d, ro, msg);
}

static unsigned formation_count(const struct strv *formation, const char *type)
{
	const char *v = strv_getenv(formation, type);

	return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

/* Does the slot's current container have to be replaced? */
static bool needs_new(const struct rollout *ro, const struct slot *old, const char *type)
{
	if (!old || !old->has_c || old->rec.release != ro->version)
		return true;
	return ro->restart && (!ro->type || !strcmp(ro->type, type));
}

/* After the switch: the other process types, one at a time, new before old
 * (checks:disable: old stopped first). */
static void rollout_others(struct daemon *d, struct rollout *ro, const struct release *rel,
			   const struct app_settings *as, const struct ps_settings *ps,
			   const struct checks_settings *cs)
{
	for (size_t i = 0; i < as->formation.n; i++) {
		const char *eq = strchr(as->formation.v[i], '=');
		autofree char *t = xstrndup(as->formation.v[i], eq - as->formation.v[i]);
		unsigned count = formation_count(&as->formation, t);
		bool disabled = checks_type_disabled(cs, t), said = false;

		if ((!strcmp(t, "web") && !disabled) || !strcmp(t, "release") ||
		    !proctypes_get(&rel->procs, t) || ps_type_stopped(ps, t))
			continue;
		for (unsigned k = 1; k <= count && k <= PS_SCALE_MAX; k++) {
			struct slot *old = slot_find(d, ro->app, t, k), *s;
			struct berr err = { 0 };

			if (!needs_new(ro, old, t))
				continue;
			if (!said) {
				ro_line(ro, SINK_STEP, "Deploying %s (count=%u)", t, count);
				if (disabled)
					ro_line(ro, SINK_DETAIL,
						"Zero downtime is disabled, stopping currently running containers (%s)", t);
				said = true;
			}
			if (disabled) {
				if (old && old->has_c) {
					old->restart_pending = true;
					slot_stop(d, old, ps->stop_timeout, 0);
				}
				continue;  /* daemon_reconcile() starts what has no container */
			}
			if (old)
				slot_retire_mark(d, old);
			s = slot_new(d, ro->app, t, k);
			s->wanted = true;
			if (slot_start(d, s, &err) < 0) {
				ro_line(ro, SINK_WARN, "%s.%u did not start: %s", t, k, err.msg);
				slot_backoff(d, s, err.msg);
			}
			if (old)
				slot_stop(d, old, ps->stop_timeout, 0);
		}
	}
}

static void rollout_promote(struct daemon *d, struct rollout *ro)
{
	struct app a;
	struct release rel = { 0 };
	struct app_settings as = { 0 };
	struct ps_settings ps;
	struct checks_settings cs = { 0 };
	struct berr err = { 0 };
	struct slot **cands = NULL;
	size_t n = 0;
	bool retired = false;

	if (app_open(ro->app, 0, &a, &err) < 0) {
		rollout_fail(d, ro, NULL, err.msg);
		return;
	}
	if (release_activate(&a, ro->version, &err) < 0) {
		app_close(&a);
		rollout_fail(d, ro, NULL, err.msg);
		return;
	}
	app_close(&a);
	if (ps_settings_load(ro->app, &ps, &err) < 0)
		ps.stop_timeout = PS_DEFAULT_STOP_TIMEOUT;
	for (struct slot *s = d->slots; s; s = s->next)
		if (s->ro == ro) {
			cands = xrealloc(cands, (n + 1) * sizeof(*cands));
			cands[n++] = s;
		}
	for (size_t i = 0; i < n; i++) {
		struct slot *c = cands[i];
		struct slot *old = slot_find(d, c->rec.app, c->rec.type, c->rec.index);

		/* The old record moves apart first, then the slot's names the new
		 * container: a daemon killed in between finds one of them twice,
		 * never neither (daemon_adopt). */
		if (old) {
			retired |= old->has_c;
			slot_retire(d, old, ps.stop_timeout, ro->wait_to_retire * 1000LL > RETIRE_DRAIN_MS
								? ro->wait_to_retire * 1000LL : RETIRE_DRAIN_MS);
		}
		c->ro = NULL;
		c->want_release = 0;
		c->rec.extra = false;
		slot_save(c);
		c->rec.extra = true;
		proc_record_remove(&c->rec);
		c->rec.extra = false;
		d->table_dirty = true;
	}
	free(cands);
	if (retired)
		ro_line(ro, SINK_STEP, "Shutting down old containers in %u seconds", ro->wait_to_retire);
	if (release_load(ro->app, ro->version, &rel, &err) == 0 &&
	    app_settings_load(ro->app, &as, &err) == 0 &&
	    checks_settings_load(ro->app, &cs, &err) == 0)
		rollout_others(d, ro, &rel, &as, &ps, &cs);
	checks_settings_free(&cs);
	app_settings_free(&as);
	release_free(&rel);
	/* Slots beyond the formation, and ones with no container yet. */
	if (daemon_reconcile(d, ro->app, false, NULL, &err) < 0)
		ro_line(ro, SINK_WARN, "%s", err.msg);
	/* The router has the new table (and its SIGHUP) before the answer. */
	router_feed(d);
	ro_end(d, ro, NULL);
}

void rollout_candidate_done(struct daemon *d, struct slot *s, bool ok, const char *why)
{
	struct rollout *ro = s->ro;

	if (!ro || ro->done)
		return;
	if (!ok) {
		rollout_fail(d, ro, s, why ? why : "failed");
		return;
	}
	if (ro->pending)
		ro->pending--;
	if (ro->pending == 0)
		rollout_promote(d, ro);
}

void rollout_client_event(struct daemon *d, struct rollout *ro)
{
	if (ro->done)
		return;
	/* Before the switch, a client that went away (killed) takes its deploy
	 * with it: the old release keeps serving. */
	epoll_ctl(d->ep, EPOLL_CTL_DEL, ro->fd, NULL);
	close(ro->fd);
	ro->fd = -1;
	rollout_fail(d, ro, NULL, "the deploying command went away");
}

static void refuse(int fd, const char *msg)
{
	json_t *m = json_pack("{s:s}", "error", msg);
	char *text = json_dumps(m, JSON_COMPACT);

	if (text) {
		size_t len = strlen(text);

		text = xrealloc(text, len + 2);
		text[len++] = '\n';
		if (send(fd, text, len, MSG_NOSIGNAL) < 0) {
			/* the client is gone */
		}
		free(text);
	}
	json_decref(m);
	close(fd);
}

void rollout_begin(struct daemon *d, int fd, json_t *req)
{
	const char *app = json_get_str(req, "app"), *type = json_get_str(req, "type");
	unsigned version = (unsigned)json_get_int(req, "version", 0);
	struct release rel = { 0 };
	struct app_settings as = { 0 };
	struct ps_settings ps;
	struct checks_settings cs = { 0 };
	struct berr err = { 0 };
	struct rollout *ro;
	unsigned count;

	if (!app || app_require(app, &err) < 0) {
		refuse(fd, app ? err.msg : "no app given");
		return;
	}
	if (rollout_running(d, app)) {
		autofree char *msg = xasprintf("A deploy of %s is already running", app);

		refuse(fd, msg);
		return;
	}
	if (release_load(app, version, &rel, &err) < 0 || app_settings_load(app, &as, &err) < 0 ||
	    ps_settings_load(app, &ps, &err) < 0 || checks_settings_load(app, &cs, &err) < 0) {
		refuse(fd, err.msg);
		goto out;
	}
	ro = xcalloc(1, sizeof(*ro));
	ro->app = xstrdup(app);
	ro->version = version;
	ro->restart = json_is_true(json_object_get(req, "restart"));
	ro->type = type ? xstrdup(type) : NULL;
	ro->fd = fd;
	ro->ev = (struct ev){ EV_CLIENT, ro };
	ro->wait_to_retire = checks_wait_to_retire(app);
	ro->next = d->rollouts;
	d->rollouts = ro;
	{
		struct epoll_event e = { .events = EPOLLRDHUP, .data.ptr = &ro->ev };

		epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &e);
	}
	count = formation_count(&as.formation, "web");
	if (!proctypes_get(&rel.procs, "web") || ps_type_stopped(&ps, "web") ||
	    checks_type_disabled(&cs, "web"))
		count = 0;
	for (unsigned k = 1; k <= count && k <= PS_SCALE_MAX; k++) {
		struct slot *old = slot_find(d, app, "web", k), *c;

		if (!needs_new(ro, old, "web"))
			continue;
		if (ro->pending == 0)
			ro_line(ro, SINK_STEP, "Deploying web (count=%u)", count);
		c = slot_new(d, app, "web", k);
		c->ro = ro;
		c->wanted = true;
		c->want_release = version;
		c->rec.extra = true;
		ro->pending++;
		if (slot_start(d, c, &err) < 0) {
			rollout_fail(d, ro, c, err.msg);
			goto out;
		}
	}
	if (ro->pending == 0)
		rollout_promote(d, ro);
out:
	checks_settings_free(&cs);
	app_settings_free(&as);
	release_free(&rel);
}
