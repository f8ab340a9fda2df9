"""The learner's process of the trusted step: ``autograde.grading.child``, in the sandbox.

The grader (:mod:`autograde.grading.trusted`) talks to it in frames
(:mod:`autograde.grading.protocol`) over one Unix socket pair, never a pipe, and bounds every
exchange by a deadline: reading a reply, and writing a request too (a process that stops
reading, or holds its end's lock, cannot hold the grader).
"""

import array
import contextlib
import os
import platform
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from . import protocol, sandbox
from .tree import remove_tree

# ancillary room for the most descriptors one message can carry (Linux's SCM_MAX_FD)
PASSED_BYTES = socket.CMSG_SPACE(253 * array.array("i").itemsize)
# Linux 6.16+: a Unix socket with this option off refuses descriptors (the sender's sendmsg
# fails with EPERM). 83 where socket options are asm-generic's (x86-64, AArch64).
SO_PASSRIGHTS = getattr(socket, "SO_PASSRIGHTS",
                        83 if platform.machine() in ("x86_64", "aarch64") else None)
NO_LINGER = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() resets, never waits


class LearnerProcess:
    """One sandboxed ``autograde.grading.child`` process working in the learner's folder."""

    def __init__(self, workdir, sandboxed=True):
        argv = [sys.executable, "-I", "-m", "autograde.grading.child"]
        self.scratch = None
        env = sandbox.environment({"MPLBACKEND": "Agg"})
        if sandboxed:
            argv, cwd, env = sandbox.wrap(argv, workdir, env={"MPLBACKEND": "Agg"}), "/", None
        else:  # the instructor's opt-out, or `bptt check`: learner code with the caller's rights
            cwd = workdir
            self.scratch = tempfile.mkdtemp(prefix="bptt-learner-")  # its home and /tmp
            env = {k: (self.scratch + v[len("/tmp"):] if v.startswith("/tmp") else v)
                   for k, v in env.items()}
            env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
        # One socket pair is the channel, both ways, not two pipes: a pipe's reader and writer
        # share the pipe's lock, which the learner's end can hold for ever (a thread splicing
        # from a socket that waits for data into the reply pipe left the grader's read asleep
        # in the kernel, past every deadline and SIGKILL; the tenth fresh-eyes attack). The
        # grader's end never blocks: every read and write waits for its deadline in poll().
        mine, theirs = channel_pair()
        try:
            self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=theirs.fileno(),
                                         stdout=theirs.fileno(), stderr=subprocess.DEVNULL,
                                         start_new_session=True)
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        mine.setblocking(False)
        self.channel, self.passed = mine, []  # descriptors it sent: closed once it is dead

    def ask(self, header, arrays=None, max_data=1024**2, seconds=10.0):
        """Send one request; the reply ``(header, arrays)`` within ``seconds``, else raise."""
        deadline = time.monotonic() + seconds
        self.post(header, arrays, deadline)
        return self.reply(max_data, deadline)

    def post(self, header, arrays=None, deadline=None):
        """Send one request, read by ``deadline`` (``time.monotonic()``), without its reply."""
        try:
            protocol.send(self.channel.fileno(), header, arrays, deadline)
        except OSError as exc:
            raise protocol.ProtocolError("the process is gone") from exc

    def reply(self, max_data, deadline):
        """The next reply ``(header, arrays)`` by ``deadline`` (``time.monotonic()``), else raise."""
        return protocol.receive(self.channel.fileno(), max_data, deadline, self._read)

    def _read(self, _fd, n):
        """Up to ``n`` bytes, taking in any file descriptors sent along instead of dropping them.

        A plain ``read`` drops them, and the last close of one can wait on a lock the learner
        holds (a pipe whose lock a ``splice`` keeps: the eleventh fresh-eyes attack), in the
        grader's own thread, past every deadline. Kept open here, they are closed by
        :meth:`close` once the sandbox is killed; a reply that carries any is refused.
        """
        data, ancillary, _flags, _ = self.channel.recvmsg(n, PASSED_BYTES)
        self.passed += _descriptors(ancillary)
        if ancillary:
            raise protocol.ProtocolError("sent file descriptors, which the grader does not take")
        return data

    def stopped_by(self):
        """Why the process ended, in words, or ``""``."""
        code = self.proc.poll()
        if code is None:
            return ""
        if code == 0:
            return "ended by itself (exit status 0)"
        if code < 0:
            return f"was stopped by signal {-code} ({signal.Signals(-code).name})"
        return f"exited with status {code}"

    def close(self):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # bubblewrap's whole sandbox dies with it
        self.proc.wait()
        # The channel (with any descriptors still queued in it) and those it sent are closed in
        # a thread of their own: a last close can wait on a lock a learner's process holds until
        # that process is gone, and the grader goes on meanwhile.
        channel, passed, self.passed = self.channel, self.passed, []
        threading.Thread(target=_close_all, args=(channel, passed), daemon=True).start()
        if self.scratch:
            remove_tree(self.scratch)


def channel_pair():
    """``(grader's end, learner's end)`` of a new channel: one Unix stream socket pair.

    The grader's end reads out-of-band data inline, with any descriptors it carries, so that
    ``_read`` sees and keeps them: a read skips an out-of-band message otherwise, and frees it
    and its descriptors in the grader's thread (a held pipe sent so: 13 F1, the same wait as
    11 F1). Where Linux can (6.16+), it refuses descriptors altogether.
    """
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    mine.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    if SO_PASSRIGHTS is not None:
        with contextlib.suppress(OSError):  # an older kernel: descriptors arrive, _read keeps them
            mine.setsockopt(socket.SOL_SOCKET, SO_PASSRIGHTS, 0)
    return mine, theirs


def _close_all(channel, fds):
    """Close the channel and the descriptors the learner's process sent over it.

    Those still queued in the channel are taken in first, and no socket among them may wait in
    close(): a TCP socket with unsent data and a long ``SO_LINGER`` whose peer is another of
    them held this thread, and left the rest open in the grader (the twenty-ninth helper's
    attack: about 250 descriptors per frame, every frame, in a worker that grades a class).
    """
    fds = list(fds)
    with contextlib.suppress(OSError):  # BlockingIOError: nothing more is queued
        while True:
            data, ancillary, _flags, _ = channel.recvmsg(1 << 16, PASSED_BYTES)
            fds += _descriptors(ancillary)
            if not data and not ancillary:
                break
    for fd in fds:
        with contextlib.suppress(OSError):  # not a socket: nothing to change
            sock = socket.socket(fileno=fd)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, NO_LINGER)
            finally:
                sock.detach()
    channel.close()
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _descriptors(ancillary):
    """The file descriptors in ``recvmsg``'s ancillary data."""
    fds = array.array("i")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    return fds.tolist()
