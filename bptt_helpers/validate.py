"""Argument checks that explain themselves.

Each function raises ``ValueError`` naming the argument, the shape that was
expected (with its symbols, e.g. ``(T, D)``) and the shape that was given.
"""

import numpy as np


def as_array(name, value, symbols, sizes=None):
    """Return ``value`` as a float64 array whose shape matches ``symbols``.

    Parameters
    ----------
    name : str
        The argument's name, used in the message (``"xs"``).
    value : array_like
        What the caller passed.
    symbols : tuple of str
        One symbol per axis, e.g. ``("T", "D")``.
    sizes : dict, optional
        Known sizes of some symbols, e.g. ``{"D": 3}``; filled in with the sizes
        found here, so later arguments are checked against earlier ones.

    Returns
    -------
    ndarray, float64, shape given by ``symbols``
    """
    sizes = {} if sizes is None else sizes
    expected = "(" + ", ".join(symbols) + (",)" if len(symbols) == 1 else ")")
    if value is None:
        raise ValueError(f"{name} is None; expected an array of shape {expected}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array of shape {expected}: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must hold numbers (float64), got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real (float64), got dtype {arr.dtype}")
    if arr.ndim != len(symbols):
        raise ValueError(
            f"{name} must have shape {expected} ({len(symbols)}-D), got shape {arr.shape}"
        )
    found = dict(sizes)  # committed to ``sizes`` only once every axis fits
    for axis, (sym, n) in enumerate(zip(symbols, arr.shape, strict=True)):
        want = _size_of(sym, found)
        if want is not None and n != want:
            known = _describe(sizes)
            hint = _swap_hint(name, arr.shape, symbols, sizes)
            raise ValueError(
                f"{name} must have shape {expected}{known}, got shape {arr.shape}"
                f" (axis {axis} is {n}, expected {sym} = {want}){hint}"
            )
        if want is None and sym.isidentifier():
            found[sym] = n
    sizes.update(found)
    return arr.astype(np.float64, copy=False)


def _size_of(sym, sizes):
    if sym.isdigit():
        return int(sym)
    if sym.endswith("+1") and sym[:-2] in sizes:
        return sizes[sym[:-2]] + 1
    return sizes.get(sym)


def _describe(sizes):
    if not sizes:
        return ""
    return " with " + ", ".join(f"{k} = {v}" for k, v in sizes.items())


def _swap_hint(name, shape, symbols, sizes):
    """Suggest ``name.T`` when the swapped axes fit every size known so far."""
    wanted = tuple(_size_of(s, sizes) for s in symbols)
    if len(shape) == 2 and any(w is not None for w in wanted) and all(
            w is None or w == g for w, g in zip(wanted, shape[::-1], strict=True)):
        return f"; did you pass {name}.T (axes swapped)?"
    return ""
