/* receive_pack.c - the server side of `git push` (git-receive-pack), v0/v1.
 *
 *   advertise refs -> read commands -> receive the pack into a quarantine
 *   (libgit2's indexer: thin packs completed from the repository, every
 *   object checked) -> check each command -> deploy the deploy branch while
 *   the client waits -> move the pack in -> move refs (compare-and-swap) ->
 *   report-status.
 * A bad pack, a failed deploy or a refused command leaves the repository as
 * it was; the client reads why in `unpack <error>` or `ng <ref> <reason>`. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "gitd/internal.h"

#define CAPABILITIES "report-status delete-refs side-band-64k quiet atomic ofs-delta push-options agent=" GITD_AGENT
#define MAX_COMMANDS 1000

struct command {
	git_oid old, new;
	char *ref;
	char *error;            /* ng reason; NULL: ok so far */
	bool deploy;
};

struct push {
	const struct gitd_options *o;
	const char *app;
	struct pkt_reader *r;
	struct pkt_writer w;
	git_repository *repo;
	struct command *cmds;
	size_t n;
	bool report_status, atomic, push_options;
	char *quarantine;       /* an objects directory: pack/ holds the new pack */
	int quarantine_lock;
	char *unpack_error;
	char *deploy_branch;    /* NULL: main or master */
};

