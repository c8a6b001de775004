/* fetch_guard_git.c - libgit2's plain socket stream, berth's: it connects only
 * to addresses fetch_addr_allowed() accepts. libgit2 makes its TLS, ssh and
 * git:// connections over the registered standard stream too, so one
 * registration covers every URL an app's owner can name. Linked only into
 * what links libgit2 (berth-full). */
#include <errno.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fetch_guard.h"
#include "common/util.h"

struct guarded {
	git_stream parent;
	char *host, *port;
	int fd;
};

static int guarded_connect(git_stream *s)
{
	struct guarded *g = (struct guarded *)s;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *list = NULL;
	char why[320] = "";
	int rc, saved = 0;

	rc = getaddrinfo(g->host, g->port, &hints, &list);
	if (rc != 0) {
		git_error_set_str(GIT_ERROR_NET, gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *a = list; a && g->fd < 0; a = a->ai_next) {
		int fd;

		if (!fetch_addr_allowed(a->ai_addr, why, sizeof(why)))
			continue;
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			g->fd = fd;
			break;
		}
		saved = errno;
		close(fd);
	}
	freeaddrinfo(list);
	if (g->fd >= 0)
		return 0;
	if (*why && !saved) {
		git_error_set_str(GIT_ERROR_NET, why);
	} else {
		char msg[400];

		snprintf(msg, sizeof(msg), "failed to connect to %s: %s%s%s", g->host,
			 strerror(saved ? saved : ECONNREFUSED), *why ? "; " : "", why);
		git_error_set_str(GIT_ERROR_NET, msg);
	}
	return -1;
}

static ssize_t guarded_read(git_stream *s, void *buf, size_t len)
{
	ssize_t n = recv(((struct guarded *)s)->fd, buf, len, 0);

	if (n < 0)
		git_error_set_str(GIT_ERROR_NET, strerror(errno));
	return n;
}

static ssize_t guarded_write(git_stream *s, const char *buf, size_t len, int flags)
{
	ssize_t n = send(((struct guarded *)s)->fd, buf, len, flags | MSG_NOSIGNAL);

	if (n < 0)
		git_error_set_str(GIT_ERROR_NET, strerror(errno));
	return n;
}

static int guarded_close(git_stream *s)
{
	struct guarded *g = (struct guarded *)s;
	int rc = g->fd >= 0 ? close(g->fd) : 0;

	g->fd = -1;
	return rc;
}

static void guarded_free(git_stream *s)
{
	struct guarded *g = (struct guarded *)s;

	if (g->fd >= 0)
		close(g->fd);
	free(g->host);
	free(g->port);
	free(g);
}

static int guarded_new(git_stream **out, const char *host, const char *port)
{
	struct guarded *g = xcalloc(1, sizeof(*g));

	g->parent.version = GIT_STREAM_VERSION;
	g->parent.connect = guarded_connect;
	g->parent.read = guarded_read;
	g->parent.write = guarded_write;
	g->parent.close = guarded_close;
	g->parent.free = guarded_free;
	g->host = xstrdup(host);
	g->port = xstrdup(port ? port : "80");
	g->fd = -1;
	*out = &g->parent;
	return 0;
}

int fetch_guard_git_register(void)
{
	git_stream_registration reg = { .version = GIT_STREAM_VERSION, .init = guarded_new };

	return git_stream_register(GIT_STREAM_STANDARD, &reg);
}
