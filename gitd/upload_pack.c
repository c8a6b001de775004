/* upload_pack.c - the server side of `git fetch` and `git clone`, v0/v1.
 *
 *   advertise HEAD and refs -> read wants -> negotiate (plain ACK/NAK: no
 *   multi_ack, so one ACK for the first common commit) -> send a pack built
 *   by libgit2's pack builder from the wants minus what the client has.
 * A client may only want what was advertised. Shallow clones are refused. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "gitd/internal.h"

#define CAPABILITIES "side-band side-band-64k ofs-delta no-progress agent=" GITD_AGENT
#define MAX_WANTS 10000
#define MAX_HAVES 100000

struct fetch {
	const struct gitd_options *o;
	git_repository *repo;
	struct pkt_reader *r;
	struct pkt_writer w;
	git_oid *tips;          /* advertised ids, peeled tags included */
	size_t ntips;
	git_oid *wants;
	size_t nwants;
	git_revwalk *walk;      /* hides what the client has */
	size_t ncommon;
};

static void add_tip(struct fetch *f, const git_oid *id)
{
	f->tips = xrealloc(f->tips, (f->ntips + 1) * sizeof(*f->tips));
	git_oid_cpy(&f->tips[f->ntips++], id);
}

static int advertise_ref(struct fetch *f, const char *name, const git_oid *id, bool *first,
			 const char *symref)
{
	int r;

	if (*first)
		r = pkt_writef(&f->w, "%s %s%c%s%s%s\n", git_oid_tostr_s(id), name, '\0', CAPABILITIES,
			       symref ? " symref=HEAD:" : "", symref ? symref : "");
	else
		r = pkt_writef(&f->w, "%s %s\n", git_oid_tostr_s(id), name);
	*first = false;
	add_tip(f, id);
	return r;
}

