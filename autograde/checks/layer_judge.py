"""Judging the layer checks of notebook 7: unpack, compare safely, name the step and batch row.

A comparison can only fail on a non-finite value: :func:`safe_error` is ``inf`` for NaN or
infinity and scales both arrays before taking norms (entries of 1e200 cannot overflow them),
and a case passes only when ``error < TOLERANCE`` holds.
"""

import numpy as np

from bptt_helpers.numgrad import TOLERANCE

from . import judge as _judge
from .layer_hints import hint_for_rejection, hints_for
from .normalize import Rejected, to_array

CACHE = ("xs", "states", "nets", "U", "W", "activator")
GRADS = ("dxs", "ds0", "dU", "dW", "db")


def safe_error(a, n):
    """``||a - n|| / max(||a||, ||n||)``, computed so that it cannot overflow; ``inf`` if not finite."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    if a.shape != n.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(n))):
        return float("inf")
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(n), initial=0.0)))
    if scale == 0.0:
        return 0.0
    a, n = a / scale, n / scale  # entries in [-1, 1]: the norms below are finite
    err = float(np.linalg.norm(a - n) / max(np.linalg.norm(a), np.linalg.norm(n)))
    return err if np.isfinite(err) else float("inf")


def _seq(value, n, what, example):
    if value is None:
        raise Rejected(f"your function returned None: did you forget `return {example}`?")
    if not isinstance(value, (tuple, list)) or len(value) != n:
        got = (f"{len(value)} items" if isinstance(value, (tuple, list))
               else f"one {type(value).__name__}")
        raise Rejected(f"return {what} ({n} items), `return {example}`; got {got}")
    return list(value)


def unpack(case, value):
    """The learner's return value as ``{name: ndarray}``; raises :class:`Rejected`."""
    fn = case.info["function"]
    if fn == "rnn_layer_backward":
        return _judge.normalise_outputs(case, value)
    shapes = {o.name: o for o in case.outputs}
    if fn == "rnn_layer_forward":
        states, cache = _seq(value, 2, "the states and the cache as a tuple", "states, cache")
        out = {"states": to_array(states, "states", shapes["states"].shape, "(N, T+1, H)")}
        cache = _seq(cache, 6, "the cache as a tuple (xs, states, nets, U, W, activator)",
                     "states, (xs, states, nets, U, W, activator)")
        m = case.info["model"]
        for name, item in zip(CACHE[:5], cache, strict=False):
            shape = m[name].shape
            out[f"cache {name}"] = to_array(item, f"cache item {name}", shape, str(shape))
        return out
    layers = _seq(value, len(case.info["layers"]), "one tuple (dxs, ds0, dU, dW, db) per layer, "
                  "bottom layer first, in a list", "[grads of layer 1, grads of layer 2, ...]")
    want = [shapes[f"layer {lvl} dxs"].shape for lvl in range(1, len(layers) + 1)]
    got = [np.shape(g[0]) if isinstance(g, (tuple, list)) and len(g) == 5 else None
           for g in layers]
    if got != want and got == want[::-1]:
        raise Rejected("Your layers' gradients come back top layer first: return them bottom "
                       "layer first (the order of caches).")
    out = {}
    for lvl, grads in enumerate(layers, 1):
        grads = _seq(grads, 5, f"layer {lvl}'s (dxs, ds0, dU, dW, db)", "dxs, ds0, dU, dW, db")
        for g, v in zip(GRADS, grads, strict=True):
            o = shapes[f"layer {lvl} {g}"]
            out[o.name] = to_array(v, o.name, o.shape, o.symbols)
    return out


def references(case):
    """``{name: reference}``; a forward case's cache must hold the inputs it was given."""
    if case.info["function"] != "rnn_layer_forward":
        return case.reference
    m = case.info["model"]
    ref = {"states": m["states"]}
    ref.update({f"cache {k}": m[k] for k in CACHE[:5]})
    return ref


def compare(case, answer):
    """``{name: error}`` of every compared tensor (projected on the case's directions if any)."""
    dirs = case.info.get("directions")
    errors = {}
    for name, n in references(case).items():
        a = answer[name]
        if dirs:
            with np.errstate(all="ignore"):
                a = np.tensordot(dirs[name], a, axes=a.ndim)  # (K,)
        errors[name] = safe_error(a, n)
    return errors


