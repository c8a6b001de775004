/* ssh_keys.c - ssh-keys:add|list|remove, the forced command every key runs
 * (ssh:serve) and the events it records.
 *
 * Keys live in the berth user's authorized_keys: $BERTH_AUTHORIZED_KEYS, or
 * $BERTH_ROOT/.ssh/authorized_keys (the berth user's home is BERTH_ROOT). Each
 * key's forced command is `berth ssh:serve [--admin] NAME`: sshd gives it the
 * client's command in SSH_ORIGINAL_COMMAND, which is split into words with the
 * shell's quoting rules and never handed to a shell. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "common/ui.h"
#include "gitd/gitd.h"

static char *authorized_keys_path(void)
{
	return gitd_authorized_keys_path();
}

/* Hold a lock beside the file while reading, changing and writing it. */
static int lock_keys(const char *path, int *fd, struct berr *err)
{
	autofree char *dir = xstrdup(path);
	autofree char *lock = xasprintf("%s.lock", path);
	char *slash = strrchr(dir, '/');

	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0700, err) < 0)
			return -1;
	}
	*fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX) < 0)
		return berr_sys(err, "lock %s", lock);
	return 0;
}

static bool path_is_safe(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+@:,=") ==
	       strlen(s);
}

/* What the forced command starts with: berth's roots, then berth itself (the
 * lean executable when this is berth-full). */
static int command_prefix(char **out, struct berr *err)
{
	static const char *const vars[] = { "BERTH_ROOT", "BERTH_RUN", "BERTH_CGROUP",
					    "BERTH_AUTHORIZED_KEYS" };
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	autofree char *prefix = xstrdup("");

	if (n < 0)
		return berr_sys(err, "find berth's own executable");
	self[n] = '\0';
	if (str_has_suffix(self, "-full")) {
		autofree char *lean = xstrndup(self, (size_t)n - 5);

		if (access(lean, X_OK) == 0)
			strcpy(self, lean);
	}
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		const char *v = getenv(vars[i]);
		char *next;

		if (!v || !*v)
			continue;
		if (!path_is_safe(v))
			return berr_fail(err, "%s=%s has characters a forced command cannot carry", vars[i], v);
		next = xasprintf("%s%s='%s' ", prefix, vars[i], v);
		free(prefix);
		prefix = next;
	}
	if (!path_is_safe(self))
		return berr_fail(err, "berth's path %s has characters a forced command cannot carry", self);
	*out = xasprintf("%sexec '%s'", prefix, self);
	return 0;
}

/* The file stays the berth user's (berth init made its directory the user's):
 * sshd reads it as that user. */
static void keep_owner(const char *path)
{
	autofree char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	struct stat st;

	if (slash && slash != dir)
		*slash = '\0';
	if (stat(dir, &st) == 0 && st.st_uid != 0 && chown(path, st.st_uid, st.st_gid) < 0)
		ui_warn("could not give %s to uid %u", path, (unsigned)st.st_uid);
}

int cmd_ssh_keys_add(int argc, char **argv)
{
	autofree char *path = authorized_keys_path();
	autofree char *prefix = NULL;
	autofree char *text = NULL;
	autoclose int lock = -1;
	struct gitd_authkeys ak = { 0 };
	struct berr err;
	bool admin = false;
	int r;

	if (argc > 1 && !strcmp(argv[1], "--admin")) {
		admin = true;
		argc--;
		argv++;
	}
	if (argc < 2 || argc > 3)
		return cmd_fail("Usage: %s ssh-keys:add [--admin] NAME [FILE|-]", cmd_name);
	if (gitd_key_name_check(argv[1], &err) < 0)
		return cmd_fail("%s", err.msg);
	if (argc == 2 && isatty(STDIN_FILENO))
		return cmd_fail("No key specified via file or pipe");
	if (argc == 3 && strcmp(argv[2], "-"))
		r = read_file(argv[2], &text, NULL, &err);
	else
		r = read_fd(STDIN_FILENO, &text, NULL, &err);
	if (r < 0)
		return cmd_fail("%s", err.msg);
	/* One key per call, as Dokku: a trailing newline is fine, a second line is not. */
	while (*text && strchr("\r\n", text[strlen(text) - 1]))
		text[strlen(text) - 1] = '\0';
	if (!*text)
		return cmd_fail("Empty key was specified");
	if (strchr(text, '\n')) {
		/* a private key is many lines too: say what it is not */
		autofree char *first = xstrndup(text, strcspn(text, "\n"));
		struct gitd_ssh_key key = { 0 };

		if (gitd_ssh_key_parse(first, &key, &err) < 0)
			return cmd_fail("%s", err.msg);
		gitd_ssh_key_free(&key);
		return cmd_fail("Too many keys provided, set one per invocation of %s ssh-keys:add <NAME> <KEY_FILE>",
				cmd_name);
	}
	if (command_prefix(&prefix, &err) < 0 || lock_keys(path, &lock, &err) < 0 ||
	    gitd_authkeys_load(path, &ak, &err) < 0)
		return cmd_fail("%s", err.msg);
	r = gitd_authkeys_add(&ak, argv[1], admin, text, prefix, &err);
	if (r == 0)
		r = gitd_authkeys_save(path, &ak, &err);
	if (r == 0)
		keep_owner(path);
	if (r == 0)
		ui_step("Added key %s (%s)%s", argv[1], ak.v[ak.n - 1].key.fingerprint,
			admin ? " as an admin key" : "");
	gitd_authkeys_free(&ak);
	return r < 0 ? cmd_fail("%s", err.msg) : 0;
}

