"""The grader's writes to a learner's process have deadlines, as its reads do.

A learner's process can forge the reply the grader waits for on its own channel, then stop
reading (``SIGSTOP``): the grader's next request, if larger than the channel's buffer (a long
case's arrays, a long answer cell), used to block for ever, in ``bptt check``, in a worker of
``bptt grade`` (until the student's budget) and in ``nbgrader autograde`` (every later student
with it). Found by the ninth fresh-eyes attack; the tenth held the reply pipe's lock with
``splice``, the eleventh sent a pipe so held over the channel (docs/grading_integrity.md).
"""

import array
import contextlib
import os
import platform
import re
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from autograde.grading import learner_process, protocol
from autograde.grading.program import Program
from autograde.grading.program import TestCell as GradedCell
from autograde.grading.trusted import grade_program

ROOT = Path(__file__).resolve().parent.parent
# The learner's end of the channel: a write-only pipe before the tenth attack, a socket since.
FIND_CHANNEL = """
import fcntl, os, signal, socket, stat, threading
from autograde.grading import protocol
out = None
for fd in range(3, 64):
    try:
        mode, flags = os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
    except OSError:
        continue
    if stat.S_ISSOCK(mode) or (stat.S_ISFIFO(mode) and flags == os.O_WRONLY):
        out = fd
"""
# A set-up cell that answers for itself ("ran") on its channel, then stops.
FORGE_AND_STOP = FIND_CHANNEL + """
protocol.send(out, {"op": "ran", "error": None})
os.kill(os.getpid(), signal.SIGSTOP)
"""
# The tenth attack: a thread splices one byte from a socket that then waits for 1 MiB into the
# channel. On a pipe, splice holds the pipe's lock meanwhile: the grader's read, woken by the
# byte, slept in the kernel past every deadline and SIGKILL. A socket has no such shared lock.
SPLICE = FIND_CHANNEL + """
a, b = socket.socketpair()
b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1 << 20)
a.send(b"B")
threading.Thread(target=os.splice, args=(b.fileno(), out, 65536), daemon=True).start()
"""

# The eleventh attack: the same held lock, on a pipe of the learner's own whose read end is sent
# over the channel (SCM_RIGHTS) and then closed: a plain read dropped it, and its last close in
# the grader's thread waited on the lock, past every deadline.
HOLD_A_PIPE = FIND_CHANNEL + """
import array, time
r, w = os.pipe()
a, b = socket.socketpair()
b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1 << 20)
a.send(b"B")
threading.Thread(target=os.splice, args=(b.fileno(), w, 65536), daemon=True).start()
time.sleep(0.3)
channel = socket.socket(fileno=os.dup(out))
rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))]
"""
CLOSE_AND_WAIT = """
os.close(r)
while True:
    time.sleep(1)
"""
SEND_HELD_PIPE = (HOLD_A_PIPE + 'channel.sendmsg([protocol.encode({"op": "ran", "error": None})], '
                  "rights)" + CLOSE_AND_WAIT)
# The twenty-eighth helper's attack (13 F1): the same held pipe sent as out-of-band data
# (MSG_OOB), after a forged reply. An ordinary recvmsg skips such a message and frees it, with
# the pipe, in the grader's own thread: the last close waited on the lock, past every deadline.
SEND_HELD_PIPE_OOB = (HOLD_A_PIPE + 'protocol.send(out, {"op": "ran", "error": None})\n'
                      'channel.sendmsg([b"!"], rights, socket.MSG_OOB)' + CLOSE_AND_WAIT)


def _grade_within(program, seconds=120):
    """``grade_program``'s verdicts, or a failure if it has not returned within ``seconds``."""
    verdicts = []
    grading = threading.Thread(target=lambda: verdicts.extend(
        grade_program(program, ROOT / "notebooks" / "bptt", setup_seconds=3)), daemon=True)
    grading.start()
    grading.join(seconds)
    assert not grading.is_alive(), "the grader still waits on a learner process past its deadline"
    return verdicts


def test_a_frame_nobody_reads_times_out_at_its_deadline():
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        t0 = time.monotonic()
        with pytest.raises(protocol.Timeout, match="not read in time"):
            protocol.send(w, {"op": "call"}, {"x": np.zeros(2**17)}, deadline=t0 + 0.5)  # 1 MiB
        assert time.monotonic() - t0 < 30  # (it returned; 0.5 s when the machine is idle)
    finally:
        os.close(r), os.close(w)


def test_a_frame_read_in_time_arrives_whole():
    r, w = os.pipe()
    os.set_blocking(w, False)
    x = np.arange(2**17, dtype=float)  # 1 MiB: more than a pipe holds, read as it is written
    got = {}
    reader = threading.Thread(target=lambda: got.update(frame=protocol.receive(r, 2**21)))
    reader.start()
    try:
        protocol.send(w, {"op": "call"}, {"x": x}, deadline=time.monotonic() + 60)
        reader.join(60)
        header, arrays = got["frame"]
        assert header["op"] == "call" and np.array_equal(arrays["x"], x)
    finally:
        os.close(r), os.close(w)


