/* hasher.c - sha256 of the files being extracted, on a second CPU.
 *
 * Extraction is bound by system calls; hashing 200 MB costs another ~100 ms of CPU.
 * The extracting thread copies each data block into a ring buffer and moves on; a
 * worker thread hashes from the ring and keeps one digest per file, in order. One
 * producer, one consumer: positions are atomics, and a thread sleeps on the
 * condition variable only after finding the ring empty (or full) while flagged as
 * waiting, so neither side can miss the other's wake-up. Without a second thread
 * (pthread_create failing) everything is hashed inline, with the same results. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/internal.h"

#define RING_SIZE (8u << 20)
#define CHUNK (256u << 10)
#define SPINS 200
/* Wake a sleeping worker only for this much work: a wake-up per small file costs
 * more than hashing it. */
#define WAKE_BYTES (1u << 20)

enum { MSG_BEGIN = 1, MSG_DATA, MSG_ZEROS, MSG_END, MSG_WRAP, MSG_QUIT };

struct msg {
	uint32_t kind;
	uint32_t len;   /* payload bytes (DATA), or 8 (ZEROS: a uint64_t count) */
};

struct hasher {
	unsigned char *ring;
	_Atomic size_t head;     /* consumed, monotonic */
	_Atomic size_t tail;     /* produced, monotonic */
	_Atomic int consumer_waiting, producer_waiting;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool threaded;
	size_t files;            /* producer's count */
	/* Consumer side (read by the producer only after the join). */
	struct sha256 h;
	unsigned char (*out)[SHA256_LEN];
	size_t nout, cap;
};

static void out_push(struct hasher *hs)
{
	if (hs->nout == hs->cap) {
		hs->cap = hs->cap ? hs->cap * 2 : 1024;
		hs->out = xrealloc(hs->out, hs->cap * sizeof(*hs->out));
	}
	sha256_final(&hs->h, hs->out[hs->nout++]);
}

static void hash_zeros(struct sha256 *h, uint64_t n)
{
	static const unsigned char zeros[4096];

	while (n > 0) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);

		sha256_update(h, zeros, k);
		n -= k;
	}
}

static void wake(struct hasher *hs, _Atomic int *waiting)
{
	if (atomic_load(waiting)) {
		pthread_mutex_lock(&hs->mu);
		pthread_cond_broadcast(&hs->cv);
		pthread_mutex_unlock(&hs->mu);
	}
}

/* Wait until cond(hs) holds: spin a little, then sleep flagged as waiting. */
static void wait_until(struct hasher *hs, bool (*cond)(struct hasher *, size_t), size_t arg,
		       _Atomic int *waiting)
{
	for (int i = 0; i < SPINS; i++)
		if (cond(hs, arg))
			return;
	atomic_store(waiting, 1);
	pthread_mutex_lock(&hs->mu);
	while (!cond(hs, arg))
		pthread_cond_wait(&hs->cv, &hs->mu);
	pthread_mutex_unlock(&hs->mu);
	atomic_store(waiting, 0);
}

static bool has_data(struct hasher *hs, size_t unused)
{
	(void)unused;
	return atomic_load(&hs->tail) != atomic_load(&hs->head);
}

static bool has_space(struct hasher *hs, size_t need)
{
	return RING_SIZE - (atomic_load(&hs->tail) - atomic_load(&hs->head)) >= need;
}

static void *consume(void *arg)
{
	struct hasher *hs = arg;

	for (;;) {
		size_t head = atomic_load(&hs->head);
		struct msg m;
		size_t size = sizeof(m);
		const unsigned char *p;

		wait_until(hs, has_data, 0, &hs->consumer_waiting);
		p = hs->ring + head % RING_SIZE;
		memcpy(&m, p, sizeof(m));
		switch (m.kind) {
		case MSG_BEGIN:
			sha256_init(&hs->h);
			break;
		case MSG_DATA:
			sha256_update(&hs->h, p + sizeof(m), m.len);
			size += (m.len + 7u) & ~7u;
			break;
		case MSG_ZEROS: {
			uint64_t n;

			memcpy(&n, p + sizeof(m), sizeof(n));
			hash_zeros(&hs->h, n);
			size += sizeof(n);
			break;
		}
		case MSG_END:
			out_push(hs);
			break;
		case MSG_WRAP:
			size = RING_SIZE - head % RING_SIZE;
			break;
		case MSG_QUIT:
			return NULL;
		}
		atomic_store(&hs->head, head + size);
		wake(hs, &hs->producer_waiting);
	}
}

