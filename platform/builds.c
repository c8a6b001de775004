/* builds.c - build records: one per deploy, Dokku's builds:* data.
 *
 * Every deploy (deploy.c, through builds_run.c) leaves
 * $BERTH_ROOT/apps/<app>/builds/<id>.json, in Dokku's schema (id, app, kind, pid, started_at, finished_at, status, source,
 * exit_code), and <id>.log, what it said. The record is written atomically when
 * the deploy takes the app's deploy lock (status running) and again when it
 * ends (succeeded or failed); builds:cancel writes canceled.
 *
 * Which build runs is the deploy lock's business: the deploy writes its id into
 * deploy.lock while it holds it. A record is live when it says running, the
 * lock is held (the kernel's table, /proc/locks: probing with flock() would
 * refuse a deploy that starts meanwhile) and the lock names it. A running
 * record that is not live is abandoned (its deploy was killed): shown so, and
 * finalised as failed by builds:prune, builds:cancel and the next deploy's
 * pruning, as Dokku does. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "platform/internal.h"

#define BUILDS_DIR "builds"
/* builds:cancel: SIGTERM, then SIGKILL after this long; then the lock. */
#define CANCEL_TERM_MS 5000
#define CANCEL_KILL_MS 5000

static long long now_s(void)
{
	return (long long)time(NULL);
}

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

char *build_time_format(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

/* RFC 3339 in UTC as Dokku writes it (Go: fractions of a second allowed); 0
 * when it is not that. */
static long long time_parse(const char *s)
{
	struct tm tm = { 0 };
	const char *rest;

	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++)
			;
	if (strcmp(rest, "Z"))
		return 0;
	return (long long)timegm(&tm);
}

char *build_duration_format(long long seconds)
{
	long long h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;

	if (seconds < 0)
		return xstrdup("0s");
	if (h)
		return xasprintf("%lldh%lldm%llds", h, m, s);
	if (m)
		return xasprintf("%lldm%llds", m, s);
	return xasprintf("%llds", s);
}

/* Sortable ids as Dokku makes them: 8 base-36 digits of the time in ms, then 6
 * random ones. */
char *build_id_new(void)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	struct timespec ts;
	uint64_t ms, rnd = 0;
	char id[15];

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	for (int i = 7; i >= 0; i--, ms /= 36)
		id[i] = digits[ms % 36];
	for (int i = 13; i >= 8; i--, rnd /= 36)
		id[i] = digits[rnd % 36];
	id[14] = '\0';
	return xstrdup(id);
}

