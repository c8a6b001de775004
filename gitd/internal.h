/* internal.h - pieces of gitd/ shared between its files. */
#ifndef BERTH_GITD_INTERNAL_H
#define BERTH_GITD_INTERNAL_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gitd/gitd.h"
#include "images/images.h"

#define GITD_AGENT "berth/0.1"
/* pkt-line: 4 hex digits of length (itself included), at most 65520 bytes. */
#define PKT_MAX 65520
#define PKT_DATA_MAX (PKT_MAX - 4)

/* A buffered reader of the client's stream: pkt-lines, then raw pack bytes. */
struct pkt_reader {
	int fd;
	size_t start, end;
	char buf[PKT_MAX];
	char line[PKT_MAX + 1];
};

enum pkt_type { PKT_EOF, PKT_FLUSH, PKT_DELIM, PKT_RESPONSE_END, PKT_DATA };

void pkt_reader_init(struct pkt_reader *r, int fd);
/* Read one pkt-line. For PKT_DATA, *line points into r (valid until the next
 * read) and is NUL-terminated; one trailing newline is removed. */
int pkt_read(struct pkt_reader *r, enum pkt_type *type, char **line, size_t *len,
	     struct berr *err);
/* Up to max raw bytes (buffered first); 0 at end of stream. */
ssize_t pkt_read_raw(struct pkt_reader *r, void *buf, size_t max, struct berr *err);
/* Parse a 4-hex-digit length; -1 when not hex. */
int pkt_parse_len(const char *hex);

/* A writer: plain pkt-lines, or inside side-band channel 1 when band > 0. */
struct pkt_writer {
	int fd;
	int sideband;           /* 0: none, 1: side-band (1000), 2: side-band-64k */
	bool failed;            /* the client went away: further writes are dropped */
};

int pkt_write(struct pkt_writer *w, const void *data, size_t len);
int pkt_writef(struct pkt_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pkt_flush(struct pkt_writer *w);
/* Data on a side-band channel (1 data, 2 progress, 3 error), split into packets. */
int pkt_band(struct pkt_writer *w, int band, const void *data, size_t len);
int pkt_bandf(struct pkt_writer *w, int band, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A pkt-line carried in band 1 when side-band is on, plain otherwise. */
int pkt_report(struct pkt_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Flush inside band 1, when side-band is on, plain otherwise. */
int pkt_report_flush(struct pkt_writer *w);

/* Pack framing: finds where a pack stream ends (git sends nothing after it), so
 * that the reader stops there. Feeds bytes, says how many belong to the pack. */
struct pack_scan {
	int state;
	uint32_t objects, seen;
	size_t need;            /* bytes still to skip in the current state */
	unsigned char hdr[12];
	size_t hdr_len;
	bool zinit;
	void *z;                /* z_stream */
	bool done;
};
void pack_scan_init(struct pack_scan *s);
/* Consume up to len bytes of data; *used is how many belong to the pack
 * (less than len only when the pack ended). */
int pack_scan_feed(struct pack_scan *s, const unsigned char *data, size_t len, size_t *used,
		   struct berr *err);
void pack_scan_free(struct pack_scan *s);

/* A libgit2 error as a berr: "what: libgit2's message". */
int gitd_git_fail(struct berr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gitd_libgit2_init(void);

/* Open the app's repository; *repo = NULL when it does not exist yet. */
int gitd_repo_open(const struct gitd_hooks *h, const char *app, git_repository **repo,
		   struct berr *err);
/* Open it, creating a bare repository with HEAD -> branch when missing. */
int gitd_repo_open_or_init(const struct gitd_hooks *h, const char *app, const char *head_branch,
			   git_repository **repo, struct berr *err);

/* Write commit's tree as req asks (images.h): into req->dir (created when
 * missing), checked and bounded as an unpacked source archive is; only the
 * changes when req->base labels a tree this repository has (checkout.c). */
int gitd_checkout(git_repository *repo, const git_oid *commit, struct tree_request *req,
		  struct berr *err);
/* Run the deploy hook of commit in a child with a sink whose lines stream to w's
 * band 2 (or err_fd without side-band), keepalives in between. */
int gitd_run_deploy(const struct gitd_options *o, struct pkt_writer *w, git_repository *repo,
		    const char *app, const char *branch, const git_oid *commit, struct berr *err);
/* keep-git-dir: DIR/.git, a repository on branch at commit with the objects it
 * reaches and an index of its tree, owned by uid:gid (gitdir.c). */
int gitd_write_git_dir(git_repository *src, const git_oid *commit, const char *branch,
		       const char *dir, uid_t uid, gid_t gid, struct berr *err);

/* git:sync's logins and host-key check against another server (remote_auth.c):
 * fills cb's credentials and certificate_check; a->error says why a fetch was
 * refused (libgit2's message may be vaguer). */
struct gitd_remote_auth {
	unsigned port;          /* the URL's; 0: the default */
	int ssh_tries, userpass_tries;
	char *error;
};
void gitd_remote_auth_init(struct gitd_remote_auth *a, const char *url, git_remote_callbacks *cb);
void gitd_remote_auth_free(struct gitd_remote_auth *a);

#endif
