"""The checker's own softmax RNN for notebook 4: random models, the surrogate's reference gradient.

A model is a dict of arrays with its forward pass (:func:`softmax_model`). The reference is the
central-difference gradient (``h = 1e-5``) of the *surrogate* loss (:func:`surrogate_gradient`):
each ``E_t`` computed from the state ``s_{start(t)}`` held constant. The hint candidates
(:mod:`.truncated_hints`) are numerical gradients of the surrogate's tangent model with one
thing changed (:func:`tangent_gradient`). No gradient formula is written out here.
"""

import time

import numpy as np

from bptt_helpers.data import one_hot, random_rnn
from bptt_helpers.numgrad import numerical_gradient
from bptt_helpers.softmax_rnn import SIGMOID, softmax_rnn_forward, windowed_loss

from .probes import batched_gradient

SIGMA_W = 6.0  # sigma_max(W) for sigmoid states


def softmax_model(T, D, H, C, seed, nonzero_s0=True, sigma=SIGMA_W):
    """A random seed-2 model, inputs and one-hot targets, with its forward pass.

    Returns
    -------
    dict with keys
        ``xs`` (T, D), ``ys`` (T, C), ``U`` (H, D), ``V`` (C, H), ``W`` (H, H),
        ``s0`` (H,) or ``None`` (zero initial state), ``states`` (T+1, H),
        ``nets`` (T+1, H) (row 0 is 0), ``outs`` (T, C), ``ref_seconds``.
    """
    m = random_rnn(T, D, H, "sigmoid", sigma_max=sigma, s0_scale=0.8 if nonzero_s0 else 0.0,
                   seed=seed)
    rng = np.random.default_rng([seed, 4242])
    m["V"] = rng.standard_normal((C, H)) * 1.5
    m["ys"] = one_hot(rng.integers(0, C, T), C)
    m["s0"] = m["s0"] if nonzero_s0 else None
    del m["activator"]
    return _with_forward(m)


def _with_forward(m):
    t0 = time.perf_counter()
    states, outs = softmax_rnn_forward(m["xs"], m["U"], m["V"], m["W"], m["s0"])
    m["ref_seconds"] = time.perf_counter() - t0
    nets = np.zeros_like(states)
    nets[1:] = m["xs"] @ m["U"].T + states[:-1] @ m["W"].T
    m.update(states=states, nets=nets, outs=outs)
    return m


def surrogate_gradient(m, starts):
    """Central-difference gradient of the surrogate with frozen starts ``starts``.

    Returns
    -------
    dict ``{"dU": (H, D), "dV": (C, H), "dW": (H, H)}``
    """
    xs, ys, U, V, W, frozen = m["xs"], m["ys"], m["U"], m["V"], m["W"], m["states"]
    return {  # each: every perturbed copy of one matrix in one batched windowed_loss call
        "dU": batched_gradient(lambda u: windowed_loss(xs, ys, u, V, W, starts, frozen), U),
        "dV": batched_gradient(lambda v: windowed_loss(xs, ys, U, v, W, starts, frozen), V),
        "dW": batched_gradient(lambda w: windowed_loss(xs, ys, U, V, w, starts, frozen), W),
    }


def tangent_gradient(m, starts, *, slope=None, back=None, w_state=None, out="ce", weights=None):
    """Numerical gradient of the surrogate's tangent model, with one thing changed.

    The recurrence is linearised at the unperturbed states ``s*``:
    ``s_j - s*_j = slope[t-1, j] * (net_j - net*_j)`` and
    ``net_j - net*_j = (U - U*) x_j + (W - W*) w_state[j-1] + back (s_{j-1} - s*_{j-1})``,
    run for each loss ``E_t`` from its frozen start ``s_{starts[t-1]}``. With the defaults
    (``slope = f'(net*)``, ``back = W*``, ``w_state[j-1] = s*_{j-1}``, cross-entropy
    outputs, every loss counted once) its gradient at ``U*, V*, W*`` is the surrogate's.

    Parameters
    ----------
    m : dict
        A model from :func:`softmax_model`.
    starts : ndarray of int, shape (T,)
        ``0 <= starts[t-1] <= t`` (``= t``: ``E_t`` is not back-propagated at all).
    slope : ndarray, shape (T, T+1, H), optional
        The derivative used for loss ``E_t`` at step ``j``.
    back : ndarray, shape (H, H), optional
        The matrix that carries a change of ``s_{j-1}`` into ``net_j``.
    w_state : ndarray, shape (T, H), optional
        The state each step's ``W`` multiplies.
    out : {"ce", "lse"}
        ``"lse"`` replaces ``E_t`` by ``logsumexp(V s_t)``, whose gradient is ``o_t``, not ``o_t - y_t``.
    weights : ndarray, shape (T,), optional
        How often each loss is counted.

    Returns
    -------
    dict ``{"dU", "dV", "dW"}``
    """
    xs, ys, S = m["xs"], m["ys"], m["states"]
    U0, V0, W0 = m["U"], m["V"], m["W"]
    T = xs.shape[0]
    t = np.arange(1, T + 1)
    starts = np.asarray(starts, dtype=int)
    if slope is None:
        slope = np.broadcast_to(SIGMOID.backward(S), (T,) + S.shape)
    back = W0 if back is None else back
    w_state = S[:-1] if w_state is None else w_state
    weights = np.ones(T) if weights is None else weights
    steps = int(np.max(t - starts)) if T else 0

    def loss(U, V, W):
        drive = xs @ (U - U0).T + w_state @ (W - W0).T  # (T, H): change of net_j, row j-1
        dev = np.zeros_like(S[1:])  # (T, H): s_j - s*_j of each loss's window
        for step in range(1, steps + 1):
            j = starts + step
            active = j <= t
            jj = np.minimum(j, t)
            new = slope[t - 1, jj] * (drive[jj - 1] + dev @ back.T)
            dev = np.where(active[:, None], new, dev)
        z = (S[1:] + dev) @ V.T  # (T, C)
        zmax = np.max(z, axis=1, keepdims=True)
        lse = zmax[:, 0] + np.log(np.sum(np.exp(z - zmax), axis=1))  # (T,)
        per_loss = lse - np.sum(ys * z, axis=1) if out == "ce" else lse
        return float(np.sum(weights * per_loss))

    return {
        "dU": numerical_gradient(lambda u: loss(u, V0, W0), U0),
        "dV": numerical_gradient(lambda v: loss(U0, v, W0), V0),
        "dW": numerical_gradient(lambda w: loss(U0, V0, w), W0),
    }


def _zero_s0_model(m):
    mm = {key: m[key] for key in ("xs", "ys", "U", "V", "W")}
    mm["s0"] = None
    return _with_forward(mm)
