/* packscan.c - where a pack stream ends.
 *
 * A git client sends its pack right after the commands and then waits for the
 * report without closing its end, so the server must know where the pack ends
 * (git's index-pack parses it for that). This walks the framing only: the
 * 12-byte header, each object's type/size header, a delta's base, the zlib
 * stream (inflated into a scratch buffer to find its end) and the 20-byte
 * trailer. Checking content is libgit2's indexer's job. */
#include <string.h>
#include <zlib.h>

#include "gitd/internal.h"

enum { S_HEADER, S_OBJ, S_OFS, S_REF, S_ZLIB, S_TRAILER, S_DONE };

void pack_scan_init(struct pack_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->state = S_HEADER;
}

void pack_scan_free(struct pack_scan *s)
{
	if (s->zinit)
		inflateEnd(s->z);
	free(s->z);
	s->z = NULL;
	s->zinit = false;
}

static int next_object(struct pack_scan *s)
{
	s->seen++;
	s->hdr_len = 0;
	s->state = s->seen == s->objects ? S_TRAILER : S_OBJ;
	s->need = 20;
	return 0;
}

int pack_scan_feed(struct pack_scan *s, const unsigned char *data, size_t len, size_t *used,
		   struct berr *err)
{
	size_t i = 0;

	while (i < len && s->state != S_DONE) {
		unsigned char b = data[i];

		switch (s->state) {
		case S_HEADER:
			s->hdr[s->hdr_len++] = b;
			i++;
			if (s->hdr_len < 12)
				break;
			if (memcmp(s->hdr, "PACK", 4))
				return berr_fail(err, "the data after the commands is not a pack");
			if (s->hdr[7] != 2 && s->hdr[7] != 3)
				return berr_fail(err, "pack version %u is not supported", s->hdr[7]);
			s->objects = (uint32_t)s->hdr[8] << 24 | (uint32_t)s->hdr[9] << 16 |
				     (uint32_t)s->hdr[10] << 8 | s->hdr[11];
			s->hdr_len = 0;
			s->state = s->objects ? S_OBJ : S_TRAILER;
			s->need = 20;
			break;
		case S_OBJ: {
			unsigned type;

			if (s->hdr_len == 0) {
				type = (b >> 4) & 7;
				if (type == 0 || type == 5)
					return berr_fail(err, "pack object %u has an invalid type %u",
							 s->seen + 1, type);
				s->hdr[0] = (unsigned char)type;
			}
			if (++s->hdr_len > 10)
				return berr_fail(err, "pack object %u has an overlong size", s->seen + 1);
			i++;
			if (b & 0x80)
				break;
			s->hdr_len = 0;
			if (s->hdr[0] == 6) {
				s->state = S_OFS;
			} else if (s->hdr[0] == 7) {
				s->state = S_REF;
				s->need = 20;
			} else {
				s->state = S_ZLIB;
			}
			break;
		}
		case S_OFS:
			if (++s->hdr_len > 10)
				return berr_fail(err, "pack object %u has an overlong delta offset",
						 s->seen + 1);
			i++;
			if (!(b & 0x80))
				s->state = S_ZLIB;
			break;
		case S_REF:
		case S_TRAILER: {
			size_t n = len - i < s->need ? len - i : s->need;

			i += n;
			s->need -= n;
			if (s->need == 0)
				s->state = s->state == S_REF ? S_ZLIB : S_DONE;
			break;
		}
		case S_ZLIB: {
			z_stream *z;
			unsigned char scratch[16384];
			int zr;

			if (!s->z)
				s->z = xcalloc(1, sizeof(z_stream));
			z = s->z;
			if (!s->zinit) {
				memset(z, 0, sizeof(*z));
				if (inflateInit(z) != Z_OK)
					return berr_fail(err, "zlib: cannot start inflating");
				s->zinit = true;
			}
			z->next_in = (unsigned char *)data + i;
			z->avail_in = (uInt)(len - i > 1u << 30 ? 1u << 30 : len - i);
			do {
				uInt before = z->avail_in;

				z->next_out = scratch;
				z->avail_out = sizeof(scratch);
				zr = inflate(z, Z_NO_FLUSH);
				i += before - z->avail_in;
				if (zr == Z_BUF_ERROR && z->avail_in == 0)
					zr = Z_OK;  /* wants more input */
			} while (zr == Z_OK && z->avail_in > 0);
			if (zr == Z_STREAM_END) {
				inflateEnd(z);
				s->zinit = false;
				next_object(s);
			} else if (zr != Z_OK) {
				return berr_fail(err, "pack object %u: corrupt zlib data", s->seen + 1);
			}
			break;
		}
		}
	}
	*used = i;
	s->done = s->state == S_DONE;
	return 0;
}
