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

#include "common/err.h"
#include "common/util.h"

#define LAYER_ID_HEX 64

/* The directory holding a layer's content: what runtime's --layer takes. */
char *layer_path(const char *id);
bool layer_exists(const char *id);

/* Commit dir (for example the writable layer kept by runtime's keep_upper) as a
 * layer. dir is consumed: moved into the store, or removed when a layer with the
 * same content exists. On success id holds the layer id. */
int layer_commit_dir(const char *dir, const char *origin, char id[LAYER_ID_HEX + 1],
		     struct berr *err);

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

#endif
