"""Sequence tasks for training seed model 2, with fixed seeds.

Delayed recall: random symbols stream in, one per step, and at step ``t`` the target
is the symbol seen ``delay`` steps earlier, ``y_t = x_{t-delay}``. Nothing in the
current input says what that symbol was, so the model must carry it in its state:
only working recurrent gradients (``dU`` and ``dW``) can teach it that. For the
first ``delay`` steps there is nothing to recall yet; their target is an extra
class, *blank*, and they are not scored.
"""

import numpy as np

from .data import one_hot


def delayed_recall(n_sequences, T, n_symbols=4, delay=3, seed=0):
    """Sequences of random symbols whose targets are the symbols ``delay`` steps back.

    Parameters
    ----------
    n_sequences : int
        ``N``, how many sequences.
    T : int
        Length of each sequence; must exceed ``delay``.
    n_symbols : int
        ``S``, the alphabet size. Inputs are one-hot of size ``D = S``; targets are
        one-hot of size ``C = S + 1`` (class ``S`` is *blank*).
    delay : int
        ``d >= 1``: the target at step ``t > d`` is the input symbol of step ``t - d``.
    seed : int

    Returns
    -------
    xs : ndarray, shape (N, T, S)
        ``xs[n, t-1]`` is the one-hot input ``x_t`` of sequence ``n``.
    ys : ndarray, shape (N, T, S+1)
        ``ys[n, t-1]`` is the one-hot target ``y_t``: blank for ``t <= d``, else
        ``x_{t-d}`` (padded with a 0 for the blank class).
    """
    if not (isinstance(delay, int) and delay >= 1):
        raise ValueError(f"delay must be a positive int, got {delay!r}")
    if T <= delay:
        raise ValueError(f"T = {T} leaves nothing to recall with delay {delay}: use T > delay")
    rng = np.random.default_rng([seed, n_symbols, delay])
    symbols = rng.integers(0, n_symbols, size=(n_sequences, T))  # (N, T)
    labels = np.full((n_sequences, T), n_symbols)  # (N, T): blank
    labels[:, delay:] = symbols[:, :T - delay]
    xs = one_hot(symbols.ravel(), n_symbols).reshape(n_sequences, T, n_symbols)
    ys = one_hot(labels.ravel(), n_symbols + 1).reshape(n_sequences, T, n_symbols + 1)
    return xs, ys


def chance(n_symbols):
    """Accuracy and loss per scored step of a model that knows nothing about the past.

    Guessing uniformly among ``S`` symbols gives accuracy ``1/S`` and cross-entropy
    ``log S`` (nats).

    Returns
    -------
    accuracy : float
    loss : float
    """
    return 1.0 / n_symbols, float(np.log(n_symbols))