static void cmd_refuse(struct command *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cmd_refuse(struct command *c, const char *fmt, ...)
{
	va_list ap;

	if (c->error)
		return;
	va_start(ap, fmt);
	if (vasprintf(&c->error, fmt, ap) < 0)
		c->error = NULL;
	va_end(ap);
	if (!c->error)
		c->error = xstrdup("refused");
}

static int advertise(struct push *p)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	bool first = true;
	int r = 0;

	if (p->o->protocol && str_word_in(p->o->protocol, "version=1"))
		pkt_writef(&p->w, "version 1\n");
	if (p->repo && git_reference_iterator_new(&it, p->repo) == 0) {
		while (git_reference_next(&ref, it) == 0) {
			const git_oid *id = git_reference_target(ref);

			if (id && str_has_prefix(git_reference_name(ref), "refs/")) {
				if (first)
					r = pkt_writef(&p->w, "%s %s%c%s\n", git_oid_tostr_s(id),
						       git_reference_name(ref), '\0', CAPABILITIES);
				else
					r = pkt_writef(&p->w, "%s %s\n", git_oid_tostr_s(id),
						       git_reference_name(ref));
				first = false;
			}
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	if (first)  /* the empty-repository form */
		r = pkt_writef(&p->w, "%040d capabilities^{}%c%s\n", 0, '\0', CAPABILITIES);
	if (r < 0 || pkt_flush(&p->w) < 0)
		return -1;
	return 0;
}

static void parse_caps(struct push *p, const char *caps)
{
	p->report_status = str_word_in(caps, "report-status");
	p->atomic = str_word_in(caps, "atomic");
	p->push_options = str_word_in(caps, "push-options");
	if (str_word_in(caps, "side-band-64k"))
		p->w.sideband = 2;
	else if (str_word_in(caps, "side-band"))
		p->w.sideband = 1;
}

static int read_commands(struct push *p, struct berr *err)
{
	size_t cap = 0;

	for (;;) {
		enum pkt_type type;
		char *line;
		size_t len, nul;
		struct command c = { 0 };

		if (pkt_read(p->r, &type, &line, &len, err) < 0)
			return -1;
		if (type == PKT_EOF && p->n == 0)
			return 0;  /* the client only wanted the refs (ls-remote) */
		if (type == PKT_FLUSH)
			break;
		if (type != PKT_DATA)
			return berr_fail(err, "the git client's commands ended early");
		nul = strlen(line);
		if (p->n == 0 && nul < len)
			parse_caps(p, line + nul + 1);
		if (str_has_prefix(line, "shallow "))
			return berr_fail(err, "shallow pushes are not supported: push from a full clone");
		if (nul < 83 || line[40] != ' ' || line[81] != ' ' ||
		    git_oid_fromstrn(&c.old, line, 40) < 0 || git_oid_fromstrn(&c.new, line + 41, 40) < 0)
			return berr_fail(err, "bad command from the git client: '%.100s'", line);
		if (p->n == MAX_COMMANDS)
			return berr_fail(err, "more than %d refs in one push", MAX_COMMANDS);
		c.ref = xstrdup(line + 82);
		if (p->n == cap) {
			cap = cap ? cap * 2 : 8;
			p->cmds = xrealloc(p->cmds, cap * sizeof(*p->cmds));
		}
		p->cmds[p->n++] = c;
	}
	if (p->push_options && p->n > 0) {
		/* Read and set aside: no option changes what berth does yet. */
		for (unsigned count = 0;; count++) {
			enum pkt_type type;
			char *line;
			size_t len;

			if (pkt_read(p->r, &type, &line, &len, err) < 0)
				return -1;
			if (type == PKT_FLUSH)
				break;
			if (type != PKT_DATA || count > MAX_COMMANDS)
				return berr_fail(err, "bad push options from the git client");
		}
	}
	return 0;
}

static bool needs_pack(const struct push *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (!git_oid_is_zero(&p->cmds[i].new))
			return true;
	return false;
}

/* Stream the pack from the client into libgit2's indexer, in the quarantine. */
static int receive_pack(struct push *p, struct berr *err)
{
	git_indexer_options opts;
	git_indexer_progress stats = { 0 };
	git_indexer *idx = NULL;
	git_odb *odb = NULL;
	struct pack_scan scan;
	autofree char *packdir = NULL;
	autofree unsigned char *buf = xmalloc(65536);
	uint64_t total = 0;
	int r = -1;

	pack_scan_init(&scan);
	git_indexer_options_init(&opts, GIT_INDEXER_OPTIONS_VERSION);
	/* A quarantine is a work directory, locked while this push runs: one
	 * whose lock is free was left by a receiver that died, and goes. */
	workdir_remove_stale(p->o->tmp_dir);
	if (workdir_create(p->o->tmp_dir, "git", &p->quarantine, &p->quarantine_lock, err) < 0)
		return -1;
	packdir = xasprintf("%s/pack", p->quarantine);
	if (mkdir(packdir, 0755) < 0)
		return berr_sys(err, "create %s", packdir);
	if (p->repo && git_repository_odb(&odb, p->repo) < 0)
		return gitd_git_fail(err, "open the object database");
	opts.verify = 1;
	if (git_indexer_new(&idx, packdir, 0444, odb, &opts) < 0) {
		gitd_git_fail(err, "start the indexer");
		goto out;
	}
	while (!scan.done) {
		ssize_t n = pkt_read_raw(p->r, buf, 65536, err);
		size_t used = 0;

		if (n < 0)
			goto out;
		if (n == 0) {
			berr_fail(err, "the pack ended early (truncated after %llu bytes)",
				  (unsigned long long)total);
			goto out;
		}
		if (pack_scan_feed(&scan, buf, (size_t)n, &used, err) < 0)
			goto out;
		total += used;
		if (p->o->max_pack_bytes && total > p->o->max_pack_bytes) {
			berr_fail(err, "the pack is larger than the limit of %llu bytes",
				  (unsigned long long)p->o->max_pack_bytes);
			goto out;
		}
		if (git_indexer_append(idx, buf, used, &stats) < 0) {
			gitd_git_fail(err, "index the pack");
			goto out;
		}
	}
	if (scan.objects > 0 && git_indexer_commit(idx, &stats) < 0) {
		gitd_git_fail(err, "index the pack");
		goto out;
	}
	r = 0;
out:
	pack_scan_free(&scan);
	git_indexer_free(idx);
	git_odb_free(odb);
	return r;
}

static void drop_quarantine(struct push *p)
{
	struct berr ignored;

	if (p->quarantine)
		rm_rf(p->quarantine, &ignored);
	if (p->quarantine_lock >= 0)
		close(p->quarantine_lock);
	p->quarantine_lock = -1;
	free(p->quarantine);
	p->quarantine = NULL;
}

/* Move the quarantined pack into the repository: .pack first, .idx last, so
 * that a reader never finds an index without its pack. */
static int migrate_quarantine(struct push *p, struct berr *err)
{
	const char *exts[] = { ".pack", ".idx" };
	autofree char *src = xasprintf("%s/pack", p->quarantine);
	autofree char *dst = xasprintf("%s/objects/pack", git_repository_path(p->repo));
	struct strv names = { 0 };
	autoclosedir DIR *d = opendir(src);
	struct dirent *e;
	git_odb *odb = NULL;
	int r = 0;

	if (!d)
		return berr_sys(err, "open %s", src);
	while ((e = readdir(d)))
		if (str_has_prefix(e->d_name, "pack-") && str_has_suffix(e->d_name, ".pack"))
			strv_push_owned(&names, xstrndup(e->d_name, strlen(e->d_name) - 5));
	if (mkdir_p(dst, 0755, err) < 0)
		r = -1;
	for (size_t i = 0; r == 0 && i < names.n; i++) {
		for (size_t k = 0; r == 0 && k < ARRAY_SIZE(exts); k++) {
			autofree char *from = xasprintf("%s/%s%s", src, names.v[i], exts[k]);
			autofree char *to = xasprintf("%s/%s%s", dst, names.v[i], exts[k]);

			if (rename(from, to) < 0 &&
			    (errno != EXDEV || copy_file(from, to, 0444, err) < 0)) {
				if (errno != EXDEV)
					berr_sys(err, "move %s into the repository", from);
				r = -1;
			}
		}
	}
	strv_free(&names);
	if (r == 0 && git_repository_odb(&odb, p->repo) == 0) {
		git_odb_refresh(odb);
		git_odb_free(odb);
	}
	return r;
}

static bool is_deploy_ref(const struct push *p, const char *ref)
{
	if (!str_has_prefix(ref, "refs/heads/"))
		return false;
	ref += strlen("refs/heads/");
	if (p->deploy_branch)
		return !strcmp(ref, p->deploy_branch);
	return !strcmp(ref, "main") || !strcmp(ref, "master");
}

static void check_command(struct push *p, struct command *c)
{
	git_reference *ref = NULL;
	git_object *obj = NULL;
	git_oid cur;
	int valid = 0;

	if ((!str_has_prefix(c->ref, "refs/heads/") && !str_has_prefix(c->ref, "refs/tags/")) ||
	    git_reference_name_is_valid(&valid, c->ref) < 0 || !valid) {
		cmd_refuse(c, "only branches and tags can be pushed");
		return;
	}
	for (struct command *o = p->cmds; o < c; o++)
		if (!strcmp(o->ref, c->ref))
			cmd_refuse(c, "the ref is named twice in this push");
	memset(&cur, 0, sizeof(cur));
	if (git_reference_lookup(&ref, p->repo, c->ref) == 0) {
		if (git_reference_target(ref))
			git_oid_cpy(&cur, git_reference_target(ref));
		git_reference_free(ref);
	}
	if (!git_oid_equal(&cur, &c->old)) {
		cmd_refuse(c, "stale info: the ref is at %.12s, not %.12s", git_oid_tostr_s(&cur),
			   git_oid_tostr_s(&c->old));
		return;
	}
	if (git_oid_is_zero(&c->new)) {
		if (is_deploy_ref(p, c->ref))
			cmd_refuse(c, "deleting the deploy branch is refused (the running release stays either way)");
		return;
	}
	if (git_object_lookup(&obj, p->repo, &c->new, GIT_OBJECT_ANY) < 0) {
		cmd_refuse(c, "missing object %s", git_oid_tostr_s(&c->new));
		return;
	}
	if (str_has_prefix(c->ref, "refs/heads/") && git_object_type(obj) != GIT_OBJECT_COMMIT)
		cmd_refuse(c, "a branch must point at a commit");
	git_object_free(obj);
	if (!c->error && is_deploy_ref(p, c->ref)) {
		bool first = true;

		for (struct command *o = p->cmds; o < c; o++)
			if (o->deploy)
				first = false;
		c->deploy = first;
	}
}

static void fail_all(struct push *p, const char *reason)
{
	for (size_t i = 0; i < p->n; i++)
		cmd_refuse(&p->cmds[i], "%s", reason);
}

static bool any_error(const struct push *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->cmds[i].error)
			return true;
	return false;
}

static void deploy(struct push *p, struct command *c)
{
	const char *branch = c->ref + strlen("refs/heads/");
	struct berr err;
	char sha[GIT_OID_HEXSZ + 1];

	git_oid_tostr(sha, sizeof(sha), &c->new);
	pkt_bandf(&p->w, 2, "-----> Deploying %s (%.12s) to %s\n", branch, sha, p->app);
	if (gitd_run_deploy(p->o, &p->w, p->repo, p->app, branch, &c->new, &err) < 0) {
		pkt_bandf(&p->w, 2, " !     %s; %s still runs its previous release\n", err.msg, p->app);
		cmd_refuse(c, "deploy failed");
	}
}

static void update_ref(struct push *p, struct command *c)
{
	git_reference *ref = NULL;

	if (git_oid_is_zero(&c->new)) {
		if (git_reference_lookup(&ref, p->repo, c->ref) < 0)
			return;  /* already gone */
		if (git_reference_delete(ref) < 0)
			cmd_refuse(c, "cannot delete: %s", git_error_last() ? git_error_last()->message : "error");
		git_reference_free(ref);
		return;
	}
	if (git_reference_create_matching(&ref, p->repo, c->ref, &c->new, !git_oid_is_zero(&c->old),
					  git_oid_is_zero(&c->old) ? NULL : &c->old, "push") < 0) {
		cmd_refuse(c, "cannot update the ref: %s",
			   git_error_last() ? git_error_last()->message : "error");
		return;
	}
	git_reference_free(ref);
	if (!c->deploy && str_has_prefix(c->ref, "refs/heads/"))
		pkt_bandf(&p->w, 2, "-----> %s stored; only %s deploys%s\n", c->ref + 11,
			  p->deploy_branch ? p->deploy_branch : "main (or master)",
			  " (git:set APP deploy-branch BRANCH): no deploy ran");
}

/* The app, its repository and the push lock; commands refused on failure. */
static int prepare_repo(struct push *p, int *lock)
{
	const struct gitd_hooks *h = p->o->hooks;
	autofree char *lockpath = NULL;
	struct berr err;

	if (!h->app_exists(h->ctx, p->app) && h->app_create(h->ctx, p->app, &err) < 0 &&
	    !h->app_exists(h->ctx, p->app)) {
		fail_all(p, err.msg);
		return -1;
	}
	free(p->deploy_branch);
	p->deploy_branch = h->deploy_branch(h->ctx, p->app);
	if (!p->repo && gitd_repo_open_or_init(h, p->app, p->deploy_branch, &p->repo, &err) < 0) {
		fail_all(p, err.msg);
		return -1;
	}
	lockpath = xasprintf("%s/berth-push.lock", git_repository_path(p->repo));
	*lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*lock < 0 || flock(*lock, LOCK_EX | LOCK_NB) < 0) {
		fail_all(p, "another push to this app is in progress; try again when it has finished");
		return -1;
	}
	if (p->quarantine) {
		git_odb *odb = NULL;

		if (git_repository_odb(&odb, p->repo) < 0 ||
		    git_odb_add_disk_alternate(odb, p->quarantine) < 0) {
			git_odb_free(odb);
			fail_all(p, "cannot read the received objects");
			return -1;
		}
		git_odb_free(odb);
	}
	return 0;
}

