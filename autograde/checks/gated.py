r"""Checks for notebook 9: an LSTM step, an LSTM through time, and (bonus) a GRU step.

Shapes (docs/notation.md): a batch of row vectors, fused weights, gates in PyTorch's order.
LSTM: ``a_t = x_t U^\top + h_{t-1} W^\top + b`` with ``U (4H, D)``, ``W (4H, H)``, ``b (4H,)``
and blocks i, f, g, o; ``c_t = f_t * c_{t-1} + i_t * g_t``, ``h_t = o_t * tanh(c_t)``.

* ``lstm_step_backward(dh, dc, cache) -> (dx, dh_prev, dc_prev, dU, dW, db)`` for
  ``E = sum(dh * h_t) + sum(dc * c_t)``, ``cache = (x, h_prev, c_prev, gates, c, U, W)``;
* ``lstm_backward(dhs, cache) -> (dxs, dh0, dc0, dU, dW, db)`` for ``E = sum(dhs * hs)``,
  ``cache = (xs, hs, cs, gates, U, W)``;
* ``gru_step_backward(dh, cache) -> (dx, dh_prev, dU, dW, db)`` for ``E = sum(dh * h_t)``,
  ``cache = (x, h_prev, gates, U, W)``, blocks r, z, n.

Every reference is a central-difference gradient (``h = 1e-5``) of the checker's own float64
forward pass (:mod:`.gated_model`), except in each check's large case, compared along random
directions as in notebook 7: ``lstm_backward``'s is too long for finite differences within its
limit, and each step function's (:data:`STEP_LARGE`, ``h =`` :data:`.gated_model.STEP_H`) has
too many weights. A large case gates its check (``long_steps``, :func:`.scoring.check_score`):
failing it scores the check 0.
"""

from functools import lru_cache

import numpy as np

from .cases import Case, Output
from .gated_judge import judge_gated
from .gated_model import (
    draw_gru,
    draw_lstm,
    gru_directional,
    gru_gradient,
    gru_loss,
    lstm_cache,
    lstm_directional,
    lstm_gradient,
    step_directional,
    step_gradient,
    step_loss,
    step_model,
)
from .judge import run_check
from .memo import built
from .probes import best_time

# (N, D, H, nonzero h_prev and c_prev, saturated gates)
STEP_VISIBLE = [(1, 3, 2, True, False), (2, 3, 4, True, False), (3, 2, 3, False, False),
                (4, 5, 3, True, True), (2, 4, 4, True, False)]
# (N, T, D, H, nonzero h0 and c0, saturated gates, nonzero dhs[:, 0])
SEQ_VISIBLE = [(1, 1, 3, 2, True, False, True), (2, 2, 3, 3, False, False, False),
               (3, 3, 4, 3, True, False, True), (2, 6, 3, 4, True, True, False),
               (4, 12, 5, 4, True, False, True), (3, 16, 3, 3, True, False, False)]
SEQ_LARGE = {False: (4, 150, 8, 24), True: (8, 200, 12, 32)}
# (N, D, H) of each step function's large case, visible and hidden (drawn from the seed): about
# 5e5 weights, so finite differences take about 1e6 forward steps, minutes against a 2 s limit,
# while backpropagation is a few matrix products (docs/grading_integrity.md, a1)
STEP_LARGE = (8, 256, 256)
HIDDEN_EXTRA = 8


def _state(nonzero, sat, N):
    words = ["h_prev, c_prev ≠ 0" if nonzero else "h_prev = c_prev = 0",
             "saturated gates" if sat else "unsaturated gates"]
    return f"N={N}, " + ", ".join(words)


def _step_plan(hidden, seed, salt):
    plan = list(STEP_VISIBLE)
    if hidden:
        rng = np.random.default_rng([seed, salt])
        for i in range(HIDDEN_EXTRA):
            H = int(rng.integers(1, 6))
            plan.append((int(rng.integers(1, 5)), int(rng.integers(1, 6)), H,
                         bool(rng.integers(0, 4)), i % 3 == 2))
    return plan


