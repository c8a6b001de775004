/* config_file.c - reading config vars from files (config:import): an envfile as
 * dotenv reads it, or a JSON object of strings; a host file read as the berth
 * user, not as root. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "platform/platform.h"

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* A double-quoted value: \n and \r become newline and return, a backslash
 * before anything else keeps that character (\" \\ \$). */
static const char *read_double_quoted(const char *p, const char *end, struct strv *buf)
{
	size_t cap = (size_t)(end - p) + 1, n = 0;
	char *out = xmalloc(cap);

	for (; p < end && *p != '"'; p++) {
		if (*p == '\\' && p + 1 < end) {
			p++;
			out[n++] = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	strv_push_owned(buf, out);
	return p < end ? p + 1 : NULL;
}

int config_parse_envfile(const char *text, size_t len, struct strv *env, struct berr *err)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;

	if (memchr(text, '\0', len))
		return berr_fail(err, "the file holds a NUL byte: not an envfile");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *k, *v;
		autofree char *key = NULL;
		struct strv value = { 0 };

		line++;
		if (!eol)
			eol = end;
		p = skip_blanks(p, eol);
		if (p == eol || *p == '#') {
			p = eol + 1;
			continue;
		}
		if ((size_t)(eol - p) > 7 && !strncmp(p, "export ", 7))
			p = skip_blanks(p + 7, eol);
		k = p;
		while (p < eol && *p != '=' && *p != ' ' && *p != '\t')
			p++;
		key = xstrndup(k, (size_t)(p - k));
		p = skip_blanks(p, eol);
		if (p == eol || *p != '=')
			return berr_fail(err, "line %u: expected KEY=VALUE", line);
		v = skip_blanks(p + 1, eol);
		if (v < end && (*v == '\'' || *v == '"')) {
			/* Quoted values may span lines. */
			const char *close;

			if (*v == '\'') {
				close = memchr(v + 1, '\'', (size_t)(end - v - 1));
				if (close)
					strv_push_owned(&value, xstrndup(v + 1, (size_t)(close - v - 1)));
				close = close ? close + 1 : NULL;
			} else {
				close = read_double_quoted(v + 1, end, &value);
			}
			if (!close) {
				strv_free(&value);
				return berr_fail(err, "line %u: unterminated quoted value of %s", line, key);
			}
			for (const char *q = v; q < close; q++)
				line += *q == '\n';
			eol = memchr(close, '\n', (size_t)(end - close));
			if (!eol)
				eol = end;
		} else {
			/* Unquoted: up to a " #" comment, trailing blanks dropped. */
			const char *stop = v;

			while (stop < eol && !(*stop == '#' && stop > v && (stop[-1] == ' ' || stop[-1] == '\t')))
				stop++;
			while (stop > v && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
				stop--;
			strv_push_owned(&value, xstrndup(v, (size_t)(stop - v)));
		}
		if (config_key_check(key, err) < 0 ||
		    config_value_check(key, value.v[0], strlen(value.v[0]), err) < 0) {
			strv_free(&value);
			return berr_prefix(err, "line %u", line);
		}
		strv_setenv(env, key, value.v[0]);
		strv_free(&value);
		p = eol + 1;
	}
	strv_sort(env);
	return 0;
}

int config_parse_json(const char *text, size_t len, struct strv *env, struct berr *err)
{
	json_error_t jerr;
	json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *key;
	json_t *v;
	int r = 0;

	if (!obj)
		return berr_fail(err, "not valid JSON: %s (line %d)", jerr.text, jerr.line);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return berr_fail(err, "expected a JSON object of KEY: \"value\"");
	}
	json_object_foreach(obj, key, v) {
		if (!json_is_string(v)) {
			r = berr_fail(err, "the value of %s is not a string", key);
			break;
		}
		if (config_key_check(key, err) < 0 ||
		    config_value_check(key, json_string_value(v), json_string_length(v), err) < 0) {
			r = -1;
			break;
		}
		strv_setenv(env, key, json_string_value(v));
	}
	json_decref(obj);
	strv_sort(env);
	return r;
}

/* The berth user: the owner of its authorized_keys (berth init makes it
 * theirs; $BERTH_AUTHORIZED_KEYS or $BERTH_ROOT/.ssh/authorized_keys), else
 * nobody. */
static void berth_user(uid_t *uid, gid_t *gid, char **name)
{
	const char *env = getenv("BERTH_AUTHORIZED_KEYS");
	autofree char *keys = env && *env ? xstrdup(env) : xasprintf("%s/.ssh/authorized_keys", berth_root());
	struct passwd *pw = NULL;
	struct stat st;

	if (stat(keys, &st) == 0 && st.st_uid != 0)
		pw = getpwuid(st.st_uid);
	if (!pw)
		pw = getpwnam("nobody");
	*uid = pw ? pw->pw_uid : 65534;
	*gid = pw ? pw->pw_gid : 65534;
	*name = xstrdup(pw ? pw->pw_name : "nobody");
}

/* In a child with the berth user's ids (no supplementary groups): open path,
 * check it is a regular file, copy at most max + 1 bytes of it to out. The exit
 * status is 0 or the errno (EFTYPE-like 255: not a regular file). */
static void reader_child(const char *path, uid_t uid, gid_t gid, size_t max, int out)
{
	char buf[65536];
	struct stat st;
	size_t total = 0;
	int fd;

	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		_exit(EPERM);
	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		_exit(errno & 0xff ? errno & 0xff : EIO);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		_exit(255);
	while (total <= max) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			_exit(errno & 0xff ? errno & 0xff : EIO);
		if (n == 0)
			break;
		if (write(out, buf, (size_t)n) != n)
			_exit(EPIPE);
		total += (size_t)n;
	}
	_exit(0);
}

int config_import_read(const char *path, char **text, size_t *len, struct berr *err)
{
	autofree char *user = NULL;
	autoclose int rd = -1;
	int fds[2], status;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int r;

	*text = NULL;
	*len = 0;
	if (geteuid() != 0)
		return read_file(path, text, len, err);   /* no more than the caller may anyway */
	berth_user(&uid, &gid, &user);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return berr_sys(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return berr_sys(err, "fork");
	}
	if (pid == 0) {
		close(fds[0]);
		reader_child(path, uid, gid, CONFIG_IMPORT_MAX, fds[1]);
	}
	close(fds[1]);
	rd = fds[0];
	r = read_fd_max(rd, CONFIG_IMPORT_MAX + 1, text, len, err);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : EIO;

		free(*text);
		*text = NULL;
		if (code == 255)
			return berr_fail(err, "not a regular file");
		if (code != EACCES && code != EPERM)
			return berr_fail(err, "%s", strerror(code));
		return berr_fail(err, "%s: berth reads the file as user %s, as Dokku reads it as dokku; "
				 "make it readable by %s, or give it on stdin (config:import APP - < FILE)",
				 strerror(code), user, user);
	}
	if (*len > CONFIG_IMPORT_MAX) {
		free(*text);
		*text = NULL;
		return berr_fail(err, "larger than %d bytes", CONFIG_IMPORT_MAX);
	}
	return 0;
}
