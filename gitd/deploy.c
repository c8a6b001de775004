/* deploy.c - run the deploy hook while the git client waits.
 *
 * The deploy runs in this process and reports through a sink: each line it
 * reports (progress, warnings, a buildpack's own output) becomes a side-band 2
 * packet at once (the client shows it as "remote: ..."), or goes to err_fd when
 * the client asked for no side-band. A keepalive thread sends an empty band-1
 * packet when the deploy stays silent for keepalive_seconds, so that ssh and
 * proxies do not drop a long build. The two writers share one lock. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "gitd/internal.h"

struct band_sink {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct pkt_writer *w;
	int err_fd;
	unsigned interval;       /* seconds */
	struct timespec last;    /* CLOCK_MONOTONIC of the last packet */
	bool stop;
};

static void band_line(void *ctx, enum sink_kind kind, const char *text)
{
	struct band_sink *b = ctx;
	autofree char *line = xasprintf("%s%s\n", sink_prefix(kind), text);

	pthread_mutex_lock(&b->lock);
	/* A client that went away does not stop the deploy: it runs to its end,
	 * and the ref moves only if it succeeded (pkt_writer drops the rest). */
	if (b->w->sideband) {
		pkt_band(b->w, 2, line, strlen(line));
	} else {
		struct berr ignored;

		write_all(b->err_fd, line, strlen(line), "the deploy's output", &ignored);
	}
	clock_gettime(CLOCK_MONOTONIC, &b->last);
	pthread_mutex_unlock(&b->lock);
}

static void *keepalive(void *arg)
{
	struct band_sink *b = arg;

	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		struct timespec now, due = b->last;

		due.tv_sec += b->interval;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > due.tv_sec || (now.tv_sec == due.tv_sec && now.tv_nsec >= due.tv_nsec)) {
			/* An empty band-1 packet: git's own receive-pack keepalive. */
			pkt_band(b->w, 1, "", 0);
			b->last = now;
			continue;
		}
		pthread_cond_timedwait(&b->wake, &b->lock, &due);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

struct tree_source {
	git_repository *repo;
	const git_oid *commit;
};

static int write_tree(void *ctx, const char *dir, struct berr *err)
{
	struct tree_source *t = ctx;

	return gitd_checkout(t->repo, t->commit, dir, err);
}

int gitd_run_deploy(const struct gitd_options *o, struct pkt_writer *w, git_repository *repo,
		    const char *app, const git_oid *commit, struct berr *err)
{
	struct band_sink b = { .w = w, .err_fd = o->err_fd,
			       .interval = o->keepalive_seconds ? o->keepalive_seconds : 5 };
	struct sink sink = { .line = band_line, .ctx = &b };
	struct tree_source t = { .repo = repo, .commit = commit };
	char sha[GIT_OID_HEXSZ + 1];
	pthread_condattr_t ca;
	pthread_t thread;
	bool ticking = false;
	int r;

	git_oid_tostr(sha, sizeof(sha), commit);
	pthread_mutex_init(&b.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b.wake, &ca);
	pthread_condattr_destroy(&ca);
	clock_gettime(CLOCK_MONOTONIC, &b.last);
	/* Keepalives exist only inside side-band; without it, nothing to send. */
	if (w->sideband) {
		errno = pthread_create(&thread, NULL, keepalive, &b);
		if (errno) {
			berr_sys(err, "start the keepalive of the deploy of %s", app);
			pthread_cond_destroy(&b.wake);
			pthread_mutex_destroy(&b.lock);
			return -1;
		}
		ticking = true;
	}
	r = o->hooks->deploy(o->hooks->ctx, app, sha, write_tree, &t, &sink, err);
	if (ticking) {
		pthread_mutex_lock(&b.lock);
		b.stop = true;
		pthread_cond_signal(&b.wake);
		pthread_mutex_unlock(&b.lock);
		pthread_join(thread, NULL);
	}
	pthread_cond_destroy(&b.wake);
	pthread_mutex_destroy(&b.lock);
	return r;
}
