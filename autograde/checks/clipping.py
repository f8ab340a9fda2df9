"""Checks for the clipping exercises of notebook 5, decided by properties.

A clipped gradient is no gradient, so there is no numerical reference here.
Each case states what the result must satisfy, to a relative precision of
:data:`PROP_TOL` (far tighter than the gradient checks' ``1e-6``: clipping is
exact arithmetic, and an epsilon such as ``max_norm / (total + 1e-6)`` must show):

``clip_grad_norm(grads, max_norm)``
    with ``total = sqrt(sum of the squares of every entry of every array)``:
    above the threshold the result keeps the direction of the whole list and has
    global norm ``max_norm``; at or below it (zero gradients too) every array
    comes back unchanged.
``clip_grad_value(grads, clip_value)``
    every entry lies in ``[-clip_value, clip_value]``, entries inside the bound are
    unchanged and entries outside become ``±clip_value`` with their own sign.

Both return a list with one new array per input array (same order and shapes)
and must not modify their input. The learner's function is called through
:func:`autograde.checks.safe_call.call_safely`; feedback follows :mod:`autograde.checks.judge`,
with hints by symptom from :mod:`autograde.checks.clipping_hints`.
"""

import numpy as np

from bptt_helpers.numgrad import safe_norm

from .cases import Case, Output
from .clipping_hints import _flat, global_norm, hints_clip_grad_norm, hints_clip_grad_value
from .judge import judge, run_check
from .memo import built
from .normalize import Rejected, to_array
from .safe_call import Outcome

PROP_TOL = 1e-10  # relative precision of every property


# --- cases ---------------------------------------------------------------------------------

def _case(label, grads, threshold, arg):
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    return Case(
        label=label,
        arg_names=["grads", arg], args=[grads, float(threshold)],
        outputs=[Output(f"grads[{i}]", g.shape, f"(the shape of grads[{i}])")
                 for i, g in enumerate(grads)],
        reference={},
        info={"grads": grads, "threshold": float(threshold)},
        ref_seconds=1e-5,
    )


def _model_shaped(rng, scales, H=4, D=3, C=5):
    """Gradients shaped like seed model 2's ``(dU, dV, dW)``: ``(H, D)``, ``(C, H)``, ``(H, H)``."""
    return [s * rng.standard_normal(shape) for s, shape in zip(scales, [(H, D), (C, H), (H, H)], strict=True)]


def _random_shapes(rng, n):
    return [tuple(int(x) for x in rng.integers(1, 6, size=int(rng.integers(1, 4))))
            for _ in range(n)]


def clip_grad_norm_cases(hidden=False, seed=0):
    """Cases for ``clip_grad_norm(grads, max_norm)``."""
    rng = np.random.default_rng([seed, 40])
    cases = []
    # Arrays of very different sizes: one above max_norm on its own, one below (per-array
    # clipping changes the direction), sum of norms and max-abs differ from the global norm.
    g = _model_shaped(rng, [0.3, 1.0, 3.0])
    cases.append(_case("3 arrays (dU, dV, dW shapes), global norm above max_norm", g,
                       0.4 * global_norm(g), "max_norm"))
    # Below the threshold, though the sum of the arrays' norms is above it.
    g = _model_shaped(rng, [0.4, 0.5, 0.6])
    norms = [float(np.linalg.norm(x)) for x in g]
    cases.append(_case("3 arrays, global norm below max_norm (nothing to clip)", g,
                       (global_norm(g) + sum(norms)) / 2, "max_norm"))
    # Exactly at the threshold: 3, 4, 12 give a global norm of exactly 13.
    cases.append(_case("global norm exactly max_norm = 13 (nothing to clip)",
                       [[[3.0, 0.0], [0.0, 0.0]], [0.0, -4.0, 0.0], [[12.0]]], 13.0, "max_norm"))
    cases.append(_case("all-zero gradients", [np.zeros((4, 3)), np.zeros((5, 4)), np.zeros((4, 4))],
                       1.0, "max_norm"))
    g = [50.0 * rng.standard_normal(6)]
    cases.append(_case("a single array, global norm far above max_norm = 0.5", g, 0.5, "max_norm"))
    if hidden:
        for i in range(8):
            n = int(rng.integers(1, 5))
            g = [10.0 ** rng.uniform(-2, 2) * rng.standard_normal(s) for s in _random_shapes(rng, n)]
            ratio = [0.05, 0.3, 0.9, 0.999, 1.001, 1.5, 4.0, 0.5][i]
            where = "below" if ratio > 1 else "above"
            cases.append(_case(f"{n} random arrays, global norm {where} max_norm", g,
                               ratio * global_norm(g), "max_norm"))
        cases.append(_case("global norm exactly max_norm = 7 (nothing to clip)",
                           [[2.0, -3.0], [[0.0, 6.0]]], 7.0, "max_norm"))
        cases.append(_case("tiny gradients above a tiny max_norm",
                           _model_shaped(rng, [1e-8, 3e-8, 2e-8]), 1e-8, "max_norm"))
        cases.append(_case("zero and nonzero arrays, global norm above max_norm",
                           [np.zeros(3), 2.0 * rng.standard_normal((3, 2)), np.zeros((2, 2))],
                           0.1, "max_norm"))
    return _mark_trivial(cases, judge_clip_grad_norm)


