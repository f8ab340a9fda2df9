"""Test cases with numerical references, one builder per graded function.

Every reference is a central-difference gradient (``h = 1e-5``) of the checker's
own float64 forward pass, never of the learner's code. A case is plain data
(arrays, an activator name, the expected output shapes), so it can be built and
judged in a process that never ran the learner's code.

Regime (see COURSE_SPEC.md): ``T`` = 1, 2, 3 and up to 15 or more, ``D != H``,
nonzero ``s_0``, non-symmetric ``W`` scaled per activator (``sigma_max(W)`` about
1.2-1.3 for tanh, ReLU and identity, 5-6 for sigmoid, whose ``f'`` is at most 1/4)
so that deltas neither vanish nor explode over the case's length.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from bptt_helpers.activators import get_activator
from bptt_helpers.data import random_rnn
from bptt_helpers.numgrad import numerical_jacobian
from bptt_helpers.rnn import rnn_forward

from .probes import batched_gradient

SIGMA = {"tanh": 1.3, "relu": 1.3, "identity": 1.2, "sigmoid": 5.0}
ACTS = ("tanh", "sigmoid", "relu", "identity")


@dataclass
class Output:
    """One returned tensor: its name, shape and shape in symbols."""

    name: str
    shape: tuple
    symbols: str


@dataclass
class Case:
    """One call of the learner's function and what it must return."""

    label: str
    arg_names: list
    args: list
    outputs: list  # of Output; one Output means the function returns a single array
    reference: dict  # output name -> ndarray
    info: dict = field(default_factory=dict)  # what hints need (states, W, activator, ...)
    time_axis: str | None = None  # name of an output whose axis 0 is time (deltas)
    ref_seconds: float = 0.0  # time of one forward pass of the checker's model
    limit_factor: float | None = None  # limit = this x ref_seconds (None: the usual factor)
    long_steps: int = 0  # T of a case too long for finite differences (0: an ordinary case;
    # 1: one step with too many weights for them), which gates its check (scoring.check_score)
    probes: dict | None = None  # output name -> Probe list: compared by directional derivatives
    trivial: bool = False  # the inputs returned unchanged pass it: it counts once another passes


def _describe(T, D, H, act, s0):
    nonzero = "s_0 ≠ 0" if np.any(s0) else "s_0 = 0"
    return f"T={T}, D={D}, H={H}, {act}, {nonzero}"


def _model(T, D, H, act, seed, sigma=None, s0_scale=0.5):
    """A random layer whose nets stay clear of ReLU's kink (finite differences need that)."""
    for attempt in range(50):
        m = random_rnn(T, D, H, act, sigma_max=sigma or SIGMA[act], s0_scale=s0_scale,
                       seed=seed + 7919 * attempt)
        t0 = time.perf_counter()
        states = rnn_forward(m["xs"], m["U"], m["W"], m["activator"], m["s0"])
        m["ref_seconds"] = time.perf_counter() - t0
        nets = _nets(m, states, np.zeros_like(states))
        if act != "relu" or np.min(np.abs(nets[1:])) > 1e-3:
            m["states"], m["nets"] = states, nets
            return m
    raise RuntimeError("could not draw a ReLU case away from the kink")  # pragma: no cover


def _nets(m, states, shift):
    """``nets[t] = U x_t + W s_{t-1} + shift[t]`` for t >= 1; row 0 stays 0. Shape (T+1, H)."""
    nets = np.zeros_like(states)
    nets[1:] = m["xs"] @ m["U"].T + states[:-1] @ m["W"].T + shift[1:]
    return nets


def nets_of(m, U=None, W=None, shift=None):
    """``nets`` of the layer ``m`` for ``P`` perturbed copies at once, in one forward pass.

    ``net_t = U x_t + W s_{t-1} + shift[t]``, ``s_t = f(net_t)``, from ``m``'s ``xs`` and
    ``s_0``; ``U (P, H, D)``, ``W (P, H, H)`` or ``shift (P, T+1, H)`` carry the copies (any
    left out is ``m``'s own, or no shift). Row 0 of the nets is 0. Returns ``(P, T+1, H)``.
    """
    U = m["U"] if U is None else U
    W = m["W"] if W is None else W
    xs, f = m["xs"], m["activator"]
    T, H = xs.shape[0], W.shape[-1]
    shift = np.zeros((T + 1, H)) if shift is None else shift
    batch = np.broadcast_shapes(U.shape[:-2], W.shape[:-2], shift.shape[:-2])
    states, nets = np.zeros(batch + (T + 1, H)), np.zeros(batch + (T + 1, H))
    states[..., 0, :] = m["s0"]
    for t in range(1, T + 1):
        nets[..., t, :] = (np.einsum("...hd,d->...h", U, xs[t - 1])
                           + np.einsum("...hk,...k->...h", W, states[..., t - 1, :]) + shift[..., t, :])
        states[..., t, :] = f.forward(nets[..., t, :])
    return nets


def numerical_deltas(m, loss_of_nets):
    """``deltas[t] = dE/dnet_t`` by shifting ``net_t``; ``deltas[0] = 0``. Shape (T+1, H).

    ``loss_of_nets(nets (P, T+1, H)) -> (P,)``: every shift's loss in one batched pass.
    """
    T, H = m["xs"].shape[0], m["W"].shape[0]
    deltas = batched_gradient(lambda shift: loss_of_nets(nets_of(m, shift=shift)),
                              np.zeros((T + 1, H)))
    deltas[0] = 0.0  # row 0 is no net
    return deltas


