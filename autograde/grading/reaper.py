"""Processes a learner's code detached from ``bptt check`` are stopped when the check ends.

``bptt check`` runs learner code with the learner's own rights and no sandbox (their code, their
machine), in a process group of its own that it kills at the end. A process that left that group
(``setsid``, a double fork) would live on. On Linux the check's process makes itself a *child
subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``) while it checks a notebook: such orphans become
its children, not init's, and :func:`adopted_children_stopped` kills them with all their
descendants, pass after pass until none is left (a chain of processes, each waiting for the
next, dies in one pass). Elsewhere nothing changes. Grading needs none of this: its sandbox's
PID namespace ends with the notebook.

A process that forks and exits without pause (a "fork hopper") changes its process id every
few microseconds; a pass that first lists all of ``/proc`` (milliseconds) always finds it gone.
So each pass reads only this process's own children (``/proc/self/task/*/children``: every
orphan comes here, the subreaper), kills each one's whole process group at once (the kernel
does not let a fork in progress escape a group's signal), then the child itself, and reaps it.
"""

import contextlib
import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
SECONDS = 5.0  # passes until no descendant is left, for at most this long


def _parents():
    """``{pid: parent pid}`` of every process (from ``/proc``; empty where there is none)."""
    out = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                    stat = fh.read()
                out[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])  # after the state
            except (OSError, ValueError, IndexError):
                continue
    return out


def children():
    """Process ids whose parent is this process."""
    me = os.getpid()
    return {pid for pid, parent in _parents().items() if parent == me}


def descendants(exclude=()):
    """Every process below this one, but for the children in ``exclude`` and what is below them."""
    below = {}
    for pid, parent in _parents().items():
        below.setdefault(parent, []).append(pid)
    found, todo = set(), [p for p in below.get(os.getpid(), []) if p not in exclude]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += below.get(pid, [])
    return found


def own_children():
    """This process's children, from ``/proc/self/task/*/children`` (fast: no walk of ``/proc``);
    ``None`` where the kernel has no such file."""
    found = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    seen = False
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/children", encoding="ascii") as fh:
                found.update(int(pid) for pid in fh.read().split())
            seen = True
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
    return found if seen else None


def _kill_one(pid, protected_groups):
    """SIGKILL ``pid``'s process group (unless it is a protected one), then ``pid``; reap it."""
    with contextlib.suppress(OSError):
        group = os.getpgid(pid)
        if group not in protected_groups:
            os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(pid, os.WNOHANG)  # a zombie of ours leaves the list once reaped


def _kill_all_below(exclude):
    """SIGKILL every descendant outside ``exclude``, pass after pass; reap this process's own.

    Killing this process's children is enough: what was below a killed child comes up to this
    process (the subreaper) and is killed in the next pass. Without ``/proc/self/task/*/children``
    each pass walks ``/proc`` for every descendant instead.
    """
    protected = {os.getpgrp()}
    for pid in exclude:  # the caller's own children keep their groups
        with contextlib.suppress(OSError):
            protected.add(os.getpgid(pid))
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        mine = own_children()
        left = (mine - set(exclude)) if mine is not None else descendants(exclude)
        if not left:
            return
        for pid in left:
            _kill_one(pid, protected)
        if mine is None:
            time.sleep(0.01)


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
    """Within the block, orphans of this process's descendants are adopted; at its end, every
    process below this one is killed, except the children it had before the block and what is
    below them (a caller's own servers, say). Processes that were never below this one are not
    touched.
    """
    before = children()
    on = _subreaper(True)
    try:
        yield
    finally:
        if on:
            _kill_all_below(before)
            _subreaper(False)
