"""``bptt check``'s own process, out of reach of the learner code it runs (Linux).

``bptt check`` runs learner code with the learner's own rights. Processes of one user may
trace each other (``gdb -p``), and read and write each other's memory and open files through
``/proc/<pid>/mem`` and ``/proc/<pid>/fd``: an answer cell could rewrite the check's verdicts
while it runs. :func:`untraceable` marks the check's process not dumpable
(``prctl(PR_SET_DUMPABLE, 0)``) for the duration, which closes all three to processes of the
same user (the learner's processes execute Python afresh and are dumpable again). Root, and
any process with ``CAP_SYS_PTRACE``, can still reach it: the self-check cannot stop a learner
who wants to fool it; grading decides in its sandbox, as another user.
"""

import contextlib
import ctypes
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def _prctl(option, value=0):
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        return None


def dumpable():
    """This process's dumpable flag (1: traceable by its user), or ``None`` off Linux."""
    return _prctl(PR_GET_DUMPABLE)


@contextlib.contextmanager
def untraceable():
    """Within the block, this process is not dumpable; afterwards as it was."""
    before = dumpable()
    if before:
        _prctl(PR_SET_DUMPABLE, 0)
    try:
        yield
    finally:
        if before:
            _prctl(PR_SET_DUMPABLE, before)
