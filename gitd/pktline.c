/* pktline.c - git's pkt-line framing and side-band multiplexing.
 *
 * A pkt-line is four hex digits giving its length (the four included) and the
 * payload; "0000" is a flush, "0001" a delimiter, "0002" a response end (v2),
 * and 0003 cannot be. Lines are at most 65520 bytes; anything else is an error
 * that names what arrived. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "gitd/internal.h"

void pkt_reader_init(struct pkt_reader *r, int fd)
{
	r->fd = fd;
	r->start = r->end = 0;
}

/* Have at least want bytes buffered; 0 when the stream ended first. */
static int fill(struct pkt_reader *r, size_t want, struct berr *err)
{
	if (r->end - r->start >= want)
		return 1;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	while (r->end < want) {
		ssize_t n = read(r->fd, r->buf + r->end, PKT_MAX - r->end);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berr_sys(err, "read from the git client");
		}
		if (n == 0)
			return 0;
		r->end += (size_t)n;
	}
	return 1;
}

int pkt_parse_len(const char *hex)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = hex[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

int pkt_read(struct pkt_reader *r, enum pkt_type *type, char **line, size_t *len,
	     struct berr *err)
{
	int f, n;

	*line = NULL;
	*len = 0;
	f = fill(r, 4, err);
	if (f < 0)
		return -1;
	if (f == 0) {
		if (r->end != r->start)
			return berr_fail(err, "the git client's stream ended inside a pkt-line length");
		*type = PKT_EOF;
		return 0;
	}
	n = pkt_parse_len(r->buf + r->start);
	if (n < 0)
		return berr_fail(err, "bad pkt-line length '%.4s' from the git client",
				 r->buf + r->start);
	if (n < 4) {
		r->start += 4;
		if (n == 3)
			return berr_fail(err, "bad pkt-line length 0003 from the git client");
		*type = n == 0 ? PKT_FLUSH : n == 1 ? PKT_DELIM : PKT_RESPONSE_END;
		return 0;
	}
	if (n > PKT_MAX)
		return berr_fail(err, "pkt-line of %d bytes from the git client exceeds %d", n, PKT_MAX);
	f = fill(r, (size_t)n, err);
	if (f < 0)
		return -1;
	if (f == 0)
		return berr_fail(err, "the git client's stream ended inside a pkt-line");
	*len = (size_t)n - 4;
	memcpy(r->line, r->buf + r->start + 4, *len);
	r->start += (size_t)n;
	if (*len > 0 && r->line[*len - 1] == '\n')
		(*len)--;
	r->line[*len] = '\0';
	*line = r->line;
	*type = PKT_DATA;
	return 0;
}

ssize_t pkt_read_raw(struct pkt_reader *r, void *buf, size_t max, struct berr *err)
{
	size_t have = r->end - r->start;

	if (have > 0) {
		if (have > max)
			have = max;
		memcpy(buf, r->buf + r->start, have);
		r->start += have;
		return (ssize_t)have;
	}
	for (;;) {
		ssize_t n = read(r->fd, buf, max);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_sys(err, "read the pack from the git client");
		return n;
	}
}

static int writer_out(struct pkt_writer *w, const void *data, size_t len)
{
	if (w->failed)
		return -1;
	struct berr ignored;

	if (write_all(w->fd, data, len, "to the git client", &ignored) < 0) {
		w->failed = true;
		return -1;
	}
	return 0;
}

int pkt_write(struct pkt_writer *w, const void *data, size_t len)
{
	char hdr[5];

	if (len > PKT_DATA_MAX)
		len = PKT_DATA_MAX;
	snprintf(hdr, sizeof(hdr), "%04zx", len + 4);
	if (writer_out(w, hdr, 4) < 0 || writer_out(w, data, len) < 0)
		return -1;
	return 0;
}

int pkt_flush(struct pkt_writer *w)
{
	return writer_out(w, "0000", 4);
}

static int pkt_vformat(char **out, size_t *len, const char *fmt, va_list ap)
{
	int n = vasprintf(out, fmt, ap);

	if (n < 0) {
		*out = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int pkt_writef(struct pkt_writer *w, const char *fmt, ...)
{
	char *s;
	size_t len;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pkt_vformat(&s, &len, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	r = pkt_write(w, s, len);
	free(s);
	return r;
}

int pkt_band(struct pkt_writer *w, int band, const void *data, size_t len)
{
	/* side-band allows 1000-byte packets, side-band-64k the full 65520. */
	size_t chunk = (w->sideband == 2 ? PKT_DATA_MAX : 1000 - 4) - 1;
	const char *p = data;
	char pkt[PKT_MAX];

	do {
		size_t n = len < chunk ? len : chunk;

		pkt[0] = (char)band;
		memcpy(pkt + 1, p, n);
		if (pkt_write(w, pkt, n + 1) < 0)
			return -1;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

int pkt_bandf(struct pkt_writer *w, int band, const char *fmt, ...)
{
	char *s;
	size_t len;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pkt_vformat(&s, &len, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	if (w->sideband)
		r = pkt_band(w, band, s, len);
	free(s);
	return r;
}

int pkt_report(struct pkt_writer *w, const char *fmt, ...)
{
	char *s, hdr[5];
	size_t len;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pkt_vformat(&s, &len, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	if (!w->sideband) {
		r = pkt_write(w, s, len);
	} else {
		/* A whole pkt-line, header included, as the payload of band 1. */
		char *framed = xmalloc(len + 4);

		if (len > PKT_DATA_MAX - 5)
			len = PKT_DATA_MAX - 5;
		snprintf(hdr, sizeof(hdr), "%04zx", len + 4);
		memcpy(framed, hdr, 4);
		memcpy(framed + 4, s, len);
		r = pkt_band(w, 1, framed, len + 4);
		free(framed);
	}
	free(s);
	return r;
}

int pkt_report_flush(struct pkt_writer *w)
{
	if (!w->sideband)
		return pkt_flush(w);
	if (pkt_band(w, 1, "0000", 4) < 0)
		return -1;
	return pkt_flush(w);
}
