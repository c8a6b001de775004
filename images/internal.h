/* internal.h - what the files of images/ share. Nothing outside images/ includes it.
 *
 * On disk, under $BERTH_ROOT:
 *   layers/<id>/root        a layer's content (what layer_path() returns)
 *   layers/<id>/layer.json  its metadata: size, files, created, origin
 *   layers/.tmp-<pid>-<n>/  a layer being made; renamed to layers/<id> when done
 *   layers/.lock            flock: shared while adding layers or refs, exclusive for gc
 *   leases/<rnd>.lease      an operation's lease: the layer ids it made and holds
 *                           from gc, flocked by its holder while it lives (store.c)
 *   refs/<owner>/<name>     JSON list of the layer ids an owner uses
 *   stacks/<name>.json      a stack: layer ids bottom first, image config, origin
 *   tmp/                    scratch space for imports (unpacked image archives)
 */
#ifndef BERTH_IMAGES_INTERNAL_H
#define BERTH_IMAGES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <archive.h>
#include <jansson.h>
#include <archive_entry.h>

#include "common/sha256.h"
#include "images/images.h"

/* ---- digests (digest.c; sha256 itself is common/sha256.h) ---- */
/* "sha256:<64 hex>" -> the 64 hex digits; NULL when it is not such a digest. */
const char *digest_hex(const char *digest);
bool is_layer_id(const char *s);

/* ---- paths and the store lock (store.c) ---- */
char *store_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int store_lock(int how, struct berr *err);  /* LOCK_SH or LOCK_EX; returns the fd */
int store_mkdirs(struct berr *err);

/* A layer being made: layers/.tmp-<pid>-<n>/root. */
struct layer_tmp {
	char *dir;
	char *root;
	int rootfd;  /* O_PATH|O_DIRECTORY of root */
	char parent[LAYER_ID_HEX + 1];  /* "" or the layer this one sits on (chain.c) */
};

int layer_tmp_create(struct layer_tmp *t, struct berr *err);
void layer_tmp_discard(struct layer_tmp *t);

/* Paths to numbers (pathmap.c). put returns the map's copy of the key, valid
 * until the map is freed unless the key is deleted. */
struct pathmap;
struct pathmap *pathmap_new(void);
const char *pathmap_put(struct pathmap *m, const char *key, uintptr_t value);
bool pathmap_get(const struct pathmap *m, const char *key, uintptr_t *value);
void pathmap_del(struct pathmap *m, const char *key);
void pathmap_each(const struct pathmap *m, void (*fn)(const char *key, uintptr_t value, void *arg),
		  void *arg);
void pathmap_free(struct pathmap *m);

struct tree;

/* Digests of regular files already known (computed while extracting), by path. */
struct digest_table;
struct digest_table *digest_table_new(void);
void digest_table_set(struct digest_table *t, const char *path, const unsigned char d[SHA256_LEN]);
void digest_table_forget(struct digest_table *t, const char *path);
const unsigned char *digest_table_get(struct digest_table *t, const char *path);
void digest_table_free(struct digest_table *t);

/* Compute t's id from described (taken over), or else by walking t (walk_flags as
 * for tree_walk; files not in known are read and hashed), then move it into the
 * store as layers/<id>, or discard it when that layer exists. Either way the layer
 * is held by lease (NULL: the process's own) and t is released. *created says
 * which happened. */
int layer_tmp_finish(struct layer_tmp *t, struct tree *described, struct digest_table *known,
		     int walk_flags, const char *origin, struct images_lease *lease,
		     char id[LAYER_ID_HEX + 1], bool *created, struct berr *err);

/* Add id to lease / drop it (NULL: the process's own lease); with the store lock
 * held. */
int lease_take(struct images_lease *lease, const char *id, struct berr *err);
void lease_drop(struct images_lease *lease, const char *id);
/* Layer ids with a live lease (duplicates possible); dead leases are deleted when
 * remove_dead is set. */
int leases_scan(struct strv *alive, bool remove_dead, struct berr *err);
bool layer_leased(const char *id);
/* Remove a layer that lease's operation created and nobody else uses yet. */
void layer_rollback(struct images_lease *lease, const char *id);
/* Delete a layer; the caller holds the store lock exclusively. */
int layer_remove_locked(const char *id, struct berr *err);


/* ---- layers over layers (chain.c) ---- */
/* The id of a layer whose content digests to content_id, over parent ("": none). */
void layer_id_on(const char *content_id, const char *parent, char id[LAYER_ID_HEX + 1]);
/* The parent named in a layer's layer.json, "" when it has none. */
int layer_parent(const char *id, char parent[LAYER_ID_HEX + 1], struct berr *err);
/* Add to ids (sorted, as gc keeps them) every layer their chains need. */
void layers_add_parents(struct strv *ids);