def clip_grad_value_cases(hidden=False, seed=0):
    """Cases for ``clip_grad_value(grads, clip_value)``."""
    rng = np.random.default_rng([seed, 41])
    cases = [
        _case("3 arrays with entries on both sides of [-1, 1]",
              _model_shaped(rng, [0.5, 1.5, 3.0]), 1.0, "clip_value"),
        _case("every entry inside [-2.5, 2.5] (nothing to clip)",
              [np.clip(x, -2.4, 2.4) for x in _model_shaped(rng, [0.5, 1.0, 2.0])], 2.5,
              "clip_value"),
        _case("entries exactly at -0.5 and 0.5, and beyond",
              [[[0.5, -0.5], [0.7, -0.9]], [0.25, -0.5, 2.0]], 0.5, "clip_value"),
        _case("all-zero gradients", [np.zeros((4, 3)), np.zeros((5, 4))], 0.1, "clip_value"),
    ]
    if hidden:
        for i in range(6):
            n = int(rng.integers(1, 5))
            scale = 10.0 ** rng.uniform(-2, 2)
            g = [scale * rng.standard_normal(s) for s in _random_shapes(rng, n)]
            c = scale * [0.1, 0.5, 1.0, 2.0, 5.0, 0.8][i]
            cases.append(_case(f"{n} random arrays, clip_value = {c:.3g}", g, c, "clip_value"))
        cases.append(_case("one entry far outside, one array", [[1e6, -1e-3, -7.0]], 3.0,
                           "clip_value"))
    return _mark_trivial(cases, judge_clip_grad_value)


def _mark_trivial(cases, judge_fn):
    """Mark the cases a function that returns its inputs unchanged would pass (nothing to clip):
    they count only when the function also passes a case where it must clip
    (:func:`autograde.checks.scoring.check_score`)."""
    for case in cases:
        unchanged = Outcome(value=[np.array(g) for g in case.info["grads"]])
        case.trivial = bool(judge_fn(case, unchanged)[0])
    return cases


# --- what came back ------------------------------------------------------------------------

def returned_arrays(case, value):
    """The returned list as float64 arrays of the inputs' shapes; raises :class:`Rejected`."""
    grads = case.info["grads"]
    n = len(grads)
    if value is None:
        raise Rejected("the function returned None: did you forget `return`?")
    if isinstance(value, np.ndarray):
        raise Rejected(f"the function returned one array of shape {value.shape}; return a list "
                       f"with one array per gradient ({n} here), in the order and shapes of grads")
    if not isinstance(value, (list, tuple)):
        raise Rejected(f"return a list of arrays, one per gradient; got a {type(value).__name__}")
    if len(value) != n:
        raise Rejected(f"the function returned {len(value)} arrays for {n} gradients: "
                       "return one array per gradient, in the same order")
    for i, v in enumerate(value):
        if isinstance(v, np.ndarray) and not v.flags.writeable:
            raise Rejected(f"grads[{i}] comes back as the input array itself (or a view of it): "
                           "return new arrays (g.copy(), g * scale, np.clip(...)), so that "
                           "changing the result never changes the caller's gradients")
    return [to_array(v, o.name, o.shape, o.symbols) for v, o in zip(value, case.outputs, strict=True)]


def _at(arr, flat_index):
    """``[i, j]``-style index of a flat position, for messages."""
    return "[" + ", ".join(str(int(i)) for i in np.unravel_index(flat_index, arr.shape)) + "]"


# --- clip_grad_norm ------------------------------------------------------------------------

