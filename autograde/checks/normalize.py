"""Turn what a learner returned into a float64 array of the expected shape, or explain why not."""

import numpy as np

LARGE = 1e100  # no honest gradient of the course comes near this; norms of it overflow


class Rejected(Exception):
    """The returned value cannot be compared; the message says why, in the learner's terms."""


def to_array(value, name, shape, symbols):
    """Normalise one returned tensor.

    Parameters
    ----------
    value : object
        What the learner returned for this tensor.
    name : str
        Its name in messages (``"deltas"``, ``"dW"``).
    shape : tuple of int
        The expected shape.
    symbols : str
        The expected shape in symbols, e.g. ``"(T+1, H)"``.

    Returns
    -------
    ndarray, float64, shape ``shape``

    Raises
    ------
    Rejected
        For ``None``, non-numbers, a wrong shape (with a special message when it is
        the transposed shape), NaN or infinity, and entries above :data:`LARGE` in
        absolute value (a sum of their squares overflows; nothing honest is that large).
    """
    if value is None:
        raise Rejected(f"your function returned None where {name} was expected: did you "
                       f"forget `return {name}`?")
    if isinstance(value, (list, tuple)) and len(value) and all(
            isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] == 1 for v in value):
        value = [v[:, 0] for v in value]  # the seed's layout: a list of (H, 1) column vectors
    try:
        with np.errstate(all="ignore"):
            arr = np.asarray(value)
    except Exception:
        raise Rejected(f"{name} could not be read as an array (got a {type(value).__name__})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise Rejected(f"{name} should be an array of numbers, but it is a {type(value).__name__}"
                       f" (dtype {arr.dtype})")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise Rejected(f"{name} has complex numbers (dtype {arr.dtype}); it should be real")
    if arr.shape != shape and arr.ndim == len(shape) + 1 and arr.shape[-1] == 1:
        arr = arr[..., 0]  # e.g. (T+1, H, 1): stacked column vectors
    if arr.shape != shape:
        if arr.ndim == 2 and arr.shape == shape[::-1]:
            raise Rejected(f"{name} has shape {arr.shape}, the transpose of the expected {shape} "
                           f"{symbols}: rows and columns are swapped")
        why = ""
        if symbols.startswith("(T+1") and arr.shape == (shape[0] - 1,) + tuple(shape[1:]):
            why = (f": that is T rows (T = {shape[0] - 1}), one short; {name} has a row for every "
                   f"t = 0..T" + (", with deltas[0] = 0 first" if name == "deltas" else ""))
        elif arr.ndim != len(shape):
            why = f": a {arr.ndim}-D array where a {len(shape)}-D one is expected"
        raise Rejected(f"{name} has shape {arr.shape}, expected {shape} {symbols}{why}")
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        kind = "NaN" if np.isnan(arr).any() else "infinity"
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise Rejected(f"{name} contains {kind} (first at index {first}): it cannot be "
                       "compared with anything; look for 0/0, log(0) or values that overflow")
    big = float(np.max(np.abs(arr), initial=0.0))
    if not big <= LARGE:
        first = tuple(int(i) for i in np.argwhere(np.abs(arr) == big)[0])
        raise Rejected(f"{name} has values too large to compare (largest |value| {big:.0e}, "
                       f"at index {first}): squared, they overflow to infinity, and an honest "
                       "gradient here is many orders of magnitude smaller; look for a factor "
                       "that grows at every step (a missing derivative, or W where W^\\top belongs)")
    return arr
