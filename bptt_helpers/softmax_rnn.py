"""Seed model 2: sigmoid states, softmax outputs, cross-entropy at every step.

``net_t = U x_t + W s_{t-1}``, ``s_t = sigmoid(net_t)``, ``o_t = softmax(V s_t)`` and
``E = sum_t E_t`` with ``E_t = -y_t . log o_t`` (one-hot ``y_t``).

Truncated BPTT with look-back ``k`` back-propagates each ``E_t`` through
``net_t .. net_{max(t-k+1, 1)}``. That is the exact gradient, at the current
parameters, of a *surrogate* loss in which ``E_t`` is computed from the state
``s_{max(t-k, 0)}`` held constant at its current value. This module computes that
surrogate (:func:`surrogate_loss`, and :func:`windowed_loss` for any choice of
frozen starts), so that its numerical gradient can serve as a reference. It
contains forward passes only: no gradient code.
"""

import numbers

import numpy as np

from .activators import SigmoidActivator
from .validate import as_array

SIGMOID = SigmoidActivator()


def check_truncation(k, name="k"):
    """Validate a truncation length: ``None`` (no truncation) or a positive int.

    Parameters
    ----------
    k : int or None
    name : str
        The argument's name in the message.

    Returns
    -------
    int or None
        ``k`` as a built-in int (``None`` stays ``None``).

    Raises
    ------
    ValueError
        For ``k <= 0``, a bool, or anything that is not an integer (``2.0`` included).
    """
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValueError(f"{name} must be a positive int or None, got {k!r} "
                         f"({type(k).__name__})")
    if k <= 0:
        raise ValueError(f"{name} must be a positive int or None, got {k}")
    return int(k)


