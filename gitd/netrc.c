/* netrc.c - the berth user's ~/.netrc (git:auth): the login and password
 * git:sync gives an https host that asks for them.
 *
 * Read as curl and ftp read it: tokens split by white space, "machine NAME" or
 * "default" opening an entry, "login", "password" and "account" with a value,
 * "macdef NAME" followed by lines up to an empty one (kept as they are);
 * "..." quotes a token with backslash escapes. Written back whole, one entry a
 * block, atomically, mode 0600, owned by the berth user (a world-readable file
 * is made private again by the next write). git:auth refuses values the
 * format cannot hold bare (white space, quotes, backslashes, control
 * characters), so what it writes reads the same in any netrc reader. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "gitd/gitd.h"

#define NETRC_MAX (1 << 20)

char *gitd_netrc_path(void)
{
	autofree char *home = gitd_home_dir();

	return xasprintf("%s/.netrc", home);
}

int gitd_netrc_value_check(const char *what, const char *v, struct berr *err)
{
	if (!*v)
		return berr_fail(err, "The %s for a netrc auth entry is empty", what);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			return berr_fail(err, "The %s for a netrc auth entry may not hold white space, "
					      "quotes, backslashes or control characters", what);
	return 0;
}

/* The next token of *p; NULL at the end. */
static char *next_token(const char **p)
{
	const char *s = *p;
	char *tok, *o;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	tok = o = xmalloc(strlen(s) + 1);
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			*o++ = *s;
		}
		if (*s == '"')
			s++;
	} else {
		while (*s && !strchr(" \t\n\r\f\v", *s))
			*o++ = *s++;
	}
	*o = '\0';
	*p = s;
	return tok;
}

/* A new entry; a machine goes before "default", which readers want last. */
static struct gitd_netrc_entry *add_entry(struct gitd_netrc *nr, const char *machine)
{
	struct gitd_netrc_entry *e;
	size_t at = nr->n;

	if (machine)
		for (size_t i = 0; i < nr->n; i++)
			if (!nr->v[i].machine) {
				at = i;
				break;
			}
	nr->v = xrealloc(nr->v, (nr->n + 1) * sizeof(*nr->v));
	memmove(&nr->v[at + 1], &nr->v[at], (nr->n - at) * sizeof(*nr->v));
	nr->n++;
	e = &nr->v[at];
	memset(e, 0, sizeof(*e));
	e->machine = machine ? xstrdup(machine) : NULL;
	return e;
}

static void set_field(char **field, char *value)
{
	free(*field);
	*field = value;
}

int gitd_netrc_parse(const char *text, struct gitd_netrc *nr, struct berr *err)
{
	const char *p = text;
	struct gitd_netrc_entry *e = NULL;
	char *tok;

	memset(nr, 0, sizeof(*nr));
	while ((tok = next_token(&p))) {
		if (!strcmp(tok, "machine") || !strcmp(tok, "default")) {
			char *name = !strcmp(tok, "machine") ? next_token(&p) : NULL;

			if (!strcmp(tok, "machine") && !name) {
				free(tok);
				gitd_netrc_free(nr);
				return berr_fail(err, "netrc: \"machine\" without a name");
			}
			e = add_entry(nr, name);
			free(name);
		} else if (!strcmp(tok, "login") || !strcmp(tok, "password") ||
			   !strcmp(tok, "account")) {
			char *value = next_token(&p);

			if (!value || !e) {
				berr_fail(err, "netrc: \"%s\" %s", tok, value ? "outside an entry" : "without a value");
				free(value);
				free(tok);
				gitd_netrc_free(nr);
				return -1;
			}
			set_field(!strcmp(tok, "login") ? &e->login :
				  !strcmp(tok, "password") ? &e->password : &e->account, value);
		} else if (!strcmp(tok, "macdef")) {
			/* The macro runs to the first empty line: kept as it is with
			 * its entry (one before any entry is dropped). */
			const char *end = strstr(p, "\n\n");
			size_t len = end ? (size_t)(end - p) : strlen(p);

			if (e)
				set_field(&e->macdefs, xasprintf("%s%smacdef%.*s", e->macdefs ? e->macdefs : "",
								 e->macdefs ? "\n\n" : "", (int)len, p));
			p += len;
		}
		/* Anything else is skipped, as curl does. */
		free(tok);
	}
	return 0;
}

