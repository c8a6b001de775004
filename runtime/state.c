/* state.c - what a later process needs to find a container again.
 *
 * $BERTH_RUN/containers/ holds, per container:
 *   <id>.json    id, pid 1 and its start time (a pid alone may be reused), cgroup,
 *                writable layer, and a summary of the spec, for `ps`-like listings;
 *   <id>.status  the command's exit status, written by the container's pid 1 just
 *                before it exits, so that a process that is not its parent (after
 *                its creator died, pid 1 was reparented) can collect it.
 * Only for containers that may outlive their creator: the others are their
 * creator's alone (cgroup_mark_creator). The directory itself is where each
 * container mounts its stage, in its own mount namespace. Two files and no
 * directory per container: a start pays for few metadata changes. BERTH_RUN is runtime state that a reboot clears (a tmpfs,
 * /run): no fsync, which would only protect the state against a power loss that
 * ends the container anyway. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "runtime/internal.h"

char *state_path(const char *id, const char *ext)
{
	return xasprintf("%s/containers/%s%s", berth_run(), id, ext);
}

unsigned long long pid_start_time(pid_t pid)
{
	char path[64];
	autofree char *stat = NULL;
	struct berr ignored = { 0 };
	unsigned long long t = 0;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, &stat, NULL, &ignored) < 0)
		return 0;
	/* The command name (field 2) may hold spaces and parentheses: skip past its
	 * last ')'; the start time is field 22, the 20th after it. */
	p = strrchr(stat, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static char *state_json(const struct runtime_state *st, const struct runtime_spec *spec)
{
	json_t *obj = json_pack("{s:s, s:i, s:I, s:s, s:b, s:b, s:I, s:s, s:o, s:i}",
				"id", st->id, "pid", (int)st->pid,
				"start_time", (json_int_t)st->start_time, "cgroup", st->cgroup,
				"die_with_creator", st->die_with_creator, "started", st->started,
				"created", (json_int_t)time(NULL),
				"hostname", spec->hostname ? spec->hostname : "berth",
				"command", strv_to_json(&spec->argv),
				"layers", (int)spec->layers.n);
	char *text;

	if (!obj)
		return NULL;
	if (st->upper_dir)
		json_object_set_new(obj, "upper_dir", json_string(st->upper_dir));
	if (st->keep_upper)
		json_object_set_new(obj, "keep_upper", json_string(st->keep_upper));
	text = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(obj);
	return text;
}

static int write_text(const char *path, int flags, const char *text, struct berr *err)
{
	autoclose int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | flags, 0644);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return berr_sys(err, "write %s", path);
	return 0;
}

/* The first write: one new file (O_EXCL), one write(2). A reader that comes
 * between the two sees an empty file: a container being created. */
int state_create(const struct runtime_state *st, const struct runtime_spec *spec,
		 struct berr *err)
{
	autofree char *path = state_path(st->id, ".json");
	autofree char *text = state_json(st, spec);

	if (!text)
		return berr_fail(err, "state of container %s: cannot build its JSON", st->id);
	return write_text(path, O_EXCL, text, err);
}

/* Later ones replace it whole: a temporary file renamed over it. */
int state_save(const struct runtime_state *st, const struct runtime_spec *spec,
	       struct berr *err)
{
	autofree char *path = state_path(st->id, ".json");
	autofree char *tmp = state_path(st->id, ".json.tmp");
	autofree char *text = state_json(st, spec);

	if (!text)
		return berr_fail(err, "state of container %s: cannot build its JSON", st->id);
	if (write_text(tmp, O_TRUNC, text, err) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		berr_sys(err, "rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int state_load(const char *id, struct runtime_state *st, struct berr *err)
{
	autofree char *path = NULL;
	json_t *obj = NULL;
	const char *cgroup;

	memset(st, 0, sizeof(*st));
	if (!runtime_id_valid(id))
		return berr_fail(err, "'%s' is not a container id", id);
	path = state_path(id, ".json");
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (!obj)
		return berr_fail(err, "no container %s (no %s)", id, path);
	cgroup = json_get_str(obj, "cgroup");
	st->pid = (pid_t)json_get_int(obj, "pid", 0);
	st->start_time = (unsigned long long)json_get_int(obj, "start_time", 0);
	if (!cgroup || st->pid <= 0 || strcmp(json_get_str(obj, "id") ?: "", id)) {
		json_decref(obj);
		return berr_fail(err, "%s: damaged (needs id, pid and cgroup)", path);
	}
	snprintf(st->id, sizeof(st->id), "%s", id);
	st->cgroup = xstrdup(cgroup);
	st->upper_dir = dup_or_null(json_get_str(obj, "upper_dir"));
	st->keep_upper = dup_or_null(json_get_str(obj, "keep_upper"));
	st->die_with_creator = json_is_true(json_object_get(obj, "die_with_creator"));
	st->started = json_is_true(json_object_get(obj, "started"));
	json_decref(obj);
	return 0;
}

void state_free(struct runtime_state *st)
{
	free(st->cgroup);
	free(st->upper_dir);
	free(st->keep_upper);
	st->cgroup = st->upper_dir = st->keep_upper = NULL;
}

int status_read(const char *id)
{
	autofree char *path = state_path(id, ".status");
	autofree char *text = NULL;
	struct berr ignored = { 0 };
	char *end;
	long v;

	if (read_file(path, &text, NULL, &ignored) < 0 || !text[0])
		return -1;
	v = strtol(text, &end, 10);
	if (end == text || (*end && *end != '\n') || v < 0 || v > 255)
		return -1;
	return (int)v;
}

void state_remove(const char *id)
{
	autofree char *json = state_path(id, ".json");
	autofree char *status = state_path(id, ".status");

	unlink(json);
	unlink(status);
}