# --- step_jacobian(W, state, activator) -> (H, H) ------------------------------------------

def step_jacobian_cases(hidden=False, seed=0):
    """Cases for ``step_jacobian``: ``d net_{j+1} / d net_j`` at a random ``net_j``."""
    plan = [("tanh", 3), ("sigmoid", 4), ("relu", 4), ("identity", 2), ("tanh", 5)]
    if hidden:
        plan += [(ACTS[i % 4], 2 + i % 5) for i in range(11)]
    cases = []
    for i, (act, H) in enumerate(plan):
        rng = np.random.default_rng([seed, 1, i])
        f = get_activator(act)
        W = rng.standard_normal((H, H)) * SIGMA[act] / np.sqrt(H)
        # both signs in every case (else ReLU's f' is all ones and hides which side it
        # multiplies), all clear of ReLU's kink
        signs = rng.permutation(np.r_[1.0, -1.0, rng.choice([-1.0, 1.0], H - 2)])
        net_j = signs * rng.uniform(0.2, 1.5, H)  # (H,)
        state = f.forward(net_j)
        J = numerical_jacobian(lambda net, W=W, f=f: W @ f.forward(net), net_j)
        cases.append(Case(
            label=f"H={H}, {act}",
            arg_names=["W", "state", "activator"], args=[W, state, f],
            outputs=[Output("jacobian", (H, H), "(H, H)")],
            reference={"jacobian": J},
            info={"W": W, "state": state, "activator": act, "net": net_j},
            ref_seconds=1e-4,
        ))
    return cases


# --- calc_delta(sensitivity, states, W, activator) -> deltas (T+1, H) ----------------------

def calc_delta_cases(hidden=False, seed=0):
    """Cases for ``calc_delta`` with the loss ``E = sensitivity . net_T``."""
    plan = [(1, 3, 4, "tanh"), (2, 2, 3, "identity"), (3, 3, 4, "sigmoid"), (3, 4, 3, "relu"),
            (8, 2, 5, "tanh"), (16, 3, 4, "sigmoid"), (15, 5, 4, "relu")]
    n_visible = len(plan)  # then the long case (visible and hidden), then hidden ones
    if hidden:
        rng = np.random.default_rng([seed, 2])
        plan += [(int(rng.integers(1, 31)), int(rng.integers(1, 7)), int(rng.integers(2, 7)),
                  ACTS[i % 4]) for i in range(12)]
    cases = []
    for i, (T, D, H, act) in enumerate(plan):
        m = _model(T, D, H, act, seed=1000 * seed + 10 + i)
        sensitivity = np.random.default_rng([seed, 3, i]).standard_normal(H)
        deltas = numerical_deltas(m, lambda nets, c=sensitivity: nets[..., -1, :] @ c)
        deltas[T] = sensitivity  # exact: E is linear in net_T
        cases.append(Case(
            label=_describe(T, D, H, act, m["s0"]),
            arg_names=["sensitivity", "states", "W", "activator"],
            args=[sensitivity, m["states"], m["W"], m["activator"]],
            outputs=[Output("deltas", (T + 1, H), "(T+1, H)")],
            reference={"deltas": deltas},
            info={"states": m["states"], "W": m["W"], "activator": act, "sensitivity": sensitivity},
            time_axis="deltas", ref_seconds=m["ref_seconds"],
        ))
    from .large import calc_delta_long  # imports this module's Case
    return cases[:n_visible] + [calc_delta_long(seed)] + cases[n_visible:]


# --- calc_gradient(deltas, states, xs) -> (dU, dW) -----------------------------------------

def calc_gradient_cases(hidden=False, seed=0):
    """Cases for ``calc_gradient`` with a loss at every step, ``E = sum_t g_t . net_t``."""
    plan = [(1, 3, 2, "tanh"), (2, 2, 3, "identity"), (3, 4, 4, "sigmoid"), (5, 3, 4, "relu"),
            (15, 2, 3, "tanh")]
    n_visible = len(plan)  # then the long case (visible and hidden), then hidden ones
    if hidden:
        rng = np.random.default_rng([seed, 4])
        plan += [(int(rng.integers(1, 31)), int(rng.integers(1, 7)), int(rng.integers(2, 7)),
                  ACTS[i % 4]) for i in range(10)]
    cases = []
    for i, (T, D, H, act) in enumerate(plan):
        m = _model(T, D, H, act, seed=1000 * seed + 500 + i)
        g = np.random.default_rng([seed, 5, i]).standard_normal((T + 1, H))
        g[0] = 0.0

        def loss(nets, g=g):  # (P, T+1, H) -> (P,)
            return np.sum(g * nets, axis=(-2, -1))

        deltas = numerical_deltas(m, loss)
        dU = batched_gradient(lambda U, m=m, loss=loss: loss(nets_of(m, U=U)), m["U"])
        dW = batched_gradient(lambda W, m=m, loss=loss: loss(nets_of(m, W=W)), m["W"])
        cases.append(Case(
            label=_describe(T, D, H, act, m["s0"]),
            arg_names=["deltas", "states", "xs"],
            args=[deltas, m["states"], m["xs"]],
            outputs=[Output("dU", (H, D), "(H, D)"), Output("dW", (H, H), "(H, H)")],
            reference={"dU": dU, "dW": dW},
            info={"deltas": deltas, "states": m["states"], "xs": m["xs"]},
            ref_seconds=m["ref_seconds"],
        ))
    from .large import calc_gradient_long
    return cases[:n_visible] + [calc_gradient_long(seed)] + cases[n_visible:]
