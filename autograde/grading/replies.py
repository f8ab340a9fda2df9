"""Cases in, outcomes out: what the trusted step sends the learner's process and reads back.

A call request carries the case's inputs (arrays by key, activators by name); a reply is
rebuilt with :func:`decode_value` from a small JSON tree and bounded arrays, and judged as an
:class:`~autograde.checks.safe_call.Outcome` timed by the grader (:func:`outcome_of`).
"""

import numpy as np

from ..checks.limits import case_limit
from ..checks.safe_call import Outcome
from . import protocol

MARGIN = 0.5  # a reply later than limit + MARGIN (grader's clock) counts as past the limit


def _encode_arg(value, arrays, key):
    from bptt_helpers.activators import Activator

    if isinstance(value, np.ndarray):
        arrays[key] = value
        return {"kind": "array", "key": key}
    if isinstance(value, (list, tuple)):
        return {"kind": "list", "items": [_encode_arg(v, arrays, f"{key}_{i}")
                                          for i, v in enumerate(value)]}
    if isinstance(value, Activator):
        return {"kind": "activator", "name": value.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"kind": "value", "value": value}
    raise TypeError(f"cannot pass a {type(value).__name__} to the learner's process")


def result_bound(case):
    """Bytes of returned arrays accepted for ``case``: generous for any right answer."""
    expected = sum(int(np.prod(o.shape)) for o in case.outputs) * 8
    return 4 * expected + 64 * 1024


def call_request(case, function):
    arrays = {}
    args = [_encode_arg(a, arrays, f"a{j}") for j, a in enumerate(case.args)]
    header = {"op": "call", "function": function, "args": args, "names": list(case.arg_names),
              "limit": case_limit(case), "max_bytes": result_bound(case)}
    return header, arrays


class BadReply(ValueError):
    """A reply the learner's process cannot have made by returning a value (said in words)."""


def decode_value(node, arrays, depth=0):
    """Rebuild a returned value from its JSON tree (only None, arrays, scalars, lists, tuples).

    Every array of the frame is handed out at most once (taken out of ``arrays``): a tree
    naming one array many times would make the judge stack copies of it, far more memory
    than the frame's bounded data. So a value costs at most the data that was sent.
    """
    if not isinstance(node, dict) or depth > 5:
        raise ValueError("bad node")
    kind = node.get("kind")
    if kind == "none":
        return None
    if kind in ("list", "tuple"):
        items = [decode_value(n, arrays, depth + 1) for n in list(node.get("items", []))[:64]]
        return items if kind == "list" else tuple(items)
    if kind == "object":
        name = str(node.get("type", "object"))
        return type(name if name.isidentifier() else "object", (), {"__module__": "learner"})()
    if kind == "toolarge":  # an array far larger than expected: only its shape came back
        shape = tuple(int(d) for d in list(node.get("shape", []))[:protocol.MAX_NDIM])
        if any(d < 0 or d > 2**40 for d in shape):
            raise ValueError("bad shape")
        if depth:  # inside a list, np.asarray would stack the views into real memory
            return type("array_too_large", (), {"__module__": "learner"})()
        return np.broadcast_to(np.float64(0.0), shape)  # no memory behind it
    if kind in ("ndarray", "npscalar", "pyscalar"):
        key = str(node.get("key"))
        if key not in arrays:
            raise BadReply("it names an array that was not sent, or the same array twice")
        arr = arrays.pop(key)
        if kind == "npscalar":
            return arr[()]
        if kind == "pyscalar":
            return arr.item()
        if node.get("readonly"):
            arr.setflags(write=False)
        return arr
    raise ValueError(f"unknown kind {kind!r}")


def outcome_of(reply, arrays, elapsed, limit):
    """The :class:`Outcome` of one call, timed by the grader (``elapsed``, seconds)."""
    try:
        error = reply.get("error")
        outcome = Outcome(
            value=decode_value(reply.get("value"), arrays),
            error=str(error)[:2000] if error is not None else None,
            error_type=str(reply.get("error_type"))[:80] if reply.get("error_type") else None,
            timed_out=reply.get("timed_out") is True,
            printed=str(reply.get("printed", ""))[:2000],
            warned=[str(w)[:300] for w in list(reply.get("warned", []))[:5]],
            modified=[str(m)[:40] for m in list(reply.get("modified", []))[:10]])
    except BadReply as exc:
        outcome = Outcome(error=f"its result could not be read: {exc}")
    except Exception as exc:  # noqa: BLE001 - anything unreadable fails the case
        outcome = Outcome(error=f"its result could not be read ({type(exc).__name__})")
    outcome.elapsed = elapsed
    if elapsed > limit + MARGIN:  # the grader's clock decides, whatever the process said
        outcome.timed_out, outcome.value, outcome.error = True, None, None
    return outcome
