"""The learner's side of the trusted grading step: ``python -I -m autograde.grading.child``.

Runs inside the sandbox (:mod:`autograde.grading.sandbox`), one process per notebook, and
does what the grader asks on its stdin, one frame at a time (:mod:`autograde.grading.protocol`):

- ``{"op": "run", "source"}``: run one set-up or answer cell; reply ``{"op": "ran", "error"}``;
- ``{"op": "call", "function", "args", "names", "limit", "max_bytes"}`` with the case's input
  arrays: call the learner's function through :func:`autograde.checks.safe_call.call_safely`;
  reply with what it returned, as plain numeric arrays and a small JSON tree;
- ``{"op": "exit"}``.

Nothing here decides a score: the grader judges the arrays against references it computed
itself, and measures the time of every call itself. Whatever the learner's code does to
this process can only change what it returns.
"""

import importlib
import io
import os
import sys
import types

import numpy as np

from autograde.grading import protocol

MAX_ITEMS = 64  # items of a returned list/tuple that are kept
MAX_DEPTH = 3
MAX_TEXT = 2000
MAX_INPUT = 256 * 1024**2


def encode(value, arrays, max_bytes, prefix="v", depth=0):
    """A JSON tree for ``value``; its arrays go into ``arrays`` (plain numeric arrays only)."""
    if value is None:
        return {"kind": "none"}
    if isinstance(value, (list, tuple)) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return {"kind": type(value).__name__ if type(value) in (list, tuple) else "list",
                "items": [encode(v, arrays, max_bytes, f"{prefix}_{i}", depth + 1)
                          for i, v in enumerate(value)]}
    kind = ("ndarray" if isinstance(value, np.ndarray) else
            "npscalar" if isinstance(value, np.generic) else
            "pyscalar" if isinstance(value, (bool, int, float, complex)) else "other")
    try:
        arr = np.asarray(np.array(value, copy=True)).view(np.ndarray)  # a subclass: its data
    except BaseException:  # an object that cannot even be turned into an array
        return {"kind": "object", "type": type(value).__name__[:80]}
    if arr.dtype.kind not in "biufc" or arr.ndim > protocol.MAX_NDIM:
        return {"kind": "object", "type": type(value).__name__[:80], "dtype": str(arr.dtype)[:40]}
    if arr.nbytes > max_bytes:  # far larger than any right answer: its shape says enough
        return {"kind": "toolarge", "shape": [int(d) for d in arr.shape]}
    key = f"{prefix}{len(arrays)}"
    arrays[key] = arr
    node = {"kind": kind, "key": key}
    if kind == "ndarray":
        node["readonly"] = not bool(value.flags.writeable)
    return node


def decode_arg(spec, arrays):
    """One case argument rebuilt from the grader's description."""
    from bptt_helpers.activators import get_activator

    kind = spec.get("kind")
    if kind == "array":
        return np.array(arrays[spec["key"]])
    if kind == "list":
        return [decode_arg(s, arrays) for s in spec["items"]]
    if kind == "activator":
        return get_activator(spec["name"])
    return spec.get("value")  # int, float, str, None


def _text(s):
    return str(s)[:MAX_TEXT]


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    cfg = Config()
    cfg.HistoryManager.enabled = False
    InteractiveShell.enable_gui = lambda self, gui=None: None  # `%matplotlib inline` without a kernel
    shell = InteractiveShell.instance(config=cfg)
    # Nothing is displayed here (MPLBACKEND=Agg): `%matplotlib inline` in a set-up cell would
    # only import pyplot, most of a set-up cell's second.
    shell.register_magic_function(lambda line="": None, "line", "matplotlib")
    if "matplotlib" not in sys.modules:
        mpl = sys.modules["matplotlib"] = DeferredModule("matplotlib")
        mpl.pyplot = sys.modules["matplotlib.pyplot"] = DeferredModule("matplotlib.pyplot")
    return shell


class DeferredModule(types.ModuleType):
    """A module imported on its first use: the real one, loaded when an attribute is first read.

    Set-up cells import ``matplotlib.pyplot`` for figures this process never draws, and the
    import (with matplotlib's font list) is most of a notebook's set-up here: over half a
    second of every graded notebook. The names a set-up cell binds (``plt``) are this object;
    the first ``plt.<anything>`` imports the real module and copies it in, so a function that
    does use pyplot gets the real one. (importlib's ``LazyLoader`` cannot do this: an
    ``import`` statement of a module already in ``sys.modules`` reads its ``__spec__``, which
    loads a lazy module at once.)
    """

    def __getattr__(self, attr):  # only for names not yet in this module's dict
        for name in list(sys.modules):  # this module and the deferred ones inside it
            if (name == self.__name__ or name.startswith(self.__name__ + ".")) \
                    and isinstance(sys.modules[name], DeferredModule):
                del sys.modules[name]
        real = importlib.import_module(self.__name__)
        self.__dict__.update(vars(real))
        return getattr(real, attr)


def run_cell(shell, source):
    """Run one cell; the error's one-line description, or None. Its printed output is dropped."""
    sink = io.StringIO()
    sys.stdout = sys.stderr = sink
    try:
        result = shell.run_cell(source, store_history=False, silent=False)
    finally:
        sys.stdout = sys.stderr = io.StringIO()
    exc = result.error_in_exec or result.error_before_exec
    return None if exc is None else _text(f"{type(exc).__name__}: {exc}")


def call(shell, header, arrays, call_safely):
    """Call the learner's function on one case; the reply's header and arrays."""
    fn = shell.user_ns.get(header["function"])
    if not callable(fn):
        return {"op": "missing", "type": type(fn).__name__[:40]}, {}
    args = [decode_arg(s, arrays) for s in header["args"]]
    outcome = call_safely(fn, args, header["names"], float(header["limit"]))
    found = {}
    try:
        value = encode(outcome.value, found, int(header["max_bytes"]))
    except BaseException:
        value, found = {"kind": "object", "type": "unreadable"}, {}
    return {"op": "result", "value": value, "error": outcome.error and _text(outcome.error),
            "error_type": outcome.error_type, "timed_out": bool(outcome.timed_out),
            "printed": _text(outcome.printed), "warned": [_text(w) for w in outcome.warned[:5]],
            "elapsed": float(outcome.elapsed), "modified": list(outcome.modified)}, found


def main():
    # The channel is a private copy of stdin/stdout; fds 0-2 point at /dev/null, so what the
    # learner's code prints or writes to fd 1 never mixes with the replies.
    channel_in, channel_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdout = sys.stderr = io.StringIO()
    # The objects this module needs are bound before the learner's code runs.
    from autograde.checks.safe_call import call_safely

    shell = make_shell()
    while True:
        header, arrays = protocol.receive(channel_in, MAX_INPUT)
        op = header.get("op")
        if op == "run":
            protocol.send(channel_out, {"op": "ran", "error": run_cell(shell, header["source"])})
        elif op == "call":
            reply, found = call(shell, header, arrays, call_safely)
            protocol.send(channel_out, reply, found)
        else:
            break


if __name__ == "__main__":
    try:
        main()
    finally:
        os._exit(0)  # skip the learner's atexit handlers and object finalisers
