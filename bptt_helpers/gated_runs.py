"""Notebook 9's measurements with backward passes passed in (the learner's own).

* :func:`reach_rnn` and :func:`reach_lstm`: the norm of the gradient that reaches step ``j``
  from a loss at ``T``, for ``j = 0..T``. The gradient of ``h_j`` is what a backward pass
  returns as the gradient of its *initial* state when it is run on steps ``j+1..T`` alone, so
  each norm comes from one call of your backward pass on the cache cut at ``j``.
* :func:`train_recall`: notebook 6's delayed-recall task (``bptt_helpers.tasks``) with a
  softmax read-out on the hidden states, a loss at every scored step, Adam, and the gradient
  of the recurrent weights from the backward pass you pass in. Under grading it makes
  :data:`RECALL_UPDATES_WHEN_GRADING` updates (``runtime.under_grading``).

No gradient of a recurrent layer is computed here.
"""

import numpy as np

from .progress import progress as show_progress
from .runtime import under_grading
from .training import Adam

RECALL_UPDATES_WHEN_GRADING = 5


def reach_rnn(backward, cache, dstates_T):
    """``(T+1,)`` norms ``||dE/ds_j||`` for ``E = sum(dstates_T * s_T)``, a layer of notebook 7.

    ``backward(dstates, cache) -> (dxs, ds0, dU, dW, db)``; ``cache = (xs, states, nets, U, W,
    activator)`` with ``states (N, T+1, H)``; ``dstates_T (N, H)``.
    """
    xs, states, nets, U, W, f = cache
    T = xs.shape[1]
    norms = np.zeros(T + 1)
    for j in range(T + 1):
        d = np.zeros_like(states[:, j:])
        d[:, -1] = dstates_T
        if j == T:
            norms[j] = np.linalg.norm(dstates_T)
            continue
        ds0 = backward(d, (xs[:, j:], states[:, j:], nets[:, j:], U, W, f))[1]
        norms[j] = np.linalg.norm(ds0)
    return norms


def reach_lstm(backward, cache, dh_T):
    """``(T+1,)`` norms of ``dE/dh_j`` and of ``dE/dc_j`` for ``E = sum(dh_T * h_T)``.

    ``backward(dhs, cache) -> (dxs, dh0, dc0, dU, dW, db)``; ``cache = (xs, hs, cs, gates, U, W)``.

    Returns
    -------
    dh_norms, dc_norms : ndarray, shape (T+1,)
    """
    xs, hs, cs, gates, U, W = cache
    T = xs.shape[1]
    dh_norms, dc_norms = np.zeros(T + 1), np.zeros(T + 1)
    dh_norms[T] = np.linalg.norm(dh_T)
    for j in range(T):
        d = np.zeros_like(hs[:, j:])
        d[:, -1] = dh_T
        out = backward(d, (xs[:, j:], hs[:, j:], cs[:, j:], gates[:, j:], U, W))
        dh_norms[j], dc_norms[j] = np.linalg.norm(out[1]), np.linalg.norm(out[2])
    return dh_norms, dc_norms


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def readout(hs, V, c, delay):
    """``(probs, scored)``: softmax of ``h_t V^\\top + c`` at the scored steps ``t > delay``."""
    h = hs[:, 1 + delay:]  # (N, T-delay, H)
    return _softmax(h @ V.T + c), h


def train_recall(run, backward, params, data, *, delay, updates, batch=32, lr=0.01, clip=1.0,
                 seed=0, progress=True, desc="training"):
    """Train a recurrent layer with a read-out on delayed recall; return accuracies per update.

    Parameters
    ----------
    run : callable
        ``run(xs, params) -> (hs (N, T+1, H), cache)``: the layer's forward pass.
    backward : callable
        ``backward(dhs, cache) -> (dU, dW, db)``: the gradients of the layer's weights for
        ``E = sum(dhs * hs)``, e.g. ``lambda d, c: lstm_backward(d, c)[3:]``.
    params : dict
        ``"U"``, ``"W"``, ``"b"`` of the layer and ``"V" (C, H)``, ``"c" (C,)`` of the read-out.
    data : tuple
        ``(xs (S, T, D), ys (S, T, C))`` from ``tasks.delayed_recall``.
    delay, updates, batch, lr, clip, seed :
        The task's delay; Adam updates, sequences per update, learning rate; the global
        norm the gradient is clipped to; which sequences are drawn.

    Returns
    -------
    params : dict
    accuracy : ndarray, shape (updates,)
        The fraction of scored steps recalled right in each update's batch, before the update.
    """
    if under_grading():  # graded feedback needs no full run (runtime.py)
        updates = min(updates, RECALL_UPDATES_WHEN_GRADING)
    rng = np.random.default_rng(seed)
    xs_all, ys_all = data
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    adam, accuracy = Adam(lr), np.zeros(updates)
    for u in show_progress(range(updates), desc=desc, enabled=progress):
        pick = rng.integers(0, len(xs_all), batch)
        xs, ys = xs_all[pick], ys_all[pick][:, delay:]
        hs, cache = run(xs, params)
        probs, h = readout(hs, params["V"], params["c"], delay)
        accuracy[u] = float(np.mean(probs.argmax(-1) == ys.argmax(-1)))
        dz = (probs - ys) / (batch * ys.shape[1])  # mean cross-entropy over scored steps
        grads = {"V": np.einsum("ntc,nth->ch", dz, h), "c": dz.sum(axis=(0, 1))}
        dhs = np.zeros_like(hs)
        dhs[:, 1 + delay:] = dz @ params["V"]
        grads["U"], grads["W"], grads["b"] = backward(dhs, cache)
        total = np.sqrt(sum(float(np.sum(g**2)) for g in grads.values()))
        if not np.isfinite(total):
            raise FloatingPointError(f"the gradient at update {u} is not finite (NaN or inf)")
        scale = min(1.0, clip / max(total, 1e-12))
        params.update(adam.step(params, {k: scale * g for k, g in grads.items()}))
    return params, accuracy


def recall_accuracy(run, params, data, delay):
    """The fraction of scored steps of ``data = (xs, ys)`` a trained model recalls right."""
    xs, ys = data
    hs, _ = run(xs, params)
    probs, _ = readout(hs, params["V"], params["c"], delay)
    return float(np.mean(probs.argmax(-1) == ys[:, delay:].argmax(-1)))
