/* spec.c - what a container is made of: defaults, validation, ids, host id ranges. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/internal.h"

void runtime_spec_init(struct runtime_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->uid = RUNTIME_DEFAULT_UID;
	spec->gid = RUNTIME_DEFAULT_UID;
	spec->stdio[0] = 0;
	spec->stdio[1] = 1;
	spec->stdio[2] = 2;
	spec->pid1_fd = -1;
}

void runtime_spec_release(struct runtime_spec *spec)
{
	strv_free(&spec->layers);
	strv_free(&spec->argv);
	strv_free(&spec->env);
	for (size_t i = 0; i < spec->nbinds; i++) {
		free(spec->binds[i].src);
		free(spec->binds[i].dst);
	}
	free(spec->binds);
	spec->binds = NULL;
	spec->nbinds = 0;
}

/* In 64 bits: slot * RANGE must not wrap before the comparison. */
uid_t runtime_id_slot_base(unsigned slot)
{
	uint64_t base = RUNTIME_ID_BASE + (uint64_t)slot * RUNTIME_ID_RANGE;

	if (slot >= RUNTIME_ID_SLOTS || base + RUNTIME_ID_RANGE - 1 >= UINT32_MAX)
		return (uid_t)-1;
	return (uid_t)base;
}

static int host_range_check(uid_t base, struct berr *err)
{
	uint64_t last = (uint64_t)base + RUNTIME_ID_RANGE - 1;

	if (base == 0)
		return 0;
	if (base < RUNTIME_ID_BASE || last >= UINT32_MAX)
		return berr_fail(err, "host id range %u-%llu is outside berth's ranges (%u up to %u)",
				 (unsigned)base, (unsigned long long)last, RUNTIME_ID_BASE,
				 (unsigned)(UINT32_MAX - 1));
	return 0;
}

bool runtime_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= RUNTIME_ID_MAX && id[0] != '.' && id[0] != '-' &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

void runtime_id_generate(const char *prefix, char *out, size_t len)
{
	unsigned char r[6] = { 0 };
	ssize_t got = getrandom(r, sizeof(r), GRND_NONBLOCK);

	(void)got;  /* without entropy yet: the state directory's O_EXCL still guards */
	snprintf(out, len, "%.*s-%02x%02x%02x%02x%02x%02x", RUNTIME_ID_MAX - 13,
		 prefix && *prefix ? prefix : "c", r[0], r[1], r[2], r[3], r[4], r[5]);
}

int runtime_spec_validate(const struct runtime_spec *spec, struct berr *err)
{
	static const char *const reserved[] = { "/proc", "/sys", "/dev" };

	if (spec->layers.n == 0)
		return berr_fail(err, "no layer given: pass --layer DIR or --stack NAME");
	if (spec->argv.n == 0)
		return berr_fail(err, "no command given");
	if (spec->id && !runtime_id_valid(spec->id))
		return berr_fail(err, "container id '%s': use up to %d letters, digits, '_', '.' or '-'",
				 spec->id, RUNTIME_ID_MAX);
	if (spec->name && (strlen(spec->name) > RUNTIME_ID_MAX - 13 || !runtime_id_valid(spec->name)))
		return berr_fail(err, "container name '%s': use up to %d letters, digits, '_', '.' or '-'",
				 spec->name, RUNTIME_ID_MAX - 13);
	for (size_t i = 0; i < spec->layers.n; i++)
		if (!is_dir(spec->layers.v[i]))
			return berr_fail(err, "layer '%s' is not a directory", spec->layers.v[i]);
	if (spec->layers.n > 128)
		return berr_fail(err, "too many layers (%zu); overlayfs takes at most 128 here",
				 spec->layers.n);
	if (spec->workdir && spec->workdir[0] != '/')
		return berr_fail(err, "working directory '%s' must be an absolute path", spec->workdir);
	if (spec->uid >= RUNTIME_ID_RANGE || spec->gid >= RUNTIME_ID_RANGE)
		return berr_fail(err, "user %u:%u is outside the container's id range 0-%u",
				 (unsigned)spec->uid, (unsigned)spec->gid, RUNTIME_ID_RANGE - 1);
	if (host_range_check(spec->host_id_base, err) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		struct stat st;

		if (fstat(spec->stdio[i], &st) < 0)
			return berr_sys(err, "the container's %s (descriptor %d)",
					i == 0 ? "stdin" : i == 1 ? "stdout" : "stderr", spec->stdio[i]);
	}
	for (size_t i = 0; i < spec->nbinds; i++) {
		const char *dst = spec->binds[i].dst;

		if (!path_exists(spec->binds[i].src))
			return berr_fail(err, "bind source %s does not exist", spec->binds[i].src);
		if (dst[0] != '/' || strstr(dst, "/../") || str_has_suffix(dst, "/.."))
			return berr_fail(err, "bind target '%s' must be an absolute path without '..'", dst);
		if (dst[strspn(dst, "/")] == '\0')
			return berr_fail(err, "bind target '%s' would hide the container's root; bind below it", dst);
		for (size_t r = 0; r < ARRAY_SIZE(reserved); r++)
			if (!strcmp(dst, reserved[r]) ||
			    (str_has_prefix(dst, reserved[r]) && dst[strlen(reserved[r])] == '/'))
				return berr_fail(err, "bind target %s is inside %s, which berth manages",
						 dst, reserved[r]);
	}
	if (spec->keep_upper) {
		autofree char *parent = xstrdup(spec->keep_upper);
		char *slash = strrchr(parent, '/');

		if (path_exists(spec->keep_upper))
			return berr_fail(err, "--keep-upper %s already exists", spec->keep_upper);
		if (slash)
			*(slash == parent ? slash + 1 : slash) = '\0';
		if (!is_dir(slash ? parent : "."))
			return berr_fail(err, "--keep-upper %s: directory %s does not exist",
					 spec->keep_upper, parent);
	}
	return 0;
}

/* Where each layer will be staged, and the overlay options that follow. Computed
 * before clone3 so the child's copy of memory has them. */
char *overlay_options(size_t nlayers, bool upper_on_disk)
{
	size_t cap = 64 + nlayers * 16;
	autofree char *lower = xcalloc(1, cap);
	const char *upper = upper_on_disk ? "disk/" : "";
	size_t used = 0;

	/* overlayfs lists the top layer first; spec->layers is bottom first. */
	for (size_t i = nlayers; i-- > 0;)
		used += snprintf(lower + used, cap - used, "%sl%zu", used ? ":" : "", i);
	return xasprintf("userxattr,lowerdir=%s,upperdir=%supper,workdir=%swork", lower, upper,
			 upper);
}
