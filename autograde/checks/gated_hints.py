"""Hints for the gated-cell checks of notebook 9: the classic LSTM mistakes.

As in :mod:`.layer_hints`, a hint is given only when the learner's arrays match a
*candidate*, what the mistake would produce. A candidate is a numerical gradient of a
surrogate forward pass (:mod:`.gated_model`) with the real values and the mistake's
derivatives, so no backward formula is written out here. A hint never guesses.
"""

import itertools

import numpy as np

from . import hints as _hints
from .gated_model import gru_gradient, lstm_gradient, step_gradient

MSG = {
    "no_carry": "The cell state's gradient is not carried back: c_{t-1} reaches the loss "
                "through c_t = f_t * c_{t-1} + i_t * g_t too, so dE/dc_{t-1} gets dc_t * f_t "
                "from step t on top of what comes through h_{t-1}; pass it to the step before.",
    "step_no_dc": "You ignore dc, the gradient that reaches c_t from the next step: the whole "
                  "gradient of c_t is dc + dh * o_t * (1 - tanh(c_t)^2).",
    "forget_ct": "The forget gate's gradient uses c_t where it needs c_{t-1}: f_t multiplies "
                 "c_{t-1} in c_t = f_t * c_{t-1} + i_t * g_t, so dE/df_t = dc_t * c_{t-1}.",
    "dc_prev_no_f": "dc_prev is the cell gradient itself: c_{t-1} enters c_t multiplied by the "
                    "forget gate, so dE/dc_{t-1} = dc_t * f_t.",
    "no_tanh_prime": "The path through h_t misses tanh'(c_t): h_t = o_t * tanh(c_t), so c_t gets "
                     "dh_t * o_t * (1 - tanh(c_t)^2), not dh_t * o_t.",
    "o_from_c": "The output gate's gradient uses c_t where it needs tanh(c_t): h_t = o_t * "
                "tanh(c_t), so dE/do_t = dh_t * tanh(c_t).",
    "o_prime_from_h": "The output gate's derivative is taken from h_t: a sigmoid's derivative "
                      "comes from its own output, o_t * (1 - o_t).",
    "no_gate_prime": "Your weight gradients use the gradients of the gates' outputs (di, df, dg, "
                     "do) where they need those of the pre-activations a_t: multiply each by its "
                     "gate's derivative first, s * (1 - s) for the sigmoids i, f, o and 1 - g^2 "
                     "for the tanh candidate g.",
    "g_sigmoid_prime": "The candidate g is a tanh, not a sigmoid: its derivative is 1 - g^2, "
                       "not g * (1 - g).",
    "up_last": "Your gradients match a loss at the last step only: dhs[:, t] is the gradient "
               "of h_t from outside, to be added at every step t, not only at T.",
    "no_g0": "dh0 misses dhs[:, 0], the gradient that reaches h_0 from outside: dh0 = "
             "dhs[:, 0] + what step 1 sends back.",
    "gru_z_direct": "The direct path from h_{t-1} has the wrong weight: h_t = (1 - z_t) * n_t + "
                    "z_t * h_{t-1}, so dh_prev gets dh * z_t (not 1 - z_t) besides what comes back "
                    "through the gates.",
    "gru_dz_sign": "The update gate's gradient has the wrong sign: h_t = (1 - z_t) * n_t + z_t * "
                   "h_{t-1} gives dE/dz_t = dh * (h_{t-1} - n_t).",
    "gru_no_r": "The recurrent side of the candidate misses the reset gate: n_t sees r_t * "
                "(h_{t-1} W_n^\\top), so the n block of dW and the path back to h_{t-1} get the "
                "candidate's pre-activation gradient times r_t.",
    "gru_dr_from_h": "The reset gate's gradient uses h_{t-1} where it needs h_{t-1} W_n^\\top, the "
                     "recurrent part of the candidate that r_t multiplies.",
    "gru_no_gate_prime": "Your gradients use the gradients of the gates' outputs (dr, dz, dn) where "
                         "they need those of the pre-activations: multiply each by its gate's "
                         "derivative, s * (1 - s) for r and z and 1 - n^2 for the tanh candidate n.",
    "gru_n_sigmoid_prime": "The candidate n is a tanh, not a sigmoid: its derivative is 1 - n^2, "
                           "not n * (1 - n).",
    "order": "Your blocks of db come in the order {got} where the course's order is {want}: "
             "rows 0:H belong to {first}, and so on (docs/notation.md).",
}
SURROGATES = ("no_carry", "forget_ct", "dc_prev_no_f", "no_tanh_prime", "o_from_c",
              "o_prime_from_h", "no_gate_prime", "g_sigmoid_prime")
