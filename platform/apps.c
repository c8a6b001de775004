/* apps.c - app names, creation, listing, settings and the deploy lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "images/images.h"
#include "platform/internal.h"
#include "runtime/runtime.h"

#define APP_NAME_MAX 63
/* Host id ranges: slot 0 is runtime:run's; apps take 1.. up to what fits in uid_t. */
#define APP_SLOTS_MAX (RUNTIME_ID_SLOTS - 1)

int app_name_check(const char *name, struct berr *err)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0)
		return berr_fail(err, "Please specify an app to run the command on");
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != len)
		return berr_fail(err, "App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens");
	if (len > APP_NAME_MAX)
		return berr_fail(err, "App name '%.20s...' is too long: at most %d characters", name,
				 APP_NAME_MAX);
	return 0;
}

char *app_path(const char *app, const char *sub)
{
	if (sub)
		return xasprintf("%s/apps/%s/%s", berth_root(), app, sub);
	return xasprintf("%s/apps/%s", berth_root(), app);
}

bool app_exists(const char *app)
{
	struct berr ignored;
	autofree char *p = NULL;

	if (app_name_check(app, &ignored) < 0)
		return false;
	p = app_path(app, "settings.json");
	return path_exists(p);
}

int app_require(const char *app, struct berr *err)
{
	if (app_name_check(app, err) < 0)
		return -1;
	if (!app_exists(app))
		return berr_fail(err, "App %s does not exist", app);
	return 0;
}

int app_list(struct strv *apps, struct berr *err)
{
	autofree char *dir = xasprintf("%s/apps", berth_root());
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		return berr_sys(err, "list %s", dir);
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && app_exists(names[i]->d_name))
			strv_push(apps, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return 0;
}

void app_settings_free(struct app_settings *s)
{
	free(s->stack);
	free(s->deploy_branch);
	strv_free(&s->buildpacks);
	strv_free(&s->formation);
	strv_free(&s->resources);
	strv_free(&s->storage);
	strv_free(&s->domains);
	strv_free(&s->ports);
	memset(s, 0, sizeof(*s));
}

int app_settings_load(const char *app, struct app_settings *s, struct berr *err)
{
	autofree char *path = app_path(app, "settings.json");
	json_t *obj;
	const char *v;

	memset(s, 0, sizeof(*s));
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (!obj)
		return berr_fail(err, "App %s does not exist", app);
	s->id_slot = (unsigned)json_get_int(obj, "id_slot", 0);
	if ((v = json_get_str(obj, "stack")))
		s->stack = xstrdup(v);
	if ((v = json_get_str(obj, "deploy_branch")))
		s->deploy_branch = xstrdup(v);
	s->created_at = (long long)json_get_int(obj, "created_at", 0);
	s->releases_keep = (unsigned)json_get_int(obj, "releases_keep", 0);
	s->domains_set = json_is_array(json_object_get(obj, "domains"));
	s->vhost_disabled = json_is_false(json_object_get(obj, "vhost"));
	if (json_to_strv(json_object_get(obj, "buildpacks"), &s->buildpacks) < 0 ||
	    json_to_strv(json_object_get(obj, "formation"), &s->formation) < 0 ||
	    json_to_strv(json_object_get(obj, "resources"), &s->resources) < 0 ||
	    json_to_strv(json_object_get(obj, "storage"), &s->storage) < 0 ||
	    json_to_strv(json_object_get(obj, "domains"), &s->domains) < 0 ||
	    json_to_strv(json_object_get(obj, "ports"), &s->ports) < 0)
		s->id_slot = 0;  /* damaged: reported below */
	json_decref(obj);
	if (s->id_slot == 0 || s->id_slot > APP_SLOTS_MAX) {
		app_settings_free(s);
		return berr_fail(err, "%s: bad id_slot", path);
	}
	return 0;
}

