"""The grader's writes to a learner's process have deadlines, as its reads do.

A learner's process can forge the reply the grader waits for on its own reply pipe, then stop
reading (``SIGSTOP``): the grader's next request, if larger than the pipe's buffer (a long
case's arrays, a long answer cell), used to block for ever, in ``bptt check``, in a worker of
``bptt grade`` (until the student's budget) and in ``nbgrader autograde`` (every later student
with it). Found by the ninth fresh-eyes attack (docs/grading_integrity.md).
"""

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from autograde.grading import protocol
from autograde.grading.program import Program
from autograde.grading.program import TestCell as GradedCell
from autograde.grading.trusted import grade_program

ROOT = Path(__file__).resolve().parent.parent
# A set-up cell that answers for itself ("ran") on the only write-only pipe it holds, then stops.
FORGE_AND_STOP = """
import fcntl, os, signal, stat
from autograde.grading import protocol
out = None
for fd in range(3, 64):
    try:
        mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and mode == os.O_WRONLY:
            out = fd
    except OSError:
        pass
protocol.send(out, {"op": "ran", "error": None})
os.kill(os.getpid(), signal.SIGSTOP)
"""


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
                       {"grade_id": "answer_calc_delta", "source": f"x = '{'a' * 200_000}'"}],
                      [GradedCell("test_calc_delta", "calc_delta", False)])
    verdicts = []
    grading = threading.Thread(target=lambda: verdicts.extend(
        grade_program(program, ROOT / "notebooks" / "bptt", setup_seconds=3)), daemon=True)
    grading.start()
    grading.join(120)  # before the fix: for ever (the 200 kB answer cell outgrows the pipe)
    assert not grading.is_alive(), "the grader still waits to write to a stopped process"
    assert verdicts[0].fraction == 0.0
    assert "did not finish running the set-up and answer cells within 3 s" in verdicts[0].feedback
