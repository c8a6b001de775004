/* tree.c - build/'s trees through images/' one walker: the digest of a fetched
 * buildpack for the build key (chowned to the build user, .git dropped) and plain
 * copies of local buildpacks. */
#include "build/internal.h"
#include "images/images.h"

int tree_own_and_hash(const char *dir, uid_t uid, gid_t gid, struct sha256 *h,
		      bool drop_git, struct berr *err)
{
	char hex[LAYER_ID_HEX + 1];

	if (images_tree_digest(dir, TREE_OWN | (drop_git ? TREE_DROP_GIT : 0), uid, gid, hex, err) < 0)
		return -1;
	if (h)
		sha256_update_str(h, hex);
	return 0;
}

int tree_copy_plain(const char *src, const char *dst, struct berr *err)
{
	return images_tree_copy(src, dst, err);
}
