/* procfile.c - Procfile parsing by Dokku's rules, and the process type list. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "build/internal.h"
#include "common/cleanup.h"

void proctypes_free(struct proctypes *pt)
{
	for (size_t i = 0; i < pt->n; i++) {
		free(pt->v[i].name);
		free(pt->v[i].command);
	}
	free(pt->v);
	pt->v = NULL;
	pt->n = 0;
}

const char *proctypes_get(const struct proctypes *pt, const char *name)
{
	for (size_t i = 0; i < pt->n; i++)
		if (!strcmp(pt->v[i].name, name))
			return pt->v[i].command;
	return NULL;
}

void proctypes_set(struct proctypes *pt, const char *name, const char *command)
{
	for (size_t i = 0; i < pt->n; i++) {
		if (!strcmp(pt->v[i].name, name)) {
			free(pt->v[i].command);
			pt->v[i].command = xstrdup(command);
			return;
		}
	}
	pt->v = xrealloc(pt->v, (pt->n + 1) * sizeof(*pt->v));
	pt->v[pt->n].name = xstrdup(name);
	pt->v[pt->n].command = xstrdup(command);
	pt->n++;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Cut a trailing "#..." or "//..." comment that follows whitespace. */
static void cut_trailing_comment(char *s)
{
	for (char *p = s + 1; *p; p++) {
		if (!isspace((unsigned char)p[-1]))
			continue;
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			*p = '\0';
			return;
		}
	}
}

bool proctype_name_valid(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

int procfile_parse(const char *text, struct proctypes *out, struct berr *err)
{
	autofree char *copy = xstrdup(text);
	autofree unsigned *lines = NULL;
	struct proctypes pt = { 0 };
	unsigned lineno = 0;
	char *line = copy;

	while (line) {
		char *next = strchr(line, '\n');
		char *s, *colon, *command;

		if (next)
			*next++ = '\0';
		lineno++;
		s = trim(line);
		line = next;
		if (!*s || *s == '#' || (s[0] == '/' && s[1] == '/'))
			continue;
		colon = strchr(s, ':');
		if (!colon || !proctype_name_valid(s, colon - s)) {
			proctypes_free(&pt);
			return berr_fail(err, "Procfile line %u: expected 'type: command' with a type of letters, digits, '_' or '-', got '%s'",
					 lineno, s);
		}
		*colon = '\0';
		command = colon + 1;
		cut_trailing_comment(command);
		command = trim(command);
		if (!*command) {
			proctypes_free(&pt);
			return berr_fail(err, "Procfile line %u: process type '%s' has no command",
					 lineno, s);
		}
		for (size_t i = 0; i < pt.n; i++) {
			if (!strcmp(pt.v[i].name, s)) {
				unsigned first = lines[i];

				proctypes_free(&pt);
				return berr_fail(err, "Procfile line %u: duplicate process type '%s' (first defined on line %u)",
						 lineno, s, first);
			}
		}
		proctypes_set(&pt, s, command);
		lines = xrealloc(lines, pt.n * sizeof(*lines));
		lines[pt.n - 1] = lineno;
	}
	*out = pt;
	return 0;
}

bool env_name_valid(const char *name)
{
	if (!name || !(isalpha((unsigned char)*name) || *name == '_'))
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	return true;
}