def test_a_process_that_forges_its_reply_and_stops_costs_its_budget_only(sandbox_ready):
    program = Program([{"grade_id": "setup", "source": FORGE_AND_STOP},
                       {"grade_id": "answer_calc_delta", "source": f"x = '{'a' * 2**20}'"}],
                      [GradedCell("test_calc_delta", "calc_delta", False)])
    verdicts = _grade_within(program)  # before: for ever (the 1 MB cell outgrows the pipe)
    assert verdicts[0].fraction == 0.0
    assert "did not finish running the set-up and answer cells within 3 s" in verdicts[0].feedback


@pytest.mark.skipif(not hasattr(os, "splice"), reason="os.splice is Linux's (Python 3.10+)")
@pytest.mark.parametrize("cell", [SPLICE, SEND_HELD_PIPE, SEND_HELD_PIPE_OOB],
                         ids=["holds_the_channel_s_lock", "sends_a_held_pipe",
                              "sends_a_held_pipe_out_of_band"])
def test_a_process_that_holds_a_lock_costs_its_budget_only(cell, sandbox_ready, monkeypatch):
    # 10 F1 (the channel's own lock), 11 F1 and 13 F1 (a held pipe sent over it: refused, and
    # closed only after the sandbox is killed). The grader's end takes the descriptors in, as on
    # kernels before 6.16 (SO_PASSRIGHTS, 14 F1, would refuse them at the sender's sendmsg)
    monkeypatch.setattr(learner_process, "SO_PASSRIGHTS", None)
    program = Program([{"grade_id": "setup", "source": cell},
                       {"grade_id": "answer_calc_delta", "source": "x = 1"}],
                      [GradedCell("test_calc_delta", "calc_delta", False)])
    verdicts = _grade_within(program)  # before: never, not even after SIGKILL (state D)
    assert verdicts[0].fraction == 0.0


# --- the channel's descriptors: refused where Linux can, and closed without waiting ----------

def _kernel_refuses_descriptors():
    version = tuple(int(x) for x in re.findall(r"\d+", platform.release())[:2])
    return version >= (6, 16) and platform.machine() in ("x86_64", "aarch64")


@pytest.mark.skipif(not _kernel_refuses_descriptors(), reason="Linux < 6.16: _read keeps them")
@pytest.mark.parametrize("flags", [0, socket.MSG_OOB], ids=["in_band", "out_of_band"])
def test_the_grader_s_end_refuses_descriptors(flags):
    mine, theirs = learner_process.channel_pair()
    r, w = os.pipe()
    try:
        with pytest.raises(PermissionError):
            theirs.sendmsg([b"!"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))],
                           flags)
    finally:
        for fd in (r, w):
            os.close(fd)
        mine.close(), theirs.close()


def _lingering_tcp_pair():
    """Two connected TCP sockets' descriptors: the first has unsent data (its peer never reads)
    and lingers 1000 s, so a plain close() of it waits while the second is open."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        a = socket.create_connection(server.getsockname())
        b, _ = server.accept()
    a.setblocking(False)
    with contextlib.suppress(BlockingIOError):
        while True:
            a.send(b"x" * 65536)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 1000))
    return a.detach(), b.detach()


def test_closing_what_the_learner_sent_never_waits_on_a_lingering_socket():
    # the twenty-ninth helper's leak: such pairs sent over the channel held the closing thread
    # for the linger time and left every later descriptor open in the grader (worker)
    mine, theirs = learner_process.channel_pair()
    theirs.close()
    sent = [*_lingering_tcp_pair(), *_lingering_tcp_pair()]
    closing = threading.Thread(target=learner_process._close_all, args=(mine, sent), daemon=True)
    closing.start()
    closing.join(30)
    assert not closing.is_alive(), "a close() waits on a socket the learner sent"
    for fd in sent:
        with pytest.raises(OSError):
            os.fstat(fd)


def test_descriptors_still_queued_in_the_channel_are_taken_in_and_closed(monkeypatch):
    # left in the channel, a lingering pair was freed by the channel's own close(), which then
    # waited out the linger: they are taken in first, and closed without lingering
    monkeypatch.setattr(learner_process, "SO_PASSRIGHTS", None)  # as before Linux 6.16
    mine, theirs = learner_process.channel_pair()
    pair = _lingering_tcp_pair()
    theirs.sendmsg([b"!"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", pair))])
    for fd in pair:
        os.close(fd)
    theirs.close()
    closing = threading.Thread(target=learner_process._close_all, args=(mine, []), daemon=True)
    closing.start()
    closing.join(30)
    assert not closing.is_alive(), "closing the channel waits on a socket queued in it"