int app_settings_save(const char *app, const struct app_settings *s, struct berr *err)
{
	autofree char *path = app_path(app, "settings.json");
	json_t *obj = json_object();
	int r;

	json_object_set_new(obj, "id_slot", json_integer(s->id_slot));
	if (s->stack)
		json_object_set_new(obj, "stack", json_string(s->stack));
	if (s->deploy_branch)
		json_object_set_new(obj, "deploy_branch", json_string(s->deploy_branch));
	if (s->created_at)
		json_object_set_new(obj, "created_at", json_integer(s->created_at));
	json_object_set_new(obj, "buildpacks", strv_to_json(&s->buildpacks));
	json_object_set_new(obj, "formation", strv_to_json(&s->formation));
	if (s->resources.n)
		json_object_set_new(obj, "resources", strv_to_json(&s->resources));
	if (s->storage.n)
		json_object_set_new(obj, "storage", strv_to_json(&s->storage));
	if (s->domains_set)
		json_object_set_new(obj, "domains", strv_to_json(&s->domains));
	if (s->ports.n)
		json_object_set_new(obj, "ports", strv_to_json(&s->ports));
	if (s->vhost_disabled)
		json_object_set_new(obj, "vhost", json_false());
	if (s->releases_keep)
		json_object_set_new(obj, "releases_keep", json_integer(s->releases_keep));
	r = json_file_save(path, obj, err);
	json_decref(obj);
	return r;
}

uid_t app_host_id_base(const struct app_settings *s)
{
	return runtime_id_slot_base(s->id_slot);
}

/* The lowest slot no app uses: each app gets host ids no other app shares. */
static int free_id_slot(unsigned *slot, struct berr *err)
{
	struct strv apps = { 0 };
	autofree unsigned char *used = xcalloc(APP_SLOTS_MAX + 1, 1);

	if (app_list(&apps, err) < 0)
		return -1;
	for (size_t i = 0; i < apps.n; i++) {
		struct app_settings s;
		struct berr ignored;

		if (app_settings_load(apps.v[i], &s, &ignored) == 0) {
			used[s.id_slot] = 1;
			app_settings_free(&s);
		}
	}
	strv_free(&apps);
	for (unsigned n = 1; n <= APP_SLOTS_MAX; n++) {
		if (!used[n]) {
			*slot = n;
			return 0;
		}
	}
	return berr_fail(err, "no free host id range left for a new app");
}

/* The new app's files, in dir (a temporary directory renamed into place after). */
static int app_write_initial(const char *dir, unsigned slot, struct berr *err)
{
	autofree char *releases = xasprintf("%s/releases", dir);
	autofree char *settings = xasprintf("%s/settings.json", dir);
	autofree char *config = xasprintf("%s/config.json", dir);
	json_t *obj = json_pack("{s:i, s:I, s:[], s:[]}", "id_slot", (json_int_t)slot,
				"created_at", (json_int_t)time(NULL), "buildpacks", "formation");
	json_t *cfg = json_object();
	int r = -1;

	if (mkdir(releases, 0700) < 0)
		berr_sys(err, "create %s", releases);
	else if (json_file_save(settings, obj, err) == 0 && json_file_save(config, cfg, err) == 0)
		r = 0;
	json_decref(obj);
	json_decref(cfg);
	return r;
}

/* The lock apps:create and apps:rename take: one name, one app. */
static int apps_create_lock(int *fd, struct berr *err)
{
	autofree char *apps_dir = xasprintf("%s/apps", berth_root());
	autofree char *lock_path = xasprintf("%s/.create.lock", apps_dir);
	int lock;

	/* App state (config vars are secrets) is root's alone: 0700 directories. */
	if (mkdir_p(apps_dir, 0700, err) < 0)
		return -1;
	if (chmod(apps_dir, 0700) < 0)
		return berr_sys(err, "make %s root-only", apps_dir);
	lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		if (lock >= 0)
			close(lock);
		return berr_sys(err, "lock %s", lock_path);
	}
	*fd = lock;
	return 0;
}

int app_move_dir(const char *old, const char *new_name, struct berr *err)
{
	autofree char *from = app_path(old, NULL);
	autofree char *to = app_path(new_name, NULL);
	autoclose int lock = -1;

	if (app_name_check(new_name, err) < 0 || apps_create_lock(&lock, err) < 0)
		return -1;
	if (path_exists(to))
		return berr_fail(err, "Name is already taken");
	if (rename(from, to) < 0)
		return berr_sys(err, "rename %s to %s", from, to);
	return 0;
}