static void put(struct hasher *hs, uint32_t kind, const void *payload, uint32_t len)
{
	size_t need = sizeof(struct msg) + ((len + 7u) & ~7u);
	size_t tail = atomic_load(&hs->tail);
	size_t off = tail % RING_SIZE;
	struct msg m = { kind, len };

	if (off + need > RING_SIZE) {
		struct msg wrap = { MSG_WRAP, 0 };

		/* Positions stay 8-aligned, so a header always fits before the end. */
		wait_until(hs, has_space, RING_SIZE - off, &hs->producer_waiting);
		memcpy(hs->ring + off, &wrap, sizeof(wrap));
		tail += RING_SIZE - off;
		atomic_store(&hs->tail, tail);
		off = 0;
	}
	wait_until(hs, has_space, need, &hs->producer_waiting);
	memcpy(hs->ring + off, &m, sizeof(m));
	if (len)
		memcpy(hs->ring + off + sizeof(m), payload, len);
	atomic_store(&hs->tail, tail + need);
	if (kind == MSG_QUIT || tail + need - atomic_load(&hs->head) >= WAKE_BYTES)
		wake(hs, &hs->consumer_waiting);
}

struct hasher *hasher_start(void)
{
	struct hasher *hs = xcalloc(1, sizeof(*hs));

	pthread_mutex_init(&hs->mu, NULL);
	pthread_cond_init(&hs->cv, NULL);
	hs->ring = xmalloc(RING_SIZE);
	hs->threaded = pthread_create(&hs->thread, NULL, consume, hs) == 0;
	return hs;
}

size_t hasher_begin(struct hasher *hs)
{
	if (hs->threaded)
		put(hs, MSG_BEGIN, NULL, 0);
	else
		sha256_init(&hs->h);
	return hs->files++;
}

void hasher_data(struct hasher *hs, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (!hs->threaded) {
		sha256_update(&hs->h, data, len);
		return;
	}
	while (len > 0) {
		uint32_t n = len > CHUNK ? CHUNK : (uint32_t)len;

		put(hs, MSG_DATA, p, n);
		p += n;
		len -= n;
	}
}

void hasher_zeros(struct hasher *hs, uint64_t n)
{
	if (n == 0)
		return;
	if (hs->threaded)
		put(hs, MSG_ZEROS, &n, sizeof(n));
	else
		hash_zeros(&hs->h, n);
}

void hasher_end(struct hasher *hs)
{
	if (hs->threaded)
		put(hs, MSG_END, NULL, 0);
	else
		out_push(hs);
}

/* Stop the worker; the digests of files 0..n-1, in order, stay valid until
 * hasher_free. An interrupted file (begun, not ended) has no digest. */
size_t hasher_finish(struct hasher *hs, const unsigned char (**digests)[SHA256_LEN])
{
	if (hs->threaded) {
		put(hs, MSG_QUIT, NULL, 0);
		pthread_join(hs->thread, NULL);
		hs->threaded = false;
	}
	if (hs->h.ctx)
		sha256_free(&hs->h);
	*digests = (const unsigned char (*)[SHA256_LEN])hs->out;
	return hs->nout;
}

void hasher_free(struct hasher *hs)
{
	const unsigned char (*ignored)[SHA256_LEN];

	if (!hs)
		return;
	hasher_finish(hs, &ignored);
	pthread_mutex_destroy(&hs->mu);
	pthread_cond_destroy(&hs->cv);
	free(hs->ring);
	free(hs->out);
	free(hs);
}
