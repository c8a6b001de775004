/* builds_run.c - a deploy's own build record (deploy.c's hooks): begun when
 * the deploy holds the app's deploy lock (the lock gets the build's id), every
 * line of its output appended to <id>.log as it is said (builds:output follows
 * it), ended with its result and the app's records pruned to the retention.
 * Records and everything else about them: builds.c. */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "platform/internal.h"

#define BUILD_LOG_MAX (16u * 1024 * 1024)

void build_run_begin(struct build_run *r, const struct app *app, int lock_fd, const char *source,
		     const struct sink *sink)
{
	autofree char *dir = app_path(app->name, "builds");
	autofree char *logname = NULL;
	autofree char *line = NULL;
	struct build_record b = { 0 };
	struct berr err;

	memset(r, 0, sizeof(*r));
	r->log_fd = -1;
	r->id = build_id_new();
	line = xasprintf("%s\n", r->id);
	/* The lock names its build (builds:cancel, builds:output current). */
	if (ftruncate(lock_fd, 0) < 0 || pwrite(lock_fd, line, strlen(line), 0) < 0) {
		berr_sys(&err, "write the build id into the deploy lock of %s", app->name);
		goto fail;
	}
	if (mkdir_p(dir, 0700, &err) < 0)
		goto fail;
	logname = xasprintf("%s/%s.log", dir, r->id);
	r->log_fd = open(logname, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (r->log_fd < 0) {
		berr_sys(&err, "create %s", logname);
		goto fail;
	}
	b.id = r->id;
	b.app = app->name;
	b.kind = (char *)build_kind_of(source);
	b.status = "running";
	b.source = (char *)source;
	b.pid = getpid();
	b.started_at = r->started_at = (long long)time(NULL);
	if (build_record_save(app->name, &b, &err) < 0)
		goto fail;
	r->source = xstrdup(source);
	return;
fail:
	/* A deploy is not refused for want of its record. */
	sink_warn(sink, "warning: no build record for this deploy: %s", err.msg);
	if (r->log_fd >= 0)
		close(r->log_fd);
	r->log_fd = -1;
	free(r->id);
	r->id = NULL;
}

void build_run_line(struct build_run *r, const char *prefix, const char *text)
{
	static const char cut[] = " !     (build log truncated: larger than 16 MiB)\n";
	size_t n = strlen(prefix) + strlen(text) + 1;
	autofree char *line = NULL;
	struct berr ignored;

	if (r->log_fd < 0 || r->log_full)
		return;
	if (r->log_bytes + n > BUILD_LOG_MAX) {
		r->log_full = true;
		write_all(r->log_fd, cut, strlen(cut), "build log", &ignored);
		return;
	}
	line = xasprintf("%s%s\n", prefix, text);
	if (write_all(r->log_fd, line, n, "build log", &ignored) == 0)
		r->log_bytes += n;
}

void build_run_end(struct build_run *r, const struct app *app, int lock_fd, int result,
		   const char *message)
{
	struct build_record b = { 0 };
	struct berr ignored;

	if (!r->id)
		return;
	if (result < 0 && message && r->log_fd >= 0) {
		autofree char *line = xasprintf(" !     %s\n", message);

		write_all(r->log_fd, line, strlen(line), "build log", &ignored);
	}
	if (r->log_fd >= 0)
		fsync(r->log_fd);
	b.id = r->id;
	b.app = app->name;
	b.kind = (char *)build_kind_of(r->source);
	b.status = result < 0 ? "failed" : "succeeded";
	b.source = r->source;
	b.pid = getpid();
	b.started_at = r->started_at;
	b.finished_at = (long long)time(NULL);
	b.has_exit_code = true;
	b.exit_code = result < 0 ? 1 : 0;
	build_record_save(app->name, &b, &ignored);
	if (ftruncate(lock_fd, 0) < 0) {
		/* The lock is dropped next: what it says no longer counts. */
	}
	builds_prune(app->name, NULL, &ignored);
	if (r->log_fd >= 0)
		close(r->log_fd);
	free(r->id);
	free(r->source);
	memset(r, 0, sizeof(*r));
	r->log_fd = -1;
}