int cmd_ssh_keys_remove(int argc, char **argv)
{
	autofree char *path = authorized_keys_path();
	autoclose int lock = -1;
	struct gitd_authkeys ak = { 0 };
	struct berr err;
	int r;
	const char *fingerprint = NULL, *name = NULL;
	autofree char *removed = NULL;
	const struct opt opts[] = { { "--fingerprint", OPT_STR, &fingerprint }, { NULL, 0, NULL } };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);

	if (n < 0)
		return 1;
	if (fingerprint ? n != 0 : n != 1)
		return cmd_fail(fingerprint ? "A fingerprint is required to remove a key, ie: %s ssh-keys:remove --fingerprint FINGERPRINT"
					    : "A name is required to remove a key, ie: %s ssh-keys:remove <name>",
				cmd_name);
	if (!fingerprint && gitd_key_name_check(pos[0], &err) < 0)
		return cmd_fail("%s", err.msg);
	if (lock_keys(path, &lock, &err) < 0 || gitd_authkeys_load(path, &ak, &err) < 0)
		return cmd_fail("%s", err.msg);
	name = pos[0];
	for (size_t i = 0; fingerprint && i < ak.n && !name; i++)
		if (ak.v[i].name && !strcmp(ak.v[i].key.fingerprint, fingerprint))
			name = ak.v[i].name;
	/* As Dokku: removing a key that is not there is not an error. */
	if (!name || gitd_authkeys_remove(&ak, name, &err) < 0) {
		gitd_authkeys_free(&ak);
		ui_warn("No key %s %s; see ssh-keys:list", fingerprint ? "with fingerprint" : "named",
			fingerprint ? fingerprint : pos[0]);
		return 0;
	}
	removed = xstrdup(fingerprint ? fingerprint : name);
	r = gitd_authkeys_save(path, &ak, &err);
	if (r == 0)
		keep_owner(path);
	gitd_authkeys_free(&ak);
	if (r < 0)
		return cmd_fail("%s", err.msg);
	ui_step("Removed key %s", removed);
	return 0;
}

static bool any_key(const struct gitd_authkeys *ak)
{
	for (size_t i = 0; i < ak->n; i++)
		if (ak->v[i].name)
			return true;
	return false;
}

int cmd_ssh_keys_list(int argc, char **argv)
{
	autofree char *path = authorized_keys_path();
	struct gitd_authkeys ak = { 0 };
	struct berr err;
	const char *format = "text";
	const struct opt opts[] = { { "--format", OPT_STR, &format }, { NULL, 0, NULL } };
	char *pos[argc + 1];
	int n = args_parse(argc, argv, opts, 0, pos);
	bool json = n >= 0 && !strcmp(format, "json");
	size_t shown = 0;
	json_t *arr;

	if (n < 0)
		return 1;
	if (strcmp(format, "text") && !json)
		return cmd_fail("Invalid output format specified, supported formats: json, text");
	if (n > 1)
		return cmd_fail("Usage: %s ssh-keys:list [--format text|json] [<name>]", cmd_name);
	if (gitd_authkeys_load(path, &ak, &err) < 0)
		return cmd_fail("%s", err.msg);
	arr = json_array();
	for (size_t i = 0; i < ak.n; i++) {
		const struct gitd_key_entry *e = &ak.v[i];

		if (!e->name || (n == 1 && strcmp(e->name, pos[0])))
			continue;
		shown++;
		if (json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "name", e->name,
							     "fingerprint", e->key.fingerprint, "type",
							     e->key.type, "admin", e->admin));
		else
			printf("%s NAME=\"%s\" ADMIN=\"%s\"\n", e->key.fingerprint, e->name,
			       e->admin ? "true" : "false");
	}
	if (json) {
		char *s = json_dumps(arr, JSON_COMPACT);

		puts(s ? s : "[]");
		free(s);
	} else if (n == 1 && !shown) {
		json_decref(arr);
		gitd_authkeys_free(&ak);
		return 1;  /* as Dokku: no key of that name, silently (a query's answer) */
	} else if (!shown && !any_key(&ak)) {
		ui_warn("No public keys found.");
	}
	json_decref(arr);
	gitd_authkeys_free(&ak);
	return 0;
}