/* An id names files: lowercase letters and digits only. */
static bool build_id_valid(const char *id)
{
	if (!id || !*id || strlen(id) > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

char *build_log_path(const char *app, const char *id)
{
	autofree char *sub = xasprintf(BUILDS_DIR "/%s.log", id);

	return app_path(app, sub);
}

/* Dokku's kinds: a deploy that makes a new image is a build. */
const char *build_kind_of(const char *source)
{
	static const char *const builds = "git-hook ps:rebuild git:sync git:from-archive";

	return str_word_in(builds, source) ? "build" : "deploy";
}

void build_record_free(struct build_record *b)
{
	free(b->id);
	free(b->app);
	free(b->kind);
	free(b->status);
	free(b->source);
	memset(b, 0, sizeof(*b));
}

void build_records_free(struct build_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		build_record_free(&v[i]);
	free(v);
}

const char *build_display_status(const struct build_record *b)
{
	if (!strcmp(b->status, "running") && !b->live)
		return "abandoned";
	return b->status;
}

/* The deploy lock: held (the kernel's lock table says so, for its inode), the
 * build id its holder wrote into it (NULL: none) and, when holder is not NULL,
 * the holder's pid. */
static bool deploy_lock_held_by(const char *app, char **id, pid_t *holder)
{
	autofree char *path = app_path(app, "deploy.lock");
	autofree char *locks = NULL;
	autofree char *text = NULL;
	struct stat st;
	struct berr ignored;
	size_t len;
	bool held = false;

	*id = NULL;
	if (stat(path, &st) < 0 || read_file("/proc/locks", &locks, &len, &ignored) < 0)
		return false;
	for (char *line = locks, *next; line && *line && !held; line = next) {
		char type[16];
		unsigned maj, min;
		unsigned long ino;
		int pid;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* "1: FLOCK  ADVISORY  WRITE 123 fd:01:4567 0 EOF"; a waiter's line
		 * has "->" after the number and holds nothing. */
		/* The lock table names the superblock's device, which stat()
		 * does not for an anonymous one (a btrfs subvolume's): there,
		 * the inode alone (the holder's pid is checked before a kill). */
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", type, &pid, &maj, &min, &ino) == 5 &&
		    !strcmp(type, "FLOCK") && ino == (unsigned long)st.st_ino &&
		    ((maj == major(st.st_dev) && min == minor(st.st_dev)) || major(st.st_dev) == 0)) {
			held = true;
			if (holder)
				*holder = (pid_t)pid;
		}
	}
	if (held && read_file(path, &text, &len, &ignored) == 0) {
		text[strcspn(text, "\n")] = '\0';
		if (build_id_valid(text))
			*id = steal_ptr(text);
	}
	return held;
}

static bool deploy_lock_held(const char *app, char **id)
{
	return deploy_lock_held_by(app, id, NULL);
}

static int record_from_json(const json_t *o, struct build_record *b)
{
	const char *id = json_get_str(o, "id"), *status = json_get_str(o, "status");
	json_t *code = json_object_get(o, "exit_code");

	memset(b, 0, sizeof(*b));
	if (!id || !status)
		return -1;
	b->id = xstrdup(id);
	b->app = xstrdup(json_get_str(o, "app") ? json_get_str(o, "app") : "");
	b->status = xstrdup(status);
	b->source = xstrdup(json_get_str(o, "source") ? json_get_str(o, "source") : "unknown");
	b->kind = xstrdup(json_get_str(o, "kind") ? json_get_str(o, "kind") : build_kind_of(b->source));
	b->pid = json_get_int(o, "pid", 0);
	b->started_at = time_parse(json_get_str(o, "started_at"));
	b->finished_at = time_parse(json_get_str(o, "finished_at"));
	b->has_exit_code = json_is_integer(code);
	b->exit_code = b->has_exit_code ? (int)json_integer_value(code) : 0;
	return 0;
}

static json_t *record_to_json(const struct build_record *b)
{
	autofree char *started = build_time_format(b->started_at);
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "id", b->id, "app", b->app,
			      "kind", b->kind, "pid", (json_int_t)b->pid, "started_at", started,
			      "status", b->status, "source", b->source);

	if (b->finished_at) {
		autofree char *finished = build_time_format(b->finished_at);

		json_object_set_new(o, "finished_at", json_string(finished));
	}
	if (b->has_exit_code)
		json_object_set_new(o, "exit_code", json_integer(b->exit_code));
	return o;
}

int build_record_save(const char *app, const struct build_record *b, struct berr *err)
{
	autofree char *dir = app_path(app, BUILDS_DIR);
	autofree char *path = xasprintf("%s/%s.json", dir, b->id);
	json_t *o = record_to_json(b);
	int r = mkdir_p(dir, 0700, err) < 0 ? -1 : json_file_save(path, o, err);

	json_decref(o);
	return r;
}

/* One record, its liveness from lock_id (the id the held deploy lock names). */
static int record_load(const char *app, const char *id, const char *lock_id,
		       struct build_record *b, struct berr *err)
{
	autofree char *sub = xasprintf(BUILDS_DIR "/%s.json", id);
	autofree char *path = app_path(app, sub);
	json_t *o = NULL;
	int r;

	memset(b, 0, sizeof(*b));
	if (!build_id_valid(id) || json_file_load(path, &o, err) < 0 || !o) {
		if (o)
			json_decref(o);
		return berr_fail(err, "No build record found for %s/%s", app, id);
	}
	r = record_from_json(o, b);
	json_decref(o);
	if (r < 0)
		return berr_fail(err, "build record %s: no id or status", path);
	/* The app whose directory holds it (apps:rename moves the records). */
	free(b->app);
	b->app = xstrdup(app);
	b->live = !strcmp(b->status, "running") && lock_id && !strcmp(lock_id, b->id);
	return 0;
}

