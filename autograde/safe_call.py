"""Call a learner's function so that nothing it does can break the checker.

The function gets read-only copies of its inputs, its printing and warnings are
captured, numpy's floating-point warnings are silenced, and a timer interrupts it
when it runs past its limit. Exceptions become part of the :class:`Outcome`,
except ``KeyboardInterrupt``, which is re-raised so that nbgrader's cell
timeout still stops the kernel.
"""

import io
import signal
import threading
import time
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_HELPERS_DIR = str(Path(__file__).resolve().parent.parent / "bptt_helpers")


class CaseTimeout(BaseException):
    """Raised inside the learner's function when its time is up.

    A ``BaseException``, so that ``except Exception`` in the learner's code does
    not swallow it; the timer also fires again every 50 ms until it escapes.
    """


@dataclass
class Outcome:
    """What happened when the learner's function was called once."""

    value: object = None
    error: str | None = None  # one-paragraph description of an exception
    error_type: str | None = None
    timed_out: bool = False
    printed: str = ""
    warned: list = field(default_factory=list)
    elapsed: float = 0.0
    modified: list = field(default_factory=list)  # names of inputs changed in place


def read_only_copy(value):
    """A fresh copy of an input that the learner cannot write to."""
    if isinstance(value, np.ndarray):
        out = np.array(value, dtype=value.dtype, copy=True)
        out.setflags(write=False)
        return out
    if isinstance(value, list):
        return [read_only_copy(v) for v in value]
    return value


def _equal(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return True


def describe_exception(exc):
    """``ZeroDivisionError: division by zero``, plus the learner's own line when it can be found."""
    frames = traceback.extract_tb(exc.__traceback__)
    learner = [f for f in frames if not f.filename.startswith((_PACKAGE_DIR, _HELPERS_DIR))
               and "/numpy/" not in f.filename]
    text = f"{type(exc).__name__}: {exc}"
    if learner:
        fr = learner[-1]
        where = f"line {fr.lineno}" + (f" of {fr.name}()" if fr.name != "<module>" else "")
        code = (fr.line or "").strip()
        text += f"\n      at {where}" + (f": {code}" if code else "")
    return text


def call_safely(fn, args, names, limit):
    """Call ``fn(*args)`` on read-only copies of ``args``.

    Parameters
    ----------
    fn : callable
    args : list
        Positional arguments; arrays are copied and made read-only.
    names : list of str
        The arguments' names, for messages about modified inputs.
    limit : float
        Seconds before the call is interrupted.

    Returns
    -------
    Outcome
    """
    out = Outcome()
    given = [read_only_copy(a) for a in args]
    buf = io.StringIO()
    use_timer = threading.current_thread() is threading.main_thread()
    old_handler = None

    def _alarm(signum, frame):
        raise CaseTimeout()

    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"), \
                redirect_stdout(buf), redirect_stderr(buf):
            warnings.simplefilter("always")
            if use_timer:
                old_handler = signal.signal(signal.SIGALRM, _alarm)
                signal.setitimer(signal.ITIMER_REAL, limit, 0.05)
            try:
                out.value = fn(*given)
            finally:
                if use_timer:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        out.warned = [f"{w.category.__name__}: {w.message}" for w in caught]
    except CaseTimeout:
        out.timed_out = True
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit too: a learner's exit() must not end grading
        out.error = describe_exception(exc)
        out.error_type = type(exc).__name__
    finally:
        if use_timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if old_handler is not None:
                signal.signal(signal.SIGALRM, old_handler)
    out.elapsed = time.perf_counter() - start
    out.printed = buf.getvalue()
    out.modified = [n for n, a, g in zip(names, args, given) if not _equal(a, g)]
    return out
