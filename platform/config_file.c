/* config_file.c - reading config vars from files (config:import): an envfile as
 * dotenv reads it, or a JSON object of strings. */
#include <string.h>

#include "common/cleanup.h"
#include "common/jsonfile.h"
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
