"""Long cases: too large for finite differences, cheap for backpropagation.

Each gradient check (``calc_delta``, ``calc_gradient``, ``truncated_bptt``, the bonus
``tbptt_k1k2``) gets one case on a sequence of :data:`T_LONG` steps with ``H = 64``.
One backward walk costs about one forward pass; finite differences cost one or two
forward passes per entry (``T H`` of them for the deltas), or, vectorised over a
step's ``H`` directions, ``T/2`` passes' worth of matrix products. The case's time
limit is :data:`LONG_FACTOR` times the checker's own forward pass on it (at least
:data:`autograde.checks.limits.MIN_LIMIT`), far above honest code and far below
finite differences: measured in ``benchmarks/no_backprop.py``.

The reference is never a backward-pass formula (learners can import this package):
it is a set of random directional derivatives of the loss, see :mod:`.probes`.

Regime: orthogonal ``W`` with small inputs, so that deltas neither vanish nor explode
over the whole sequence (tanh: ``|delta_1| / |delta_T|`` about 0.2-1; sigmoid states
are centred on 1/2 by a constant input feature, so ``f'`` stays near its maximum 1/4
and ``W = 4 Q`` keeps the backward walk's gain near 1 inside each window).
"""

from functools import lru_cache

import numpy as np

from bptt_helpers.activators import get_activator
from bptt_helpers.data import one_hot
from bptt_helpers.rnn import rnn_forward
from bptt_helpers.softmax_rnn import (
    cross_entropy,
    softmax,
    softmax_rnn_forward,
    tbptt_starts,
    window_starts,
    windowed_loss,
)

from .cases import Case, Output
from .probes import (
    Probe,
    best_time,
    central_difference,
    central_differences,
    orthogonal,
    time_blocks,
    unit,
)

T_LONG = 1000
T_LONG_TRUNCATED = 500  # a window per loss makes the surrogate k times dearer to evaluate
H_LONG = 64
LONG_FACTOR = 1000  # a long case may take this many times the checker's forward pass
N_BLOCKS = 10  # time blocks of the deltas' directions
PER_BLOCK = 2  # directions per block
PER_MATRIX = 2  # directions per weight matrix


def _label(T, H, extra):
    return f"long sequence: T={T}, H={H}, {extra} (too long for finite differences)"


# --- calc_delta ------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def calc_delta_long(seed, T=T_LONG, H=H_LONG, D=4):
    """The long case of ``calc_delta``: tanh, ``E = sensitivity . net_T``."""
    rng = np.random.default_rng([seed, 90])
    f = get_activator("tanh")
    W = 1.02 * orthogonal(H, rng)
    U = rng.standard_normal((H, D)) * 0.01 / np.sqrt(D)
    xs, s0 = rng.standard_normal((T, D)), 0.05 * rng.standard_normal(H)
    states = rnn_forward(xs, U, W, f, s0)  # (T+1, H)
    ref_seconds = best_time(lambda: rnn_forward(xs, U, W, f, s0))
    c = rng.standard_normal(H)
    inputs = xs @ U.T  # (T, H)

    def loss_along(a, b, V):  # E with net_a..net_b shifted by eps V (V: (b-a+1, H))
        def at(eps):
            s = states[a - 1]
            for t in range(a, T + 1):
                net = inputs[t - 1] + W @ s
                if t <= b:
                    net = net + eps * V[t - a]
                s = f.forward(net)
            return float(c @ net)
        return at

    probes, ref = [Probe("t=0", (0, 1), unit(rng, (1, H)))], [0.0]  # deltas[0] = 0
    for a, b in time_blocks(T, N_BLOCKS):
        for _ in range(PER_BLOCK):
            V = unit(rng, (b - a + 1, H))
            probes.append(Probe(f"t={a}..{b}", (a, b + 1), V))
            ref.append(central_difference(loss_along(a, b, V)))
    return Case(
        label=_label(T, H, "tanh, s_0 ≠ 0"),
        arg_names=["sensitivity", "states", "W", "activator"], args=[c, states, W, f],
        outputs=[Output("deltas", (T + 1, H), "(T+1, H)")],
        reference={"deltas": np.array(ref)}, probes={"deltas": probes},
        info={"activator": "tanh"}, time_axis="deltas",
        ref_seconds=ref_seconds, limit_factor=LONG_FACTOR, long_steps=T,
    )


# --- calc_gradient ---------------------------------------------------------------------------