def wrong_step_and_row(a, n, T):
    """Walk back from ``T``: ``(t, row, error, rows)`` of the first wrong step, or ``None``.

    ``a`` and ``n`` are ``(N, T, X)`` (index ``t-1``, like ``xs``) or ``(N, T+1, X)`` (index
    ``t``, like ``states``); each step's error is divided by the norm of the whole reference.
    """
    off = 1 if a.shape[1] == T else 0
    scale = max(float(np.linalg.norm(n)), 1e-12)
    for t in range(T, off - 1, -1):
        errs = np.linalg.norm(a[:, t - off] - n[:, t - off], axis=1) / scale  # (N,)
        if np.max(errs) >= TOLERANCE:
            rows = [int(r) for r in np.flatnonzero(errs >= TOLERANCE)]
            return t, int(np.argmax(errs)), float(np.max(errs)), rows
    return None


def compare_answer(case, outcome, unpack, rejection_hints):
    """What the judges of notebooks 7 and 9 do first: ``(passed, lines, answer, wrong)``.

    ``answer`` is ``None`` when the case is decided already and ``(passed, lines)`` is its
    verdict: a timeout, an exception, an input changed in place, a returned value that cannot
    be read (``unpack`` raises), or every error a finite number below the tolerance. Otherwise
    ``passed`` is False, ``wrong`` names the tensors whose error is not below it (NaN is not),
    and ``lines`` says each one's error.
    """
    if outcome.timed_out or outcome.error or outcome.modified:
        return (*_judge.judge(case, outcome, None), None, [])
    try:
        answer = unpack(case, outcome.value)
    except Rejected as why:
        hints = [f"hint: {h}" for h in rejection_hints(case, str(why))]
        return False, [str(why), *hints], None, []
    except Exception as exc:  # an odd returned object
        return False, [f"the returned value could not be read ({type(exc).__name__}: {exc})"], \
            None, []
    errors = compare(case, answer)
    wrong = [name for name, err in errors.items() if not err < TOLERANCE]  # NaN fails too
    if not wrong:
        return True, [], None, []
    lines = [f"{name}: relative error {errors[name]:.1e} (passes below {TOLERANCE:.0e})"
             if np.isfinite(errors[name]) else f"{name}: its error is not a finite number"
             for name in wrong]
    return False, lines, answer, wrong


def judge_layer(case, outcome):
    """``(passed, lines)`` for a case of a layer check (the registry's property judge)."""
    passed, lines, answer, wrong = compare_answer(case, outcome, unpack, hint_for_rejection)
    if answer is None:
        return passed, lines
    where = None
    if case.info.get("directions"):
        lines.append("(this large case compares your gradients along random directions with "
                     "directional derivatives; the smaller cases show which step is wrong)")
    else:
        T = case.info["dstates"].shape[1] - 1 if "dstates" in case.info else \
            case.info["model"]["xs"].shape[1]
        axes = [n for n in case.info.get("time_axes", [case.time_axis]) if n in wrong]
        name = axes[0] if axes else None
        if name is not None:
            where = wrong_step_and_row(answer[name], references(case)[name], T)
        if where is not None:
            t, row, err, rows = where
            idx = t - 1 if answer[name].shape[1] == T else t
            others = (f"; wrong rows at this step: {', '.join(map(str, rows))}"
                      if len(rows) > 1 else "")
            lines.append(f"first wrong time step, walking back from T={T}: t={t}, batch row "
                         f"{row} ({name}[{row}, {idx}] is off by {err:.1e} of the "
                         f"whole tensor's norm){others}")
        for name in wrong:
            n = references(case)[name]
            if n.ndim == 2 and n.shape[0] == answer[name].shape[0] and name.endswith("ds0"):
                rows = [r for r in range(n.shape[0])
                        if np.linalg.norm(answer[name][r] - n[r]) >= TOLERANCE * np.linalg.norm(n)]
                if rows:
                    lines.append(f"{name} is wrong in batch rows {', '.join(map(str, rows))}")
    try:
        hints = hints_for(case, answer, wrong, where and (name,) + where[:2])
    except Exception:  # a hint must never break a check  # pragma: no cover
        hints = []
    return False, lines + [f"hint: {h}" for h in hints]
