"""Hints for the layer checks of notebook 7: the mistakes a minibatched layer invites.

As in :mod:`.hints`, a hint is given only when the learner's array matches a *candidate*,
what the mistake would produce, built from the case's inputs and numerical quantities of
the checker's own forward pass (``deltas[:, t] = dE/dnet_t`` measured by shifting the nets,
gradients of a loss with a changed upstream gradient). A hint never guesses.
"""

import numpy as np

from bptt_helpers.activators import get_activator

from . import hints as _hints
from .layer_model import layer_deltas, layer_forward, layer_gradient

MSG = {
    "no_bias": "Your states match a layer without the bias: net_t = x_t U^\\top + s_{t-1} W^\\top + b.",
    "W_untransposed": "Your states match s_{t-1} W instead of s_{t-1} W^\\top: with a batch of row "
                      "vectors, net_t = x_t U^\\top + s_{t-1} W^\\top + b.",
    "U_untransposed": "Your states match x_t U instead of x_t U^\\top: with a batch of row vectors, "
                      "net_t = x_t U^\\top + s_{t-1} W^\\top + b.",
    "no_s0": "Your states match a start from zeros: the first step uses s0, the given initial "
             "state (states[:, 0] = s0).",
    "no_f": "Your states match a layer without the activation: s_t = f(net_t) = "
            "activator.forward(net_t).",
    "cache_nets": "The cache's nets are the states (after the activation); it must hold "
                  "net_t itself, before activator.forward, with nets[:, 0] = 0.",
    "cache": "The cache must be (xs, states, nets, U, W, activator), in that order, holding the "
             "inputs you were given and the states and nets you computed.",
    "mean": "Your dU, dW and db are the right ones divided by the batch size N: the loss is a "
            "sum over the batch, so its gradients are sums too (no mean).",
    "db_last": "db holds only the last step: the bias is used at every step, so db sums "
               "delta_t over t = 1..T (and over the batch).",
    "db_first": "db holds only step 1: did you overwrite db in the loop instead of adding to it?",
    "db_row0": "db holds only batch row 0: sum delta_t over the whole batch (axis 0) and over time.",
    "dxs_W": "dxs is computed with W; x_t enters through x_t U^\\top, so dE/dx_t = delta_t U.",
    "dxs_UT": "dxs uses U^\\top; with row vectors, net_t = x_t U^\\top gives dE/dx_t = delta_t U (N, D).",
    "ds0_zero": "ds0 is zero: s_0 reaches the loss through net_1 = x_1 U^\\top + s_0 W^\\top + b, so "
                "ds0 = dstates[:, 0] + delta_1 W.",
    "ds0_delta1": "ds0 is delta_1 itself; s_0 reaches net_1 through W^\\top, so one more step back "
                  "is needed: ds0 = dstates[:, 0] + delta_1 W.",
    "ds0_WT": "ds0 multiplies delta_1 by W^\\top where it needs W (row vectors: s_0 W^\\top in net_1 "
              "gives delta_1 W).",
    "ds0_fprime": "ds0 is multiplied by f' at s_0: there is no net_0 (s_0 is given, not "
                  "computed), so stop at ds0 = dstates[:, 0] + delta_1 W.",
    "ds0_no_g0": "ds0 misses dstates[:, 0], the gradient that reaches s_0 from outside the "
                 "layer: ds0 = dstates[:, 0] + delta_1 W.",
    "dW_state": "dW pairs delta_t with s_t; W multiplies s_{t-1} at step t, so use states[:, t-1].",
    "up_late": "Your gradients match the upstream gradient added one step late: at step t add "
               "dstates[:, t] (the gradient of s_t; dstates has a row for every t = 0..T, like "
               "states), not dstates[:, t-1].",
    "up_early": "Your gradients match the upstream gradient added one step early: at step t add "
                "dstates[:, t], not dstates[:, t+1].",
    "up_last": "Your gradients match a loss at the last step only: dstates[:, t] must be added "
               "at every step t, not only at T.",
    "step_WT": "The step back multiplies by W^\\top where it needs W: with row vectors, "
               "net_{t+1} = ... + s_t W^\\top, so dE/ds_t gets delta_{t+1} W.",
    "step_next": "f' is taken from s_{t+1}; delta_t needs f'(net_t) = activator.backward(s_t).",
    "step_prev": "f' is taken from s_{t-1}; delta_t needs f'(net_t) = activator.backward(s_t).",
    "step_nof": "The factor f'(net_t) is missing: delta_t = (dstates[:, t] + delta_{t+1} W) * f'(net_t).",
    "step_g_after": "dstates[:, t] is added after the factor f': it is a gradient of s_t, so it "
                    "goes through f' too: delta_t = (dstates[:, t] + delta_{t+1} W) * f'(net_t).",
    "step_no_g": "dstates[:, t] is not added at step t: every step's s_t gets its own upstream "
                 "gradient, delta_t = (dstates[:, t] + delta_{t+1} W) * f'(net_t).",
    "step_s": "delta_t is multiplied by s_t itself, not by f'(net_t) = activator.backward(s_t).",
    "stack_order": "Your layers' gradients come back top layer first: return them bottom layer "
                   "first (the order of caches).",
    "stack_offset": "The layer below gets the upper layer's dxs one step off: dxs[:, t-1] of the "
                    "upper layer is the gradient of s_t of the layer below, so its dstates has "
                    "row 0 = 0 and rows 1..T = the upper layer's dxs.",
    "stack_lower": "The top layer is right and the layers below are not: check how the upper "
                   "layer's dxs becomes the dstates of the layer below (row 0 = 0, rows 1..T = dxs).",
    "stack_top": "The top layer's gradients are wrong already: that is your rnn_layer_backward "
                 "(run its own check first; a mistake there costs both exercises).",
}


