"""The global norm of a list of gradients, and the clipping checks' hints by symptom.

A hint is given only when one candidate mistake (clipping each array by its own norm, an
epsilon in the divisor, element-wise clipping for global-norm clipping, a lost sign...) matches
what the learner's function returned; otherwise the generic feedback of
:func:`autograde.checks.hints.generic`. :mod:`autograde.checks.clipping` decides the cases.
"""

import numpy as np

from bptt_helpers.numgrad import safe_norm

from .hints import _close, generic


def global_norm(grads):
    """``sqrt(sum of the squares of every entry of every array)``; a built-in float.

    Exactly that sum when it is finite (``3, 4, 12`` give exactly 13); when the squares
    overflow, the norm scaled by the largest entry (:func:`bptt_helpers.numgrad.safe_norm`).
    """
    with np.errstate(over="ignore"):
        total = float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads)))
    if np.isfinite(total):
        return total
    return safe_norm(_flat([np.asarray(g, dtype=np.float64) for g in grads]))


def _flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)


def hints_clip_grad_norm(case, outs):
    """Hints by symptom for ``clip_grad_norm``; a hint only when a candidate mistake matches."""
    grads, max_norm = case.info["grads"], case.info["threshold"]
    g, a = _flat(grads), _flat(outs)
    total = global_norm(grads)
    norms = [float(np.linalg.norm(x)) for x in grads]
    if any(n > 0 for n in norms):
        per_array = _flat([x * min(1.0, max_norm / n) if n > 0 else x
                           for x, n in zip(grads, norms, strict=True)])
        if not np.allclose(per_array, g * min(1.0, max_norm / total), rtol=0, atol=1e-12 * total) \
                and _close(a, per_array):
            return ["you clipped each array by its own norm. clip_grad_norm uses ONE global "
                    "norm, sqrt(sum of the squares of every entry of every array), and scales "
                    "all arrays by the same factor max_norm / total, so the direction is kept."]
    expected = g * min(1.0, max_norm / total) if total > 0 else g
    c = float(a @ g) / float(g @ g) if total > 0 else 0.0
    if total > 0 and c > 0 and _close(a, c * g):
        used = max_norm / c  # the "total" the learner divided by
        gap = used - total
        if 1e-9 * total < gap <= 1e-2 and used > max_norm:
            return [f"the scale looks like max_norm / (total + {gap:.0e}): the course's "
                    "clip_grad_norm has no epsilon (PyTorch's has); scale by max_norm / total "
                    "exactly, so the clipped norm is exactly max_norm."]
        if total <= max_norm and abs(gap) <= 1e-9 * total:
            return [f"you scaled by max_norm / total although total = {total:.6g} is not above "
                    f"max_norm = {max_norm:.6g}: scale only when total > max_norm, else "
                    "return copies of the arrays unchanged."]
        named = [
            (sum(norms), "the sum of the arrays' norms; the global norm is the square root of "
                         "the sum of their squared norms"),
            (float(np.max(np.abs(g))), "the largest absolute entry; the global norm is "
                                       "sqrt(sum of the squares of every entry)"),
            (total**2, "the squared global norm: take the square root"),
            (float(np.sqrt(np.mean(g**2))), "a root-mean-square; sum the squares, do not average"),
        ]
        for value, what in named:
            if abs(value - total) > 1e-9 * total and abs(used - value) <= 1e-9 * value:
                return [f"you divided by {what}."]
        if total > max_norm and abs(c - total / max_norm) <= 1e-9 * c:
            return ["the factor is upside down: multiply by max_norm / total, not total / max_norm."]
    if total > 0 and not _close(np.clip(g, -max_norm, max_norm), expected) \
            and _close(a, np.clip(g, -max_norm, max_norm)):
        return ["that is element-wise clipping (clip_grad_value): clip_grad_norm scales all "
                "arrays by max_norm / total when their global norm total is above max_norm."]
    return generic("the clipped gradients", a, expected)


def hints_clip_grad_value(case, outs):
    """Hints by symptom for ``clip_grad_value``."""
    grads, c = case.info["grads"], case.info["threshold"]
    g, a = _flat(grads), _flat(outs)
    right = np.clip(g, -c, c)
    big = float(np.max(np.abs(g), initial=0.0))
    total = global_norm(grads)
    cands = [
        (np.minimum(g, c), "you clipped only from above: entries below -clip_value must become "
                           "-clip_value too, np.clip(g, -clip_value, clip_value)."),
        (np.maximum(g, -c), "you clipped only from below: entries above clip_value must become "
                            "clip_value too, np.clip(g, -clip_value, clip_value)."),
        (np.minimum(np.abs(g), c), "the signs are lost: clip g itself, not its absolute value."),
        (np.clip(g, 0.0, c), "the bound is [-clip_value, clip_value], not [0, clip_value]."),
        (np.where(np.abs(g) > c, 0.0, g), "entries outside the bound must become "
                                          "±clip_value (with their sign), not 0."),
        (g * min(1.0, c / big) if big > 0 else g,
         "you scaled the arrays so that their largest entry is clip_value; element-wise "
         "clipping changes only the entries outside the bound."),
        (g * min(1.0, c / total) if total > 0 else g,
         "that is global-norm clipping (clip_grad_norm); clip_grad_value clips each entry "
         "to [-clip_value, clip_value] on its own."),
    ]
    found = [h for cand, h in cands if not _close(cand, right) and _close(a, cand)][:1]
    return found or generic("the clipped gradients", a, right)
