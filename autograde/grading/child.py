"""The learner's side of the trusted grading step: ``python -I -m autograde.grading.child DIR``.

Runs in a fresh process started by :mod:`autograde.grading.trusted` with resource limits.
It runs the notebook's locked set-up cells and the learner's answer cells (from
``DIR/program.json``), calls the learner's functions on the checker's case inputs
(``DIR/inputs.npz``; activators by name) through
:func:`autograde.checks.safe_call.call_safely`, and writes what came back, case by case,
as plain arrays (``DIR/out/g<G>_c<I>.npz``) and a small JSON (``g<G>_c<I>.json``).

Nothing here decides a score: the parent judges the arrays against references it
computed itself. Whatever the learner's code does to this process (patching numpy,
the checks, this module) can only change the arrays it returns.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np

MAX_ITEMS = 64  # items of a returned list/tuple that are kept
MAX_DEPTH = 3
MAX_TEXT = 2000


def encode(value, arrays, prefix, depth=0):
    """A JSON tree for ``value``; its arrays go into ``arrays`` (plain float/int/bool arrays only)."""
    if value is None:
        return {"kind": "none"}
    if isinstance(value, (list, tuple)) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return {"kind": type(value).__name__ if type(value) in (list, tuple) else "list",
                "items": [encode(v, arrays, f"{prefix}_{i}", depth + 1)
                          for i, v in enumerate(value)]}
    kind = ("ndarray" if isinstance(value, np.ndarray) else
            "npscalar" if isinstance(value, np.generic) else
            "pyscalar" if isinstance(value, (bool, int, float, complex)) else "other")
    try:
        arr = np.array(value, copy=True)  # a plain ndarray (a subclass is dropped to its data)
        arr = np.asarray(arr).view(np.ndarray) if isinstance(arr, np.ndarray) else np.asarray(arr)
    except BaseException:  # an object that cannot even be turned into an array
        return {"kind": "object", "type": type(value).__name__[:80]}
    if arr.dtype.kind not in "biufc" or arr.size > 10_000_000:
        return {"kind": "object", "type": type(value).__name__[:80], "dtype": str(arr.dtype)[:40]}
    key = f"v{prefix}"
    arrays[key] = np.ascontiguousarray(arr)
    node = {"kind": kind, "key": key}
    if kind == "ndarray":
        node["readonly"] = not bool(value.flags.writeable)
    return node


def decode_arg(spec, arrays):
    """One case argument rebuilt from the parent's description."""
    from bptt_helpers.activators import get_activator

    kind = spec["kind"]
    if kind == "array":
        return np.array(arrays[spec["key"]])
    if kind == "list":
        return [decode_arg(s, arrays) for s in spec["items"]]
    if kind == "activator":
        return get_activator(spec["name"])
    return spec.get("value")  # int, float, str, None


def _text(s):
    return str(s)[:MAX_TEXT]


def _write(out, name, meta, arrays):
    """Write one case's result; the JSON last and by rename, so a half-written case is absent."""
    np.savez(out / f"{name}.npz", **arrays)
    tmp = out / f"{name}.json.tmp"
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, out / f"{name}.json")


def run_cells(shell, cells, out):
    """Run set-up and answer cells in order; record an error of each (for feedback only)."""
    errors = {}
    for cell in cells:
        result = shell.run_cell(cell["source"], store_history=False, silent=False)
        exc = result.error_in_exec or result.error_before_exec
        if exc is not None:
            errors[cell["grade_id"]] = _text(f"{type(exc).__name__}: {exc}")
    (out / "cells.json").write_text(json.dumps(errors), encoding="utf-8")


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    cfg = Config()
    cfg.HistoryManager.enabled = False
    InteractiveShell.enable_gui = lambda self, gui=None: None  # `%matplotlib inline` without a kernel
    return InteractiveShell.instance(config=cfg)


def main(folder):
    folder = Path(folder)
    program = json.loads((folder / "program.json").read_text(encoding="utf-8"))
    with np.load(folder / "inputs.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    out = folder / "out"
    out.mkdir(exist_ok=True)
    # The objects this module needs are bound before the learner's code runs.
    from autograde.checks.safe_call import call_safely

    groups = [[(decode_arg({"kind": "list", "items": c["args"]}, arrays), c["names"], c["limit"])
               for c in g["cases"]] for g in program["groups"]]
    shell = make_shell()
    run_cells(shell, program["cells"], out)
    for g, (group, spec) in enumerate(zip(groups, program["groups"], strict=True)):
        fn = shell.user_ns.get(spec["function"])
        if not callable(fn):
            _write(out, f"g{g}_missing", {"type": type(fn).__name__}, {})
            continue
        timeouts = 0
        for i, (args, names, limit) in enumerate(group):
            if timeouts >= program["max_timeouts"]:
                break
            outcome = call_safely(fn, args, names, limit)
            timeouts += bool(outcome.timed_out)
            found = {}
            try:
                value = encode(outcome.value, found, f"{g}_{i}")
            except BaseException:
                value, found = {"kind": "object", "type": "unreadable"}, {}
            meta = {"value": value, "error": outcome.error and _text(outcome.error),
                    "timed_out": bool(outcome.timed_out), "printed": _text(outcome.printed),
                    "warned": [_text(w) for w in outcome.warned[:5]],
                    "elapsed": float(outcome.elapsed), "modified": list(outcome.modified)}
            _write(out, f"g{g}_c{i}", meta, found)


if __name__ == "__main__":
    main(sys.argv[1])
    sys.stdout.flush()
    os._exit(0)  # skip the learner's atexit handlers and object finalisers