def _close(a, b):
    return a.shape == b.shape and _hints.rel_error(a, b) < _hints.MATCH


def hint_for_rejection(case, message):
    """A hint for a returned value of the wrong shape, where the shape says what went wrong."""
    if message.startswith(("db has shape", "layer 1 db has shape")) and "expected (" in message:
        return ["db sums delta_t over the batch and over time: one (H,) vector."]
    if message.startswith("cache item"):
        return [MSG["cache"]]
    return []


def hints_for(case, answer, wrong, where):
    """Hints for a failed case; ``where = (name, t, row)`` of the first wrong step, or None."""
    fn = case.info["function"]
    if case.info.get("directions"):
        return []
    if fn == "rnn_layer_forward":
        return _forward_hints(case, answer, wrong)
    if fn == "rnn_stack_backward":
        return _stack_hints(case, answer, wrong)
    return _backward_hints(case, answer, wrong, where) or [
        h for n in wrong for h in _hints.generic(n, answer[n], case.reference[n])][:2]


def _forward_hints(case, answer, wrong):
    m = case.info["model"]
    f, ident = m["activator"], get_activator("identity")
    if "states" in wrong:
        variants = [("no_bias", dict(b=0 * m["b"])), ("W_untransposed", dict(W=m["W"].T)),
                    ("no_s0", dict(s0=0 * m["s0"])), ("no_f", dict(f=ident))]
        if m["U"].shape[0] == m["U"].shape[1]:
            variants.append(("U_untransposed", dict(U=m["U"].T)))
        for key, change in variants:
            p = {k: change.get(k, m[k]) for k in ("xs", "s0", "U", "W", "b")}
            states, _ = layer_forward(p["xs"], p["s0"], p["U"], p["W"], p["b"],
                                      change.get("f", f))
            if not _close(states, m["states"]) and _close(answer["states"], states):
                return [MSG[key]]
        return _hints.generic("states", answer["states"], m["states"])
    if "cache nets" in wrong and _close(answer["cache nets"], m["states"]):
        return [MSG["cache_nets"]]
    return [MSG["cache"]]


def _deltas(case):
    if "_deltas" not in case.info:
        case.info["_deltas"] = layer_deltas(case.info["model"], case.info["dstates"])
    return case.info["_deltas"]


def _upstream_candidates(case):
    """Gradients with the upstream gradient at the wrong steps: (key, thunk)."""
    m, G = case.info["model"], case.info["dstates"]
    late, early, last = np.zeros_like(G), np.zeros_like(G), np.zeros_like(G)
    late[:, 1:] = G[:, :-1]
    early[:, :-1] = G[:, 1:]
    last[:, -1] = G[:, -1]
    last[:, 0] = G[:, 0]
    return [(key, lambda g=g: layer_gradient(m, g, ("dU", "db")))  # cheap and telling
            for key, g in (("up_late", late), ("up_early", early), ("up_last", last))]