int app_create(const char *app, struct berr *err)
{
	autofree char *apps_dir = xasprintf("%s/apps", berth_root());
	autofree char *dir = NULL;
	autofree char *tmp = NULL;
	autoclose int lock = -1;
	struct berr ignored;
	unsigned slot = 0;

	/* Serialise creations so two apps never take the same id range. */
	if (app_name_check(app, err) < 0 || apps_create_lock(&lock, err) < 0)
		return -1;
	dir = app_path(app, NULL);
	if (path_exists(dir))
		return berr_fail(err, "Name is already taken");
	if (free_id_slot(&slot, err) < 0)
		return -1;
	/* Built aside and renamed in: an app exists whole or not at all. */
	tmp = xasprintf("%s/.new-%s.%d", apps_dir, app, getpid());
	if (mkdir(tmp, 0700) < 0)
		return berr_sys(err, "create %s", tmp);
	if (app_write_initial(tmp, slot, err) < 0) {
		rm_rf(tmp, &ignored);
		return -1;
	}
	if (rename(tmp, dir) < 0) {
		berr_sys(err, "create %s", dir);
		rm_rf(tmp, &ignored);
		return -1;
	}
	return 0;
}

/* apps:set --global disable-autocreation: "apps-disable-autocreation" in
 * $BERTH_ROOT/settings.json. */
bool apps_autocreation_disabled(void)
{
	autofree char *v = NULL;
	struct berr ignored;

	return global_setting_get("apps-disable-autocreation", &v, &ignored) == 0 && v &&
	       !strcmp(v, "true");
}

int app_autocreate(const char *app, struct berr *err)
{
	if (app_name_check(app, err) < 0)
		return -1;
	if (app_exists(app))
		return 0;
	if (apps_autocreation_disabled())
		return berr_fail(err, "App %s does not exist and app auto-creation is disabled: create it "
				 "with 'apps:create %s' or re-enable auto-creation (apps:set --global "
				 "disable-autocreation)", app, app);
	/* Another push may have made it meanwhile: that is the app wanted. */
	if (app_create(app, err) < 0 && !app_exists(app))
		return -1;
	return 0;
}

/* apps:set's per-app properties: $BERTH_ROOT/apps/<app>/apps.json. */
static const char *const app_props[] = { "deploy-source", "deploy-source-metadata" };

int apps_property_set(const char *app, const char *key, const char *value, struct berr *err)
{
	bool known = !strcmp(key, "disable-autocreation");

	for (size_t i = 0; i < ARRAY_SIZE(app_props); i++)
		known |= !strcmp(key, app_props[i]);
	if (app && !strcmp(key, "disable-autocreation"))
		return berr_fail(err, "Property can only be specified globally");
	if (!app && known && strcmp(key, "disable-autocreation"))
		return berr_fail(err, "Property cannot be specified globally");
	if (!known)
		return berr_fail(err, "Invalid property specified, valid properties include: "
				 "deploy-source, deploy-source-metadata, disable-autocreation");
	if (!app) {
		if (value && strcmp(value, "true") && strcmp(value, "false"))
			return berr_fail(err, "Invalid disable-autocreation value '%s': true or false", value);
		return global_setting_set("apps-disable-autocreation", value, err);
	}
	if (value && (strlen(value) > 4096 || strpbrk(value, "\n\r")))
		return berr_fail(err, "Invalid %s value: one line of at most 4096 bytes", key);
	return app_json_set(app, "apps.json", key, value, err);
}

char *apps_property_get(const char *app, const char *key)
{
	struct berr ignored;
	char *out = NULL;

	if (!app) {
		if (strcmp(key, "disable-autocreation") ||
		    global_setting_get("apps-disable-autocreation", &out, &ignored) < 0)
			return NULL;
		return out;
	}
	return app_json_get(app, "apps.json", key);
}

