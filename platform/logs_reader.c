/* logs_reader.c - `berth logs`: the files the daemon writes, read without it.
 * Lines start with their RFC 3339 time (fixed width, UTC), so merging the
 * processes' files is a sort; following is reading what the files grew by,
 * including a file rotated away meanwhile and the files of new processes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "platform/daemon.h"
#include "platform/platform.h"

/* "web.1.log" matches proc "web", "web.1" or NULL. */
static bool file_matches(const char *name, const char *proc, bool rotated)
{
	const char *suffix = rotated ? ".log.1" : ".log";
	size_t len = strlen(name), plen;

	if (!str_has_suffix(name, suffix))
		return false;
	len -= strlen(suffix);
	if (!proc)
		return true;
	plen = strlen(proc);
	if (strchr(proc, '.'))
		return len == plen && !strncmp(name, proc, plen);
	return len > plen && !strncmp(name, proc, plen) && name[plen] == '.';
}

static int list_files(const char *dir, const char *proc, bool rotated, struct strv *out,
		      struct berr *err)
{
	autoclosedir DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT ? 0 : berr_sys(err, "open %s", dir);
	while ((e = readdir(d)))
		if (file_matches(e->d_name, proc, rotated))
			strv_push_owned(out, xasprintf("%s/%s", dir, e->d_name));
	strv_sort(out);
	return 0;
}

static void split_lines(char *text, size_t len, struct strv *lines)
{
	char *p = text, *end = text + len;

	while (p < end) {
		char *nl = memchr(p, '\n', end - p);

		if (!nl)
			break;  /* a line being written: the next read has it */
		strv_push_owned(lines, xstrndup(p, nl - p));
		p = nl + 1;
	}
}

static void emit(const struct logs_query *q, const char *line,
		 void (*out)(const char *line, void *ctx), void *ctx)
{
	const char *text = line;

	if (q->quiet) {
		const char *sep = strstr(line, "]: ");

		/* The raw output of the processes: not berth's notes about them. */
		if (strstr(line, " berth[") && (!sep || strstr(line, " berth[") < sep))
			return;
		text = sep ? sep + 3 : line;
	}
	out(text, ctx);
}

struct followed {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t off;
};

/* What path grew by since f->off; when it is another file now (rotated), first
 * the rest of the old one, now path.1. */
static void follow_file(const struct logs_query *q, struct followed *f,
			void (*out)(const char *line, void *ctx), void *ctx)
{
	struct stat st;
	autofree char *old = xasprintf("%s.1", f->path);

	if (stat(f->path, &st) < 0)
		return;
	if (st.st_ino != f->ino || st.st_dev != f->dev) {
		struct stat ost;

		if (f->ino && stat(old, &ost) == 0 && ost.st_ino == f->ino) {
			struct followed o = { old, ost.st_dev, ost.st_ino, f->off };

			follow_file(q, &o, out, ctx);
		}
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->off = 0;
	}
	if (st.st_size <= f->off)
		return;
	autoclose int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	size_t want = st.st_size - f->off;
	autofree char *buf = xmalloc(want);
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, want, f->off);
	char *last;
	struct strv lines = { 0 };

	if (n <= 0)
		return;
	last = memrchr(buf, '\n', n);
	if (!last)
		return;
	f->off += last + 1 - buf;
	split_lines(buf, last + 1 - buf, &lines);
	for (size_t i = 0; i < lines.n; i++)
		emit(q, lines.v[i], out, ctx);
	strv_free(&lines);
}

static int follow(const struct logs_query *q, const char *dir, struct followed **files,
		  size_t *nfiles, void (*out)(const char *line, void *ctx), void *ctx,
		  struct berr *err)
{
	for (;;) {
		struct strv paths = { 0 };
		struct timespec ts = { 0, 200 * 1000000L };

		if (list_files(dir, q->proc, false, &paths, err) < 0)
			return -1;
		for (size_t i = 0; i < paths.n; i++) {
			size_t k;

			for (k = 0; k < *nfiles; k++)
				if (!strcmp((*files)[k].path, paths.v[i]))
					break;
			if (k == *nfiles) {  /* a new process: from its start */
				*files = xrealloc(*files, (*nfiles + 1) * sizeof(**files));
				(*files)[(*nfiles)++] = (struct followed){ xstrdup(paths.v[i]), 0, 0, 0 };
			}
		}
		strv_free(&paths);
		for (size_t k = 0; k < *nfiles; k++)
			follow_file(q, &(*files)[k], out, ctx);
		/* New lines show within 0.2 s; a user's terminal, not a test's clock. */
		nanosleep(&ts, NULL);
	}
}

struct tagged {
	const char *line;
	size_t seq;  /* order within its file, and files in name order */
};

/* By time (the fixed-width prefix up to the first space), then by file order:
 * lines of one process read in the same microsecond keep their order. */
static int tagged_cmp(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;
	size_t lx = strcspn(x->line, " "), ly = strcspn(y->line, " ");
	int c = strncmp(x->line, y->line, lx < ly ? lx : ly);

	if (!c && lx != ly)
		c = lx < ly ? -1 : 1;
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

int logs_show(const struct logs_query *q, void (*out)(const char *line, void *ctx), void *ctx,
	      struct berr *err)
{
	autofree char *dir = NULL;
	struct strv paths = { 0 }, lines = { 0 };
	struct followed *files = NULL;
	size_t nfiles = 0, first;
	int r = -1;

	if (app_require(q->app, err) < 0)
		return -1;
	dir = logs_dir(q->app);
	if (list_files(dir, q->proc, true, &paths, err) < 0 ||
	    list_files(dir, q->proc, false, &paths, err) < 0)
		goto out;
	for (size_t i = 0; i < paths.n; i++) {
		autofree char *text = NULL;
		size_t len;
		struct stat st;
		autoclose int fd = open(paths.v[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fstat(fd, &st) < 0 || read_fd(fd, &text, &len, err) < 0)
			continue;  /* rotated away meanwhile */
		if (len && text[len - 1] != '\n') {
			char *nl = memrchr(text, '\n', len);

			len = nl ? (size_t)(nl + 1 - text) : 0;
		}
		split_lines(text, len, &lines);
		if (q->follow && str_has_suffix(paths.v[i], ".log")) {
			files = xrealloc(files, (nfiles + 1) * sizeof(*files));
			files[nfiles++] = (struct followed){ xstrdup(paths.v[i]), st.st_dev, st.st_ino,
							     (off_t)len };
		}
	}
	/* Every line starts with a fixed-width UTC time: text order is time order. */
	struct tagged *t = xcalloc(lines.n + 1, sizeof(*t));

	for (size_t i = 0; i < lines.n; i++)
		t[i] = (struct tagged){ lines.v[i], i };
	qsort(t, lines.n, sizeof(*t), tagged_cmp);
	first = q->n && lines.n > q->n ? lines.n - q->n : 0;
	for (size_t i = first; i < lines.n; i++)
		emit(q, t[i].line, out, ctx);
	free(t);
	r = 0;
	if (q->follow)
		r = follow(q, dir, &files, &nfiles, out, ctx, err);
out:
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].path);
	free(files);
	strv_free(&paths);
	strv_free(&lines);
	return r;
}

int logs_failed_deploy(const char *app, char **text, struct berr *err)
{
	autofree char *path = app_path(app, "failed-deploy.log");
	size_t len;

	*text = NULL;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	return read_file(path, text, &len, err);
}