int build_load(const char *app, const char *id, struct build_record *b, struct berr *err)
{
	autofree char *lock_id = NULL;

	if (app_require(app, err) < 0)
		return -1;
	deploy_lock_held(app, &lock_id);
	return record_load(app, id, lock_id, b, err);
}

/* Newest first; the id (its time in ms) breaks ties of the same second. */
static int record_cmp(const void *pa, const void *pb)
{
	const struct build_record *a = pa, *b = pb;

	if (a->started_at != b->started_at)
		return a->started_at < b->started_at ? 1 : -1;
	return strcmp(b->id, a->id);
}

int builds_list(const char *app, struct build_record **out, size_t *n, struct berr *err)
{
	autofree char *dir = NULL;
	autofree char *lock_id = NULL;
	autoclosedir DIR *d = NULL;
	struct build_record *v = NULL;
	struct dirent *e;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (app_require(app, err) < 0)
		return -1;
	dir = app_path(app, BUILDS_DIR);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : berr_sys(err, "read %s", dir);
	deploy_lock_held(app, &lock_id);
	while ((e = readdir(d))) {
		autofree char *id = NULL;
		struct build_record b;
		struct berr ignored;

		if (e->d_name[0] == '.' || !str_has_suffix(e->d_name, ".json"))
			continue;
		id = xstrndup(e->d_name, strlen(e->d_name) - strlen(".json"));
		/* One unreadable record (hand-edited) does not hide the others. */
		if (record_load(app, id, lock_id, &b, &ignored) < 0)
			continue;
		v = xrealloc(v, (count + 1) * sizeof(*v));
		v[count++] = b;
	}
	if (count)
		qsort(v, count, sizeof(*v), record_cmp);
	*out = v;
	*n = count;
	return 0;
}

int builds_live(const char *app, char **id)
{
	autofree char *lock_id = NULL;
	struct build_record b;
	struct berr ignored;

	*id = NULL;
	if (!deploy_lock_held(app, &lock_id) || !lock_id)
		return 0;
	if (record_load(app, lock_id, lock_id, &b, &ignored) < 0)
		return 0;
	if (b.live)
		*id = steal_ptr(lock_id);
	build_record_free(&b);
	return *id ? 1 : 0;
}

/* A running record gets its end: status, exit code, now. */
static int record_finalize(const char *app, struct build_record *b, const char *status,
			   int exit_code, struct berr *err)
{
	free(b->status);
	b->status = xstrdup(status);
	b->finished_at = now_s();
	b->has_exit_code = true;
	b->exit_code = exit_code;
	b->live = false;
	return build_record_save(app, b, err);
}

static void log_append(const char *app, const char *id, const char *line)
{
	autofree char *path = build_log_path(app, id);
	autoclose int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	struct berr ignored;

	if (fd >= 0)
		write_all(fd, line, strlen(line), "build log", &ignored);
}

/* ---- retention ---- */

static char *retention_setting(const char *app)
{
	char *v = NULL;
	struct berr err;

	if (!app) {
		if (global_setting_get("builds-retention", &v, &err) < 0)
			return NULL;
		return v;
	}
	return app_json_get(app, "builds.json", "retention");
}

static int retention_parse(const char *value, unsigned *n, struct berr *err)
{
	uint64_t v;
	char *end;
	long long signed_v;

	errno = 0;
	signed_v = strtoll(value, &end, 10);
	if (errno || end == value || *end)
		return berr_fail(err, "Invalid retention \"%s\": must be a positive integer", value);
	if (signed_v < BUILDS_RETENTION_MIN)
		return berr_fail(err, "Invalid retention %lld: must be >= %d", signed_v,
				 BUILDS_RETENTION_MIN);
	if (parse_uint(value, BUILDS_RETENTION_MAX, &v, err) < 0)
		return berr_fail(err, "Invalid retention %s: must be <= %d", value, BUILDS_RETENTION_MAX);
	*n = (unsigned)v;
	return 0;
}

