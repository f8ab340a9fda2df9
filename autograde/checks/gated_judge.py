"""Judging the gated-cell checks of notebook 9: the first wrong step, the batch row, the gate.

The comparison and the walk back over time are notebook 7's (:mod:`.layer_judge`); what is new
is naming the gate: the weight gradients ``dU``, ``dW`` and ``db`` have one block of ``H`` rows
per gate (i, f, g, o for an LSTM; r, z, n for a GRU), and the feedback says which blocks are
off. A case passes only when every error is a finite number below the tolerance.
"""

import numpy as np

from bptt_helpers.numgrad import TOLERANCE

from . import judge as _judge
from .gated_hints import hints_for, rejection_hints
from .layer_judge import compare_answer, wrong_step_and_row

GATES = {"lstm_step_backward": "ifgo", "lstm_backward": "ifgo", "gru_step_backward": "rzn"}
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g",
              "o": "output gate o", "r": "reset gate r", "z": "update gate z",
              "n": "candidate n"}
PER_EXAMPLE = ("dx", "dh_prev", "dc_prev", "dh0", "dc0")


def gates_off(case, answer, wrong):
    """``{gate letter: largest block error}`` over the wrong ``dU``, ``dW``, ``db``."""
    letters, H = GATES[case.info["function"]], case.info["H"]
    off = {}
    for name in ("db", "dU", "dW"):
        if name not in wrong:
            continue
        a, n = answer[name], case.reference[name]
        scale = max(float(np.linalg.norm(n)), 1e-12)
        for j, g in enumerate(letters):
            err = float(np.linalg.norm(a[j * H:(j + 1) * H] - n[j * H:(j + 1) * H])) / scale
            if not err < TOLERANCE:
                off[g] = max(off.get(g, 0.0), err if np.isfinite(err) else np.inf)
    return off


def gate_line(case, off):
    """One line naming the gates whose rows of the weight gradients are off."""
    letters, H = GATES[case.info["function"]], case.info["H"]
    if not off:
        return None
    named = [f"{GATE_NAMES[g]} (rows {j * H}:{(j + 1) * H})" for j, g in enumerate(letters)
             if g in off]
    right = [GATE_NAMES[g] for g in letters if g not in off]
    worst = max(off, key=off.get)
    text = "the gate whose gradient is off: " if len(named) == 1 else "gates whose gradients are off: "
    line = text + ", ".join(named)
    if right:
        line += f"; right: {', '.join(right)}"
    if len(named) > 1:
        line += f"; most off: {GATE_NAMES[worst]}"
    line += " (blocks of dU, dW and db)"
    if len(named) > 1 and case.info["function"] == "lstm_backward":
        line += ("; summed over all steps, where a mistake at one step reaches every gate of "
                 "the steps before it: the cases with T=1 name the gate of one step")
    return line


def _rows(a, n):
    """Batch rows of a per-example ``(N, X)`` tensor that are off."""
    scale = max(float(np.linalg.norm(n)), 1e-12)
    errs = np.linalg.norm(a - n, axis=1) / scale
    return [int(r) for r in np.flatnonzero(~(errs < TOLERANCE))]


def judge_gated(case, outcome):
    """``(passed, lines)`` for a case of a gated-cell check (the registry's property judge)."""
    passed, lines, answer, wrong = compare_answer(case, outcome, _judge.normalise_outputs,
                                                  rejection_hints)
    if answer is None:
        return passed, lines
    if case.info.get("directions"):
        which = "step, row and gate" if case.time_axis else "row and gate"
        lines.append("(this large case compares your gradients along random directions with "
                     f"directional derivatives; the smaller cases show which {which} are wrong)")
        return False, lines
    if case.time_axis in wrong:
        T = case.info["dhs"].shape[1] - 1
        where = wrong_step_and_row(answer["dxs"], case.reference["dxs"], T)
        if where is not None:
            t, row, err, rows = where
            others = (f"; wrong rows at this step: {', '.join(map(str, rows))}"
                      if len(rows) > 1 else "")
            lines.append(f"first wrong time step, walking back from T={T}: t={t}, batch row "
                         f"{row} (dxs[{row}, {t - 1}] is off by {err:.1e} of the whole "
                         f"tensor's norm){others}")
    for name in PER_EXAMPLE:
        if name in wrong and name != case.time_axis:
            rows = _rows(answer[name], case.reference[name])
            if rows and len(rows) < answer[name].shape[0]:
                lines.append(f"{name} is wrong in batch rows {', '.join(map(str, rows))}")
    gate = gate_line(case, gates_off(case, answer, wrong))
    if gate:
        lines.append(gate)
    try:
        hints = hints_for(case, answer, wrong)
    except Exception:  # a hint must never break a check  # pragma: no cover
        hints = []
    return False, lines + [f"hint: {h}" for h in hints]
