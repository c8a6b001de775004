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
#include "common/sink.h"
#include "common/util.h"
#include "images/images.h"

#define SHA256_HEX_LEN_BUILD 64

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

/* Container uid and gid that builds and app processes run as. */
#define BUILD_UID 1000u

/* Unpack a source archive (any tar compression, or zip) read from fd into a new
 * layer holding /app, owned by the build user, held by lease (NULL: the
 * process's own). Hostile entries are refused. */
int build_source_layer(int fd, const char *origin, struct images_lease *lease,
		       char id[LAYER_ID_HEX + 1], struct berr *err);
/* The same from a tree that write_tree writes into /app (e.g. a git commit's
 * checkout), owned by the build user, bounded and checked as an archive's
 * entries are. With base (the source layer of the running release, or NULL),
 * the writer is asked for the changes only, and the new layer sits on base
 * (images/chain.c): a push of one changed file stores that file. Past
 * BUILD_SOURCE_CHAIN_MAX layers, the whole tree is written again. When the
 * tree is base's, id is base. */
#define BUILD_SOURCE_CHAIN_MAX 8
int build_source_layer_from_tree(tree_writer write_tree, void *ctx, const char *base,
				 struct images_lease *lease, char id[LAYER_ID_HEX + 1],
				 struct berr *err);

struct build_request {
	const char *app;
	const char *stack;
	const char *source_layer;     /* layer id with /app (the top of its chain) */
	const char *source_version;   /* SOURCE_VERSION: a commit or archive digest */
	const char *procfile_path;    /* ps:set procfile-path, relative to /app (checked
				       * by the caller: no "..", plain characters);
				       * NULL: "Procfile". Another path's file becomes
				       * /app/Procfile before the buildpacks run; none
				       * there: the build has no Procfile (Dokku's) */
	struct strv buildpacks;       /* buildpacks:set; BUILDPACK_URL and .buildpacks
				       * are read here; empty everywhere: detection */
	struct strv config;           /* KEY=VALUE, given to buildpacks in ENV_DIR */
	const char *cache_dir;        /* the app's build cache, kept between builds */
	uid_t host_id_base;           /* the app's host id range */
	const char *reuse_key;        /* build key of the active release, or NULL */
	const struct sink *sink;      /* progress and the buildpacks' own output */
	struct images_lease *lease;   /* holds the build layer until a release names it */
};

struct build_result {
	struct strv layers;           /* stack, source (its chain) and build layer ids,
				       * bottom first */
	struct proctypes procs;       /* Procfile, else the buildpacks' defaults */
	char build_key[SHA256_HEX_LEN_BUILD + 1];
	bool reused;                  /* key matched reuse_key: nothing was built */
};

/* Run the buildpacks on the source in an isolated build container on the stack,
 * streaming their output, and commit the result as a layer. */
int build_run(const struct build_request *req, struct build_result *res, struct berr *err);
void build_result_free(struct build_result *res);

/* Run spec's command in a container to completion (it dies with the calling
 * thread), stdin /dev/null, its stdout and stderr one pipe whose lines go to
 * sink as SINK_OUTPUT while it runs, in the order written. For builds and the
 * release phase, whose output belongs to whoever asked for the deploy. */
struct runtime_spec;
int build_container_run(const struct runtime_spec *spec, const struct sink *sink, int *status,
			struct berr *err);

#endif
