/* tty.h - the caller's side of a command in a container: a pty when the caller
 * has a terminal (ssh -t), its window size, signals, and the relay between them
 * (run, enter). */
#ifndef BERTH_CMD_TTY_H
#define BERTH_CMD_TTY_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <termios.h>

#include "common/err.h"

struct tty_session {
	bool tty;                 /* a pty: stdin is a terminal and one was asked for */
	int master, slave;        /* -1 without a pty */
	int stdio[3];             /* what the command gets: the slave, or 0 1 2 */
	bool raw;                 /* stdin's settings changed: restore them */
	struct termios saved;
	sigset_t old_mask;        /* ours before tty_open blocked the relayed signals */
};

/* A pty when want and stdin is a terminal, sized as it; else stdio 0 1 2. The
 * signals the relay passes on are blocked from here on (one sent before the
 * command starts waits for it), until tty_close(). */
int tty_open(struct tty_session *t, bool want, struct berr *err);
/* Once the command has started: drop our copy of the slave, stdin to raw. */
void tty_started(struct tty_session *t);
/* Until pidfd polls readable: copy stdin to the pty and the pty to stdout,
 * window changes to the pty, and pass SIGTERM, SIGINT, SIGHUP, SIGQUIT,
 * SIGUSR1/2 (and SIGWINCH without a pty) sent to us on to pidfd's process.
 * Returns 1 then, or 0 once timeout_ms (0: none) has passed first. */
int tty_relay(struct tty_session *t, int pidfd, uint64_t timeout_ms);
/* Restore the terminal and the signal mask, close the pty. */
void tty_close(struct tty_session *t);

#endif
