"""Numerical gradients by central differences, and how to compare gradients.

``dE/dx[i] ~ (E(x + h e_i) - E(x - h e_i)) / (2 h)``: the error is ``O(h^2)``
from the Taylor series plus ``O(eps / h)`` from rounding, so ``h = 1e-5`` is a
good step in float64 (``eps ~ 1e-16``) and a poor one in float32 (``eps ~ 1e-7``).
"""

import numpy as np

H_STEP = 1e-5
TOLERANCE = 1e-6


def numerical_gradient(f, x, h=H_STEP):
    """Central-difference gradient of a scalar function with respect to one array.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``; called with perturbed copies of ``x``.
    x : ndarray, any shape
        Where to take the gradient. Never modified.
    h : float
        The step.

    Returns
    -------
    grad : ndarray, float64, same shape as ``x``
    """
    x = np.array(x, dtype=np.float64)  # a private copy: the caller's array is untouched
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = float(f(x.copy()))
        flat[i] = old - h
        f_minus = float(f(x.copy()))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, n):
    """Norm-wise relative error ``||a - n|| / max(||a||, ||n||, 1e-12)``.

    Parameters
    ----------
    a, n : array_like, same shape
        Usually an analytic and a numerical gradient.

    Returns
    -------
    float
        0 for two zero arrays; at most 2.
    """
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {n.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(n), 1e-12)
    return float(np.linalg.norm(a - n) / scale)


def gradient_report(named_pairs, tol=TOLERANCE):
    """A readable table of relative errors.

    Parameters
    ----------
    named_pairs : dict of str -> (analytic, numerical)
        E.g. ``{"dU": (dU, dU_num), "dW": (dW, dW_num)}``.
    tol : float
        Errors below this pass.

    Returns
    -------
    str
        One line per gradient: name, shape, relative error, ``ok`` or ``WRONG``.
    """
    lines = [f"{'gradient':<10}{'shape':<12}{'rel. error':>12}"]
    for name, (a, n) in named_pairs.items():
        err = rel_error(a, n)
        verdict = "ok" if err < tol else "WRONG"
        lines.append(f"{name:<10}{str(np.shape(a)):<12}{err:>12.2e}  {verdict}")
    return "\n".join(lines)


def numerical_jacobian(g, x, h=H_STEP):
    """Central-difference Jacobian of a vector function.

    Parameters
    ----------
    g : callable
        ``g(x) -> ndarray (m,)``.
    x : ndarray, shape (n,)
        Never modified.
    h : float

    Returns
    -------
    J : ndarray, shape (m, n)
        ``J[i, k] = d g_i / d x_k``.
    """
    x = np.array(x, dtype=np.float64)
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        cols.append((np.asarray(g(x + e), dtype=np.float64) - np.asarray(g(x - e))) / (2 * h))
    return np.stack(cols, axis=1)