char *builds_setting_get(const char *app, const char *key)
{
	return strcmp(key, "retention") ? NULL : retention_setting(app);
}

unsigned builds_retention(const char *app)
{
	const char *scopes[2] = { app, NULL };

	/* The app's, then the global one, then Dokku's default; a bad value
	 * (written by hand) falls through as in Dokku. */
	for (int i = app ? 0 : 1; i < 2; i++) {
		autofree char *v = retention_setting(scopes[i]);
		struct berr ignored;
		unsigned n;

		if (v && retention_parse(v, &n, &ignored) == 0)
			return n;
	}
	return BUILDS_RETENTION_DEFAULT;
}

int builds_set(const char *app, const char *key, const char *value, struct berr *err)
{
	unsigned n;

	if (strcmp(key, "retention"))
		return berr_fail(err, "Invalid property \"%s\" (allowed: retention)", key);
	if (value && retention_parse(value, &n, err) < 0)
		return -1;
	if (!app)
		return global_setting_set("builds-retention", value, err);
	return app_json_set(app, "builds.json", key, value, err);
}

/* ---- pruning ---- */

static void record_remove(const char *app, const char *id)
{
	autofree char *json = xasprintf(BUILDS_DIR "/%s.json", id);
	autofree char *log = xasprintf(BUILDS_DIR "/%s.log", id);
	autofree char *json_path = app_path(app, json);
	autofree char *log_path = app_path(app, log);

	unlink(json_path);
	unlink(log_path);
}

