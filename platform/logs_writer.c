/* logs_writer.c - the daemon's side of logs: each container's stdout and stderr
 * is a pipe; the daemon reads it, stamps every line with the time it read it and
 * appends `<RFC3339> app[web.1]: text` (Dokku's form) to $BERTH_ROOT/logs/<app>/web.1.log,
 * rotated to web.1.log.1 past logs:set max-size or BERTH_LOG_MAX_BYTES. A write that fails (a full
 * disk) drops the line, is recorded for ps:report and never stops the daemon. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "platform/daemon_internal.h"
#include "platform/platform.h"

char *logs_dir(const char *app)
{
	return xasprintf("%s/logs/%s", berth_root(), app);
}

static char *log_path(const struct slot *s)
{
	return xasprintf("%s/logs/%s/%s.%u.log", berth_root(), s->rec.app, s->rec.type,
			 s->rec.index);
}

static int log_open(struct slot *s, struct berr *err)
{
	autofree char *dir = logs_dir(s->rec.app);
	autofree char *path = log_path(s);
	struct stat st;

	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	s->log_out = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (s->log_out < 0)
		return berr_sys(err, "open %s", path);
	s->log_size = fstat(s->log_out, &st) == 0 ? (uint64_t)st.st_size : 0;
	s->log_max = logs_max_bytes(s->rec.app);
	return 0;
}

static void log_failed(struct slot *s, const char *what, int errnum)
{
	autofree char *msg = xasprintf("%s: %s (lines are being dropped)", what, strerror(errnum));
	struct berr err;

	if (s->rec.log_error && !strcmp(s->rec.log_error, msg))
		return;
	free(s->rec.log_error);
	s->rec.log_error = steal_ptr(msg);
	proc_record_save(&s->rec, &err);
}

static void log_rotate(struct daemon *d, struct slot *s)
{
	autofree char *path = log_path(s);
	autofree char *old = xasprintf("%s.1", path);
	struct berr err = { 0 };

	close(s->log_out);
	s->log_out = -1;
	if (rename(path, old) < 0)
		unlink(path);
	if (log_open(s, &err) < 0)
		sink_warn(d->sink, "%s", err.msg);
}

/* source: "app" for the process's own lines (Dokku's app[web.1]), "berth" for
 * what the daemon says about it (Heroku's heroku[web.1]). */
static void log_line(struct daemon *d, struct slot *s, const char *source, const char *text,
		     size_t len)
{
	struct timeval tv;
	struct tm tm;
	char stamp[40];
	autofree char *line = NULL;
	int n;

	if (s->log_out < 0) {
		struct berr err = { 0 };

		if (log_open(s, &err) < 0) {
			log_failed(s, err.msg, err.errnum ? err.errnum : EIO);
			return;
		}
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = asprintf(&line, "%s.%06ldZ %s[%s.%u]: %.*s\n", stamp, (long)tv.tv_usec, source,
		     s->rec.type, s->rec.index, (int)len, text);
	if (n < 0)
		return;
	/* A deploy shows a failing process's last lines. */
	slot_tail_push(s, text, len);
	if (write(s->log_out, line, n) != n) {
		autofree char *path = log_path(s);

		log_failed(s, path, errno ? errno : ENOSPC);
		return;
	}
	if (s->rec.log_error) {
		struct berr err;

		free(s->rec.log_error);
		s->rec.log_error = NULL;
		proc_record_save(&s->rec, &err);
	}
	s->log_size += n;
	if (s->log_size > (s->log_max ? s->log_max : d->log_max))
		log_rotate(d, s);
}

void log_note(struct daemon *d, struct slot *s, const char *fmt, ...)
{
	autofree char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n >= 0)
		log_line(d, s, "berth", text, n);
}

int log_attach(struct daemon *d, struct slot *s, int read_fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &s->ev_log };

	s->log_fd = read_fd;
	return epoll_ctl(d->ep, EPOLL_CTL_ADD, read_fd, &e);
}

/* Keep the start of a line whose end has not arrived; past LOG_LINE_MAX it is
 * written cut. Allocated only while such a line waits: 100 quiet processes cost
 * no buffer. */
static void line_keep(struct daemon *d, struct slot *s, const char *p, size_t len)
{
	while (len) {
		size_t room = LOG_LINE_MAX - s->nline;
		size_t take = len < room ? len : room;

		if (!s->line)
			s->line = xmalloc(LOG_LINE_MAX);
		memcpy(s->line + s->nline, p, take);
		s->nline += take;
		p += take;
		len -= take;
		if (s->nline == LOG_LINE_MAX) {
			log_line(d, s, "app", s->line, s->nline);
			s->nline = 0;
		}
	}
}

static void line_flush(struct daemon *d, struct slot *s)
{
	if (s->nline)
		log_line(d, s, "app", s->line, s->nline);
	s->nline = 0;
	free(s->line);
	s->line = NULL;
}

/* Everything the pipe holds now: whole lines go out straight from the read
 * buffer, a partial one waits for its end. */
void log_drain(struct daemon *d, struct slot *s)
{
	char buf[65536];

	if (s->log_fd < 0)
		return;
	for (;;) {
		ssize_t n = read(s->log_fd, buf, sizeof(buf));
		char *p = buf, *end = buf + (n > 0 ? n : 0);

		if (n <= 0)
			break;
		while (p < end) {
			char *nl = memchr(p, '\n', end - p);

			if (!nl) {
				line_keep(d, s, p, end - p);
				break;
			}
			if (s->nline) {
				line_keep(d, s, p, nl - p);
				line_flush(d, s);
			} else {
				for (; nl - p > LOG_LINE_MAX; p += LOG_LINE_MAX)
					log_line(d, s, "app", p, LOG_LINE_MAX);
				log_line(d, s, "app", p, nl - p);
			}
			p = nl + 1;
		}
	}
}

void log_detach(struct daemon *d, struct slot *s)
{
	if (s->log_fd < 0)
		return;
	line_flush(d, s);
	epoll_ctl(d->ep, EPOLL_CTL_DEL, s->log_fd, NULL);
	close(s->log_fd);
	s->log_fd = -1;
}
