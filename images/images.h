/* images.h - the public face of images/: content-addressed layers and stacks.
 *
 * CONTRACT (implemented by images/; used by build/, platform/ and cmd/):
 *
 * A layer is an immutable directory tree stored in "container id space": ids as
 * the image gives them (root's files are uid 0 on disk), overlayfs whiteouts as
 * character devices 0:0, opaque directories marked with the xattr
 * "user.overlay.opaque" = "y" (berth mounts overlays with "userxattr"). runtime/
 * presents layers to containers through idmapped mounts, so layers are never
 * chowned per app.
 *
 * Layers live under $BERTH_ROOT/layers/, addressed by a 64-hex-digit sha256 id of
 * their content; a layer appears atomically (built in a temp dir, renamed) or not
 * at all, and the same content is stored once.
 *
 * Who uses a layer is recorded as references: an owner kind ("stack", "release",
 * "container", ...) and a name, listing layer ids. images_gc() removes layers no
 * reference names. Parts above images/ record their own references; images/ never
 * needs to know what an app or a release is. */
#ifndef BERTH_IMAGES_H
#define BERTH_IMAGES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/util.h"

#define LAYER_ID_HEX 64

/* The directory holding a layer's content: what runtime's --layer takes. */
char *layer_path(const char *id);
bool layer_exists(const char *id);

/* An operation's hold on the layers it makes: gc leaves them alone, referenced or
 * not, until the operation ends its lease or its process dies (a lease file
 * flocked by its holder; a dead holder is told by the lock being free). */
struct images_lease;
int images_lease_begin(struct images_lease **lease, struct berr *err);
void images_lease_end(struct images_lease *lease);  /* NULL-safe */

/* Commit dir (for example the writable layer kept by runtime's keep_upper) as a
 * layer held by lease. dir is consumed: moved into the store, or removed when a
 * layer with the same content exists. On success id holds the layer id. */
int layer_commit_dir_leased(const char *dir, const char *origin, struct images_lease *lease,
			    char id[LAYER_ID_HEX + 1], struct berr *err);
/* The same, held by the process's own lease until image_refs_set() names the
 * layer or the process ends: for one-shot processes such as the CLI. */
int layer_commit_dir(const char *dir, const char *origin, char id[LAYER_ID_HEX + 1],
		     struct berr *err);

/* The same, as a layer over parent (NULL: none), held by lease: dir holds only
 * what differs from the tree parent's chain gives, with overlayfs' whiteouts and
 * opaque directories. The id covers parent's, so an id names one merged tree. */
int layer_commit_dir_on(const char *dir, const char *origin, const char *parent,
			struct images_lease *lease, char id[LAYER_ID_HEX + 1], struct berr *err);
/* The layers id's tree needs, bottom first, ending with id: one id for a layer
 * without a parent. Each must exist. */
int layer_chain(const char *id, struct strv *ids, struct berr *err);
/* Where the merged tree of layer directories dirs (bottom first, as overlayfs
 * stacks them) takes path from: 1 and *index of that layer, or 0 when path is
 * absent (never there, deleted by a whiteout, hidden by an opaque directory or
 * by a non-directory above it). Symlinks are not followed. */
int layers_find(const struct strv *dirs, const char *path, size_t *index, struct berr *err);
/* Read path from the merged tree of layer top's chain, beneath the layer that
 * holds it (read_file_beneath: no symlink followed, a regular file, at most max
 * bytes; what names it in errors): 1 with *text (and *len), 0 when the merged
 * tree has no path, -1 on error. A file a later layer did not touch is found in
 * the layer below that has it. */
int layers_read_file(const char *top, const char *path, const char *what, size_t max,
		     char **text, size_t *len, struct berr *err);

/* References: who uses which layers. */
int image_refs_set(const char *owner, const char *name, const struct strv *layer_ids,
		   struct berr *err);
int image_refs_drop(const char *owner, const char *name, struct berr *err);

/* Stacks: named, ordered layer lists (bottom first) plus the image config. */
struct stack_config {
	struct strv env;  /* KEY=VALUE from the image config */
	char *workdir;    /* NULL when unset */
	char *user;       /* NULL when unset */
};

