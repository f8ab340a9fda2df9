"""Figures for the course notebooks.

Every function draws on the ``Axes`` it is given (or on a new figure when
``ax`` is None) and returns that ``Axes``; none calls ``plt.show()``. Errors and
norms that grow or shrink geometrically are drawn on log scales.
"""

import logging

import numpy as np

ERROR_FLOOR = 1e-17  # an exact zero cannot be drawn on a log scale; it is drawn here


def _new_axes(figsize=(6.4, 4.0)):
    """A new figure with one ``Axes``, created without matplotlib's font-cache note on stderr."""
    font_log = logging.getLogger("matplotlib.font_manager")
    old_level = font_log.level
    font_log.setLevel(logging.ERROR)  # "building the font cache" is no learner's concern
    try:
        import matplotlib.pyplot as plt
    finally:
        font_log.setLevel(old_level)
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _axes(ax, figsize=(6.4, 4.0)):
    return _new_axes(figsize) if ax is None else ax


def step_errors(answer, reference):
    """Per-time-step error ``||answer[t] - reference[t]|| / ||reference||``.

    This is the measure the checker uses to name the first wrong time step: each
    step's error is divided by the norm of the *whole* reference tensor, so a step
    whose reference has vanished is not blamed for rounding noise.

    Parameters
    ----------
    answer, reference : ndarray, shape (T+1, H)
        E.g. ``deltas`` from a program and from numerical differentiation.

    Returns
    -------
    ndarray, shape (T+1,)
    """
    a = np.asarray(answer, dtype=np.float64)
    n = np.asarray(reference, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {n.shape}")
    scale = max(np.linalg.norm(n), 1e-12)
    return np.linalg.norm((a - n).reshape(a.shape[0], -1), axis=1) / scale


def plot_error_vs_h(hs, errors, guides=(), ax=None, title=None):
    """Error of a finite-difference derivative against the step ``h`` (log-log).

    Parameters
    ----------
    hs : ndarray, shape (n,)
        The steps.
    errors : dict of str -> ndarray, shape (n,)
        One curve per label, e.g. ``{"float64": err64, "float32": err32}``.
    guides : sequence of (slope, h0, e0, label)
        Dashed reference lines ``e = e0 * (h / h0) ** slope``, e.g. slope 2 for
        the truncation error and slope -1 for the rounding error.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    hs = np.asarray(hs, dtype=np.float64)
    for label, err in errors.items():
        ax.loglog(hs, np.maximum(np.asarray(err, dtype=np.float64), ERROR_FLOOR), "o-",
                  ms=4, label=label)
    lows = [np.min(np.maximum(e, ERROR_FLOOR)) for e in errors.values()] or [ERROR_FLOOR]
    bottom, top = max(min(lows) / 10, ERROR_FLOOR), 10.0
    for slope, h0, e0, label in guides:
        line = e0 * (hs / h0) ** slope
        ax.loglog(hs, line, "--", lw=1, color="gray")
        visible = np.flatnonzero((line > bottom * 100) & (line < top / 100))
        if visible.size:  # label the line where it is inside the plot, away from the edges
            i = visible[visible.size // 3] if slope < 0 else visible[(2 * visible.size) // 3]
            ax.annotate(label, (hs[i], line[i]), fontsize=8, color="dimgray",
                        xytext=(2, -12) if slope > 0 else (4, 4), textcoords="offset points",
                        ha="left")
    ax.set_ylim(bottom, top)
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of the derivative")
    ax.set_title(title or "Central differences: error against step size")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return ax


def plot_step_errors(errors, tol=1e-6, ax=None, title=None):
    """Error of each time step, ``t = 1..T``, on a log scale.

    Parameters
    ----------
    errors : dict of str -> ndarray, shape (T+1,)
        Per-step errors (see :func:`step_errors`); entry 0 (there is no
        ``delta_0``) is not drawn. Curves may have different lengths.
    tol : float, optional
        Drawn as a horizontal line: the checker passes a tensor below it.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    for label, err in errors.items():
        err = np.asarray(err, dtype=np.float64)
        t = np.arange(1, err.size)
        ax.semilogy(t, np.maximum(err[1:], ERROR_FLOOR), "o-", ms=4, label=label)
    if tol:
        ax.axhline(tol, color="gray", ls="--", lw=1)
        ax.annotate(f"tolerance {tol:.0e}", (ax.get_xlim()[0], tol), fontsize=8,
                    color="dimgray", xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\mathrm{error}_t\| \,/\, \|\mathrm{reference}\|$")
    ax.set_title(title or "Error of each time step")
    ax.grid(True, which="major", alpha=0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend()
    return ax


def plot_delta_norms(deltas, ax=None, title=None):
    """``||delta_t||`` against ``t`` (log scale): how the error signal grows or fades.

    Parameters
    ----------
    deltas : dict of str -> ndarray, shape (T+1, H) or (T+1,)
        Either the deltas themselves (their row norms are drawn) or the norms.
        Row 0 (``delta_0 = 0``) is not drawn, nor is any norm that is exactly 0.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    for label, d in deltas.items():
        d = np.asarray(d, dtype=np.float64)
        norms = np.linalg.norm(d, axis=1) if d.ndim == 2 else np.abs(d)
        t = np.arange(1, norms.size)
        shown = np.where(norms[1:] > 0, norms[1:], np.nan)  # an exact 0 is left out, not faked
        ax.semilogy(t, shown, "o-", ms=3, label=label)
    ax.set_xlabel("time step t (the loss is at t = T)")
    ax.set_ylabel(r"$\|\delta_t\|$")
    ax.set_title(title or r"Size of $\delta_t$ going back in time")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return ax
