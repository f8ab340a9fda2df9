"""Checks for notebook 4: ``truncated_bptt`` and the bonus ``tbptt_k1k2``.

A truncated gradient is not the gradient of the loss, so it is never compared
with the full gradient. The reference is the central-difference gradient
(``h = 1e-5``) of the *surrogate* loss computed with the checker's own forward
pass: each ``E_t`` is computed from the state ``s_{start(t)}`` held constant at
its value under the unperturbed parameters, where ``start(t) = max(t-k, 0)`` for
look-back ``k`` and ``max(tau-k2, 0)`` for TBPTT(k1, k2) (``tau`` is the update
that handles ``E_t``).

Hints never guess: each catalogued mistake is turned into a *candidate* answer
and a hint is given only when the learner's three tensors all match one. The
candidates are numerical gradients too, of a tangent model of the surrogate (the
recurrence linearised at the unperturbed states) in which one thing is changed
the way the mistake changes it: where each window starts, the slope used for
``f'``, the matrix the backward pass multiplies by, the state ``dW`` pairs with,
or the output error. No gradient formula is written out here.

Regime: sigmoid states with ``sigma_max(W) = 6`` (``f' <= 1/4``; at 1.5 a window one
step too long scores only 6e-6 at ``k = 8`` and would pass), ``T`` from 1 to 20
(hidden: up to 25), ``k`` = 1, small ``k`` below ``T``, ``k = T``, ``k > T`` and
``None``, nonzero ``s_0``, ``D != H``, one-hot targets of 2 to 5 classes.
"""

import itertools
import time

import numpy as np

from bptt_helpers.data import one_hot, random_rnn
from bptt_helpers.numgrad import TOLERANCE, numerical_gradient, rel_error
from bptt_helpers.softmax_rnn import (
    SIGMOID,
    softmax_rnn_forward,
    tbptt_starts,
    update_times,
    window_starts,
    windowed_loss,
)

from . import hints as _hints
from .cases import Case, Output
from .judge import run_check
from .large import tbptt_k1k2_long, truncated_bptt_long
from .memo import built
from .probes import batched_gradient

SIGMA_W = 6.0  # sigma_max(W) for sigmoid states
NAMES = ("dU", "dV", "dW")


# --- models and cases ----------------------------------------------------------------------

def softmax_model(T, D, H, C, seed, nonzero_s0=True, sigma=SIGMA_W):
    """A random seed-2 model, inputs and one-hot targets, with its forward pass.

    Returns
    -------
    dict with keys
        ``xs`` (T, D), ``ys`` (T, C), ``U`` (H, D), ``V`` (C, H), ``W`` (H, H),
        ``s0`` (H,) or ``None`` (zero initial state), ``states`` (T+1, H),
        ``nets`` (T+1, H) (row 0 is 0), ``outs`` (T, C), ``ref_seconds``.
    """
    m = random_rnn(T, D, H, "sigmoid", sigma_max=sigma, s0_scale=0.8 if nonzero_s0 else 0.0,
                   seed=seed)
    rng = np.random.default_rng([seed, 4242])
    m["V"] = rng.standard_normal((C, H)) * 1.5
    m["ys"] = one_hot(rng.integers(0, C, T), C)
    m["s0"] = m["s0"] if nonzero_s0 else None
    del m["activator"]
    return _with_forward(m)


def _with_forward(m):
    t0 = time.perf_counter()
    states, outs = softmax_rnn_forward(m["xs"], m["U"], m["V"], m["W"], m["s0"])
    m["ref_seconds"] = time.perf_counter() - t0
    nets = np.zeros_like(states)
    nets[1:] = m["xs"] @ m["U"].T + states[:-1] @ m["W"].T
    m.update(states=states, nets=nets, outs=outs)
    return m


