r"""Gated cells for notebook 9: the forward passes of an LSTM and a GRU (no gradients here).

Notation (docs/notation.md): a batch of row vectors, one fused weight matrix per cell.

LSTM, gates in the order i, f, g, o (PyTorch's order): ``U (4H, D)``, ``W (4H, H)``, ``b (4H,)``,

    a_t = x_t U^\top + h_{t-1} W^\top + b                      (N, 4H), the pre-activations
    i_t = sigmoid(a_t[:, :H]),    f_t = sigmoid(a_t[:, H:2H])
    g_t = tanh(a_t[:, 2H:3H]),    o_t = sigmoid(a_t[:, 3H:])
    c_t = f_t * c_{t-1} + i_t * g_t,    h_t = o_t * tanh(c_t)

``gates[:, t] = [i_t, f_t, g_t, o_t]`` holds the gates' outputs (after sigmoid or tanh).
A step's cache is ``(x, h_prev, c_prev, gates, c, U, W)``; a sequence's cache is
``(xs, hs, cs, gates, U, W)`` with ``hs``, ``cs (N, T+1, H)`` (row 0 holds h_0, c_0) and
``gates (N, T+1, 4H)`` (row 0 is zero: there is no step 0).

GRU, gates in the order r, z, n: ``U (3H, D)``, ``W (3H, H)``, ``b (3H,)``, ``m = h_{t-1} W^\top``,

    r_t = sigmoid(x_t U_r^\top + m_r + b_r),   z_t = sigmoid(x_t U_z^\top + m_z + b_z)
    n_t = tanh(x_t U_n^\top + r_t * m_n + b_n),   h_t = (1 - z_t) * n_t + z_t * h_{t-1}

with a step's cache ``(x, h_prev, gates, U, W)``, ``gates = [r_t, z_t, n_t] (N, 3H)``.

``shift`` arguments add a change to an intermediate quantity (a dict such as
``{"a": (N, 4H), "c": (N, H)}``): central differences of the loss in such a shift measure
the gradient of that quantity, which is how the notebook checks each formula.
"""

import numpy as np

LSTM_GATES = ("i", "f", "g", "o")
GRU_GATES = ("r", "z", "n")


def sigmoid(a):
    """``1 / (1 + exp(-a))`` without overflow warnings, float64."""
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def lstm_step_forward(x, h_prev, c_prev, U, W, b, shift=None):
    """One LSTM step for a batch.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    h_prev, c_prev : ndarray, shape (N, H)
    U : ndarray, shape (4H, D)
    W : ndarray, shape (4H, H)
    b : ndarray, shape (4H,)
    shift : dict, optional
        Added to ``"a"`` (N, 4H), the gate outputs ``"i"``, ``"f"``, ``"g"``, ``"o"`` (N, H),
        or ``"c"`` (N, H) after they are computed.

    Returns
    -------
    h, c : ndarray, shape (N, H)
    cache : tuple
        ``(x, h_prev, c_prev, gates, c, U, W)``, ``gates (N, 4H) = [i, f, g, o]``.
    """
    shift = shift or {}
    H = W.shape[1]
    a = x @ U.T + h_prev @ W.T + b + shift.get("a", 0.0)
    i = sigmoid(a[:, :H]) + shift.get("i", 0.0)
    f = sigmoid(a[:, H:2 * H]) + shift.get("f", 0.0)
    g = np.tanh(a[:, 2 * H:3 * H]) + shift.get("g", 0.0)
    o = sigmoid(a[:, 3 * H:]) + shift.get("o", 0.0)
    c = f * c_prev + i * g + shift.get("c", 0.0)
    h = o * np.tanh(c)
    return h, c, (x, h_prev, c_prev, np.concatenate([i, f, g, o], axis=1), c, U, W)


def lstm_forward(xs, h0, c0, U, W, b):
    """Run an LSTM over a batch of sequences.

    Parameters
    ----------
    xs : ndarray, shape (N, T, D)
        ``xs[:, t-1] = x_t``.
    h0, c0 : ndarray, shape (N, H)
    U : ndarray, shape (4H, D)
    W : ndarray, shape (4H, H)
    b : ndarray, shape (4H,)

    Returns
    -------
    hs : ndarray, shape (N, T+1, H)
        ``hs[:, t] = h_t``, ``hs[:, 0] = h0``.
    cache : tuple
        ``(xs, hs, cs, gates, U, W)``: ``cs (N, T+1, H)`` with ``cs[:, 0] = c0``;
        ``gates (N, T+1, 4H)`` with ``gates[:, t] = [i_t, f_t, g_t, o_t]``, row 0 zero.
    """
    N, T, _ = xs.shape
    H = W.shape[1]
    hs, cs = np.zeros((N, T + 1, H)), np.zeros((N, T + 1, H))
    gates = np.zeros((N, T + 1, 4 * H))
    hs[:, 0], cs[:, 0] = h0, c0
    for t in range(1, T + 1):
        hs[:, t], cs[:, t], step = lstm_step_forward(xs[:, t - 1], hs[:, t - 1], cs[:, t - 1],
                                                     U, W, b)
        gates[:, t] = step[3]
    return hs, (xs, hs, cs, gates, U, W)


def step_cache(cache, t):
    """The cache of step ``t`` (1..T) of a sequence's cache: ``(x, h_prev, c_prev, gates, c, U, W)``."""
    xs, hs, cs, gates, U, W = cache
    return (xs[:, t - 1], hs[:, t - 1], cs[:, t - 1], gates[:, t], cs[:, t], U, W)


def gru_step_forward(x, h_prev, U, W, b, shift=None):
    """One GRU step for a batch.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
    U : ndarray, shape (3H, D)
    W : ndarray, shape (3H, H)
    b : ndarray, shape (3H,)
    shift : dict, optional
        Added to ``"a"`` (N, 3H), the pre-activations of r, z and n, or to the outputs
        ``"r"``, ``"z"``, ``"n"`` (N, H).

    Returns
    -------
    h : ndarray, shape (N, H)
    cache : tuple
        ``(x, h_prev, gates, U, W)``, ``gates (N, 3H) = [r, z, n]``.
    """
    shift = shift or {}
    H = W.shape[1]
    m = h_prev @ W.T  # (N, 3H)
    xa = x @ U.T + b  # (N, 3H)
    da = shift.get("a", np.zeros_like(xa))
    r = sigmoid(xa[:, :H] + m[:, :H] + da[:, :H]) + shift.get("r", 0.0)
    z = sigmoid(xa[:, H:2 * H] + m[:, H:2 * H] + da[:, H:2 * H]) + shift.get("z", 0.0)
    n = np.tanh(xa[:, 2 * H:] + r * m[:, 2 * H:] + da[:, 2 * H:]) + shift.get("n", 0.0)
    h = (1.0 - z) * n + z * h_prev
    return h, (x, h_prev, np.concatenate([r, z, n], axis=1), U, W)


def init_lstm(D, H, *, seed=0, forget_bias=1.0, scale=1.0):
    """Random LSTM weights: ``U (4H, D)``, ``W (4H, H)`` with entries ``N(0, scale^2 / fan-in)``.

    ``b (4H,)`` is zero except the forget gate's block, ``forget_bias``.
    """
    rng = np.random.default_rng(seed)
    b = np.zeros(4 * H)
    b[H:2 * H] = forget_bias
    return {"U": scale * rng.standard_normal((4 * H, D)) / np.sqrt(D),
            "W": scale * rng.standard_normal((4 * H, H)) / np.sqrt(H), "b": b}
