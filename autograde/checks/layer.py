"""Checks for notebook 7: the minibatched layer with a bias, and a stack of layers.

Shapes (docs/notation.md): ``xs (N, T, D)`` with ``xs[n, t-1] = x_t`` of example ``n``;
``s0 (N, H)``; ``states (N, T+1, H)`` with ``states[:, 0] = s_0`` and ``states[:, t] = s_t``
(so ``states[n]`` is notebooks 1-6's ``states`` of example ``n``); ``nets (N, T+1, H)`` with
``nets[:, 0] = 0``; ``net_t = x_t U^\\top + s_{t-1} W^\\top + b`` for a batch of row vectors.

A cache is the tuple ``(xs, states, nets, U, W, activator)``, in that order: the checker
builds it from its own forward pass for ``rnn_layer_backward`` (as a list of arrays and an
activator, which is what the trusted grading step can hand over).

``dstates (N, T+1, H)`` is the gradient from outside the layer: ``dstates[:, t] = dE/ds_t``
for ``E = sum(dstates * states)`` (a loss at every step, or the layer above); the backward
pass returns the gradient of that ``E``, so ``ds0`` includes ``dstates[:, 0]``.

Every reference is a central-difference gradient (``h = 1e-5``) of the checker's own float64
forward pass. Each check has a large case (long ``T``, wide ``H``) that finite differences
cannot finish within its time limit; its reference is a few random directional derivatives
(two forward passes each), compared with the same directions applied to the answer.
"""

import numpy as np

from .cases import ACTS, Case, Output
from .judge import run_check
from .layer_judge import judge_layer
from .layer_model import (
    DIRECTIONS,
    KEYS,
    cache_of,
    draw_layer,
    draw_stack,
    layer_directional,
    layer_gradient,
    stack_loss,
)
from .limits import case_limit  # noqa: F401 - case_limit for tests
from .memo import built
from .probes import batched_gradient, central_differences


def _label(N, T, D, H, act, m, dstates=None, large=False):
    s0 = "s_0 ≠ 0" if np.any(m["s0"]) else "s_0 = 0"
    extra = ", dstates[:, 0] ≠ 0" if dstates is not None and np.any(dstates[:, 0]) else ""
    size = "large: " if large else ""
    return f"{size}N={N}, T={T}, D={D}, H={H}, {act}, {s0}{extra}"


def _outputs(N, T, D, H, prefix=""):
    return [Output(prefix + "dxs", (N, T, D), "(N, T, D)"), Output(prefix + "ds0", (N, H), "(N, H)"),
            Output(prefix + "dU", (H, D), "(H, D)"), Output(prefix + "dW", (H, H), "(H, H)"),
            Output(prefix + "db", (H,), "(H,)")]


# --- plans: (N, T, D, H, activator, nonzero s0, nonzero dstates[:, 0]) --------------------------

VISIBLE = [(1, 1, 3, 4, "tanh", True, False),  # N = 1, T = 1
           (2, 2, 3, 3, "identity", False, False),  # D = H: U and W have the same shape
           (3, 3, 4, 3, "sigmoid", True, False),
           (2, 5, 4, 4, "relu", True, True),
           (4, 12, 5, 4, "tanh", True, True),
           (3, 16, 3, 3, "sigmoid", False, False)]
LARGE = {False: (8, 200, 16, 32, "tanh"), True: (16, 300, 24, 48, "sigmoid")}


def _plan(hidden, seed, salt):
    plan = list(VISIBLE)
    if hidden:
        rng = np.random.default_rng([seed, salt])
        for i in range(10):
            H = int(rng.integers(2, 7))
            plan.append((int(rng.integers(1, 5)), int(rng.integers(1, 21)),
                         int(rng.integers(H - 1, H + 3)), H, ACTS[i % 4],
                         bool(rng.integers(0, 4)), bool(rng.integers(0, 2))))
    return plan


def _large_plans(hidden):
    return [LARGE[False]] + ([LARGE[True]] if hidden else [])


# --- rnn_layer_forward(xs, s0, U, W, b, activator) -> (states, cache) ---------------------------

def rnn_layer_forward_cases(hidden=False, seed=0):
    """Cases for ``rnn_layer_forward``: the states and the cache ``(xs, states, nets, U, W, f)``."""
    cases = []
    plan = _plan(hidden, seed, 70) + [p + (True, False) for p in _large_plans(hidden)]
    for i, (N, T, D, H, act, nz, _) in enumerate(plan):
        m = draw_layer(np.random.default_rng([seed, 71, i]), N, T, D, H, act, nz)
        cases.append(Case(
            label=_label(N, T, D, H, act, m, large=T >= 100),
            arg_names=["xs", "s0", "U", "W", "b", "activator"],
            args=[m["xs"], m["s0"], m["U"], m["W"], m["b"], m["activator"]],
            outputs=[Output("states", (N, T + 1, H), "(N, T+1, H)")],
            reference={"states": m["states"], "nets": m["nets"]},
            info={"function": "rnn_layer_forward", "model": m},
            time_axis="states", ref_seconds=m["ref_seconds"]))
    return cases


# --- rnn_layer_backward(dstates, cache) -> (dxs, ds0, dU, dW, db) -------------------------------