def surrogate_gradient(m, starts):
    """Central-difference gradient of the surrogate with frozen starts ``starts``.

    Returns
    -------
    dict ``{"dU": (H, D), "dV": (C, H), "dW": (H, H)}``
    """
    xs, ys, U, V, W, frozen = m["xs"], m["ys"], m["U"], m["V"], m["W"], m["states"]
    return {  # each: every perturbed copy of one matrix in one batched windowed_loss call
        "dU": batched_gradient(lambda u: windowed_loss(xs, ys, u, V, W, starts, frozen), U),
        "dV": batched_gradient(lambda v: windowed_loss(xs, ys, U, v, W, starts, frozen), V),
        "dW": batched_gradient(lambda w: windowed_loss(xs, ys, U, V, w, starts, frozen), W),
    }


def _label(T, D, H, C, m, extra):
    s0 = "s_0 ≠ 0" if m["s0"] is not None else "s_0 = 0"
    return f"T={T}, {extra}, D={D}, H={H}, C={C}, {s0}"


def _outputs(D, H, C):
    return [Output("dU", (H, D), "(H, D)"), Output("dV", (C, H), "(C, H)"),
            Output("dW", (H, H), "(H, H)")]


VISIBLE_TRUNCATED = [  # (T, D, H, C, k, nonzero s0)
    (1, 3, 3, 3, 1, True),  # T = 1; D = H = C, so a permuted return is recognised
    (8, 3, 4, 3, 1, False),  # k = 1
    (12, 2, 4, 3, 3, True),  # small k below T
    (15, 3, 5, 4, 5, False),
    (7, 4, 3, 3, 7, True),  # k = T
    (5, 2, 4, 2, 9, True),  # k > T
    (10, 3, 4, 3, None, True),  # no truncation
    (20, 2, 3, 5, 6, True),
]


def truncated_bptt_cases(hidden=False, seed=0):
    """Cases for ``truncated_bptt(xs, ys, U, V, W, k, s0=None) -> (dU, dV, dW)``."""
    plan = list(VISIBLE_TRUNCATED)
    if hidden:
        rng = np.random.default_rng([seed, 40])
        for _ in range(14):
            T = int(rng.integers(1, 26))
            k = [1, 2, 3, 4, 5, 6, T, T + 3, None][int(rng.integers(0, 9))]
            plan.append((T, int(rng.integers(1, 6)), int(rng.integers(2, 7)),
                         int(rng.integers(2, 6)), k, bool(rng.integers(0, 4))))
    cases = []
    for i, (T, D, H, C, k, nz) in enumerate(plan):
        m = softmax_model(T, D, H, C, seed=1000 * seed + 4000 + i, nonzero_s0=nz)
        m["k"] = k
        m["starts"] = window_starts(T, k)
        cases.append(Case(
            label=_label(T, D, H, C, m, f"k={k}"),
            arg_names=["xs", "ys", "U", "V", "W", "k", "s0"],
            args=[m["xs"], m["ys"], m["U"], m["V"], m["W"], k, m["s0"]],
            outputs=_outputs(D, H, C),
            reference=surrogate_gradient(m, m["starts"]),
            info=m, ref_seconds=m["ref_seconds"],
        ))
    n = len(VISIBLE_TRUNCATED)  # the long case follows the visible ones
    return cases[:n] + [truncated_bptt_long(seed)] + cases[n:]


VISIBLE_TBPTT = [  # (T, D, H, C, k1, k2, nonzero s0)
    (1, 2, 3, 2, 1, 1, True),
    (9, 3, 4, 3, 2, 3, True),  # T is not a multiple of k1: a last update at T
    (12, 2, 4, 3, 3, 5, False),
    (10, 3, 3, 4, 4, 4, True),  # k1 = k2: detach every k1 steps
    (7, 2, 4, 3, 2, 10, True),  # k2 > T
    (11, 3, 5, 3, 1, 4, True),  # k1 = 1: look-back k2
    (14, 2, 3, 3, 4, 6, True),
]


