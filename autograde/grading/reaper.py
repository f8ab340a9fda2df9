"""Processes a learner's code detached from ``bptt check`` are stopped when the check ends.

``bptt check`` runs learner code with the learner's own rights and no sandbox (their code, their
machine), in a process group of its own that it kills at the end. A process that left that group
(``setsid``, a double fork) would live on. On Linux the check's process makes itself a *child
subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``) while it checks a notebook: such orphans become
its children, not init's, and :func:`adopted_children_stopped` kills them. Elsewhere nothing
changes. Grading needs none of this: its sandbox's PID namespace ends with the notebook.
"""

import contextlib
import ctypes
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36
ROUNDS = 20  # a killed orphan's own children become ours in turn: a few rounds catch them all


def children():
    """Process ids whose parent is this process (from ``/proc``; empty where there is none)."""
    me, found = os.getpid(), set()
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                    stat = fh.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:  # the field after the state
                found.add(int(entry))
    return found


def _subreaper(on):
    """Set or clear this process's child-subreaper flag; False where it cannot be set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


@contextlib.contextmanager
def adopted_children_stopped():
    """Within the block, orphans of this process's descendants are adopted; at its end killed.

    Children this process already had stay untouched (a caller's own servers, say), and so
    does anything started elsewhere than below this process.
    """
    before = children()
    on = _subreaper(True)
    try:
        yield
    finally:
        if on:
            for _ in range(ROUNDS):
                left = children() - before
                if not left:
                    break
                for pid in left:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                for pid in left:
                    with contextlib.suppress(ChildProcessError, OSError):
                        os.waitpid(pid, 0)
            _subreaper(False)