/* ---- hashing files on a second thread (hasher.c) ---- */
struct hasher;
struct hasher *hasher_start(void);
size_t hasher_begin(struct hasher *h);  /* a new file; returns its number */
void hasher_data(struct hasher *h, const void *data, size_t len);
void hasher_zeros(struct hasher *h, uint64_t n);
void hasher_end(struct hasher *h);
size_t hasher_finish(struct hasher *h, const unsigned char (**digests)[SHA256_LEN]);
void hasher_free(struct hasher *h);

/* ---- trees: the canonical description of a layer (tree.c) ---- */
enum tree_type { T_DIR = 'd', T_FILE = 'f', T_SYMLINK = 'l', T_HARDLINK = 'h',
		 T_WHITEOUT = 'w', T_FIFO = 'p' };

struct tree_entry {
	char *path;           /* "." for the root, else "usr/bin/env" */
	char type;            /* enum tree_type */
	bool opaque;          /* directory hides lower layers (user.overlay.opaque=y) */
	bool have_digest;
	uint32_t mode;        /* permission bits, 07777 */
	uint32_t uid, gid;
	int64_t mtime;
	uint64_t size;
	uint64_t ino;
	uint32_t nlink;
	int64_t file_no;      /* extraction only: which hashed file holds the content */
	bool implied;         /* extraction only: a parent the archive did not name */
	char *target;         /* symlink target, or the hard link's first path */
	char *xattrs;         /* kept xattrs: "name\0hexvalue\0" repeated, sorted */
	size_t xattrs_len;
	unsigned char digest[SHA256_LEN];
};

struct tree {
	struct tree_entry *v;
	size_t n, cap;
	uint64_t bytes;  /* regular file content (once per inode) and symlink targets */
};

enum tree_walk_flags {
	TREE_SANITIZE = 1,  /* drop overlayfs' private xattrs and sockets from disk */
	/* TREE_OWN, TREE_DROP_GIT: images.h */
};

/* Describe the tree under rootfd: every entry, sorted by path, hard links pointing
 * at the first path of their inode. Refuses device nodes (except whiteouts),
 * metacopy files and mount points. */
int tree_walk(int rootfd, const char *what, int flags, struct tree *t, struct berr *err);
/* The same, chowning every entry to uid:gid first with TREE_OWN. */
int tree_walk_owned(int rootfd, const char *what, int flags, uid_t uid, gid_t gid, struct tree *t,
		    struct berr *err);
/* Fill in regular files' digests (from known, else by reading them) and compute the
 * layer id: sha256 of the canonical serialisation of every entry. */
int tree_digest(int rootfd, const char *what, struct tree *t, struct digest_table *known,
		char id[LAYER_ID_HEX + 1], struct berr *err);
void tree_free(struct tree *t);
/* Sort by path, turn repeated inodes (nlink > 1, same ino) into hard links, total. */
void tree_finish(struct tree *t);

struct xattr_pair {
	char *name;
	char *hex;  /* the value, hex-encoded */
};
/* Sort pairs by name and store them in e as tree_walk does. */
void xattrs_encode(struct xattr_pair *pairs, size_t n, struct tree_entry *e);

/* Which xattrs belong to a layer's content. */
bool xattr_kept(const char *name);
#define OPAQUE_XATTR "user.overlay.opaque"

/* Set e's xattrs (and opaque mark) on fd, the entry itself (tree_copy.c). */
int set_entry_xattrs(int fd, const struct tree_entry *e, struct berr *err);
/* Copy the tree described by t from srcfd into the empty directory dstfd, keeping
 * ids, modes, times, xattrs, hard links and whiteouts (tree_copy.c). */
int tree_copy(int srcfd, int dstfd, const struct tree *t, const char *what,
	      struct digest_table *digests, struct berr *err);

/* Open dir (relative to rootfd) as a directory, refusing symlinks and "..";
 * create missing components (0755, root) when create is set (tree_copy.c). */
int open_beneath(int rootfd, const char *path, bool create, struct berr *err);
/* Open a file of a layer for reading: beneath rootfd, no symlinks followed. */
int open_file_beneath(int rootfd, const char *path);

/* ---- what an extraction wrote (model.c) ---- */
struct model {
	struct tree t;            /* entries; type 0 marks a removed one */
	struct pathmap *index;    /* path -> index in t.v */
	uint64_t next_ino;
};

void model_init(struct model *m);
void model_release(struct model *m);
struct tree_entry *model_get(struct model *m, const char *path);
/* A fresh entry at path, replacing what was there (as libarchive replaces it). */
struct tree_entry *model_put(struct model *m, const char *path, char type);
void model_remove(struct model *m, const char *path);
/* Metadata of a non-directory from the archive entry libarchive wrote. */
void model_from_archive(struct tree_entry *e, struct archive_entry *ae);
/* path is a new name of target's inode; -1 when target is no file here. */
int model_hardlink(struct model *m, const char *path, const char *target);
/* Digests filled in (-1 when a file has none); the entries move to out, sorted
 * and with hard links linked. */
