"""Call a learner's function so that nothing it does can break the checker.

The function gets read-only copies of its inputs, its printing and warnings are
captured, numpy's floating-point warnings are silenced, and a timer interrupts it
when it runs past its limit. Exceptions become part of the :class:`Outcome`,
except ``KeyboardInterrupt``, which is re-raised so that nbgrader's cell
timeout still stops the kernel.

Stopping a function that runs too long: at the limit the timer raises
:class:`CaseTimeout` inside it, and fires again every 50 ms. A function that
catches it (``while True: try: ... except BaseException: pass``) would survive
that whenever it spends its time inside the ``try`` (in ``time.sleep`` or a
numpy call, say), so from the second firing on a trace function is installed
too: it raises :class:`CaseTimeout` again on the first line the learner's code
runs while handling one, that is inside its ``except`` block, from which the
exception escapes. Nested handlers (an ``except BaseException`` around another)
still catch that second exception: such code cannot be stopped in-process.
The timer and the trace function work only in the main thread (where Jupyter
runs cells); elsewhere there is no time limit. A function blocked in one long C
call, or code that reinstalls its own signal handler or trace function, is
beyond an in-process check: the cell timeout of nbgrader, or grading in a
separate process, covers those.
"""

import io
import signal
import sys
import threading
import time
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
_HELPERS_DIR = str(Path(__file__).resolve().parent.parent.parent / "bptt_helpers")
REFIRE = 0.05  # seconds between later firings of the timer
_LIBRARY_DIRS = tuple({_PACKAGE_DIR, _HELPERS_DIR, sys.prefix, sys.base_prefix, sys.exec_prefix})


def is_learner_file(filename):
    """True for code the learner wrote (a notebook cell, a script), not numpy, Python or us."""
    return not filename.startswith(_LIBRARY_DIRS + ("<frozen",)) and "/numpy/" not in filename


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
        return isinstance(b, list) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return True


def describe_exception(exc):
    """``ZeroDivisionError: division by zero``, plus the learner's own line when it can be found."""
    frames = traceback.extract_tb(exc.__traceback__)
    learner = [f for f in frames if is_learner_file(f.filename)]
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
        ``timed_out`` is set when the limit was reached, even if the function
        then caught the interruption and returned.
    """
    out = Outcome()
    given = [read_only_copy(a) for a in args]
    buf = io.StringIO()
    use_timer = threading.current_thread() is threading.main_thread()
    old_handler = None
    old_trace = sys.gettrace()
    state = {"armed": True, "fired": 0}

    def _stop(frame, event, arg):
        # Installed once the learner's code has caught a CaseTimeout. Raising from a trace
        # function switches tracing off, so raise only where it escapes: on a line run while
        # a CaseTimeout is being handled (inside the learner's `except` or `finally` block).
        if state["armed"] and event == "line" and is_learner_file(frame.f_code.co_filename) \
                and isinstance(sys.exc_info()[1], CaseTimeout):
            raise CaseTimeout()
        return _stop

    def _alarm(signum, frame):
        if not state["armed"] or (frame is not None and frame.f_code is _CALL_CODE):
            return  # the learner's function has already returned: nothing to stop
        state["fired"] += 1
        if state["fired"] >= 2:  # the first CaseTimeout was caught: trace every line
            sys.settrace(_stop)
            f = frame
            while f is not None and f.f_code is not _CALL_CODE:
                f.f_trace = _stop
                f = f.f_back
        raise CaseTimeout()

    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"), \
                redirect_stdout(buf), redirect_stderr(buf):
            warnings.simplefilter("always")
            if use_timer:
                old_handler = signal.signal(signal.SIGALRM, _alarm)
                signal.setitimer(signal.ITIMER_REAL, limit, REFIRE)
            try:
                out.value = fn(*given)
            finally:
                state["armed"] = False
                if use_timer:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    sys.settrace(old_trace)
        out.warned = [f"{w.category.__name__}: {w.message}" for w in caught]
    except CaseTimeout:
        out.timed_out = True
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit too: a learner's exit() must not end grading
        out.error = describe_exception(exc)
        out.error_type = type(exc).__name__
    finally:
        state["armed"] = False
        if use_timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.settrace(old_trace)
            if old_handler is not None:
                signal.signal(signal.SIGALRM, old_handler)
    if state["fired"]:
        out.timed_out = True  # it ran past its limit, even if it caught the interruption
        out.value, out.error, out.error_type = None, None, None
    out.elapsed = time.perf_counter() - start
    out.printed = buf.getvalue()
    out.modified = [n for n, a, g in zip(names, args, given, strict=True) if not _equal(a, g)]
    return out


_CALL_CODE = call_safely.__code__