bool stack_exists(const char *name);
/* Names of all stacks, sorted. */
int stack_list(struct strv *names, struct berr *err);
int stack_layer_ids(const char *name, struct strv *ids, struct berr *err);
/* Layer content directories of the stack, bottom first, for runtime. */
int stack_layer_dirs(const char *name, struct strv *dirs, struct berr *err);
int stack_config_load(const char *name, struct stack_config *cfg, struct berr *err);
void stack_config_release(struct stack_config *cfg);

/* PATH in a container whose stack does not set one (Docker's default). */
#define STACK_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The environment a container on a stack gets, in one place for runtime:run,
 * builds and app processes: the stack's Env (sc may be NULL) under what env
 * already sets, PATH's default where neither sets it, and HOME: home over
 * anything when given (apps and builds: "/app"), else "/" where unset. When
 * workdir is given and *workdir is NULL, it gets the stack's WorkingDir
 * (borrowed from sc; may stay NULL: the runtime's "/"). */
void stack_env_apply(const struct stack_config *sc, struct strv *env, const char *home,
		     const char **workdir);

/* ---- Beyond the first contract: what the commands (cmd/stacks.c, cmd/images.c)
 * and, later, platform/ use. ---- */

/* Progress lines while images/ works ("layer 2 of 3: 12.1 MB, new"); fn may be
 * NULL. images/ itself never prints. */
struct images_progress {
	void (*fn)(void *arg, const char *line);
	void *arg;
};

struct layer_info {
	char id[LAYER_ID_HEX + 1];
	uint64_t size;       /* bytes: regular files (once per inode) and symlinks */
	uint64_t files;      /* entries, directories included */
	char *created;       /* RFC 3339, UTC */
	char *origin;        /* where it came from, for people */
	char parent[LAYER_ID_HEX + 1];  /* the layer it sits on, "" when none */
	struct strv users;   /* "stack:busybox", "release:myapp/v3", sorted */
	bool leased;         /* held by a live operation's lease */
};

int layer_list(struct strv *ids, struct berr *err);  /* sorted */
/* "2.1 MB" (decimal units, as du -h --si and Docker print). */
void images_format_size(uint64_t bytes, char out[32]);
int layer_info_load(const char *id, struct layer_info *info, struct berr *err);
/* Hash the layer's content again: *ok says whether it still matches its id. */
int layer_verify(const char *id, bool *ok, struct berr *err);
void layer_info_release(struct layer_info *info);

/* Remove every layer no reference names and no live lease holds, leftovers of
 * interrupted work, and references of stacks that no longer exist. freed gets the
 * removed layer ids, bytes their size. */
int images_gc(const struct images_progress *progress, struct strv *freed, uint64_t *bytes,
	      struct berr *err);

/* Stacks. Names: lower-case letters, digits, '.', '_', '-'; at most 64. */
struct stack_info {
	char *name;
	struct strv layers;        /* ids, bottom first */
	struct stack_config config;
	char *created;             /* RFC 3339 */
	char *origin;
	uint64_t size;             /* sum of its layers */
	struct strv users;         /* references other than stacks' to its layers */
};

int stack_list(struct strv *names, struct berr *err);  /* sorted */
int stack_info_load(const char *name, struct stack_info *info, struct berr *err);
void stack_info_release(struct stack_info *info);

/* From the host's busybox-static; offline. */
int stack_create_busybox(const char *name, const struct images_progress *progress,
			 struct berr *err);

struct debian_options {
	const char *suite;     /* default "bookworm" */
	const char *include;   /* comma-separated packages, or NULL */
	const char *mirror;    /* default http://deb.debian.org/debian */
};
/* debootstrap --variant=minbase; needs debootstrap and a reachable mirror. */
int stack_create_debian(const char *name, const struct debian_options *opts,
			const struct images_progress *progress, struct berr *err);

/* src: a rootfs tarball (any compression), an OCI image layout (directory or tar),
 * a docker-save tarball or directory, a rootfs directory, or "-" for stdin.
 * Extraction writes relative to directory descriptors only (no chdir, no umask)
 * and hashes on a second thread. */
int stack_import(const char *name, const char *src, const struct images_progress *progress,
		 struct berr *err);

/* Refused while a reference other than the stack's own names one of its layers,
 * unless force. The layers stay until images_gc(). */
int stack_remove(const char *name, bool force, struct berr *err);

/* An OCI image archive (tar of an OCI image layout, with a docker-load manifest)
 * of the stack, written atomically to dest, or to stdout when dest is "-". */
int image_export_stack(const char *name, const char *dest, struct berr *err);

/* An OCI image archive of any layers (e.g. an app's release): tagged
 * berth/<name>:latest, with config's Env, WorkingDir and User, and cmd as Cmd. */
struct image_spec {
	const char *name;
	const struct strv *layers;          /* ids, bottom first */
	const struct stack_config *config;
	const struct strv *cmd;             /* may be NULL */
	const char *created;                /* RFC 3339; NULL: now */
};
int image_export(const struct image_spec *spec, const char *dest, struct berr *err);

/* ---- The one archive extractor and tree walker, for build/ too. ---- */

/* Unpack an app's source archive (tar in any compression, or zip) read from fd into
 * the empty directory dirfd: files, directories, symlinks and hard links, all owned
 * by uid:gid without set-id bits, and never outside dirfd (absolute paths, "..",
 * writing through symlinks and links to outside are refused, naming the entry). The
 * unpacked size is bounded, holes of sparse files included: BERTH_SOURCE_MAX_BYTES
 * in all (default 4 GiB) and BERTH_SOURCE_MAX_FILE_BYTES per file (default 1 GiB).
 * *entries gets the number of entries. On failure the caller removes dirfd's
 * content. */
int archive_unpack_source(int fd, int dirfd, uid_t uid, gid_t gid, size_t *entries,
			  struct berr *err);
/* Those bounds of an app's source (bytes in all, bytes per file), for a source
 * that comes in other than as an archive (gitd's checkout of a commit). */
int images_source_limits(uint64_t *max_total, uint64_t *max_file, struct berr *err);

/* A tree that a caller writes itself into what becomes a layer (gitd's
 * checkout of a commit into a source layer's /app): what is asked and what the
 * writer made of it. A writer that knows what the layer below holds (base, the
 * label it gave that tree) may write only the changes, overlayfs' way: changed
 * and new entries, a whiteout (character device 0:0) for each deleted one, an
 * opaque directory (user.overlay.opaque=y) where a directory replaces something
 * else. */
struct tree_request {
	const char *dir;    /* an existing empty directory, owned by uid:gid */
	uid_t uid;          /* every entry written is owned by uid:gid */
	gid_t gid;
	const char *base;   /* label of the tree below; NULL: write the whole tree */
	bool whole;         /* write the whole tree even so (a chain is flattened) */
	/* The directories that hold the tree below (base_dirs[i]/<dir's path in the
	 * layer>, bottom first): a whole tree may hard-link an unchanged file from
	 * them instead of writing it again. NULL: none. */
	const struct strv *base_dirs;
	/* Out: */
	bool delta;         /* dir holds only the changes from base */
	bool same;          /* the tree is base's: nothing was written */
	char *label;        /* what this tree is, for a later request's base (malloc'd) */
};
typedef int (*tree_writer)(void *ctx, struct tree_request *req, struct berr *err);

enum images_tree_flags {
	TREE_OWN = 2,       /* chown every entry to uid:gid first */
	TREE_DROP_GIT = 4,  /* remove ".git" directories */
};
/* A digest of the tree at dir (64 hex digits) from paths, types, modes, owners,
 * link targets, kept xattrs and contents, not times: the same tree fetched again
 * digests the same. Refuses device nodes, sockets and mount points. */
int images_tree_digest(const char *dir, int flags, uid_t uid, gid_t gid,
		       char hex[LAYER_ID_HEX + 1], struct berr *err);
/* Copy the tree at src into the new directory dst (made 0755 first), keeping
 * modes, owners, times, kept xattrs, symlinks and hard links. */
int images_tree_copy(const char *src, const char *dst, struct berr *err);

#endif
