/* tty.c - a pty between the caller's terminal and a command in a container.
 *
 * The command gets the pty's slave as its controlling terminal (runtime's tty
 * flag), so ^C typed here reaches it through the line discipline as the
 * terminal's own signal, and a window change here (SIGWINCH) is copied onto the
 * pty, whose kernel signals the command's foreground group. Our terminal is raw
 * meanwhile and restored after, whatever the command did. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cmd/tty.h"

static const int relayed[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static void relayed_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++)
		sigaddset(set, relayed[i]);
}

int tty_open(struct tty_session *t, bool want, struct berr *err)
{
	struct winsize ws;
	sigset_t set;

	memset(t, 0, sizeof(*t));
	t->master = t->slave = -1;
	relayed_set(&set);
	sigprocmask(SIG_BLOCK, &set, &t->old_mask);
	for (int i = 0; i < 3; i++)
		t->stdio[i] = i;
	if (!want || !isatty(0))
		return 0;
	if (openpty(&t->master, &t->slave, NULL, NULL, NULL) < 0)
		return berr_sys(err, "allocate a pty");
	fcntl(t->master, F_SETFD, FD_CLOEXEC);
	fcntl(t->slave, F_SETFD, FD_CLOEXEC);
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
	t->tty = true;
	for (int i = 0; i < 3; i++)
		t->stdio[i] = t->slave;
	return 0;
}

void tty_started(struct tty_session *t)
{
	struct termios raw;

	if (!t->tty)
		return;
	close(t->slave);
	t->slave = -1;
	if (tcgetattr(0, &t->saved) == 0) {
		raw = t->saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSADRAIN, &raw) == 0)
			t->raw = true;
	}
}

/* Copy what is there from one descriptor to another; false on EOF or error. */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = to, .events = POLLOUT };

			poll(&p, 1, 1000);
			continue;
		}
		if (w <= 0)
			return false;
		off += w;
	}
	return true;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int tty_relay(struct tty_session *t, int pidfd, uint64_t timeout_ms)
{
	sigset_t set;
	int sfd, ended = 1;
	bool in_open = t->tty, out_open = t->tty;
	uint64_t deadline = timeout_ms ? now_ms() + timeout_ms : 0;

	relayed_set(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (t->tty)
		fcntl(t->master, F_SETFL, fcntl(t->master, F_GETFL) | O_NONBLOCK);
	for (;;) {
		int wait = -1;
		struct pollfd p[4] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = out_open ? t->master : -1, .events = POLLIN },
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
		};

		if (deadline) {
			uint64_t now = now_ms();

			if (now >= deadline) {
				ended = 0;
				break;
			}
			wait = deadline - now > 60000 ? 60000 : (int)(deadline - now);
		}
		if (poll(p, 4, wait) < 0 && errno != EINTR)
			break;
		/* Every holder of the slave closed it (the command may run on
		 * without): nothing more will come, and POLLHUP would spin. */
		if (p[2].revents & POLLIN)
			out_open = pump(t->master, 1);
		else if (p[2].revents & (POLLHUP | POLLERR))
			out_open = false;
		if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
			in_open = pump(0, t->master);
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				struct winsize ws;

				if ((int)si.ssi_signo == SIGWINCH && t->tty) {
					if (ioctl(0, TIOCGWINSZ, &ws) == 0)
						ioctl(t->master, TIOCSWINSZ, &ws);
					continue;
				}
				/* A terminal's own ^C already reached a command that shares
				 * our group; pass on only what was sent with kill(2). */
				if (si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE ||
				    si.ssi_code == SI_TKILL)
					syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
			}
		}
		if (p[0].revents & POLLIN)
			break;
	}
	/* What the command wrote before it ended is in the pty still. */
	while (out_open && pump(t->master, 1)) {
		struct pollfd p = { .fd = t->master, .events = POLLIN };

		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			break;
	}
	if (sfd >= 0)
		close(sfd);
	return ended;
}

void tty_close(struct tty_session *t)
{
	if (t->raw)
		tcsetattr(0, TCSADRAIN, &t->saved);
	t->raw = false;
	if (t->master >= 0)
		close(t->master);
	if (t->slave >= 0)
		close(t->slave);
	t->master = t->slave = -1;
	sigprocmask(SIG_SETMASK, &t->old_mask, NULL);
}
