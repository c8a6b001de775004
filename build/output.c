/* output.c - run a container to completion with its output sent to a sink.
 *
 * The command's stdout and stderr are one pipe, so the lines keep the order in
 * which the command wrote them; each complete line becomes a SINK_OUTPUT line
 * as soon as it arrives (a build streams live to a pusher). stdin is /dev/null:
 * a build or release phase has nobody to ask. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/cleanup.h"
#include "runtime/runtime.h"

/* A longer line is passed on in pieces of this size. */
#define OUTPUT_LINE_MAX 4096

struct line_buf {
	char buf[OUTPUT_LINE_MAX + 1];
	size_t len;
};

static void lines_flush(struct line_buf *lb, const struct sink *sink)
{
	lb->buf[lb->len] = '\0';
	sink_emit(sink, SINK_OUTPUT, "%s", lb->buf);
	lb->len = 0;
}

static void lines_feed(struct line_buf *lb, const char *data, size_t n, const struct sink *sink)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			lines_flush(lb, sink);
			continue;
		}
		lb->buf[lb->len++] = data[i];
		if (lb->len == OUTPUT_LINE_MAX)
			lines_flush(lb, sink);
	}
}

/* One read of what is there; *eof once every writer is gone. */
static int drain(int fd, struct line_buf *lb, const struct sink *sink, bool *eof)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		*eof = true;
		return 0;
	}
	lines_feed(lb, buf, (size_t)n, sink);
	return 0;
}

int build_container_run(const struct runtime_spec *spec_in, const struct sink *sink, int *status,
			struct berr *err)
{
	struct runtime_spec spec = *spec_in;
	struct runtime_container c;
	struct line_buf *lb = xcalloc(1, sizeof(*lb));
	struct berr ignored = { 0 };
	autoclose int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	autoclose int rd = -1;
	int p[2], r = -1;
	bool eof = false, exited = false;

	if (devnull < 0 || pipe2(p, O_CLOEXEC) < 0) {
		free(lb);
		return berr_sys(err, "pipe for the container's output");
	}
	rd = p[0];
	spec.stdio[0] = devnull;
	spec.stdio[1] = spec.stdio[2] = p[1];
	spec.die_with_creator = true;
	if (!spec.sink)
		spec.sink = sink;
	runtime_collect_stale();
	r = runtime_create(&spec, &c, err);
	close(p[1]);
	if (r < 0) {
		free(lb);
		return -1;
	}
	r = -1;
	/* Until pid 1 has exited and the pipe is drained: with pid 1 gone, the
	 * kernel kills the rest of the container and every writer goes away. */
	while (!eof || !exited) {
		struct pollfd pfd[2] = { { .fd = eof ? -1 : rd, .events = POLLIN },
					 { .fd = exited ? -1 : c.pidfd, .events = POLLIN } };

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			berr_sys(err, "wait for container %s", c.id);
			goto fail;
		}
		if (pfd[0].revents && drain(rd, lb, sink, &eof) < 0) {
			berr_sys(err, "read the output of container %s", c.id);
			goto fail;
		}
		if (pfd[1].revents) {
			int got = runtime_reap(&c, status, err);

			if (got < 0)
				goto fail;
			exited = got == 1;
		}
	}
	if (lb->len)
		lines_flush(lb, sink);
	free(lb);
	return runtime_destroy(&c, err);
fail:
	free(lb);
	runtime_destroy(&c, &ignored);
	return -1;
}