@lru_cache(maxsize=8)
def calc_gradient_long(seed, T=T_LONG, H=H_LONG, D=8):
    """The long case of ``calc_gradient``, ``E = sum_t delta_t . net_t`` with states held.

    Any deltas are valid inputs (``dE/dU = sum_t delta_t x_t^\\top`` whatever they are), so
    they are random here, with ``deltas[0] = 0``.
    """
    rng = np.random.default_rng([seed, 91])
    f = get_activator("tanh")
    W = 1.02 * orthogonal(H, rng)
    U = rng.standard_normal((H, D)) * 0.01 / np.sqrt(D)
    xs, s0 = rng.standard_normal((T, D)), 0.05 * rng.standard_normal(H)
    states = rnn_forward(xs, U, W, f, s0)
    ref_seconds = best_time(lambda: rnn_forward(xs, U, W, f, s0))
    deltas = rng.standard_normal((T + 1, H))
    deltas[0] = 0.0

    def loss(dU, dW):  # the nets' part that depends on U + dU and W + dW, states held
        return float(np.sum(deltas[1:] * (xs @ (U + dU).T + states[:-1] @ (W + dW).T)))

    probes = {"dU": [Probe("", None, unit(rng, (H, D))) for _ in range(PER_MATRIX)],
              "dW": [Probe("", None, unit(rng, (H, H))) for _ in range(PER_MATRIX)]}
    zero = {"dU": np.zeros((H, D)), "dW": np.zeros((H, H))}
    ref = {}
    for name, ps in probes.items():
        def along(V, name=name):
            return lambda eps: loss(**{**zero, name: eps * V})
        ref[name] = np.array([central_difference(along(p.V)) for p in ps])
    return Case(
        label=_label(T, H, f"D={D}"),
        arg_names=["deltas", "states", "xs"], args=[deltas, states, xs],
        outputs=[Output("dU", (H, D), "(H, D)"), Output("dW", (H, H), "(H, H)")],
        reference=ref, probes=probes, info={},
        ref_seconds=ref_seconds, limit_factor=LONG_FACTOR, long_steps=T,
    )


# --- truncated_bptt and tbptt_k1k2 -----------------------------------------------------------

def centred_softmax_model(seed, stream, T=T_LONG_TRUNCATED, H=H_LONG, D=4, C=4):
    """Seed model 2 with states centred on 1/2: ``xs[:, 0] = 1`` and ``U[:, 0] = -W 1/2``."""
    rng = np.random.default_rng([seed, stream])
    W = 4.0 * orthogonal(H, rng)  # times f' ~ 1/4: gain about 1
    U = rng.standard_normal((H, D)) * 0.1 / np.sqrt(D)
    U[:, 0] = -W @ np.full(H, 0.5)
    xs = rng.standard_normal((T, D))
    xs[:, 0] = 1.0
    s0 = 0.5 + 0.05 * rng.standard_normal(H)
    V = rng.standard_normal((C, H)) * 1.5
    ys = one_hot(rng.integers(0, C, T), C)
    states, _ = softmax_rnn_forward(xs, U, V, W, s0)
    ref_seconds = best_time(lambda: softmax_rnn_forward(xs, U, V, W, s0))
    return dict(xs=xs, ys=ys, U=U, V=V, W=W, s0=s0, states=states, ref_seconds=ref_seconds,
                rng=rng)


def _surrogate_probes(m, starts):
    """Directions per weight matrix and the surrogate's directional derivatives along them."""
    rng = m["rng"]
    base = {"U": m["U"], "V": m["V"], "W": m["W"]}
    probes, ref = {}, {}
    for name in ("U", "V", "W"):
        ps = [Probe("", None, unit(rng, base[name].shape)) for _ in range(PER_MATRIX)]

        def losses(Xs, name=name):  # Xs: (2 PER_MATRIX,) + shape, perturbed copies
            p = {**base, name: Xs}
            if name == "V":  # V does not touch the states: no window to recompute
                return cross_entropy(softmax(m["states"][1:] @ np.swapaxes(Xs, -1, -2)), m["ys"])
            return windowed_loss(m["xs"], m["ys"], p["U"], p["V"], p["W"], starts, m["states"])
        probes["d" + name] = ps
        ref["d" + name] = central_differences(losses, base[name], np.stack([p.V for p in ps]))
    return probes, ref


def _surrogate_case(m, starts, extra, arg_names, args):
    probes, ref = _surrogate_probes(m, starts)
    (C, H), D = m["V"].shape, m["xs"].shape[1]
    T = m["xs"].shape[0]
    return Case(
        label=_label(T, H, f"{extra}, D={D}, C={C}"), arg_names=arg_names, args=args,
        outputs=[Output("dU", (H, D), "(H, D)"), Output("dV", (C, H), "(C, H)"),
                 Output("dW", (H, H), "(H, H)")],
        reference=ref, probes=probes, info={},
        ref_seconds=m["ref_seconds"], limit_factor=LONG_FACTOR, long_steps=T,
    )


@lru_cache(maxsize=8)
def truncated_bptt_long(seed, k=20):
    """The long case of ``truncated_bptt``: ``T = 500``, look-back ``k``."""
    m = centred_softmax_model(seed, 92)
    T = m["xs"].shape[0]
    return _surrogate_case(m, window_starts(T, k), f"k={k}",
                           ["xs", "ys", "U", "V", "W", "k", "s0"],
                           [m["xs"], m["ys"], m["U"], m["V"], m["W"], k, m["s0"]])


@lru_cache(maxsize=8)
def tbptt_k1k2_long(seed, k1=10, k2=25):
    """The long case of ``tbptt_k1k2``: ``T = 500``, updates every ``k1``, look-back ``k2``."""
    m = centred_softmax_model(seed, 93)
    T = m["xs"].shape[0]
    return _surrogate_case(m, tbptt_starts(T, k1, k2), f"k1={k1}, k2={k2}",
                           ["xs", "ys", "U", "V", "W", "k1", "k2", "s0"],
                           [m["xs"], m["ys"], m["U"], m["V"], m["W"], k1, k2, m["s0"]])
