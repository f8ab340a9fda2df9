"""Comparing a long answer through random directional derivatives.

A full numerical gradient of a long sequence costs one or two forward passes per
entry: far too slow for the checker (and that is the point of the long cases, see
:mod:`.large`). Instead the checker draws random unit directions ``V`` and compares
the learner's ``<answer, V>`` with the central difference of the loss along ``V``,
``(E(+h V) - E(-h V)) / (2 h)``: two forward passes per direction. For a tensor with
a time axis (``deltas``) each direction lives on one block of time steps, so an
answer that is wrong at some step, or zero for old steps, changes that block's
number; the feedback names the first wrong block walking back from ``T``.

The directions come from the case's seed: with a secret seed they cannot be known.
"""

import time
from dataclasses import dataclass

import numpy as np

from bptt_helpers.numgrad import TOLERANCE, rel_error, safe_norm


@dataclass
class Probe:
    """One random direction: ``V`` on rows ``rows[0]:rows[1]`` of a tensor (all of it if None)."""

    label: str  # "t=901..1000", or "" for a direction over a whole weight matrix
    rows: tuple | None
    V: np.ndarray


def unit(rng, shape):
    """A random direction of unit norm."""
    v = rng.standard_normal(shape)
    return v / np.linalg.norm(v)


def orthogonal(H, rng):
    """A random orthogonal ``(H, H)`` matrix (Haar-distributed)."""
    Q, R = np.linalg.qr(rng.standard_normal((H, H)))
    return Q * np.sign(np.diag(R))


def time_blocks(T, n_blocks):
    """``[(a, b), ...]``: consecutive blocks of steps covering ``1..T`` (1-based, inclusive)."""
    edges = np.linspace(0, T, min(n_blocks, T) + 1).round().astype(int)
    return [(int(edges[i]) + 1, int(edges[i + 1])) for i in range(len(edges) - 1)]


def central_difference(loss_along, h=1e-5):
    """``(E(+h) - E(-h)) / (2 h)`` for ``loss_along(eps) = E(x + eps V)``."""
    return (loss_along(h) - loss_along(-h)) / (2 * h)


def central_differences(losses, base, directions, h=1e-5):
    """``central_difference`` along several directions, every loss in one call.

    Parameters
    ----------
    losses : callable
        ``losses(Xs) -> ndarray (2P,)`` for ``Xs`` of shape ``(2P,) + base.shape``.
    base : ndarray, any shape
    directions : ndarray, shape (P,) + base.shape

    Returns
    -------
    ndarray, shape (P,)
        ``(E(base + h V_p) - E(base - h V_p)) / (2 h)`` for each direction ``V_p``.
    """
    directions = np.asarray(directions, dtype=np.float64)
    P = directions.shape[0]
    E = np.asarray(losses(np.concatenate([base + h * directions, base - h * directions])))
    return (E[:P] - E[P:]) / (2 * h)


def batched_gradient(losses, x, h=1e-5):
    """Central-difference gradient of a loss that takes a batch of perturbed copies of ``x``.

    The same numbers as ``bptt_helpers.numgrad.numerical_gradient`` (``x[i] +- h``), with
    all ``2 x.size`` copies evaluated in one vectorised call.

    Parameters
    ----------
    losses : callable
        ``losses(Xs) -> ndarray (2n,)`` for ``Xs`` of shape ``(2n,) + x.shape``, ``n = x.size``.
    x : ndarray, any shape

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = np.asarray(x, dtype=np.float64)
    basis = np.eye(x.size).reshape((x.size,) + x.shape)  # (n,) + x.shape
    return central_differences(losses, x, basis, h).reshape(x.shape)


def best_time(fn, repeats=3):
    """Smallest wall time of ``repeats`` calls of ``fn()`` in seconds (robust to a busy machine)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def project(arr, probes):
    """``[<arr[rows], V> for each probe]``; ``arr`` is finite and bounded (normalised)."""
    out = []
    for p in probes:
        part = arr if p.rows is None else arr[p.rows[0]:p.rows[1]]
        out.append(float(np.sum(part * p.V)))
    return np.array(out)


def judge_probes(case, answer):
    """Failure lines for a case compared by directional derivatives (empty when it passes)."""
    lines = []
    for name, probes in case.probes.items():
        got, ref = project(answer[name], probes), case.reference[name]
        err = rel_error(got, ref)
        if err < TOLERANCE:
            continue
        what = (f"{name}: along {len(ref)} random directions its changes differ from the "
                f"loss's directional derivatives by a relative {err:.1e} (passes below "
                f"{TOLERANCE:.0e})")
        lines.append(what if np.isfinite(err) else
                     f"{name}: could not be compared (its error is not a finite number)")
        timed = [(i, p) for i, p in enumerate(probes) if p.label]
        if not timed:
            continue
        scale = max(safe_norm(ref), 1e-12)
        T = max(p.rows[1] for _, p in timed) - 1
        for i, p in sorted(timed, key=lambda ip: -ip[1].rows[0]):
            off = abs(got[i] - ref[i]) / scale
            if not off < TOLERANCE:
                lines.append(f"first wrong time steps, walking back from T={T}: {p.label} "
                             f"(off by {off:.1e} of the whole comparison)")
                break
    return lines