def _backward_hints(case, answer, wrong, where):
    m, G, ref = case.info["model"], case.info["dstates"], case.reference
    N, T, D = m["xs"].shape
    H = m["W"].shape[0]
    if N > 1 and {"dU", "dW", "db"} & set(wrong) and all(
            _close(answer[k], ref[k] / N) for k in ("dU", "dW", "db")):
        return [MSG["mean"]]
    delta = _deltas(case)
    W, U, S = m["W"], m["U"], m["states"]
    fp = m["activator"].backward
    cands = {"db": [(delta[:, T].sum(0), "db_last"), (delta[:, 1].sum(0), "db_first"),
                    (delta[0, 1:].sum(0), "db_row0")],
             "ds0": [(np.zeros_like(G[:, 0]), "ds0_zero"), (delta[:, 1], "ds0_delta1"),
                     (G[:, 0] + delta[:, 1] @ W.T, "ds0_WT"),
                     (G[:, 0] + (delta[:, 1] @ W) * fp(S[:, 0]), "ds0_fprime"),
                     (delta[:, 1] @ W, "ds0_no_g0")],
             "dW": [(np.einsum("nth,ntk->hk", delta[:, 1:], S[:, 1:]), "dW_state")],
             "dxs": []}
    if D == H:
        cands["dxs"] += [(delta[:, 1:] @ W, "dxs_W"), (delta[:, 1:] @ U.T, "dxs_UT")]
    hints = []
    for name in wrong:
        hints += [MSG[k] for c, k in cands.get(name, []) if _close(answer[name], c)][:1]
    if hints:
        return hints
    cache = case.info.setdefault("_candidates", {})
    for key, thunk in _upstream_candidates(case):
        if key not in cache:
            cache[key] = thunk()
        if all(_close(answer[k], v) for k, v in cache[key].items()) and not all(
                _close(v, ref[k]) for k, v in cache[key].items()):
            return [MSG[key]]
    if where is None or D < H or np.linalg.matrix_rank(U) < H:
        return []
    _, t, row = where
    got = answer["dxs"][row] @ np.linalg.pinv(U)  # (T, H): the learner's deltas of that row
    fp_at = [fp(S[row, j]) for j in range(T + 1)]

    def steps(j, nxt):
        """What each mistake makes of delta_j, given delta_{j+1} = nxt: (key, value)."""
        g, back = G[row, j], nxt @ W
        out = [("step_WT", (g + nxt @ W.T) * fp_at[j]), ("step_nof", g + back),
               ("step_g_after", g + back * fp_at[j]), ("step_no_g", back * fp_at[j]),
               ("step_s", (g + back) * S[row, j]), ("step_prev", (g + back) * fp_at[j - 1])]
        return out + ([("step_next", (g + back) * fp_at[j + 1])] if j < T else [])

    nxt = delta[row, t + 1] if t < T else np.zeros(H)
    keys = [k for k, c in steps(t, nxt) if _close(got[t - 1], c) and not _close(c, delta[row, t])]
    if t > 1:  # the same mistake one step further back, from the learner's own delta_t
        keys = [k for k in keys if _close(got[t - 2], dict(steps(t - 1, got[t - 1]))[k])]
    found = [MSG[k] for k in keys][:1]
    return found or [f"dxs is right after step {t} but not at t={t}: check one step of the "
                     "recursion, delta_t = (dstates[:, t] + delta_{t+1} W) * f'(net_t), and "
                     "dE/dx_t = delta_t U."]


def _stack_hints(case, answer, wrong):
    layers, ref = case.info["layers"], case.reference
    L = len(layers)
    names = ("dxs", "ds0", "dU", "dW", "db")
    flipped = [f"layer {L - lvl + 1} {g}" for lvl in range(1, L + 1) for g in names]
    straight = [f"layer {lvl} {g}" for lvl in range(1, L + 1) for g in names]
    if all(answer[a].shape == ref[b].shape and _close(answer[a], ref[b])
           for a, b in zip(straight, flipped, strict=True)):
        return [MSG["stack_order"]]
    if any(w.startswith(f"layer {L} ") for w in wrong):
        return [MSG["stack_top"]]
    below = layers[L - 2]
    up_dxs = ref[f"layer {L} dxs"]  # (N, T, H_below): gradient of s_1..s_T below
    shifted = np.zeros_like(below["states"])
    shifted[:, :-1] = up_dxs
    cache = case.info.setdefault("_candidates", {})
    if "offset" not in cache:
        cache["offset"] = layer_gradient(below, shifted, ("dU", "db"))
    if all(_close(answer[f"layer {L - 1} {g}"], v) for g, v in cache["offset"].items()):
        return [MSG["stack_offset"]]
    return [MSG["stack_lower"]]
