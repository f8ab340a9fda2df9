"""Train seed model 2 with a gradient function passed in (your own ``truncated_bptt``).

The model: ``s_t = sigmoid(U x_t + W s_{t-1})``, ``o_t = softmax(V s_t)``, loss
``E = sum_t -y_t . log o_t``. Parameters travel as a dict ``{"U": (H, D), "V": (C, H),
"W": (H, H)}``. :func:`train` makes one update per sequence:

1. ``dU, dV, dW = grad_fn(xs, ys, U, V, W, k)``, e.g. ``truncated_bptt``;
2. optionally ``[dU, dV, dW] = clip([dU, dV, dW])``, e.g. a ``clip_grad_norm``;
3. an optimizer step (:class:`SGD` or :class:`Adagrad`) on the trainable parameters.

This module computes no gradients itself.
"""

import numpy as np

from .progress import progress as show_progress
from .runtime import TRAINING_UPDATES_WHEN_GRADING, under_grading
from .softmax_rnn import SIGMOID, cross_entropy, softmax, softmax_rnn_forward

NAMES = ("U", "V", "W")


def init_params(n_inputs, n_hidden, n_classes, seed=0, w_scale=1.0, v_scale=0.1):
    """Random starting weights for seed model 2.

    Parameters
    ----------
    n_inputs, n_hidden, n_classes : int
        ``D``, ``H``, ``C``.
    seed : int
    w_scale : float
        ``W`` has entries ``N(0, w_scale**2 / H)``; its largest singular value is then
        about ``2 * w_scale``, well below the ``1 / gamma = 4`` of sigmoid states.
    v_scale : float
        Standard deviation of ``V``'s entries (small: start near uniform outputs).

    Returns
    -------
    dict
        ``"U"`` (H, D) with ``N(0, 1)`` entries, ``"V"`` (C, H), ``"W"`` (H, H).
    """
    rng = np.random.default_rng(seed)
    return {
        "U": rng.standard_normal((n_hidden, n_inputs)),
        "V": v_scale * rng.standard_normal((n_classes, n_hidden)),
        "W": w_scale * rng.standard_normal((n_hidden, n_hidden)) / np.sqrt(n_hidden),
    }


class SGD:
    """Plain gradient descent: ``p <- p - lr * g``."""

    def __init__(self, lr):
        self.lr = lr

    def step(self, params, grads):
        """Return the updated parameters (new arrays) for the names in ``grads``."""
        return {n: params[n] - self.lr * g for n, g in grads.items()}


class Adagrad:
    """Adagrad: each entry's step is ``lr`` over the root of its summed squared gradients.

    ``G <- G + g**2``, ``p <- p - lr * g / (sqrt(G) + eps)``: entries that keep getting
    large gradients take smaller steps; the first step of every entry has size ``lr``.
    """

    def __init__(self, lr, eps=1e-8):
        self.lr, self.eps = lr, eps
        self.sum_sq = {}

    def step(self, params, grads):
        """Return the updated parameters (new arrays) for the names in ``grads``."""
        new = {}
        for n, g in grads.items():
            self.sum_sq[n] = self.sum_sq.get(n, 0.0) + g**2
            new[n] = params[n] - self.lr * g / (np.sqrt(self.sum_sq[n]) + self.eps)
        return new


class Adam:
    """Adam (Kingma and Ba 2015): steps from running means of the gradient and its square.

    ``m <- beta1 m + (1 - beta1) g``, ``v <- beta2 v + (1 - beta2) g**2``, then with the
    bias-corrected ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)`` at update
    ``t``: ``p <- p - lr * m_hat / (sqrt(v_hat) + eps)``. Each entry's step is about ``lr``
    whatever the gradient's scale; unlike Adagrad's, it does not shrink for ever.
    """

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.mean, self.mean_sq, self.t = {}, {}, 0

    def step(self, params, grads):
        """Return the updated parameters (new arrays) for the names in ``grads``."""
        self.t += 1
        new = {}
        for n, g in grads.items():
            self.mean[n] = self.beta1 * self.mean.get(n, 0.0) + (1 - self.beta1) * g
            self.mean_sq[n] = self.beta2 * self.mean_sq.get(n, 0.0) + (1 - self.beta2) * g**2
            m_hat = self.mean[n] / (1 - self.beta1**self.t)
            v_hat = self.mean_sq[n] / (1 - self.beta2**self.t)
            new[n] = params[n] - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return new


