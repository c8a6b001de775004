/* gitd.h - the public face of gitd/: the server side of git's pack protocol
 * (receive-pack, upload-pack) on libgit2, and the pieces of the ssh entry point
 * (command-line splitting, authorized_keys lines).
 *
 * gitd sits below platform/: it knows repositories and the protocol, not apps.
 * The caller (cmd/git.c) hands it hooks for everything app-shaped: where an
 * app's repository lives, whether the app exists, creating it, its deploy
 * branch and the deploy itself. No git binary is needed at run time.
 *
 * gitd never prints: what a pusher should see goes to the client through the
 * protocol (side-band 2, report-status), failures come back in struct berr. */
#ifndef BERTH_GITD_H
#define BERTH_GITD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/sink.h"
#include "common/util.h"
#include "images/images.h"

struct gitd_hooks {
	void *ctx;
	/* Is name a valid app name? Fills err with why not. */
	int (*app_check)(void *ctx, const char *app, struct berr *err);
	bool (*app_exists)(void *ctx, const char *app);
	/* Create the app (a push to a new name creates it, as Dokku does). */
	int (*app_create)(void *ctx, const char *app, struct berr *err);
	/* The app's bare repository directory; the caller frees. */
	char *(*repo_path)(void *ctx, const char *app);
	/* The branch whose pushes deploy; NULL means the default: main or master. */
	char *(*deploy_branch)(void *ctx, const char *app);
	/* Deploy commit: write_tree(tree_ctx, req, err) checks its tree out
	 * as req asks (images.h: the source's /app, whole or only the changes
	 * from the tree a base label names). Runs in a child process; what the
	 * deploy reports goes to sink, which streams it to the pusher (side-band
	 * 2); nothing may be printed. Returns 0 only when the new release is live. */
	int (*deploy)(void *ctx, const char *app, const char *commit, tree_writer write_tree,
		      void *tree_ctx, const struct sink *sink, struct berr *err);
	/* Whether the source gets a .git at the commit (keep-git-dir); may be NULL. */
	bool (*keep_git_dir)(void *ctx, const char *app);
};

struct gitd_options {
	const struct gitd_hooks *hooks;
	int in_fd, out_fd;          /* the client's stream (stdin/stdout over ssh) */
	int err_fd;                 /* messages outside the protocol (stderr) */
	const char *protocol;       /* $GIT_PROTOCOL, e.g. "version=1", or NULL */
	const char *tmp_dir;        /* quarantines; on the repositories' file system */
	uint64_t max_pack_bytes;    /* a bigger pack is refused; 0: no limit */
	unsigned keepalive_seconds; /* side-band keepalive while a deploy is silent */
};

/* Repository paths as git clients send them: 'app', 'app.git', '/app', '~/app'
 * (scp-style and ssh:// remotes). Anything else, or a name the app_check hook
 * refuses, is an error. *app is the bare name; the caller frees it. */
int gitd_repo_arg(const struct gitd_hooks *hooks, const char *arg, char **app,
		  struct berr *err);

/* Serve one git push (git-receive-pack) of app on o's descriptors. Returns 0
 * when the protocol ran to its end (refs may still have been refused: the
 * client was told); -1 with err when the exchange itself failed. */
int gitd_receive_pack(const struct gitd_options *o, const char *app, struct berr *err);
/* Serve one fetch or clone (git-upload-pack) of app. */
int gitd_upload_pack(const struct gitd_options *o, const char *app, struct berr *err);

/* Is branch a valid branch name ("main", "release/v2")? */
int gitd_branch_check(const char *branch, struct berr *err);
/* Point the repository's HEAD at branch (what a clone checks out), when the
 * app has a repository. */
int gitd_set_head(const struct gitd_hooks *hooks, const char *app, const char *branch,
		  struct berr *err);

/* What git:report shows of an app's repository. */
struct gitd_report {
	bool has_repo;
	char head[41];          /* the deploy branch's commit, "" when none */
	size_t branches;
	char updated_at[24];    /* Unix time of the deploy branch's last write (its
				 * ref file's mtime, as Dokku reads it), "" when none */
};
int gitd_report(const struct gitd_hooks *hooks, const char *app, const char *branch,
		struct gitd_report *r, struct berr *err);
/* git:initialize: the app's bare repository, made if missing, its HEAD naming
 * branch (NULL: main); one that exists is left as it is. */
int gitd_initialize(const struct gitd_hooks *hooks, const char *app, const char *branch,
		    struct berr *err);

/* git:sync: fetch ref (NULL: the remote's default branch) from url into the
 * app's repository; commit is its sha. The caller deploys it
 * (gitd_sync_deploy), then moves the deploy branch with gitd_update_branch. */
int gitd_sync_fetch(const struct gitd_hooks *hooks, const char *app, const char *url,
		    const char *ref, char commit[41], struct berr *err);
/* git:sync --build: deploy commit (fetched by gitd_sync_fetch) as a push
 * does, its tree checked out into the source layer (in this process), with a
 * .git on branch when the app keeps one. */
