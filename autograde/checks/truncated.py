"""Checks for notebook 4: ``truncated_bptt`` and the bonus ``tbptt_k1k2``.

A truncated gradient is not the gradient of the loss, so it is never compared
with the full gradient. The reference is the central-difference gradient
(``h = 1e-5``) of the *surrogate* loss computed with the checker's own forward
pass: each ``E_t`` is computed from the state ``s_{start(t)}`` held constant at
its value under the unperturbed parameters, where ``start(t) = max(t-k, 0)`` for
look-back ``k`` and ``max(tau-k2, 0)`` for TBPTT(k1, k2) (``tau`` is the update
that handles ``E_t``). The models and that reference are built in
:mod:`.truncated_model`, the hints in :mod:`.truncated_hints`.

Regime: sigmoid states with ``sigma_max(W) = 6`` (``f' <= 1/4``; at 1.5 a window one
step too long scores only 6e-6 at ``k = 8`` and would pass), ``T`` from 1 to 20
(hidden: up to 25), ``k`` = 1, small ``k`` below ``T``, ``k = T``, ``k > T`` and
``None``, nonzero ``s_0``, ``D != H``, one-hot targets of 2 to 5 classes.
"""

import numpy as np

from bptt_helpers.softmax_rnn import tbptt_starts, window_starts

from .cases import Case, Output
from .judge import run_check
from .large import tbptt_k1k2_long, truncated_bptt_long
from .memo import built
from .truncated_hints import hints_tbptt_k1k2, hints_truncated_bptt
from .truncated_model import softmax_model, surrogate_gradient

# --- cases -----------------------------------------------------------------------------------

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