int model_finish(struct model *m, const unsigned char (*digests)[SHA256_LEN], size_t ndigests,
		 struct tree *out);

/* ---- extraction of one layer tar (extract.c; sources: images.h) ---- */
struct extract_source {
	struct archive *ar;             /* open for reading */
	struct archive_entry *first;    /* header already read, or NULL */
	const char *what;               /* for messages: "ubuntu.tar", "layer 2 of 3" */
};

/* Unpack a layer tar into t, converting OCI whiteouts; out describes what was
 * written, content digests included (for layer_tmp_finish). */
int extract_layer(struct extract_source *src, struct layer_tmp *t, struct tree *out,
		  struct berr *err);
struct archive *layer_reader_new(void);
/* "./usr//bin/" -> "usr/bin", "" and "./" -> "."; refuses absolute paths and "..". */
int path_clean(const char *in, char **out, const char **why);
/* The archive's error as a message for err, naming what it was reading. */
int archive_fail(struct archive *a, struct berr *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- imports (import.c, layout.c) ---- */
/* libarchive reads through this: every byte can be hashed (blob digests) and
 * copied (stdin kept while berth finds out what it is). */
struct raw_reader {
	int fd;
	int tee_fd;
	bool hash;
	struct sha256 h;
	uint64_t bytes;
	char *buf;
};

void raw_reader_init(struct raw_reader *r, int fd, bool hash);
struct archive *raw_reader_open(struct raw_reader *r, const char *what, struct berr *err);
int raw_reader_drain(struct raw_reader *r, const char *what, struct berr *err);
void raw_reader_release(struct raw_reader *r);

struct importer {
	const char *name;      /* the stack */
	const char *source;    /* for messages */
	const struct images_progress *progress;
	struct berr *err;
	char *scratch;         /* tmp/import-<pid>-XXXXXX, or NULL */
	struct strv layers;    /* ids, bottom first */
	struct strv created;   /* the ones this import added to the store */
	struct images_lease *lease;  /* holds them until the stack references them */
	struct stack_config config;
};

int importer_add_layer(struct importer *im, struct layer_tmp *t, struct tree *described,
		       struct digest_table *known, const char *label);
void importer_fail_cleanup(struct importer *im);
/* An OCI image layout or a docker-save directory open at dirfd. */
int import_layout(struct importer *im, int dirfd, bool from_archive);

/* ---- stacks (stacks.c) ---- */
struct stack_record {
	char *name;
	struct strv layers;
	struct stack_config config;
	char *created;
	char *origin;
};

int stack_name_check(const char *name, struct berr *err);
/* A valid name no stack has yet (a clear error otherwise). */
int stack_name_available(const char *name, struct berr *err);
/* Record a new stack (refs first, then the stack file; no replacing). */
int stack_save(const struct stack_record *rec, struct berr *err);
/* catalog.c: stacks/<name>.json. */
char *stack_file(const char *name);
int stack_load(const char *name, struct stack_record *rec, struct berr *err);
void stack_record_release(struct stack_record *rec);
char *now_rfc3339(void);

/* ---- host programs (spawn.c) ---- */
enum { SPAWN_STDERR = 1, SPAWN_PRIVATE_MOUNTS = 2 };
typedef void (*spawn_line_fn)(void *arg, const char *line);
/* Run argv (PATH searched), stdin /dev/null, each stdout line (and stderr's with
 * SPAWN_STDERR) to fn; fails unless it exits 0. */
int spawn_lines(char *const argv[], int flags, spawn_line_fn fn, void *arg, struct berr *err);
int spawn_capture(char *const argv[], int flags, struct strv *lines, struct berr *err);

void progress_say(const struct images_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- refs (refs.c) ---- */
/* With the store lock held by the caller. */
int refs_write_locked(const char *owner, const char *name, const struct strv *layer_ids,
		      struct berr *err);
int refs_drop_locked(const char *owner, const char *name, struct berr *err);
/* Call fn for every reference: owner, name, its layer ids (a jansson array). */
typedef int (*ref_fn)(const char *owner, const char *name, void *layers, void *arg,
		      struct berr *err);
int refs_each(ref_fn fn, void *arg, struct berr *err);
/* Every owner and name referencing id ("stack:busybox"), into users (may be NULL). */
int refs_users(const char *id, struct strv *users, struct berr *err);
/* Every referenced layer id, once (for gc). */
int refs_all_ids(struct strv *ids, struct berr *err);

#endif