int gitd_sync_deploy(const struct gitd_hooks *hooks, const char *app, const char *commit,
		     const char *branch, const struct sink *sink, struct berr *err);
int gitd_update_branch(const struct gitd_hooks *hooks, const char *app, const char *branch,
		       const char *commit, struct berr *err);

/* Split an ssh command line (SSH_ORIGINAL_COMMAND) into words with the shell's
 * quoting rules ('...', "...", backslash) and nothing else of the shell: no
 * expansion, no globbing, no operators; `;`, `|`, `$` and friends are data. */
int gitd_shell_split(const char *line, struct strv *argv, struct berr *err);

/* An OpenSSH public key line "TYPE BASE64 [COMMENT]" checked: a known type and
 * a blob that decodes and names that type. fingerprint is OpenSSH's
 * "SHA256:..." form. */
struct gitd_ssh_key {
	char *type;
	char *blob;             /* base64, as given */
	char *fingerprint;
};
int gitd_ssh_key_parse(const char *text, struct gitd_ssh_key *key, struct berr *err);
void gitd_ssh_key_free(struct gitd_ssh_key *key);


/* A berth-managed authorized_keys file. berth's lines look like
 *   command="PREFIX ssh:serve [--admin] 'NAME'",restrict,pty TYPE BASE64 NAME
 * where PREFIX runs berth (environment and executable, shell-quoted); other
 * lines are kept as they are. restrict turns off every kind of forwarding and
 * the pty, pty gives one back when the client asks (for run and enter). */
struct gitd_key_entry {
	char *line;             /* as in the file */
	char *name;             /* NULL: not one of berth's lines */
	bool admin;
	struct gitd_ssh_key key;
};
struct gitd_authkeys {
	struct gitd_key_entry *v;
	size_t n;
};
/* A key name: letters, digits, '.', '_', '@', '-'; at most 64; no leading '-'. */
int gitd_key_name_check(const char *name, struct berr *err);
/* A missing file is an empty list. */
int gitd_authkeys_load(const char *path, struct gitd_authkeys *ak, struct berr *err);
/* Refuses a taken name and a key that is already there (under any name). */
int gitd_authkeys_add(struct gitd_authkeys *ak, const char *name, bool admin,
		      const char *key_text, const char *command_prefix, struct berr *err);
int gitd_authkeys_remove(struct gitd_authkeys *ak, const char *name, struct berr *err);
/* Written atomically (temp file, fsync, rename), mode 0600. */
int gitd_authkeys_save(const char *path, const struct gitd_authkeys *ak, struct berr *err);
void gitd_authkeys_free(struct gitd_authkeys *ak);

/* The berth user's home (home.c): ~/.ssh is the directory of authorized_keys
 * ($BERTH_AUTHORIZED_KEYS, else $BERTH_ROOT/.ssh/authorized_keys), home its
 * parent when it is named .ssh (else BERTH_ROOT); the user owns ~/.ssh. */
char *gitd_authorized_keys_path(void);
char *gitd_ssh_dir(void);
char *gitd_home_dir(void);
void gitd_home_owner(uid_t *uid, gid_t *gid);
/* The user's name ("berth" when ~/.ssh is root's or missing). */
char *gitd_user_name(void);
/* chown path to the user (best effort). */
void gitd_give_to_user(const char *path);

/* The user's ~/.netrc (netrc.c): git:auth's logins for git:sync over https. */
struct gitd_netrc_entry {
	char *machine;          /* NULL: the "default" entry */
	char *login, *password, *account;
	char *macdefs;          /* "macdef NAME\n..." blocks, kept as read */
};
struct gitd_netrc {
	struct gitd_netrc_entry *v;
	size_t n;
};
char *gitd_netrc_path(void);
/* A login or password git:auth may write: not empty, no white space, quotes,
 * backslashes or control characters; what names it in the error. */
int gitd_netrc_value_check(const char *what, const char *v, struct berr *err);
int gitd_netrc_parse(const char *text, struct gitd_netrc *nr, struct berr *err);
/* A missing file is an empty list. */
int gitd_netrc_load(const char *path, struct gitd_netrc *nr, struct berr *err);
/* host's entry (case-insensitive), else a "default" entry with a login, else NULL. */
const struct gitd_netrc_entry *gitd_netrc_find(const struct gitd_netrc *nr, const char *host);
/* Set host's login and password, or remove its entries (login NULL); true
 * when anything changed. */
bool gitd_netrc_put(struct gitd_netrc *nr, const char *host, const char *login,
		    const char *password);
/* Atomically, mode 0600, given to the user. */
int gitd_netrc_save(const char *path, const struct gitd_netrc *nr, struct berr *err);
void gitd_netrc_free(struct gitd_netrc *nr);
/* flock of path.lock around a read-modify-write; close *fd to release. */
int gitd_netrc_lock(const char *path, int *fd, struct berr *err);

#endif
