"""Hints by symptom: compare a wrong answer with what common mistakes produce.

Each ``hints_<function>(case, answer)`` returns a list of sentences for a
learner. ``answer`` maps output names to normalised arrays. Candidates are built
from the case's inputs and the numerical reference; a hint is given only when
the learner's array matches a candidate, so a hint never guesses.
"""

import numpy as np

from bptt_helpers.activators import get_activator
from bptt_helpers.numgrad import rel_error, safe_norm

MATCH = 1e-5  # a candidate "matches" when it is this close to the learner's array


def _close(a, b):
    return a.shape == b.shape and rel_error(a, b) < MATCH  # NaN or inf never matches


def generic(name, a, n):
    """Hints that fit any tensor: zeros, sign, scale, transpose."""
    if not np.any(a) and np.any(n):
        return [f"{name} is all zeros: did you fill an array of zeros and never write into it?"]
    if _close(a, -n):
        return [f"{name} has the right size but the wrong sign."]
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(a, n.T):
        return [f"{name} is the transpose of the right answer: check the order of each product."]
    denom = float(np.vdot(n, n))
    if denom > 0:
        c = float(np.vdot(a, n)) / denom
        if np.isfinite(c) and abs(c - 1) > 1e-3 and _close(a, c * n):
            return [f"{name} is the right answer times {c:.4g}: look for an extra or missing factor."]
    return []


def _hard_coded(act, fprime_of, s):
    """Derivatives of the other activators, for 'one activator's derivative hard-coded'."""
    out = []
    for other in ("tanh", "sigmoid", "identity", "relu"):
        if other != act:
            out.append((other, get_activator(other).backward(s), fprime_of(s)))
    return out


def hints_step_jacobian(case, answer):
    """Hints for ``step_jacobian``: which side f' multiplies, transposes, hard-coded derivatives."""
    a = answer["jacobian"]
    W, s, act = case.info["W"], case.info["state"], case.info["activator"]
    fp = get_activator(act).backward(s)  # (H,)
    cands = [
        ((W * fp).T,
         "You returned the transpose. Entry [i, k] is d net_{j+1,i} / d net_{j,k}, so the "
         "result is W diag(f'(net_j)): f' scales the columns of W."),
        (fp[:, None] * W,
         "f'(net_j) multiplies the rows of W here (diag(f') W); it must scale the columns: "
         "W diag(f'(net_j)), because net_j enters through s_j = f(net_j)."),
        (W * s,
         "You multiplied by the state s_j itself; use its derivative activator.backward(state)."),
        (W,
         "The derivative f'(net_j) is missing: net_{j+1} depends on net_j through s_j = f(net_j)."),
        (W.T * fp,
         "You used W^\\top; d net_{j+1} / d net_j is W diag(f'(net_j)), with W itself."),
    ]
    for other, fp_other, _ in _hard_coded(act, get_activator(act).backward, s):
        cands.append((W * fp_other,
                      f"This is the {other} derivative, but the case uses {act}: call "
                      "activator.backward(state) instead of writing a derivative by hand."))
    hints = [h for c, h in cands if _close(a, c)][:1]
    return hints or generic("the Jacobian", a, case.reference["jacobian"])


def first_wrong_step(a, n, tol):
    """Walk back from ``T``: the first ``t`` whose error ``||a_t - n_t|| / ||n||`` reaches ``tol``.

    Each step's error is divided by the norm of the whole reference, not of the step:
    a step whose reference has vanished (down to the numerical noise floor) is then
    blamed only when the answer there is off by ``tol`` of the whole tensor, never for
    noise. Returns ``(t, error)`` or ``(None, 0.0)``.
    """
    scale = max(safe_norm(n), 1e-12)
    for t in range(a.shape[0] - 1, -1, -1):
        err = safe_norm(a[t] - n[t]) / scale
        if not err < tol:  # NaN counts as wrong
            return t, float(err)
    return None, 0.0


