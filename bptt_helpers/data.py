"""Small toy problems with fixed seeds."""

import numpy as np

from .activators import get_activator


def scale_to_sigma_max(W, sigma_max):
    """Return ``W`` rescaled so that its largest singular value is ``sigma_max``.

    Parameters
    ----------
    W : ndarray, shape (H, H)
    sigma_max : float

    Returns
    -------
    ndarray, shape (H, H)
    """
    W = np.asarray(W, dtype=np.float64)
    top = np.linalg.norm(W, 2)
    return W * (sigma_max / top) if top > 0 else W.copy()


def random_rnn(T, D, H, activator="tanh", sigma_max=None, s0_scale=0.5, seed=0):
    """A random recurrent layer and input sequence.

    Parameters
    ----------
    T, D, H : int
        Sequence length, input size, state size.
    activator : activator or str
    sigma_max : float, optional
        Largest singular value of ``W``; by default 1.2 for tanh, ReLU and
        identity and 5 for sigmoid (whose ``f'`` is at most 1/4), so that deltas
        neither vanish nor explode over a short sequence.
    s0_scale : float
        Size of the random initial state; 0 gives ``s_0 = 0``.
    seed : int

    Returns
    -------
    dict with keys
        ``xs`` (T, D), ``U`` (H, D), ``W`` (H, H), ``s0`` (H,), ``activator``.
    """
    f = get_activator(activator)
    if sigma_max is None:
        sigma_max = 1.2 / f.gamma if f.gamma < 1 else 1.2
    rng = np.random.default_rng(seed)
    W = scale_to_sigma_max(rng.standard_normal((H, H)), sigma_max)
    U = rng.standard_normal((H, D)) / np.sqrt(D)
    xs = rng.standard_normal((T, D))
    s0 = s0_scale * rng.uniform(-1, 1, H)
    if f.name in ("sigmoid",):
        s0 = np.abs(s0)  # a sigmoid state lies in (0, 1)
    return {"xs": xs, "U": U, "W": W, "s0": s0, "activator": f}


def one_hot(labels, C):
    """One-hot rows: ``labels (T,)`` of ints in ``[0, C)`` -> ``(T, C)`` float64."""
    labels = np.asarray(labels, dtype=int)
    out = np.zeros((labels.size, C))
    out[np.arange(labels.size), labels] = 1.0
    return out


def random_sequence_task(T, D, C, seed=0):
    """Random inputs and one-hot targets for the softmax model of notebook 4.

    Returns
    -------
    xs : ndarray, shape (T, D)
    ys : ndarray, shape (T, C), one-hot rows
    """
    rng = np.random.default_rng(seed)
    return rng.standard_normal((T, D)), one_hot(rng.integers(0, C, T), C)
