/* authkeys.c - berth's keys in an OpenSSH authorized_keys file; see gitd.h. */
#include <errno.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "gitd/gitd.h"

int gitd_key_name_check(const char *name, struct berr *err)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64 || name[0] == '-' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") != len)
		return berr_fail(err, "'%.64s' is not a valid key name: use letters, digits, '.', '_', '@' and '-' (at most 64)",
				 name);
	return 0;
}

/* Recognise one of berth's lines and fill e's name, admin and key. */
static void parse_line(struct gitd_key_entry *e)
{
	const char *l = e->line, *end, *keytext;
	struct strv argv = { 0 };
	autofree char *command = NULL;
	struct berr ignored;
	size_t i;

	if (!str_has_prefix(l, "command=\""))
		return;
	end = strchr(l + 9, '"');
	if (!end)
		return;
	command = xstrndup(l + 9, (size_t)(end - l - 9));
	keytext = strchr(end, ' ');
	if (!keytext || gitd_shell_split(command, &argv, &ignored) < 0)
		goto out;
	for (i = 0; i < argv.n && strcmp(argv.v[i], "ssh:serve"); i++)
		;
	if (i + 1 >= argv.n)
		goto out;
	if (!strcmp(argv.v[i + 1], "--admin")) {
		e->admin = true;
		i++;
	}
	if (i + 2 != argv.n || gitd_key_name_check(argv.v[i + 1], &ignored) < 0 ||
	    gitd_ssh_key_parse(keytext, &e->key, &ignored) < 0) {
		e->admin = false;
		goto out;
	}
	e->name = xstrdup(argv.v[i + 1]);
out:
	strv_free(&argv);
}

static void push_line(struct gitd_authkeys *ak, char *line)
{
	struct gitd_key_entry *e;

	ak->v = xrealloc(ak->v, (ak->n + 1) * sizeof(*ak->v));
	e = &ak->v[ak->n++];
	memset(e, 0, sizeof(*e));
	e->line = line;
	parse_line(e);
}

int gitd_authkeys_load(const char *path, struct gitd_authkeys *ak, struct berr *err)
{
	autofree char *text = NULL;
	char *save = NULL;

	memset(ak, 0, sizeof(*ak));
	if (read_file(path, &text, NULL, err) < 0) {
		if (err->errnum == ENOENT)
			return 0;
		return -1;
	}
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		push_line(ak, xstrdup(l));
	return 0;
}

int gitd_authkeys_add(struct gitd_authkeys *ak, const char *name, bool admin,
		      const char *key_text, const char *command_prefix, struct berr *err)
{
	struct gitd_ssh_key key;

	if (gitd_key_name_check(name, err) < 0)
		return -1;
	if (strchr(command_prefix, '"') || strchr(command_prefix, '\\') || strchr(command_prefix, '\n'))
		return berr_fail(err, "berth's path or environment holds a quote or a backslash: it cannot be a forced command");
	if (gitd_ssh_key_parse(key_text, &key, err) < 0)
		return -1;
	for (size_t i = 0; i < ak->n; i++) {
		const struct gitd_key_entry *e = &ak->v[i];

		if (e->name && !strcmp(e->name, name)) {
			gitd_ssh_key_free(&key);
			return berr_fail(err, "A key named %s already exists; remove it first with ssh-keys:remove %s",
					 name, name);
		}
		if (e->name && !strcmp(e->key.blob, key.blob)) {
			gitd_ssh_key_free(&key);
			return berr_fail(err, "This key (%s) is already added as %s", e->key.fingerprint,
					 e->name);
		}
	}
	push_line(ak, xasprintf("command=\"%s ssh:serve%s '%s'\",restrict,pty %s %s %s", command_prefix,
				admin ? " --admin" : "", name, key.type, key.blob, name));
	gitd_ssh_key_free(&key);
	if (!ak->v[ak->n - 1].name)
		return berr_fail(err, "internal error: the new key line does not read back");
	return 0;
}

int gitd_authkeys_remove(struct gitd_authkeys *ak, const char *name, struct berr *err)
{
	for (size_t i = 0; i < ak->n; i++) {
		struct gitd_key_entry *e = &ak->v[i];

		if (e->name && !strcmp(e->name, name)) {
			free(e->line);
			free(e->name);
			gitd_ssh_key_free(&e->key);
			memmove(e, e + 1, (ak->n - i - 1) * sizeof(*e));
			ak->n--;
			return 0;
		}
	}
	return berr_fail(err, "No key named %s; see ssh-keys:list", name);
}

int gitd_authkeys_save(const char *path, const struct gitd_authkeys *ak, struct berr *err)
{
	size_t len = 0;
	autofree char *text = NULL;
	char *p;

	for (size_t i = 0; i < ak->n; i++)
		len += strlen(ak->v[i].line) + 1;
	p = text = xmalloc(len + 1);
	for (size_t i = 0; i < ak->n; i++)
		p = stpcpy(stpcpy(p, ak->v[i].line), "\n");
	return write_file_atomic(path, text, len, 0600, err);
}

void gitd_authkeys_free(struct gitd_authkeys *ak)
{
	for (size_t i = 0; i < ak->n; i++) {
		free(ak->v[i].line);
		free(ak->v[i].name);
		gitd_ssh_key_free(&ak->v[i].key);
	}
	free(ak->v);
	memset(ak, 0, sizeof(*ak));
}