def rnn_layer_backward_cases(hidden=False, seed=0):
    """Cases for ``rnn_layer_backward`` with ``E = sum(dstates * states)``."""
    cases = []
    plan = _plan(hidden, seed, 72) + [p + (True, True) for p in _large_plans(hidden)]
    for i, (N, T, D, H, act, nz, d0) in enumerate(plan):
        rng = np.random.default_rng([seed, 73, i])
        m = draw_layer(rng, N, T, D, H, act, nz)
        dstates = rng.standard_normal((N, T + 1, H))
        dstates[:, 0] *= d0
        large = T >= 100
        info = {"function": "rnn_layer_backward", "model": m, "dstates": dstates}
        if large:
            info["directions"], reference = layer_directional(m, dstates, rng)
        else:
            reference = layer_gradient(m, dstates)
        cases.append(Case(
            label=_label(N, T, D, H, act, m, dstates, large),
            arg_names=["dstates", "cache"], args=[dstates, cache_of(m)],
            outputs=_outputs(N, T, D, H), reference=reference, info=info,
            time_axis="dxs", ref_seconds=m["ref_seconds"], long_steps=T if large else 0))
    return cases


# --- rnn_stack_backward(dstates, caches) -> [(dxs, ds0, dU, dW, db) per layer] ------------------

STACK_VISIBLE = [  # (N, T, D, (H_1, H_2, ...), (activator per layer), nonzero s0)
    (1, 1, 2, (3, 2), ("tanh", "tanh"), True),
    (2, 3, 3, (4, 3), ("tanh", "sigmoid"), True),
    (3, 6, 2, (3, 4), ("relu", "identity"), False),
    (2, 10, 3, (4, 4), ("sigmoid", "tanh"), True)]
STACK_LARGE = {False: (8, 150, 12, (24, 32), ("tanh", "sigmoid"), True),
               True: (12, 200, 16, (32, 24, 32), ("sigmoid", "tanh", "tanh"), True)}


def rnn_stack_backward_cases(hidden=False, seed=0):
    """Cases for ``rnn_stack_backward``: 2 or 3 layers, the upstream gradient at the top."""
    plan = list(STACK_VISIBLE)
    if hidden:
        rng = np.random.default_rng([seed, 74])
        for i in range(5):
            L = 2 + (i == 4)
            plan.append((int(rng.integers(1, 5)), int(rng.integers(1, 20)), int(rng.integers(1, 5)),
                         tuple(int(h) for h in rng.integers(2, 6, L)),
                         tuple(ACTS[(i + j) % 4] for j in range(L)), bool(rng.integers(0, 3))))
    plan += [STACK_LARGE[False]] + ([STACK_LARGE[True]] if hidden else [])
    cases = []
    for i, (N, T, D, Hs, acts, nz) in enumerate(plan):
        rng = np.random.default_rng([seed, 75, i])
        layers = draw_stack(rng, N, T, D, Hs, acts, nz)
        dstates = rng.standard_normal((N, T + 1, Hs[-1]))
        dstates[:, 0] = 0.0
        large, reference, outputs, info = T >= 100, {}, [], {"directions": {}}
        for lvl, m in enumerate(layers):
            prefix = f"layer {lvl + 1} "
            outputs += _outputs(N, T, m["xs"].shape[2], Hs[lvl], prefix)
            for g, k in KEYS.items():
                def loss(v, lvl=lvl, k=k, layers=layers, dstates=dstates):
                    return stack_loss(layers, dstates, lvl, **{k: v})
                if large:
                    v = rng.standard_normal((DIRECTIONS,) + m[k].shape)
                    info["directions"][prefix + g] = v
                    reference[prefix + g] = central_differences(loss, m[k], v)
                else:
                    reference[prefix + g] = batched_gradient(loss, m[k])
        if not large:
            del info["directions"]
        info["time_axes"] = [f"layer {lvl} dxs" for lvl in range(len(Hs), 0, -1)]
        info.update(function="rnn_stack_backward", layers=layers, dstates=dstates)
        label = (f"{'large: ' if large else ''}N={N}, T={T}, D={D}, {len(Hs)} layers, "
                 f"H={'/'.join(map(str, Hs))}, {'/'.join(acts)}, "
                 f"{'s_0 ≠ 0' if nz else 's_0 = 0'}")
        cases.append(Case(
            label=label, arg_names=["dstates", "caches"],
            args=[dstates, [cache_of(m) for m in layers]], outputs=outputs,
            reference=reference, info=info, time_axis="layer 1 dxs",
            ref_seconds=sum(m["ref_seconds"] for m in layers), long_steps=T if large else 0))
    return cases


# --- the checks -------------------------------------------------------------------------------

def check_rnn_layer_forward(fn, *, hidden=False, seed=0):
    """Check ``rnn_layer_forward(xs, s0, U, W, b, activator) -> (states, cache)``."""
    return run_check("rnn_layer_forward", fn, built(rnn_layer_forward_cases, hidden, seed), None,
                     judge_fn=judge_layer)


def check_rnn_layer_backward(fn, *, hidden=False, seed=0):
    """Check ``rnn_layer_backward(dstates, cache) -> (dxs, ds0, dU, dW, db)``."""
    return run_check("rnn_layer_backward", fn, built(rnn_layer_backward_cases, hidden, seed),
                     None, judge_fn=judge_layer)


def check_rnn_stack_backward(fn, *, hidden=False, seed=0):
    """Check ``rnn_stack_backward(dstates, caches) -> [(dxs, ds0, dU, dW, db) per layer]``."""
    return run_check("rnn_stack_backward", fn, built(rnn_stack_backward_cases, hidden, seed),
                     None, judge_fn=judge_layer)