def _out(name, shape, symbols):
    return Output(name, shape, symbols)


# --- lstm_step_backward(dh, dc, cache) -> (dx, dh_prev, dc_prev, dU, dW, db) -----------------

def _lstm_step_case(rng, N, D, H, nz, sat, large=False):
    """One case; a ``large`` one is compared along random directions and gates the check."""
    s = step_model(draw_lstm(rng, N, 1, D, H, nz, sat))
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    info = {"function": "lstm_step_backward", "step": s, "dh": dh, "dc": dc, "H": H}
    if large:
        info["directions"], reference = step_directional(s, dh, dc, rng)
    else:
        reference = step_gradient(s, dh, dc)
    return Case(
        label=f"{'large: ' if large else ''}{_state(nz, sat, N)}, D={D}, H={H}",
        arg_names=["dh", "dc", "cache"], args=[dh, dc, s["cache"]],
        outputs=[_out("dx", (N, D), "(N, D)"), _out("dh_prev", (N, H), "(N, H)"),
                 _out("dc_prev", (N, H), "(N, H)"), _out("dU", (4 * H, D), "(4H, D)"),
                 _out("dW", (4 * H, H), "(4H, H)"), _out("db", (4 * H,), "(4H,)")],
        reference=reference, info=info, long_steps=int(large),
        ref_seconds=best_time(lambda: step_loss(s, dh, dc)) if large else 0.0)


@lru_cache(maxsize=8)
def _lstm_step_cases(hidden, seed):
    cases = [_lstm_step_case(np.random.default_rng([seed, 81, i]), *row)
             for i, row in enumerate(_step_plan(hidden, seed, 80))]
    large = _lstm_step_case(np.random.default_rng([seed, 86]), *STEP_LARGE, True, False, True)
    return (*cases, large)


def lstm_step_backward_cases(hidden=False, seed=0):
    """Cases for ``lstm_step_backward`` with ``E = sum(dh * h_t) + sum(dc * c_t)``, one large."""
    return list(_lstm_step_cases(bool(hidden), int(seed)))


# --- lstm_backward(dhs, cache) -> (dxs, dh0, dc0, dU, dW, db) ----------------------------------

def _seq_plan(hidden, seed):
    """Visible: the fixed plan and one large case; hidden: random extras and a larger case."""
    if not hidden:
        return SEQ_VISIBLE + [SEQ_LARGE[False] + (True, False, True)]
    rng = np.random.default_rng([seed, 82])
    plan = []
    for i in range(HIDDEN_EXTRA):
        H = int(rng.integers(2, 6))
        plan.append((int(rng.integers(1, 5)), int(rng.integers(1, 13)),
                     int(rng.integers(H - 1, H + 3)), H, bool(rng.integers(0, 4)), i % 3 == 2,
                     bool(rng.integers(0, 2))))
    return plan + [SEQ_LARGE[True] + (True, False, True)]


@lru_cache(maxsize=8)
def _lstm_cases(hidden, seed):
    """The visible cases; the hidden ones are the same cases and more (built once)."""
    cases = list(_lstm_cases(False, seed)) if hidden else []
    for i, (N, T, D, H, nz, sat, d0) in enumerate(_seq_plan(hidden, seed), 100 * hidden):
        rng = np.random.default_rng([seed, 83, i])
        m = draw_lstm(rng, N, T, D, H, nz, sat)
        dhs = rng.standard_normal((N, T + 1, H))
        dhs[:, 0] *= d0
        large = T >= 100
        info = {"function": "lstm_backward", "model": m, "dhs": dhs, "H": H}
        if large:
            info["directions"], reference = lstm_directional(m, dhs, rng)
        else:
            reference = lstm_gradient(m, dhs)
        label = (f"{'large: ' if large else ''}N={N}, T={T}, D={D}, H={H}, "
                 f"{'h0, c0 ≠ 0' if nz else 'h0 = c0 = 0'}, "
                 f"{'saturated' if sat else 'unsaturated'} gates"
                 f"{', dhs[:, 0] ≠ 0' if d0 else ''}")
        cases.append(Case(
            label=label, arg_names=["dhs", "cache"], args=[dhs, lstm_cache(m)],
            outputs=[_out("dxs", (N, T, D), "(N, T, D)"), _out("dh0", (N, H), "(N, H)"),
                     _out("dc0", (N, H), "(N, H)"), _out("dU", (4 * H, D), "(4H, D)"),
                     _out("dW", (4 * H, H), "(4H, H)"), _out("db", (4 * H,), "(4H,)")],
            reference=reference, info=info, time_axis="dxs", ref_seconds=m["ref_seconds"],
            long_steps=T if large else 0))
    return tuple(cases)


