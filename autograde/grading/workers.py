"""The coordinator's handle on one batch worker process (:mod:`autograde.grading.worker`).

A request that gets no answer within its budget kills the worker's whole process group (its
sandboxes die with it: bubblewrap's ``--die-with-parent``) and starts a fresh worker, so one
stalling student costs that student's grade only. Each worker process has a temporary folder
of its own (``TMPDIR``: its kernels' socket folders, nbgrader's temporary files), removed when
the worker ends or is killed, so a killed worker leaves nothing behind in ``/tmp``.
"""

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

from . import sandbox
from .course import keep_out_of_home
from .tree import remove_tree

# Worker k's learner processes run as uid FIRST_UID + k (as root). Two batches that run at once
# on one machine (the test suite's parallel workers) each need their own range: the
# sandbox's process limit counts every process of a uid.
FIRST_UID = int(os.environ.get("BPTT_FIRST_WORKER_UID", "61000"))
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads(workers):
    """BLAS threads for each of ``workers`` grading processes: the cores shared out, at least 1.

    numpy's OpenBLAS starts a thread per core in every process, and its idle threads spin: two
    processes building every check's references at once on two cores took 16.9-19.1 s with
    two threads each, 12.7-15.1 s with one each (learner code runs with one thread anyway,
    :mod:`.sandbox`).
    """
    return max(1, (os.cpu_count() or 1) // max(1, workers))



class WorkerError(Exception):
    """A worker could not grade a student (its message is the reason, in a line)."""


class WorkerTimeout(WorkerError):
    """A request ran past its budget; the worker was stopped."""


class Worker:
    """A long-lived ``python -m autograde.grading.worker COURSE`` in its own course folder."""

    def __init__(self, course, index, log, threads=None):
        self.course, self.index, self.log, self.threads = course, index, log, threads
        self.proc, self.tmp = None, None

    def _start(self):
        env = keep_out_of_home(dict(os.environ))
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
        env[sandbox.UID_ENV] = str(FIRST_UID + self.index)  # workers never share a uid
        for var in BLAS_VARS if self.threads else ():  # the instructor's own setting wins
            env.setdefault(var, str(self.threads))
        self._remove_tmp()
        self.tmp = tempfile.mkdtemp(prefix=f"bptt-worker{self.index}-")
        env["TMPDIR"] = self.tmp
        with open(self.log, "a", encoding="utf-8") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "autograde.grading.worker", str(self.course)],
                cwd=self.course, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=fh, start_new_session=True)
        self._buffer = b""

    def ask(self, request, seconds):
        """Send one request; its JSON reply within ``seconds``, else kill the worker and raise."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        deadline = time.monotonic() + seconds
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
            while b"\n" not in self._buffer:
                wait = deadline - time.monotonic()
                ready = wait > 0 and select.select([self.proc.stdout], [], [], wait)[0]
                if not ready:
                    self.kill()
                    raise WorkerTimeout(f"grading stopped after {seconds:.0f} s (the per-student "
                                      "budget); run again to retry")
                chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    code = self.proc.wait()
                    self.proc = None
                    raise WorkerError(f"the grading process ended (status {code}); see "
                                      f"{self.log}")
                self._buffer += chunk
        except (BrokenPipeError, OSError) as exc:
            self.kill()
            raise WorkerError(f"the grading process is gone ({exc})") from exc
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def kill(self):
        """Stop the worker and everything it started, at once."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None
        self._remove_tmp()

    def _remove_tmp(self):
        if self.tmp is not None:
            remove_tree(self.tmp)
            self.tmp = None

    def close(self):
        """Let the worker finish (end of its input), or stop it after 5 s."""
        if self.proc is None:
            self._remove_tmp()
            return
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None
        self._remove_tmp()
