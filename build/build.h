/* build.h - the public face of build/: source to image.
 *
 * build/ runs Heroku classic buildpacks inside an isolated build container on the
 * app's stack, commits what they produce as a layer, and reports the release
 * metadata (process types, default config). It knows stacks and layers through
 * images/ and containers through runtime/; it does not know where apps are kept. */
#ifndef BERTH_BUILD_H
#define BERTH_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/util.h"
#include "images/images.h"

/* One process type: "web: bundle exec puma". */
struct proctype {
	char *name;
	char *command;
};

struct proctypes {
	struct proctype *v;
	size_t n;
};

void proctypes_free(struct proctypes *pt);
const char *proctypes_get(const struct proctypes *pt, const char *name);
/* Add or replace. */
void proctypes_set(struct proctypes *pt, const char *name, const char *command);

/* Parse a Procfile by Dokku's rules: "type: command" with type [A-Za-z0-9_-]+,
 * blank lines, "#" and "//" comment lines, trailing comments after whitespace,
 * CRLF line ends. A malformed line or a duplicate type is an error naming the line. */
int procfile_parse(const char *text, struct proctypes *out, struct berr *err);

/* bin/release output: the YAML keys berth uses. */
struct buildpack_release {
	struct proctypes default_process_types;
	struct strv config_vars;  /* KEY=VALUE */
};

int release_yaml_parse(const char *text, size_t len, struct buildpack_release *out,
		       struct berr *err);
void buildpack_release_free(struct buildpack_release *rel);

/* Is name a valid config var / environment variable name? */
bool env_name_valid(const char *name);

#endif