def judge_clip_grad_norm(case, outcome):
    """Decide one ``clip_grad_norm`` case. Returns ``(passed, lines)``."""
    if outcome.timed_out or outcome.error or outcome.modified:
        return judge(case, outcome, None)  # the messages every check gives
    grads, max_norm = case.info["grads"], case.info["threshold"]
    try:
        outs = returned_arrays(case, outcome.value)
    except Rejected as why:
        lines = [str(why)]
        if global_norm(grads) == 0 and "NaN" in str(why):
            lines.append("hint: every gradient here is zero, so the global norm is 0: "
                         "divide by it only when it is above max_norm.")
        return False, lines
    g, a = _flat(grads), _flat(outs)
    total = global_norm(grads)
    lines = []
    if total <= max_norm:
        err = safe_norm(a - g) / max(total, 1e-300) if total > 0 else float(
            np.max(np.abs(a), initial=0.0))
        if not err <= PROP_TOL:  # every comparison fails on NaN
            lines.append(f"the global norm {total:.6g} is not above max_norm = {max_norm:.6g}, "
                         f"so every array must come back unchanged; yours changed by a relative "
                         f"{err:.1e}")
    else:
        u = g / total
        along = float(a @ u)
        size = safe_norm(a)
        off = safe_norm(a - along * u) / max(size, 1e-300)
        if not (off <= PROP_TOL and along > 0):
            lines.append(f"the direction changed (the part of your result across the original "
                         f"direction is {off:.1e} of its norm): global-norm clipping scales every "
                         f"array by the same factor")
        if not abs(size - max_norm) <= PROP_TOL * max_norm:
            lines.append(f"the global norm after clipping is {size:.12g}; it must be "
                         f"max_norm = {max_norm:.12g} (it was {total:.6g} before)")
    if not lines:
        return True, []
    return False, lines + [f"hint: {h}" for h in hints_clip_grad_norm(case, outs)]


def check_clip_grad_norm(fn, *, hidden=False, seed=0):
    """Check ``clip_grad_norm(grads, max_norm) -> list of arrays``; return the fraction passed."""
    return run_property_check("clip_grad_norm", fn, built(clip_grad_norm_cases, hidden, seed),
                              judge_clip_grad_norm)


# --- clip_grad_value -----------------------------------------------------------------------

def judge_clip_grad_value(case, outcome):
    """Decide one ``clip_grad_value`` case. Returns ``(passed, lines)``."""
    if outcome.timed_out or outcome.error or outcome.modified:
        return judge(case, outcome, None)
    grads, c = case.info["grads"], case.info["threshold"]
    try:
        outs = returned_arrays(case, outcome.value)
    except Rejected as why:
        return False, [str(why)]
    tol = PROP_TOL * c
    lines = []
    for i, (x, o) in enumerate(zip(grads, outs, strict=True)):
        xf, of = x.ravel(), o.ravel()
        inside = np.abs(xf) <= c
        bad = np.flatnonzero(~(np.abs(of) <= c + tol))  # NaN counts as outside
        if bad.size:
            j = bad[0]
            lines.append(f"grads[{i}]{_at(x, j)} is {of[j]:.6g} after clipping, outside "
                         f"[-clip_value, clip_value] = [{-c:.6g}, {c:.6g}] ({bad.size} such entries)")
        bad = np.flatnonzero(inside & ~(np.abs(of - xf) <= PROP_TOL * np.maximum(np.abs(xf), c)))
        if bad.size:
            j = bad[0]
            lines.append(f"grads[{i}]{_at(x, j)} was {xf[j]:.6g}, inside the bound, so it must not "
                         f"change; yours is {of[j]:.6g}")
        bad = np.flatnonzero(~inside & ~(np.abs(of - np.sign(xf) * c) <= tol))
        if bad.size and not lines:
            j = bad[0]
            lines.append(f"grads[{i}]{_at(x, j)} was {xf[j]:.6g}, outside the bound, so it must "
                         f"become {np.sign(xf[j]) * c:.6g}; yours is {of[j]:.6g}")
        if lines:
            break  # the first wrong array is enough
    if not lines:
        return True, []
    return False, lines + [f"hint: {h}" for h in hints_clip_grad_value(case, outs)]


def check_clip_grad_value(fn, *, hidden=False, seed=0):
    """Check ``clip_grad_value(grads, clip_value) -> list of arrays``; return the fraction passed."""
    return run_property_check("clip_grad_value", fn, built(clip_grad_value_cases, hidden, seed),
                              judge_clip_grad_value)


# --- running the cases ---------------------------------------------------------------------

def run_property_check(title, fn, cases, judge_fn):
    """:func:`autograde.checks.judge.run_check` with a judge that decides by properties."""
    return run_check(title, fn, cases, None, judge_fn=judge_fn)