static void process(struct push *p)
{
	autoclose int lock = -1;
	struct command *dep = NULL;
	bool moved = false;

	if (prepare_repo(p, &lock) < 0)
		return;
	for (size_t i = 0; i < p->n; i++)
		check_command(p, &p->cmds[i]);
	if (p->atomic && any_error(p))
		fail_all(p, "atomic push failed");
	for (size_t i = 0; i < p->n; i++)
		if (p->cmds[i].deploy && !p->cmds[i].error)
			dep = &p->cmds[i];
	if (dep) {
		deploy(p, dep);
		if (p->atomic && dep->error)
			fail_all(p, "atomic push failed");
	}
	for (size_t i = 0; i < p->n; i++)
		if (!p->cmds[i].error && !git_oid_is_zero(&p->cmds[i].new))
			moved = true;
	if (moved && p->quarantine) {
		struct berr err;

		if (migrate_quarantine(p, &err) < 0) {
			fail_all(p, err.msg);
			return;
		}
	}
	for (size_t i = 0; i < p->n; i++)
		if (!p->cmds[i].error)
			update_ref(p, &p->cmds[i]);
}

static void report(struct push *p)
{
	if (!p->report_status) {
		if (p->w.sideband)
			pkt_flush(&p->w);
		return;
	}
	if (p->unpack_error)
		pkt_report(&p->w, "unpack %s\n", p->unpack_error);
	else
		pkt_report(&p->w, "unpack ok\n");
	for (size_t i = 0; i < p->n; i++) {
		struct command *c = &p->cmds[i];

		if (c->error)
			pkt_report(&p->w, "ng %s %s\n", c->ref, c->error);
		else
			pkt_report(&p->w, "ok %s\n", c->ref);
	}
	pkt_report_flush(&p->w);
}