int builds_reap(const char *app, struct strv *reaped, struct berr *err)
{
	struct build_record *v;
	size_t n;

	if (builds_list(app, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct berr ignored;

		if (strcmp(v[i].status, "running") || v[i].live)
			continue;
		if (record_finalize(app, &v[i], "failed", -1, &ignored) == 0 && reaped)
			strv_push(reaped, v[i].id);
	}
	build_records_free(v, n);
	return 0;
}

int builds_prune(const char *app, size_t *removed, struct berr *err)
{
	struct build_record *v;
	unsigned keep = builds_retention(app);
	size_t n, kept = 0;

	if (removed)
		*removed = 0;
	if (builds_reap(app, NULL, err) < 0 || builds_list(app, &v, &n, err) < 0)
		return -1;
	/* Live builds are never pruned, nor counted. */
	for (size_t i = 0; i < n; i++) {
		if (v[i].live)
			continue;
		if (kept++ < keep)
			continue;
		record_remove(app, v[i].id);
		if (removed)
			(*removed)++;
	}
	build_records_free(v, n);
	return 0;
}

/* ---- cancel ---- */

static int pid_wait_gone(pid_t pid, long long ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	long long deadline = monotonic_ms() + ms;

	if (pidfd < 0)
		return errno == ESRCH ? 0 : -1;
	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		long long left = deadline - monotonic_ms();
		int r;

		if (left <= 0)
			break;
		r = poll(&p, 1, (int)left);
		if (r > 0) {
			close(pidfd);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			break;
	}
	close(pidfd);
	return -1;
}

static void pid_wait_reaped(pid_t pid, long long ms)
{
	long long deadline = monotonic_ms() + ms;

	while (pid > 1 && kill(pid, 0) == 0 && monotonic_ms() < deadline)
		sleep_ms(20);
}

/* The lock free again: the kernel drops it when its last holder is gone. */
static bool deploy_lock_wait_free(const char *app, long long ms)
{
	long long deadline = monotonic_ms() + ms;

	for (;;) {
		autofree char *ignored = NULL;

		if (!deploy_lock_held(app, &ignored))
			return true;
		if (monotonic_ms() >= deadline)
			return false;
		sleep_ms(50);
	}
}

int builds_cancel(const char *app, const struct sink *sink, struct berr *err)
{
	autofree char *lock_id = NULL;
	autofree char *tmp = NULL;
	struct build_record b;
	pid_t pid, holder = 0;
	int r;

	if (app_require(app, err) < 0)
		return -1;
	if (!deploy_lock_held_by(app, &lock_id, &holder)) {
		/* Nothing holds the lock; a record still running was left by a
		 * killed deploy (Dokku: a stale lock file). */
		struct strv reaped = { 0 };

		if (builds_reap(app, &reaped, err) < 0)
			return -1;
		for (size_t i = 0; i < reaped.n; i++)
			sink_step(sink, "Build %s was already terminated, marking failed", reaped.v[i]);
		if (!reaped.n)
			sink_step(sink, "App not currently deploying");
		strv_free(&reaped);
		return 0;
	}
	if (!lock_id) {
		/* apps:destroy or apps:rename holds it, or a deploy that is
		 * still taking it. */
		sink_step(sink, "No matching app deploy found");
		return 0;
	}
	if (record_load(app, lock_id, lock_id, &b, err) < 0) {
		sink_step(sink, "No build record for %s", lock_id);
		return 0;
	}
	if (strcmp(b.status, "running")) {
		sink_step(sink, "Build %s is no longer running (status=%s); leaving record untouched",
			  b.id, b.status);
		build_record_free(&b);
		return 0;
	}
	pid = (pid_t)b.pid;
	if (pid != holder) {
		/* Never signal a process only a record names. */
		build_record_free(&b);
		return berr_fail(err, "Build %s of %s names pid %d, but pid %d holds the deploy lock: not killing",
				 lock_id, app, (int)pid, (int)holder);
	}
	sink_step(sink, "Killing app deploy");
	/* Said in its log before it dies: whoever follows the log reads to its
	 * end once the build is no longer live, so the line is there by then. */
	log_append(app, b.id, " !     Build canceled (builds:cancel)\n");
	/* The deploy's process; the build and release-phase containers die with
	 * it (they are made to), and what they leave is collected below. */
	if (pid > 1 && kill(pid, SIGTERM) == 0 && pid_wait_gone(pid, CANCEL_TERM_MS) < 0) {
		kill(pid, SIGKILL);
		pid_wait_gone(pid, CANCEL_KILL_MS);
	}
	/* What its containers leave (their cgroups) is collected once it is
	 * gone for good: reaped by its parent, not a zombie still holding its
	 * pid and start time. */
	pid_wait_reaped(pid, CANCEL_KILL_MS);
	runtime_collect_stale();
	tmp = xasprintf("%s/tmp", berth_root());
	workdir_remove_stale(tmp);
	if (!deploy_lock_wait_free(app, CANCEL_KILL_MS)) {
		build_record_free(&b);
		return berr_fail(err, "The deploy of %s (pid %d) did not stop: its deploy lock is still held",
				 app, (int)pid);
	}
	build_record_free(&b);
	/* Read again: it may have finished on its own meanwhile. */
	r = record_load(app, lock_id, NULL, &b, err);
	if (r == 0 && !strcmp(b.status, "running"))
		r = record_finalize(app, &b, "canceled", -1, err);
	build_record_free(&b);
	if (r == 0)
		builds_prune(app, NULL, err);
	return r;
}

/* ---- output ---- */

int build_output(const char *app, const char *id, build_output_fn out, void *ctx,
		 struct berr *err)
{
	autofree char *path = NULL;
	autoclose int fd = -1;
	struct build_record b;
	char buf[16384];
	bool live;

	if (build_load(app, id, &b, err) < 0)
		return -1;
	live = b.live;
	build_record_free(&b);
	path = build_log_path(app, id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? berr_fail(err, "No build log for %s/%s", app, id)
				       : berr_sys(err, "open %s", path);
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return berr_sys(err, "read %s", path);
		}
		if (got > 0) {
			if (out(buf, (size_t)got, ctx) < 0)
				return 0;  /* the reader went away */
			continue;
		}
		if (!live)
			return 0;
		/* Follow a live build until it ends, then read what is left. */
		sleep_ms(200);
		if (build_load(app, id, &b, err) < 0)
			return -1;
		live = b.live;
		build_record_free(&b);
	}
}
