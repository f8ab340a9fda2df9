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


def safe_norm(x):
    """Euclidean norm that cannot overflow: scaled by the largest ``|entry|`` first.

    ``np.linalg.norm(np.full(4, 1e200))`` is ``inf`` (the squares overflow); this is
    ``2e200``. Returns ``inf`` or ``nan`` only when ``x`` holds them.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return 0.0
    big = float(np.max(np.abs(x)))
    if not np.isfinite(big):
        return big
    if big == 0.0:
        return 0.0
    return big * float(np.linalg.norm(x / big))


def rel_error(a, n):
    """Norm-wise relative error ``||a - n|| / max(||a||, ||n||, 1e-12)``.

    Parameters
    ----------
    a, n : array_like, same shape
        Usually an analytic and a numerical gradient.

    Returns
    -------
    float
        0 for two zero arrays; at most 2 for finite arrays. ``inf`` when either array
        holds NaN or an infinity: such a gradient cannot be compared, and ``inf`` fails
        every ``err < tolerance`` test. Norms are computed after scaling by the largest
        entry, so huge entries (``1e200``) give a true error, not ``inf / inf = nan``.
    """
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {n.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(n))):
        return float("inf")
    big = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(n), initial=0.0)))
    if big == 0.0:
        return 0.0
    a_s, n_s = a / big, n / big  # entries in [-1, 1]: no norm below can overflow
    with np.errstate(over="ignore", divide="ignore"):
        scale = max(np.linalg.norm(a_s), np.linalg.norm(n_s), 1e-12 / big)
        err = float(np.linalg.norm(a_s - n_s) / scale)
    return err if np.isfinite(err) else float("inf")


def gradient_report(named_pairs, tol=TOLERANCE):
    """A readable table of relative errors.

    Parameters
    ----------
    named_pairs : dict of str -> (analytic, numerical)
        E.g. ``{"dU": (dU, dU_num), "dW": (dW, dW_num)}``.
    tol : float
        Errors below this pass; an error that is not a finite number never passes.

    Returns
    -------
    str
        One line per gradient: name, shape, relative error, ``ok`` or ``WRONG`` (with
        the reason when an array holds NaN or infinity and cannot be compared).
    """
    lines = [f"{'gradient':<10}{'shape':<12}{'rel. error':>12}"]
    for name, (a, n) in named_pairs.items():
        err = rel_error(a, n)
        verdict = "ok" if err < tol else "WRONG"
        if not np.isfinite(err):
            which = [w for w, x in (("yours", a), ("the numerical one", n))
                     if not np.all(np.isfinite(np.asarray(x, dtype=np.float64)))]
            verdict += f" ({' and '.join(which)} has NaN or infinity: cannot compare)"
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
