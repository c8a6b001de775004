/* fdpass.c - descriptors over a unix socket (SCM_RIGHTS): the creator's staged
 * trees and the network namespace reach the container's first process this way. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/internal.h"

static int send_batch(int sock, const int *fds, size_t n, char tag)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
	} u;
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&u, 0, sizeof(u));
	if (n > 0) {
		struct cmsghdr *c;

		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int fds_send(int sock, const int *fds, size_t n, char tag)
{
	/* Every message but the last carries '+'; the last one the caller's tag. */
	do {
		size_t k = n > FDPASS_MAX ? FDPASS_MAX : n;

		if (send_batch(sock, fds, k, n > k ? '+' : tag) < 0)
			return -1;
		fds += k;
		n -= k;
	} while (n > 0);
	return 0;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

int fds_recv(int sock, int *fds, size_t n)
{
	size_t got = 0;
	char tag;

	do {
		union {
			struct cmsghdr hdr;
			char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
		} u;
		struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
		};
		size_t want = n - got > FDPASS_MAX ? FDPASS_MAX : n - got;
		struct cmsghdr *c;
		ssize_t r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

		if (r <= 0) {
			close_all(fds, got);
			return r == 0 ? -2 : -1;
		}
		c = CMSG_FIRSTHDR(&msg);
		if (want == 0 && !c)
			break;
		if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len != CMSG_LEN(sizeof(int) * want) || (msg.msg_flags & MSG_CTRUNC)) {
			close_all(fds, got);
			errno = EPROTO;
			return -1;
		}
		memcpy(fds + got, CMSG_DATA(c), sizeof(int) * want);
		got += want;
	} while (got < n || tag == '+');
	return (unsigned char)tag;
}
