"""The checker's own minibatched layer (notebook 7): forward pass, random cases, losses.

``net_t = x_t U^\\top + s_{t-1} W^\\top + b``, ``s_t = f(net_t)`` for a batch of row vectors;
``xs (N, T, D)``, ``s0 (N, H)``, ``states (N, T+1, H)`` with ``states[:, t] = s_t``,
``nets (N, T+1, H)`` with ``nets[:, 0] = 0``. No gradient formula is written out here:
references and hint candidates are numerical gradients of these losses.
"""

import time

import numpy as np

from bptt_helpers.activators import get_activator

from .cases import SIGMA
from .probes import batched_gradient, central_differences

KEYS = {"dxs": "xs", "ds0": "s0", "dU": "U", "dW": "W", "db": "b"}  # gradient -> what it differentiates
DIRECTIONS = 4  # random directional derivatives per tensor in a large case


def layer_forward(xs, s0, U, W, b, f, net_shift=None):
    """``(states, nets)``, both ``(N, T+1, H)``; ``net_shift (N, T+1, H)`` is added to the nets.

    Any input may carry leading axes (``xs (P, N, T, D)``, ``U (P, H, D)``, ...): ``P``
    perturbed copies run together, and ``states``, ``nets`` are then ``(P, N, T+1, H)``.
    """
    N, T = xs.shape[-3], xs.shape[-2]
    H = W.shape[-1]
    b = np.asarray(b)[..., None, :]  # (..., 1, H)
    Ut, Wt = np.swapaxes(U, -1, -2), np.swapaxes(W, -1, -2)
    shapes = [xs.shape[:-3], np.shape(s0)[:-2], U.shape[:-2], W.shape[:-2], b.shape[:-2]]
    if net_shift is not None:
        shapes.append(net_shift.shape[:-3])
    batch = np.broadcast_shapes(*shapes)
    states, nets = np.zeros(batch + (N, T + 1, H)), np.zeros(batch + (N, T + 1, H))
    states[..., 0, :] = s0
    for t in range(1, T + 1):
        nets[..., t, :] = xs[..., t - 1, :] @ Ut + states[..., t - 1, :] @ Wt + b
        if net_shift is not None:
            nets[..., t, :] += net_shift[..., t, :]
        states[..., t, :] = f.forward(nets[..., t, :])
    return states, nets


def draw_layer(rng, N, T, D, H, act, nonzero_s0=True, xs=None):
    """Random parameters (and inputs, unless ``xs`` is given) of one layer, with its forward pass.

    Returns
    -------
    dict with keys
        ``xs (N, T, D)``, ``s0 (N, H)``, ``U (H, D)``, ``W (H, H)``, ``b (H,)``, ``activator``,
        ``act`` (its name), ``states`` and ``nets`` ``(N, T+1, H)``, ``ref_seconds``.
    """
    f = get_activator(act)
    for _ in range(50):
        W = rng.standard_normal((H, H))
        W *= SIGMA[act] / np.linalg.norm(W, 2)  # deltas neither vanish nor explode
        m = {"xs": rng.standard_normal((N, T, D)) if xs is None else xs,
             "U": rng.standard_normal((H, D)) / np.sqrt(D), "W": W,
             "b": 0.3 * rng.standard_normal(H), "activator": f, "act": act,
             "s0": 0.5 * rng.uniform(-1, 1, (N, H)) * nonzero_s0}
        if act == "sigmoid":
            m["s0"] = np.abs(m["s0"])  # a sigmoid state lies in (0, 1)
        t0 = time.perf_counter()
        m["states"], m["nets"] = layer_forward(m["xs"], m["s0"], m["U"], m["W"], m["b"], f)
        m["ref_seconds"] = time.perf_counter() - t0
        if act != "relu" or np.min(np.abs(m["nets"][:, 1:])) > 1e-3:  # clear of ReLU's kink
            return m
    raise RuntimeError("could not draw a ReLU case away from the kink")  # pragma: no cover


def cache_of(m):
    """The checker's cache for ``m``: ``[xs, states, nets, U, W, activator]``."""
    return [m["xs"], m["states"], m["nets"], m["U"], m["W"], m["activator"]]


def layer_loss(m, dstates, **change):
    """``E = sum(dstates * states)`` with some of ``xs, s0, U, W, b, net_shift`` replaced."""
    p = {k: change.get(k, m[k]) for k in ("xs", "s0", "U", "W", "b")}
    states, _ = layer_forward(p["xs"], p["s0"], p["U"], p["W"], p["b"], m["activator"],
                              change.get("net_shift"))
    return _weighted_sum(dstates, states)


def _weighted_sum(dstates, states):
    """``sum(dstates * states)``: a float, or ``(P,)`` for ``P`` copies of the states."""
    E = np.sum(dstates * states, axis=(-3, -2, -1))
    return float(E) if np.ndim(E) == 0 else E


def layer_gradient(m, dstates, names=tuple(KEYS)):
    """Numerical ``{dxs, ds0, dU, dW, db}`` (or those in ``names``) of ``E = sum(dstates * states)``."""
    return {g: batched_gradient(lambda v, k=KEYS[g]: layer_loss(m, dstates, **{k: v}), m[KEYS[g]])
            for g in names}


def layer_deltas(m, dstates):
    """Numerical ``deltas (N, T+1, H)``, ``deltas[:, t] = dE/dnet_t`` (row 0 is 0)."""
    deltas = batched_gradient(lambda shift: layer_loss(m, dstates, net_shift=shift),
                              np.zeros_like(m["states"]))
    deltas[:, 0] = 0.0
    return deltas


def directional(loss, point, directions, h=1e-5):
    """``(K,)`` central differences of ``loss`` along each of ``directions (K, *point.shape)``."""
    return np.array([(loss(point + h * v) - loss(point - h * v)) / (2 * h) for v in directions])


def layer_directional(m, dstates, rng):
    """Random directions and the directional derivatives of a layer's five gradients."""
    dirs, ref = {}, {}
    for g, k in KEYS.items():
        dirs[g] = rng.standard_normal((DIRECTIONS,) + m[k].shape)
        ref[g] = central_differences(lambda p, k=k: layer_loss(m, dstates, **{k: p}), m[k],
                                     dirs[g])
    return dirs, ref


def draw_stack(rng, N, T, D, Hs, acts, nonzero_s0):
    """Layers whose inputs are the states of the layer below (``xs`` of layer l+1 = s_1..s_T)."""
    layers, xs = [], None
    for H, act in zip(Hs, acts, strict=True):
        m = draw_layer(rng, N, T, D if xs is None else xs.shape[2], H, act, nonzero_s0, xs)
        layers.append(m)
        xs = np.ascontiguousarray(m["states"][:, 1:])
    return layers


def stack_loss(layers, dstates, level, **change):
    """``E = sum(dstates * top states)`` with layer ``level``'s input or parameters changed.

    Layers below ``level`` are not run: ``xs`` of layer ``level`` is its given input.
    """
    states = None
    for i, m in enumerate(layers[level:], start=level):
        p = {k: (change[k] if i == level and k in change else m[k])
             for k in ("xs", "s0", "U", "W", "b")}
        if i > level:
            p["xs"] = states[..., 1:, :]
        states, _ = layer_forward(p["xs"], p["s0"], p["U"], p["W"], p["b"], m["activator"])
    return _weighted_sum(dstates, states)