def hints_calc_delta(case, answer, t):
    """Hints for ``calc_delta`` given the first wrong step ``t`` (walking back from T)."""
    a, n = answer["deltas"], case.reference["deltas"]
    states, W, act = case.info["states"], case.info["W"], case.info["activator"]
    bwd = get_activator(act).backward
    T = a.shape[0] - 1
    backwards = ["Your deltas run backwards in time: deltas[t] must hold delta_t, "
                 "with deltas[T] = sensitivity and deltas[0] = 0 (fill them by index, "
                 "deltas[t] = ..., rather than appending as you walk back)."]
    if _close(a[::-1], n) or (T >= 2 and _close(a[1:][::-1], n[1:])):
        return backwards
    if a.shape[0] == a.shape[1] and _close(a.T, n):
        return ["You returned the transpose: deltas has shape (T+1, H), one row deltas[t] "
                "per time step."]
    if t is None:
        return []
    if t == 0:
        return ["deltas[0] must be 0: there is no net_0 (s_0 is given, not computed)."]
    if t == T:
        c = case.info["sensitivity"]
        if _close(a[T], bwd(states[T]) * c):
            return ["deltas[T] is the sensitivity multiplied by f'. The sensitivity is already "
                    "dE/dnet_T: store it as it is."]
        return ["deltas[T] must be the sensitivity you were given (delta_T = dE/dnet_T)."]
    if not np.any(a[t]):
        last = " (delta_1 is missing)" if t == 1 else ""
        return [f"deltas[{t}] is zero{last}: your loop must run down to t = 1, "
                f"e.g. range(T - 1, 0, -1)."]
    d = n[t + 1]
    fp = bwd(states[t])
    cands = [
        (bwd(states[t + 1]) * (W.T @ d),
         f"deltas[{t}] takes f' from s_{t + 1}; delta_t needs f'(net_t) = "
         "activator.backward(states[t])."),
        (bwd(states[t - 1]) * (W.T @ d),
         f"deltas[{t}] takes f' from s_{t - 1}; delta_t needs f'(net_t) = "
         "activator.backward(states[t])."),
        (fp * (W @ d),
         "The recursion uses W where it needs W^\\top: delta_t = diag(f'(net_t)) W^\\top delta_{t+1}. "
         "(If you use step_jacobian, it is its transpose that maps delta_{t+1} to delta_t.)"),
        (states[t] * (W.T @ d),
         f"deltas[{t}] is multiplied by s_{t} itself, not by its derivative f'(net_{t}) = "
         "activator.backward(states[t])."),
        (W.T @ d, "The factor f'(net_t) is missing from the recursion."),
        (fp * fp * (W.T @ d), "f'(net_t) is applied twice."),
    ]
    for other, fp_other, _ in _hard_coded(act, bwd, states[t]):
        cands.append((fp_other * (W.T @ d),
                      f"deltas[{t}] uses the {other} derivative, but this case uses {act}: "
                      "call activator.backward(...) instead of writing a derivative by hand."))
    hints = [h for c, h in cands if _close(a[t], c)][:1]
    if hints:
        return hints
    return [f"delta_{t + 1} is right but delta_{t} is not: check the one-step recursion "
            "delta_t = diag(f'(net_t)) W^\\top delta_{t+1}, i.e. step_jacobian(W, s_t, f)^\\top delta_{t+1}."]


def hints_calc_gradient(case, answer):
    """Hints for ``calc_gradient``: which step's state, which steps summed, order of products."""
    deltas, states, xs = case.info["deltas"], case.info["states"], case.info["xs"]
    T = xs.shape[0]
    if _close(answer["dU"], case.reference["dW"]) and _close(answer["dW"], case.reference["dU"]):
        return ["dU and dW come back swapped: return (dU, dW) in that order."]
    hints = []
    for name, inputs in (("dU", xs), ("dW", states[:-1])):
        a, n = answer[name], case.reference[name]
        if rel_error(a, n) < 1e-6:  # NaN or inf is never right
            continue
        other = "x_t = xs[t-1]" if name == "dU" else "s_{t-1} = states[t-1]"
        cands = [
            (np.outer(deltas[T], inputs[T - 1]),
             f"{name} holds only the last step; the gradient sums delta_t {other}^\\top over t = 1..T."),
            (deltas[2:].T @ inputs[1:], f"{name} misses t = 1: sum over every t = 1..T."),
        ]
        if name == "dW":
            cands.append((deltas[1:].T @ states[1:],
                          "dW pairs delta_t with s_t; W multiplies s_{t-1} at step t, "
                          "so use states[t-1]."))
        if name == "dU" and inputs.shape == states[1:].shape:
            cands.append((deltas[1:].T @ states[:-1],
                          "dU is built from the states; U multiplies the input x_t = xs[t-1], "
                          "so dU sums delta_t x_t^\\top."))
            cands.append((deltas[1:].T @ states[1:],
                          "dU is built from the states; U multiplies the input x_t = xs[t-1], "
                          "so dU sums delta_t x_t^\\top."))
        if name == "dU" and T >= 2:
            cands.append((deltas[1:-1].T @ xs[1:],
                          "dU pairs delta_t with x_{t+1} = xs[t]; x_t is xs[t-1]."))
        found = [h for c, h in cands if _close(a, c)][:1]
        hints += found or generic(name, a, n)
    return hints
