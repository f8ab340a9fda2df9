"""Hints for notebook 4's checks: ``truncated_bptt`` and the bonus ``tbptt_k1k2``.

Hints never guess: each catalogued mistake is turned into a *candidate* answer
and a hint is given only when the learner's three tensors all match one. The
candidates are numerical gradients too, of a tangent model of the surrogate (the
recurrence linearised at the unperturbed states, :func:`.truncated_model.tangent_gradient`)
in which one thing is changed the way the mistake changes it: where each window starts, the
slope used for ``f'``, the matrix the backward pass multiplies by, the state ``dW`` pairs with,
or the output error. No gradient formula is written out here.
"""

import itertools

import numpy as np

from bptt_helpers.numgrad import TOLERANCE, rel_error
from bptt_helpers.softmax_rnn import SIGMOID, update_times

from . import hints as _hints
from .truncated_model import _zero_s0_model, tangent_gradient

NAMES = ("dU", "dV", "dW")


# --- candidates: numerical gradients of a changed tangent model ------------------------------

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