int gitd_netrc_load(const char *path, struct gitd_netrc *nr, struct berr *err)
{
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	autofree char *text = NULL;
	size_t len;

	memset(nr, 0, sizeof(*nr));
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return berr_sys(err, "open %s", path);
	}
	if (read_fd_max(fd, NETRC_MAX, &text, &len, err) < 0)
		return berr_prefix(err, "%s", path);
	if (strlen(text) != len)
		return berr_fail(err, "%s holds a NUL byte", path);
	if (gitd_netrc_parse(text, nr, err) < 0)
		return berr_prefix(err, "%s", path);
	return 0;
}

const struct gitd_netrc_entry *gitd_netrc_find(const struct gitd_netrc *nr, const char *host)
{
	const struct gitd_netrc_entry *def = NULL;

	for (size_t i = 0; i < nr->n; i++) {
		if (!nr->v[i].machine)
			def = def ? def : &nr->v[i];
		else if (!strcasecmp(nr->v[i].machine, host))
			return &nr->v[i];
	}
	return def && def->login ? def : NULL;
}

static void entry_free(struct gitd_netrc_entry *e)
{
	free(e->machine);
	free(e->login);
	free(e->password);
	free(e->account);
	free(e->macdefs);
}

bool gitd_netrc_put(struct gitd_netrc *nr, const char *host, const char *login,
		    const char *password)
{
	bool changed = false;
	size_t m = 0;

	/* Every entry of host goes; the new one takes the first one's place. */
	for (size_t i = 0; i < nr->n; i++) {
		if (nr->v[i].machine && !strcasecmp(nr->v[i].machine, host)) {
			if (login && !changed) {
				set_field(&nr->v[i].login, xstrdup(login));
				set_field(&nr->v[i].password, xstrdup(password));
				set_field(&nr->v[i].account, NULL);
				nr->v[m++] = nr->v[i];
			} else
				entry_free(&nr->v[i]);
			changed = true;
			continue;
		}
		nr->v[m++] = nr->v[i];
	}
	nr->n = m;
	if (login && !changed) {
		struct gitd_netrc_entry *e = add_entry(nr, host);

		e->login = xstrdup(login);
		e->password = xstrdup(password);
		changed = true;
	}
	return changed;
}

/* A value as a token: bare when it can be, else quoted. */
static void put_token(FILE *f, const char *v)
{
	if (*v && !strpbrk(v, " \t\n\r\f\v\"\\")) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

int gitd_netrc_save(const char *path, const struct gitd_netrc *nr, struct berr *err)
{
	autofree char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f)
		return berr_sys(err, "netrc in memory");
	for (size_t i = 0; i < nr->n; i++) {
		const struct gitd_netrc_entry *e = &nr->v[i];

		if (e->machine) {
			fputs("machine ", f);
			put_token(f, e->machine);
		} else
			fputs("default", f);
		fputc('\n', f);
		const char *names[] = { "login", "password", "account" };
		const char *values[] = { e->login, e->password, e->account };

		for (size_t k = 0; k < 3; k++) {
			if (!values[k])
				continue;
			fprintf(f, "  %s ", names[k]);
			put_token(f, values[k]);
			fputc('\n', f);
		}
		if (e->macdefs)
			fprintf(f, "%s\n\n", e->macdefs);  /* an empty line ends it */
	}
	if (fclose(f) != 0)
		return berr_sys(err, "netrc in memory");
	r = write_file_atomic(path, text ? text : "", len, 0600, err);
	if (r == 0)
		gitd_give_to_user(path);
	return r;
}

void gitd_netrc_free(struct gitd_netrc *nr)
{
	for (size_t i = 0; i < nr->n; i++)
		entry_free(&nr->v[i]);
	free(nr->v);
	memset(nr, 0, sizeof(*nr));
}

int gitd_netrc_lock(const char *path, int *fd, struct berr *err)
{
	autofree char *lock = xasprintf("%s.lock", path);

	*fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX) < 0)
		return berr_sys(err, "lock %s", lock);
	return 0;
}