def softmax(z):
    """Softmax of each row (or of one vector), shifted by the max for safety.

    Parameters
    ----------
    z : ndarray, shape (..., C)

    Returns
    -------
    ndarray, shape (..., C)
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _check_model(xs, ys, U, V, W, s0):
    sizes = {}
    xs = as_array("xs", xs, ("T", "D"), sizes)
    U = as_array("U", U, ("H", "D"), sizes)
    W = as_array("W", W, ("H", "H"), sizes)
    V = as_array("V", V, ("C", "H"), sizes)
    if ys is not None:
        ys = as_array("ys", ys, ("T", "C"), sizes)
    s0 = np.zeros(sizes["H"]) if s0 is None else as_array("s0", s0, ("H",), sizes)
    return xs, ys, U, V, W, s0


def softmax_rnn_forward(xs, U, V, W, s0=None):
    """Run seed model 2 over a sequence.

    Parameters
    ----------
    xs : ndarray, shape (T, D)
        ``xs[t-1] = x_t``.
    U : ndarray, shape (H, D)
    V : ndarray, shape (C, H)
    W : ndarray, shape (H, H)
    s0 : ndarray, shape (H,), optional
        Zeros if omitted.

    Returns
    -------
    states : ndarray, shape (T+1, H)
        ``states[0] = s_0``, ``states[t] = s_t``.
    outs : ndarray, shape (T, C)
        ``outs[t-1] = o_t = softmax(V s_t)``.
    """
    xs, _, U, V, W, s0 = _check_model(xs, None, U, V, W, s0)
    T, H = xs.shape[0], W.shape[0]
    states = np.zeros((T + 1, H))  # (T+1, H)
    states[0] = s0
    for t in range(1, T + 1):
        states[t] = SIGMOID.forward(U @ xs[t - 1] + W @ states[t - 1])  # (H,)
    outs = softmax(states[1:] @ V.T)  # (T, C)
    return states, outs


def cross_entropy(outs, ys):
    """``E = sum_t -y_t . log o_t`` for one-hot rows ``ys``.

    Parameters
    ----------
    outs : ndarray, shape (T, C) or (P, T, C)
        With a leading axis: ``P`` sets of outputs for the same targets.
    ys : ndarray, shape (T, C)

    Returns
    -------
    float, or ndarray of shape (P,)
    """
    E = -np.sum(np.asarray(ys) * np.log(np.maximum(outs, 1e-300)), axis=(-2, -1))
    return float(E) if np.ndim(E) == 0 else E


def softmax_rnn_loss(xs, ys, U, V, W, s0=None):
    """The loss ``E = sum_t E_t`` of seed model 2 (categorical cross-entropy).

    Parameters
    ----------
    xs : ndarray, shape (T, D)
    ys : ndarray, shape (T, C), one-hot rows
    U, V, W : ndarray, shapes (H, D), (C, H), (H, H)
    s0 : ndarray, shape (H,), optional

    Returns
    -------
    float
    """
    _, outs = softmax_rnn_forward(xs, U, V, W, s0)
    return cross_entropy(outs, ys)


def window_starts(T, k):
    """Frozen start of each loss under look-back ``k``: ``starts[t-1] = max(t-k, 0)``.

    Parameters
    ----------
    T : int
    k : int or None
        ``None`` means no truncation (every start is 0).

    Returns
    -------
    ndarray of int, shape (T,)
    """
    k = check_truncation(k)
    t = np.arange(1, T + 1)
    return np.zeros(T, dtype=int) if k is None else np.maximum(t - k, 0)


def update_times(T, k1):
    """TBPTT(k1, k2) update times: ``k1, 2 k1, ...`` and ``T`` if it is not one already.

    Returns
    -------
    list of int
    """
    k1 = check_truncation(k1, "k1")
    taus = list(range(k1, T + 1, k1))
    if not taus or taus[-1] != T:
        taus.append(T)
    return taus


def tbptt_starts(T, k1, k2):
    """Frozen start of each loss under TBPTT(k1, k2).

    ``E_t`` is handled at the first update time ``tau >= t`` and back-propagated
    down to ``net_{max(tau-k2+1, 1)}``, so its frozen start is ``max(tau - k2, 0)``.

    Returns
    -------
    ndarray of int, shape (T,)
    """
    k1 = check_truncation(k1, "k1")
    k2 = check_truncation(k2, "k2")
    if k1 is None or k2 is None or k2 < k1:
        raise ValueError(f"TBPTT needs integers k2 >= k1 >= 1, got k1={k1}, k2={k2}")
    starts = np.zeros(T, dtype=int)
    prev = 0
    for tau in update_times(T, k1):
        starts[prev:tau] = max(tau - k2, 0)
        prev = tau
    return starts


def windowed_states(xs, U, W, starts, frozen):
    """For each loss ``E_t``: the state ``s_t`` recomputed from a frozen start.

    Row ``t-1`` starts at ``frozen[starts[t-1]]`` (a constant) and runs the
    recurrence with the given ``U`` and ``W`` up to step ``t``. All rows advance
    together, one step per iteration, so the cost is the longest window times a
    batched product.

    Parameters
    ----------
    xs : ndarray, shape (T, D)
    U : ndarray, shape (H, D) or (P, H, D)
    W : ndarray, shape (H, H) or (P, H, H)
        With a leading axis, ``P`` parameter sets run together (one call for all
        the perturbed copies of a numerical gradient).
    starts : ndarray of int, shape (T,)
        ``0 <= starts[t-1] < t``.
    frozen : ndarray, shape (T+1, H)
        The states at the unperturbed parameters (``frozen[0] = s_0``).

    Returns
    -------
    ndarray, shape (T, H) or (P, T, H)
        Row ``t-1`` holds ``s_t`` of loss ``E_t``'s window.
    """
    T, H = xs.shape[0], frozen.shape[1]
    t = np.arange(1, T + 1)
    starts = np.asarray(starts, dtype=int)
    inputs = xs @ np.swapaxes(U, -1, -2)  # (..., T, H): inputs[..., j-1, :] = U x_j
    Wt = np.swapaxes(W, -1, -2)
    batch = np.broadcast_shapes(np.shape(U)[:-2], np.shape(W)[:-2])
    rows = np.broadcast_to(frozen[starts], batch + (T, H)).copy()  # (..., T, H)
    for m in range(1, int(np.max(t - starts)) + 1):
        j = starts + m  # (T,): the step each row computes now
        active = j <= t
        jj = np.minimum(j, t)
        new = SIGMOID.forward(inputs[..., jj - 1, :] + rows @ Wt)  # (..., T, H)
        rows = np.where(active[:, None], new, rows)
    return rows


def windowed_loss(xs, ys, U, V, W, starts, frozen):
    """``sum_t E_t`` where each ``E_t`` is computed from ``s_{starts[t-1]}`` held at ``frozen``.

    ``U``, ``V`` and ``W`` may carry a leading axis ``P`` of parameter sets (shapes
    (P, H, D), (P, C, H), (P, H, H)); then one loss per set is returned.

    Returns
    -------
    float, or ndarray of shape (P,)
    """
    rows = windowed_states(xs, U, W, starts, frozen)  # (..., T, H)
    return cross_entropy(softmax(rows @ np.swapaxes(V, -1, -2)), ys)  # (..., T, C) outputs


def surrogate_loss(xs, ys, U, V, W, k, frozen):
    """The surrogate whose gradient truncated BPTT with look-back ``k`` computes.

    Parameters
    ----------
    xs : ndarray, shape (T, D)
    ys : ndarray, shape (T, C)
    U, V, W : ndarray, shapes (H, D), (C, H), (H, H)
        The (possibly perturbed) parameters.
    k : int or None
    frozen : ndarray, shape (T+1, H)
        States of the forward pass at the *unperturbed* parameters, held constant.

    Returns
    -------
    float
    """
    return windowed_loss(xs, ys, U, V, W, window_starts(xs.shape[0], k), frozen)


def tbptt_surrogate_loss(xs, ys, U, V, W, k1, k2, frozen):
    """The surrogate whose gradient TBPTT(k1, k2) computes (see :func:`tbptt_starts`)."""
    return windowed_loss(xs, ys, U, V, W, tbptt_starts(xs.shape[0], k1, k2), frozen)