int gitd_receive_pack(const struct gitd_options *o, const char *app, struct berr *err)
{
	struct push p = { .o = o, .app = app, .w = { .fd = o->out_fd }, .quarantine_lock = -1 };
	int r = -1;

	/* A client that hangs up must not kill a deploy's bookkeeping. */
	signal(SIGPIPE, SIG_IGN);
	p.r = xmalloc(sizeof(*p.r));
	pkt_reader_init(p.r, o->in_fd);
	if (gitd_repo_open(o->hooks, app, &p.repo, err) < 0)
		goto out;
	if (advertise(&p) < 0) {
		berr_fail(err, "the git client went away");
		goto out;
	}
	if (read_commands(&p, err) < 0)
		goto out;
	if (p.n == 0) {
		r = 0;
		goto out;
	}
	if (needs_pack(&p)) {
		struct berr perr;

		if (receive_pack(&p, &perr) < 0) {
			p.unpack_error = xstrdup(perr.msg);
			fail_all(&p, "unpacker error");
		}
	}
	if (!p.unpack_error)
		process(&p);
	report(&p);
	r = 0;
out:
	drop_quarantine(&p);
	for (size_t i = 0; i < p.n; i++) {
		free(p.cmds[i].ref);
		free(p.cmds[i].error);
	}
	free(p.cmds);
	free(p.unpack_error);
	free(p.deploy_branch);
	free(p.r);
	git_repository_free(p.repo);
	return r;
}