def tbptt_k1k2_cases(hidden=False, seed=0):
    """Cases for ``tbptt_k1k2(xs, ys, U, V, W, k1, k2, s0=None) -> (dU, dV, dW)``."""
    plan = list(VISIBLE_TBPTT)
    if hidden:
        rng = np.random.default_rng([seed, 41])
        for _ in range(10):
            T = int(rng.integers(1, 26))
            k1 = int(rng.integers(1, 7))
            k2 = k1 + int(rng.integers(0, 6))
            plan.append((T, int(rng.integers(1, 6)), int(rng.integers(2, 7)),
                         int(rng.integers(2, 6)), k1, k2, bool(rng.integers(0, 4))))
    cases = []
    for i, (T, D, H, C, k1, k2, nz) in enumerate(plan):
        m = softmax_model(T, D, H, C, seed=1000 * seed + 6000 + i, nonzero_s0=nz)
        m.update(k1=k1, k2=k2, starts=tbptt_starts(T, k1, k2))
        cases.append(Case(
            label=_label(T, D, H, C, m, f"k1={k1}, k2={k2}"),
            arg_names=["xs", "ys", "U", "V", "W", "k1", "k2", "s0"],
            args=[m["xs"], m["ys"], m["U"], m["V"], m["W"], k1, k2, m["s0"]],
            outputs=_outputs(D, H, C),
            reference=surrogate_gradient(m, m["starts"]),
            info=m, ref_seconds=m["ref_seconds"],
        ))
    n = len(VISIBLE_TBPTT)
    return cases[:n] + [tbptt_k1k2_long(seed)] + cases[n:]


# --- candidates: numerical gradients of a changed tangent model ------------------------------

def tangent_gradient(m, starts, *, slope=None, back=None, w_state=None, out="ce", weights=None):
    """Numerical gradient of the surrogate's tangent model, with one thing changed.

    The recurrence is linearised at the unperturbed states ``s*``:
    ``s_j - s*_j = slope[t-1, j] * (net_j - net*_j)`` and
    ``net_j - net*_j = (U - U*) x_j + (W - W*) w_state[j-1] + back (s_{j-1} - s*_{j-1})``,
    run for each loss ``E_t`` from its frozen start ``s_{starts[t-1]}``. With the defaults
    (``slope = f'(net*)``, ``back = W*``, ``w_state[j-1] = s*_{j-1}``, cross-entropy
    outputs, every loss counted once) its gradient at ``U*, V*, W*`` is the surrogate's.

    Parameters
    ----------
    m : dict
        A model from :func:`softmax_model`.
    starts : ndarray of int, shape (T,)
        ``0 <= starts[t-1] <= t`` (``= t``: ``E_t`` is not back-propagated at all).
    slope : ndarray, shape (T, T+1, H), optional
        The derivative used for loss ``E_t`` at step ``j``.
    back : ndarray, shape (H, H), optional
        The matrix that carries a change of ``s_{j-1}`` into ``net_j``.
    w_state : ndarray, shape (T, H), optional
        The state each step's ``W`` multiplies.
    out : {"ce", "lse"}
        ``"lse"`` replaces ``E_t`` by ``logsumexp(V s_t)``, whose gradient is ``o_t``, not ``o_t - y_t``.
    weights : ndarray, shape (T,), optional
        How often each loss is counted.

    Returns
    -------
    dict ``{"dU", "dV", "dW"}``
    """
    xs, ys, S = m["xs"], m["ys"], m["states"]
    U0, V0, W0 = m["U"], m["V"], m["W"]
    T = xs.shape[0]
    t = np.arange(1, T + 1)
    starts = np.asarray(starts, dtype=int)
    if slope is None:
        slope = np.broadcast_to(SIGMOID.backward(S), (T,) + S.shape)
    back = W0 if back is None else back
    w_state = S[:-1] if w_state is None else w_state
    weights = np.ones(T) if weights is None else weights
    steps = int(np.max(t - starts)) if T else 0

    def loss(U, V, W):
        drive = xs @ (U - U0).T + w_state @ (W - W0).T  # (T, H): change of net_j, row j-1
        dev = np.zeros_like(S[1:])  # (T, H): s_j - s*_j of each loss's window
        for step in range(1, steps + 1):
            j = starts + step
            active = j <= t
            jj = np.minimum(j, t)
            new = slope[t - 1, jj] * (drive[jj - 1] + dev @ back.T)
            dev = np.where(active[:, None], new, dev)
        z = (S[1:] + dev) @ V.T  # (T, C)
        zmax = np.max(z, axis=1, keepdims=True)
        lse = zmax[:, 0] + np.log(np.sum(np.exp(z - zmax), axis=1))  # (T,)
        per_loss = lse - np.sum(ys * z, axis=1) if out == "ce" else lse
        return float(np.sum(weights * per_loss))

    return {
        "dU": numerical_gradient(lambda u: loss(u, V0, W0), U0),
        "dV": numerical_gradient(lambda v: loss(U0, v, W0), V0),
        "dW": numerical_gradient(lambda w: loss(U0, V0, w), W0),
    }