def train(params, xs, ys, grad_fn, *, k=None, optimizer=None, clip=None,
          trainable=NAMES, progress=True, desc="training"):
    """One update per sequence, with the gradient function you pass in.

    Parameters
    ----------
    params : dict
        ``{"U": (H, D), "V": (C, H), "W": (H, H)}``; not modified.
    xs : ndarray, shape (N, T, D)
        ``N`` training sequences.
    ys : ndarray, shape (N, T, C)
        One-hot targets.
    grad_fn : callable
        ``grad_fn(xs, ys, U, V, W, k) -> (dU, dV, dW)`` for one sequence, e.g. your
        ``truncated_bptt``.
    k : int or None
        Passed to ``grad_fn``; ``None`` is full BPTT.
    optimizer : object, optional
        Has ``step(params, grads) -> new params`` (dicts by name); ``Adagrad(0.5)``
        by default.
    clip : callable, optional
        ``clip([dU, dV, dW]) -> [dU, dV, dW]``, e.g.
        ``lambda g: clip_grad_norm(g, 1.0)``.
    trainable : tuple of str
        Which of ``"U"``, ``"V"``, ``"W"`` are updated; ``("V",)`` trains the output
        weights alone on top of a frozen random recurrent layer (the baseline).
    progress : bool
        Show a progress bar in a notebook (plain HTML, cleared when training ends).
    desc : str
        The bar's label.

    Returns
    -------
    params : dict
        The trained parameters (new arrays).
    history : dict
        ``"loss"`` (N,): each sequence's loss per step before its update;
        ``"grad_norm"`` (N,): the global norm of ``(dU, dV, dW)`` before clipping.
    """
    unknown = set(trainable) - set(NAMES)
    if unknown:
        raise ValueError(f"trainable must name some of U, V, W, got {sorted(unknown)}")
    optimizer = Adagrad(0.5) if optimizer is None else optimizer
    params = {n: np.array(params[n], dtype=np.float64) for n in NAMES}  # copies
    if under_grading():  # the figures in graded feedback need no full run (runtime.py)
        xs, ys = xs[:TRAINING_UPDATES_WHEN_GRADING], ys[:TRAINING_UPDATES_WHEN_GRADING]
    N, T = xs.shape[0], xs.shape[1]
    losses, norms = np.zeros(N), np.zeros(N)
    for i in show_progress(range(N), desc=desc, enabled=progress):
        U, V, W = (params[n] for n in NAMES)
        _, outs = softmax_rnn_forward(xs[i], U, V, W)
        losses[i] = cross_entropy(outs, ys[i]) / T
        grads = [np.asarray(g, dtype=np.float64) for g in grad_fn(xs[i], ys[i], U, V, W, k)]
        norms[i] = np.sqrt(sum(float(np.sum(g**2)) for g in grads))
        if not np.isfinite(norms[i]):
            raise FloatingPointError(f"the gradient at update {i} is not finite (NaN or inf)")
        if clip is not None:
            grads = [np.asarray(g, dtype=np.float64) for g in clip(grads)]
        step = {n: g for n, g in zip(NAMES, grads, strict=True) if n in trainable}
        params.update(optimizer.step({n: params[n] for n in step}, step))
    return params, {"loss": losses, "grad_norm": norms}


def predict(params, xs):
    """Output probabilities for a batch of sequences (``s_0 = 0``).

    Parameters
    ----------
    params : dict
    xs : ndarray, shape (N, T, D)

    Returns
    -------
    ndarray, shape (N, T, C)
    """
    U, V, W = (np.asarray(params[n], dtype=np.float64) for n in NAMES)
    N, T, _ = xs.shape
    s = np.zeros((N, W.shape[0]))  # (N, H)
    outs = np.zeros((N, T, V.shape[0]))
    for t in range(T):
        s = SIGMOID.forward(xs[:, t] @ U.T + s @ W.T)  # (N, H)
        outs[:, t] = softmax(s @ V.T)
    return outs


def evaluate(params, xs, ys, skip=0):
    """Loss per step and accuracy, scoring steps ``t > skip`` only.

    Parameters
    ----------
    params : dict
    xs : ndarray, shape (N, T, D)
    ys : ndarray, shape (N, T, C)
    skip : int
        The first ``skip`` steps of every sequence are not scored (delayed recall
        scores only ``t > delay``).

    Returns
    -------
    loss : float
        Mean cross-entropy per scored step (nats).
    accuracy : float
        Fraction of scored steps whose most probable class is the target.
    """
    outs = predict(params, xs)[:, skip:]  # (N, T-skip, C)
    ys = np.asarray(ys)[:, skip:]
    n = outs.shape[0] * outs.shape[1]
    loss = cross_entropy(outs.reshape(n, -1), ys.reshape(n, -1)) / n
    accuracy = float(np.mean(outs.argmax(-1) == ys.argmax(-1)))
    return loss, accuracy


def moving_average(values, window=50):
    """Mean of each run of ``window`` consecutive values (for plotting noisy losses).

    Returns
    -------
    ndarray, shape (len(values) - window + 1,)
    """
    values = np.asarray(values, dtype=np.float64)
    window = max(1, min(window, values.size))
    c = np.cumsum(np.concatenate([[0.0], values]))
    return (c[window:] - c[:-window]) / window