static int advertise(struct fetch *f)
{
	git_reference *head = NULL, *ref;
	git_reference_iterator *it = NULL;
	bool first = true;
	git_oid id;

	if (f->o->protocol && str_word_in(f->o->protocol, "version=1"))
		pkt_writef(&f->w, "version 1\n");
	if (git_reference_lookup(&head, f->repo, "HEAD") == 0) {
		const char *target = git_reference_symbolic_target(head);

		if (git_reference_name_to_id(&id, f->repo, "HEAD") == 0)
			advertise_ref(f, "HEAD", &id, &first, target);
		git_reference_free(head);
	}
	if (git_reference_iterator_new(&it, f->repo) == 0) {
		while (git_reference_next(&ref, it) == 0) {
			const git_oid *target = git_reference_target(ref);
			const char *name = git_reference_name(ref);

			if (target && str_has_prefix(name, "refs/") && !str_has_prefix(name, "refs/berth/")) {
				git_object *obj = NULL, *peeled = NULL;

				advertise_ref(f, name, target, &first, NULL);
				/* An annotated tag is followed by what it names. */
				if (git_object_lookup(&obj, f->repo, target, GIT_OBJECT_ANY) == 0 &&
				    git_object_type(obj) == GIT_OBJECT_TAG &&
				    git_object_peel(&peeled, obj, GIT_OBJECT_ANY) == 0) {
					autofree char *pname = xasprintf("%s^{}", name);

					advertise_ref(f, pname, git_object_id(peeled), &first, NULL);
				}
				git_object_free(peeled);
				git_object_free(obj);
			}
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	if (first) {
		git_oid zero;

		memset(&zero, 0, sizeof(zero));
		pkt_writef(&f->w, "%040d capabilities^{}%c%s\n", 0, '\0', CAPABILITIES);
	}
	return pkt_flush(&f->w);
}

static bool is_tip(const struct fetch *f, const git_oid *id)
{
	for (size_t i = 0; i < f->ntips; i++)
		if (git_oid_equal(&f->tips[i], id))
			return true;
	return false;
}

static int refuse(struct fetch *f, struct berr *err, const char *msg)
{
	pkt_writef(&f->w, "ERR %s", msg);
	return berr_fail(err, "%s", msg);
}

/* Wants until the flush; 0 wants (ls-remote) ends the exchange. */
static int read_wants(struct fetch *f, struct berr *err)
{
	for (;;) {
		enum pkt_type type;
		char *line;
		size_t len;
		git_oid id;

		if (pkt_read(f->r, &type, &line, &len, err) < 0)
			return -1;
		if (type == PKT_EOF && f->nwants == 0)
			return 0;
		if (type == PKT_FLUSH)
			return 0;
		if (type != PKT_DATA)
			return berr_fail(err, "the git client's wants ended early");
		if (f->nwants == 0) {
			const char *caps = line + (len > 45 ? 45 : len);

			if (str_word_in(caps, "side-band-64k"))
				f->w.sideband = 2;
			else if (str_word_in(caps, "side-band"))
				f->w.sideband = 1;
		}
		if (str_has_prefix(line, "shallow ") || str_has_prefix(line, "deepen"))
			return refuse(f, err, "shallow clones are not supported: clone without --depth");
		if (!str_has_prefix(line, "want ") || len < 45 || git_oid_fromstrn(&id, line + 5, 40) < 0)
			return refuse(f, err, "bad line from the git client");
		if (!is_tip(f, &id)) {
			autofree char *msg = xasprintf("upload-pack: not our ref %s", git_oid_tostr_s(&id));

			return refuse(f, err, msg);
		}
		if (f->nwants == MAX_WANTS)
			return refuse(f, err, "too many wants");
		f->wants = xrealloc(f->wants, (f->nwants + 1) * sizeof(*f->wants));
		git_oid_cpy(&f->wants[f->nwants++], &id);
	}
}

static int negotiate(struct fetch *f, struct berr *err)
{
	size_t haves = 0;

	for (;;) {
		enum pkt_type type;
		char *line;
		size_t len;
		git_oid id;
		git_commit *commit = NULL;

		if (pkt_read(f->r, &type, &line, &len, err) < 0)
			return -1;
		if (type == PKT_EOF)
			return berr_fail(err, "the git client went away during negotiation");
		if (type == PKT_FLUSH) {
			if (f->ncommon == 0 && pkt_writef(&f->w, "NAK\n") < 0)
				return berr_fail(err, "the git client went away");
			continue;
		}
		if (!strcmp(line, "done")) {
			if (f->ncommon == 0)
				pkt_writef(&f->w, "NAK\n");
			return 0;
		}
		if (!str_has_prefix(line, "have ") || len < 45 || git_oid_fromstrn(&id, line + 5, 40) < 0 ||
		    ++haves > MAX_HAVES)
			return refuse(f, err, "bad negotiation line from the git client");
		if (git_commit_lookup(&commit, f->repo, &id) < 0)
			continue;
		git_commit_free(commit);
		git_revwalk_hide(f->walk, &id);
		if (f->ncommon++ == 0)
			pkt_writef(&f->w, "ACK %s\n", git_oid_tostr_s(&id));
	}
}

static int send_chunk(void *buf, size_t size, void *payload)
{
	struct fetch *f = payload;
	struct berr ignored;

	if (f->w.sideband)
		return pkt_band(&f->w, 1, buf, size);
	if (write_all(f->w.fd, buf, size, "the pack", &ignored) < 0) {
		f->w.failed = true;
		return -1;
	}
	return 0;
}

static int send_pack(struct fetch *f, struct berr *err)
{
	git_packbuilder *pb = NULL;
	int r = -1;

	if (git_packbuilder_new(&pb, f->repo) < 0)
		return gitd_git_fail(err, "start a pack");
	for (size_t i = 0; i < f->nwants; i++) {
		git_object *obj = NULL, *peeled = NULL;

		if (git_object_lookup(&obj, f->repo, &f->wants[i], GIT_OBJECT_ANY) < 0) {
			gitd_git_fail(err, "read %s", git_oid_tostr_s(&f->wants[i]));
			goto out;
		}
		if (git_object_type(obj) == GIT_OBJECT_TAG) {
			git_packbuilder_insert(pb, &f->wants[i], NULL);
			if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0)
				git_revwalk_push(f->walk, git_object_id(peeled));
		} else if (git_object_type(obj) == GIT_OBJECT_COMMIT) {
			git_revwalk_push(f->walk, &f->wants[i]);
		} else {
			git_packbuilder_insert_recur(pb, &f->wants[i], NULL);
		}
		git_object_free(peeled);
		git_object_free(obj);
	}
	if (git_packbuilder_insert_walk(pb, f->walk) < 0) {
		gitd_git_fail(err, "choose the objects to send");
		goto out;
	}
	if (git_packbuilder_foreach(pb, send_chunk, f) < 0) {
		if (!f->w.failed)
			gitd_git_fail(err, "send the pack");
		else
			berr_fail(err, "the git client went away during the pack");
		goto out;
	}
	if (f->w.sideband)
		pkt_flush(&f->w);
	r = 0;
out:
	git_packbuilder_free(pb);
	return r;
}

int gitd_upload_pack(const struct gitd_options *o, const char *app, struct berr *err)
{
	struct fetch f = { .o = o, .w = { .fd = o->out_fd } };
	int r = -1;

	signal(SIGPIPE, SIG_IGN);
	if (gitd_repo_open(o->hooks, app, &f.repo, err) < 0)
		return -1;
	if (!f.repo)
		return berr_fail(err, "App %s has nothing to fetch: push to it first", app);
	f.r = xmalloc(sizeof(*f.r));
	pkt_reader_init(f.r, o->in_fd);
	if (git_revwalk_new(&f.walk, f.repo) < 0) {
		gitd_git_fail(err, "start a walk");
		goto out;
	}
	if (advertise(&f) < 0) {
		berr_fail(err, "the git client went away");
		goto out;
	}
	if (read_wants(&f, err) < 0)
		goto out;
	if (f.nwants == 0) {
		r = 0;
		goto out;
	}
	if (negotiate(&f, err) < 0 || send_pack(&f, err) < 0)
		goto out;
	r = 0;
out:
	git_revwalk_free(f.walk);
	free(f.tips);
	free(f.wants);
	free(f.r);
	git_repository_free(f.repo);
	return r;
}