def _slope_rule(m, rule):
    """Slopes ``(T, T+1, H)`` for a derivative mistake."""
    S = m["states"]
    T = S.shape[0] - 1
    fp = SIGMOID.backward(S)  # (T+1, H)
    if rule == "tanh":
        return np.broadcast_to(1.0 - S**2, (T,) + S.shape)
    if rule == "previous_state":
        shifted = np.vstack([fp[:1], fp[:-1]])  # row j holds f' of s_{j-1}
        return np.broadcast_to(shifted, (T,) + S.shape)
    if rule == "none_at_t":  # no f'(net_t) at the loss's own step t
        slope = np.array(np.broadcast_to(fp, (T,) + S.shape))
        slope[np.arange(T), np.arange(1, T + 1)] = 1.0
        return slope
    raise ValueError(rule)


def _zero_s0_model(m):
    mm = {key: m[key] for key in ("xs", "ys", "U", "V", "W")}
    mm["s0"] = None
    return _with_forward(mm)


MSG = {
    "order": "The three gradients are right but come back in another order: return (dU, dV, dW).",
    "long": "Your window is one step too long: E_t must be back-propagated through exactly k "
            "nets, net_t, net_{t-1}, ..., net_{t-k+1} (fewer near the start), and no further.",
    "short": "Your window is one step too short: with look-back k, E_t is back-propagated through "
             "k nets, net_t itself and the k-1 before it (with k = 1, through net_t only).",
    "full": "This is the full gradient: your code ignores k. Stop each E_t's backward walk "
            "after k steps (net_t down to net_{max(t-k+1, 1)}).",
    "chunks": "Your windows are counted from the start of the sequence, in chunks of k steps "
              "(detach every k steps). Look-back k counts from each t: E_t goes back through "
              "net_t, ..., net_{t-k+1}, whatever t is.",
    "first_k": "Your windows are counted from the start of the sequence (net_1..net_k). "
               "Look-back k counts from each t: E_t goes back through net_t, ..., net_{t-k+1}.",
    "from_end": "Your windows are counted from the end of the sequence (down to net_{T-k+1} for "
                "every loss). Look-back k counts from each t: E_t goes back through net_t, ..., "
                "net_{t-k+1}.",
    "none_at_t": "The derivative at step t is missing: E_t reaches net_t through s_t = f(net_t), "
                 "so the walk starts with f'(net_t) * V^\\top (o_t - y_t), not V^\\top (o_t - y_t).",
    "tanh": "You used tanh's derivative 1 - s^2, but the states are sigmoid: f'(net) = s (1 - s).",
    "previous_state": "The derivative at step j is taken from s_{j-1}; f'(net_j) = s_j (1 - s_j) "
                      "uses the state of the same step.",
    "W_not_WT": "The backward step multiplies by W where it needs W^\\top: the error at net_{j-1} "
                "is f'(net_{j-1}) * (W^\\top times the error at net_j).",
    "dW_state": "dW pairs the error at net_j with s_j; W multiplies s_{j-1} at step j, so use "
                "states[j-1] (s_0 at j = 1).",
    "o_not_o_minus_y": "You used o_t where the gradient of E_t with respect to V s_t is o_t - y_t.",
    "dV_prev": "dV pairs o_t - y_t with s_{t-1}; the output o_t = softmax(V s_t) uses s_t = states[t].",
    "s0": "Your result is right for s_0 = 0 but this case has s_0 ≠ 0: start the forward pass "
          "from s0 (when it is given) and pair the error at net_1 with s_0 in dW.",
    "tb_lookback": "You back-propagated each E_t k2 steps from its own t. In TBPTT(k1, k2) the "
                   "window is counted from the update time tau that handles E_t: down to "
                   "net_{max(tau-k2+1, 1)}.",
    "tb_long": "Your TBPTT window is one step too long: at update tau the backward walk ends at "
               "net_{max(tau-k2+1, 1)} (s_{tau-k2} is held constant).",
    "tb_short": "Your TBPTT window is one step too short: at update tau the backward walk goes "
                "down to net_{max(tau-k2+1, 1)}, k2 nets counting net_tau.",
    "tb_swapped": "This matches k1 and k2 swapped: k1 is how often you update (tau = k1, 2 k1, "
                  "...), k2 how far each update looks back.",
    "tb_no_last": "The losses after the last multiple of k1 are missing: when T is not a "
                  "multiple of k1 there is one more update at tau = T.",
    "tb_chunks": "This is detach-every-k1 (each update looks back only k1 steps): each update "
                 "looks back k2 steps from tau.",
    "tb_full": "This is the full gradient: each update must stop at net_{max(tau-k2+1, 1)}.",
}