/* No stack chosen anywhere: use the only stack there is, or say what to do. */
static int stack_only_one(char **stack, struct berr *err)
{
	struct strv stacks = { 0 };
	int r;

	if (stack_list(&stacks, err) < 0)
		return -1;
	if (stacks.n == 1) {
		*stack = xstrdup(stacks.v[0]);
		r = 0;
	} else if (stacks.n == 0) {
		r = berr_fail(err, "no stack to build on: create one with 'berth stacks:create busybox' or 'berth stacks:create debian'");
	} else {
		r = berr_fail(err, "several stacks exist: choose one with 'berth buildpacks:set-property --global stack NAME'");
	}
	strv_free(&stacks);
	return r;
}

int app_stack(const struct app_settings *s, char **stack, struct berr *err)
{
	autofree char *global = NULL;

	if (s->stack) {
		*stack = xstrdup(s->stack);
		return 0;
	}
	if (global_setting_get("stack", &global, err) < 0)
		return -1;
	if (global) {
		*stack = steal_ptr(global);
		return 0;
	}
	return stack_only_one(stack, err);
}

int global_setting_get(const char *key, char **value, struct berr *err)
{
	autofree char *path = xasprintf("%s/settings.json", berth_root());
	json_t *obj;
	const char *v;

	*value = NULL;
	if (json_file_load(path, &obj, err) < 0)
		return -1;
	if (obj && (v = json_get_str(obj, key)))
		*value = xstrdup(v);
	json_decref(obj);
	return 0;
}

int global_setting_set(const char *key, const char *value, struct berr *err)
{
	autofree char *path = xasprintf("%s/settings.json", berth_root());

	if (mkdir_p(berth_root(), 0755, err) < 0)
		return -1;
	return json_file_set_str(path, key, value, err);
}

#define DEPLOY_LOCKED_MARKER "deploy.locked"

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool app_deploy_locked(const char *app)
{
	autofree char *marker = app_path(app, DEPLOY_LOCKED_MARKER);

	return path_exists(marker);
}

int app_set_deploy_locked(const char *app, bool locked, struct berr *err)
{
	autofree char *marker = app_path(app, DEPLOY_LOCKED_MARKER);

	if (locked)
		return write_file_atomic(marker, "", 0, 0600, err);
	if (unlink(marker) < 0 && errno != ENOENT)
		return berr_sys(err, "remove %s", marker);
	return 0;
}

bool app_deploy_running(const char *app)
{
	autofree char *path = app_path(app, "deploy.lock");
	autoclose int lock = open(path, O_RDWR | O_CLOEXEC);

	if (lock < 0)
		return false;
	return flock(lock, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

int app_lock_deploy(const char *app, int *fd, struct berr *err)
{
	return app_lock_deploy_wait(app, 0, NULL, fd, err);
}

int app_lock_deploy_wait(const char *app, unsigned wait_s, const struct sink *sink, int *fd,
			 struct berr *err)
{
	autoclose int lock = -1;

	if (app_deploy_lock_take(app, wait_s, sink, &lock, err) < 0)
		return -1;
	/* Checked under the lock, so an apps:lock that lands before it is seen. */
	if (app_deploy_locked(app))
		return berr_fail(err, "App %s is locked for deployment; unlock it with 'apps:unlock %s'",
				 app, app);
	*fd = steal_fd(&lock);
	return 0;
}

int app_deploy_lock_take(const char *app, unsigned wait_s, const struct sink *sink, int *fd,
			 struct berr *err)
{
	autofree char *path = app_path(app, "deploy.lock");
	autoclose int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	long long deadline = monotonic_ms() + (long long)wait_s * 1000;
	bool said = false;

	if (lock < 0)
		return berr_sys(err, "open %s", path);
	while (flock(lock, LOCK_EX | LOCK_NB) < 0) {
		const struct timespec tick = { 0, 50 * 1000 * 1000 };

		if (errno != EWOULDBLOCK && errno != EINTR)
			return berr_sys(err, "lock %s", path);
		if (errno == EWOULDBLOCK && monotonic_ms() >= deadline)
			return berr_fail(err, "App %s is being deployed by another push; try again when it has finished",
					 app);
		if (!said && sink)
			sink_step(sink, "Waiting for the deploy of %s in progress to finish (at most %us)",
				  app, wait_s);
		said = true;
		nanosleep(&tick, NULL);
	}
	*fd = steal_fd(&lock);
	return 0;
}
