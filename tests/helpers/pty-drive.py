#!/usr/bin/env python3
"""pty-drive.py - run a command on a new pty, as a terminal user (ssh -t) would.

  pty-drive.py [--size ROWSxCOLS] [STEP...] -- COMMAND [ARGS...]

A STEP waits until the output so far contains a text, then acts:
  --expect TEXT --send BYTES     type BYTES (Python escapes: '\\x03' is ^C)
  --expect TEXT --resize RxC     change the terminal's size (SIGWINCH)
The command's output goes to stdout; the exit status is the command's. Gives
up after 60 s (exit 124), killing the command."""
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import time


def set_size(fd, spec):
    rows, cols = (int(x) for x in spec.split("x"))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    args = sys.argv[1:]
    size, steps = "24x80", []
    while args and args[0] != "--":
        if args[0] == "--size":
            size, args = args[1], args[2:]
        elif args[0] == "--expect":
            what, arg = args[2], args[3]
            if args[2] == "--send":
                arg = arg.encode().decode("unicode_escape").encode("latin-1")
            steps.append((args[1], what, arg))
            args = args[4:]
        else:
            sys.exit("pty-drive.py: bad argument %s" % args[0])
    cmd = args[1:]
    pid, fd = os.forkpty()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    set_size(fd, size)
    out, deadline = b"", time.time() + 60
    seen = 0  # output already matched by earlier steps
    while True:
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            sys.exit(124)
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                break
            out += data
        while steps and steps[0][0].encode() in out[seen:]:
            text, what, arg = steps.pop(0)
            seen = out.index(text.encode(), seen) + len(text)
            if what == "--send":
                os.write(fd, arg)
            else:
                set_size(fd, arg)
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(out)
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


main()