def lstm_backward_cases(hidden=False, seed=0):
    """Cases for ``lstm_backward`` with ``E = sum(dhs * hs)``, one of them large."""
    return list(_lstm_cases(bool(hidden), int(seed)))


# --- gru_step_backward(dh, cache) -> (dx, dh_prev, dU, dW, db) ---------------------------------

def _gru_case(rng, N, D, H, nz, sat, large=False):
    """One case; a ``large`` one is compared along random directions and gates the check."""
    s = draw_gru(rng, N, D, H, nz, sat)
    dh = rng.standard_normal((N, H))
    info = {"function": "gru_step_backward", "step": s, "dh": dh, "H": H}
    if large:
        info["directions"], reference = gru_directional(s, dh, rng)
    else:
        reference = gru_gradient(s, dh)
    state = _state(nz, sat, N).replace(", c_prev", "").replace(" = c_prev", "")
    return Case(
        label=f"{'large: ' if large else ''}{state}, D={D}, H={H}",
        arg_names=["dh", "cache"], args=[dh, s["cache"]],
        outputs=[_out("dx", (N, D), "(N, D)"), _out("dh_prev", (N, H), "(N, H)"),
                 _out("dU", (3 * H, D), "(3H, D)"), _out("dW", (3 * H, H), "(3H, H)"),
                 _out("db", (3 * H,), "(3H,)")],
        reference=reference, info=info, long_steps=int(large),
        ref_seconds=best_time(lambda: gru_loss(s, dh)) if large else 0.0)


@lru_cache(maxsize=8)
def _gru_cases(hidden, seed):
    cases = [_gru_case(np.random.default_rng([seed, 85, i]), *row)
             for i, row in enumerate(_step_plan(hidden, seed, 84))]
    return (*cases, _gru_case(np.random.default_rng([seed, 87]), *STEP_LARGE, True, False, True))


def gru_step_backward_cases(hidden=False, seed=0):
    """Cases for ``gru_step_backward`` with ``E = sum(dh * h_t)``, one large."""
    return list(_gru_cases(bool(hidden), int(seed)))


# --- the checks -------------------------------------------------------------------------------

def check_lstm_step_backward(fn, *, hidden=False, seed=0):
    """Check ``lstm_step_backward(dh, dc, cache) -> (dx, dh_prev, dc_prev, dU, dW, db)``."""
    return run_check("lstm_step_backward", fn, built(lstm_step_backward_cases, hidden, seed), None,
                     judge_fn=judge_gated)


def check_lstm_backward(fn, *, hidden=False, seed=0):
    """Check ``lstm_backward(dhs, cache) -> (dxs, dh0, dc0, dU, dW, db)``."""
    return run_check("lstm_backward", fn, built(lstm_backward_cases, hidden, seed), None,
                     judge_fn=judge_gated)


def check_gru_step_backward(fn, *, hidden=False, seed=0):
    """Check ``gru_step_backward(dh, cache) -> (dx, dh_prev, dU, dW, db)`` (bonus)."""
    return run_check("gru_step_backward", fn, built(gru_step_backward_cases, hidden, seed), None,
                     judge_fn=judge_gated)