def _window_candidates(m):
    """Candidates of ``truncated_bptt``: (key, thunk) pairs, cheapest and likeliest first."""
    T, k = m["xs"].shape[0], m["k"]
    t = np.arange(1, T + 1)
    cands = []
    if k is not None:
        cands += [
            ("long", lambda: tangent_gradient(m, np.maximum(t - k - 1, 0))),
            ("short", lambda: tangent_gradient(m, np.maximum(t - k + 1, 0))),
            ("full", lambda: tangent_gradient(m, np.zeros(T, dtype=int))),
            ("chunks", lambda: tangent_gradient(m, k * ((t - 1) // k))),
            ("first_k", lambda: tangent_gradient(m, np.where(t <= k, 0, t))),
            ("from_end", lambda: tangent_gradient(m, np.minimum(t, max(T - k, 0)))),
        ]
    return cands + _common_candidates(m)


def _common_candidates(m):
    starts = m["starts"]
    cands = [(rule, lambda rule=rule: tangent_gradient(m, starts, slope=_slope_rule(m, rule)))
             for rule in ("none_at_t", "tanh", "previous_state")]
    cands += [
        ("W_not_WT", lambda: tangent_gradient(m, starts, back=m["W"].T)),
        ("dW_state", lambda: tangent_gradient(m, starts, w_state=m["states"][1:])),
        ("o_not_o_minus_y", lambda: tangent_gradient(m, starts, out="lse")),
    ]
    if m["s0"] is not None:
        cands.append(("s0", lambda: tangent_gradient(_zero_s0_model(m), starts)))
    return cands


def _tau_of_each_loss(T, k1):
    """``taus[t-1]``: the TBPTT update time that handles ``E_t``."""
    taus = np.zeros(T, dtype=int)
    prev = 0
    for tau in update_times(T, k1):
        taus[prev:tau] = tau
        prev = tau
    return taus


def _tbptt_candidates(m):
    T, k1, k2 = m["xs"].shape[0], m["k1"], m["k2"]
    t = np.arange(1, T + 1)
    starts, taus = m["starts"], _tau_of_each_loss(T, k1)
    swapped = np.minimum(np.maximum(_tau_of_each_loss(T, k2) - k1, 0), t)
    weights = (t <= T // k1 * k1).astype(float)  # no update at T
    return [
        ("tb_lookback", lambda: tangent_gradient(m, np.maximum(t - k2, 0))),
        ("tb_long", lambda: tangent_gradient(m, np.maximum(taus - k2 - 1, 0))),
        ("tb_short", lambda: tangent_gradient(m, np.minimum(np.maximum(taus - k2 + 1, 0), t))),
        ("tb_swapped", lambda: tangent_gradient(m, swapped)),
        ("tb_no_last", lambda: tangent_gradient(m, starts, weights=weights)),
        ("tb_chunks", lambda: tangent_gradient(m, np.maximum(taus - k1, 0))),
        ("tb_full", lambda: tangent_gradient(m, np.zeros(T, dtype=int))),
    ] + _common_candidates(m)


# --- hints -----------------------------------------------------------------------------------

def _matches(answer, cand):
    return all(rel_error(answer[n], cand[n]) < _hints.MATCH for n in NAMES)


def _same(cand, ref):
    return all(rel_error(cand[n], ref[n]) < TOLERANCE for n in NAMES)


def _hints_for(case, answer, candidates):
    ref, m = case.reference, case.info
    wrong = [n for n in NAMES if not rel_error(answer[n], ref[n]) < TOLERANCE]
    for perm in itertools.permutations(NAMES):
        if perm != NAMES and all(answer[n].shape == ref[p].shape and
                                 rel_error(answer[n], ref[p]) < _hints.MATCH
                                 for n, p in zip(NAMES, perm, strict=True)):
            return [MSG["order"]]
    if wrong == ["dV"]:
        cands = [((m["outs"] - m["ys"]).T @ m["states"][:-1], MSG["dV_prev"])]
        found = [msg for c, msg in cands if rel_error(answer["dV"], c) < _hints.MATCH]
        return found or (_hints.generic("dV", answer["dV"], ref["dV"]) or [
            "Only dV is wrong: dV sums (o_t - y_t) s_t^\\top over every t = 1..T (truncation does "
            "not touch dV: V reaches E_t only through o_t)."])
    cache = case.info.setdefault("_candidates", {})
    for key, thunk in candidates:
        if key not in cache:
            cache[key] = thunk()
        if not _same(cache[key], ref) and _matches(answer, cache[key]):
            return [MSG[key]]
    generic = [h for n in wrong for h in _hints.generic(n, answer[n], ref[n])]
    if generic:
        return generic
    if "dV" not in wrong:
        return ["dV is right, so your forward pass and o_t - y_t are right; the error is in the "
                "backward walk through the states: its window, the derivative s (1 - s) at each "
                "step, the product with W^\\top, and which x_j and s_{j-1} each step pairs with."]
    return ["All three gradients are off: check the forward pass first (sigmoid states from s0, "
            "o_t = softmax(V s_t)) and the output error o_t - y_t."]


def hints_truncated_bptt(case, answer):
    """Hints for ``truncated_bptt``: window, derivative, output error, s_0, return order."""
    return _hints_for(case, answer, _window_candidates(case.info))


def hints_tbptt_k1k2(case, answer):
    """Hints for ``tbptt_k1k2``: update times, window from tau, k1/k2, derivative, s_0."""
    return _hints_for(case, answer, _tbptt_candidates(case.info))


# --- the checks ------------------------------------------------------------------------------

def check_truncated_bptt(fn, *, hidden=False, seed=0):
    """Check ``truncated_bptt(xs, ys, U, V, W, k, s0=None) -> (dU, dV, dW)``.

    The reference is the numerical gradient of the surrogate loss (states before each
    window held constant), never the full gradient. Returns the fraction of cases
    passed, a built-in float.
    """
    return run_check("truncated_bptt", fn, built(truncated_bptt_cases, hidden, seed),
                     hints_truncated_bptt)


def check_tbptt_k1k2(fn, *, hidden=False, seed=0):
    """Check ``tbptt_k1k2(xs, ys, U, V, W, k1, k2, s0=None) -> (dU, dV, dW)`` (bonus)."""
    return run_check("tbptt_k1k2", fn, built(tbptt_k1k2_cases, hidden, seed), hints_tbptt_k1k2)