GRU_SURROGATES = ("gru_z_direct", "gru_dz_sign", "gru_no_r", "gru_dr_from_h",
                  "gru_no_gate_prime", "gru_n_sigmoid_prime")
SEQ_KEYS = ("db", "dh0", "dc0")
MAX_T_FOR_HINTS = 6  # longer cases say "same problem as case N" or show the generic hints


def _close(a, b):
    return a.shape == b.shape and _hints.rel_error(a, b) < _hints.MATCH


def rejection_hints(case, message):
    """A hint for a returned value of the wrong shape, where the shape says what went wrong."""
    n = {"lstm_step_backward": 4, "lstm_backward": 4, "gru_step_backward": 3}[case.info["function"]]
    if message.startswith(("db has shape", "dU has shape", "dW has shape")):
        return [f"U, W and b hold all {n} gates at once, one block of H rows per gate: "
                f"their gradients have {n}H rows too."]
    return []


def _order_hint(case, answer):
    letters = "ifgo" if case.info["function"] != "gru_step_backward" else "rzn"
    H, ref = case.info["H"], case.reference["db"]
    blocks = [ref[j * H:(j + 1) * H] for j in range(len(letters))]
    for perm in itertools.permutations(range(len(letters))):
        if list(perm) == sorted(perm):
            continue
        cand = np.concatenate([blocks[p] for p in perm])
        if _close(answer["db"], cand) and not _close(cand, ref):
            got = ", ".join(letters[p] for p in perm)
            return [MSG["order"].format(got=got, want=", ".join(letters), first=letters[0])]
    return []


def _candidates(case):
    """``(key, {name: candidate})`` one at a time, each computed once per case (cases are cached)."""
    store = case.info.setdefault("_candidates", {})
    if case.info["function"] == "gru_step_backward":
        s, dh = case.info["step"], case.info["dh"]
        makers = [(k, lambda k=k: gru_gradient(s, dh, k)) for k in GRU_SURROGATES]
    elif case.info["function"] == "lstm_step_backward":
        s, dh, dc = case.info["step"], case.info["dh"], case.info["dc"]
        makers = [("step_no_dc", lambda: step_gradient(s, dh, 0 * dc))] + [
            (k, lambda k=k: step_gradient(s, dh, dc, k)) for k in SURROGATES if k != "no_carry"]
    else:
        m, dhs = case.info["model"], case.info["dhs"]
        last = np.zeros_like(dhs)
        last[:, -1] = dhs[:, -1]
        makers = [(k, lambda k=k: lstm_gradient(m, dhs, k, SEQ_KEYS)) for k in SURROGATES] + [
            ("up_last", lambda: lstm_gradient(m, last, names=SEQ_KEYS))]
    for key, make in makers:
        if key not in store:
            store[key] = make()
        yield key, store[key]


def _matches(key, cand, answer, ref):
    names = list(cand)
    differs = [k for k in names if not _close(cand[k], ref[k])]
    if not differs:
        return False
    must = names
    if key == "no_carry" and differs != ["dc0"]:
        must = [k for k in names if k != "dc0"]  # dc0 depends on how the carry was dropped
    return all(_close(answer[k], cand[k]) for k in must)


def hints_for(case, answer, wrong):
    """Hints for a failed case of a gated-cell check (none for the large case)."""
    fn = case.info["function"]
    if case.info.get("directions"):
        return []
    if "db" in wrong:
        found = _order_hint(case, answer)
        if found:
            return found
    ref = case.reference
    if fn == "lstm_backward":
        if wrong == ["dh0"]:
            d0 = case.info["dhs"][:, 0]
            if np.any(d0) and _close(answer["dh0"], ref["dh0"] - d0):
                return [MSG["no_g0"]]
        if case.info["model"]["xs"].shape[1] > MAX_T_FOR_HINTS:
            return [h for n in wrong for h in _hints.generic(n, answer[n], ref[n])][:2]
    for key, cand in _candidates(case):
        if _matches(key, cand, answer, ref):
            return [MSG[key]]
    return [h for n in wrong for h in _hints.generic(n, answer[n], ref[n])][:2]
