# ruff: noqa
"""In-process tricks: bogus return values, and patches of the checks, numpy and IPython.

calc_delta returns, call after call: an exception, None, a wrong shape, NaN, an object whose
== is always true (nbgrader #1379), an ndarray subclass whose arithmetic says every error is
0. The answer cell redefines check_calc_delta, patches np.linalg.norm and rel_error, adds an
input transformer that rewrites the later test cells, shows floats as text, and patches
showtraceback away (nbgrader PR #1324). None of it may raise calc_delta's score above 0.
"""

import numpy as np  # noqa: F401


# %% answer_calc_delta
import itertools

import autograde
import autograde.checks.judge
import bptt_helpers.numgrad


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __float__(self):
        return 1.0

    __hash__ = object.__hash__


class Liar(np.ndarray):
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(x) for x in inputs]
        return np.zeros_like(getattr(ufunc, method)(*plain, **kwargs))

    def __eq__(self, other):
        return True

    __hash__ = None


_BOGUS = itertools.cycle(["raise", "none", "shape", "nan", "equal", "liar"])


def calc_delta(sensitivity, states, W, activator):
    kind = next(_BOGUS)
    if kind == "raise":
        raise RuntimeError("not today")
    if kind == "none":
        return None
    if kind == "shape":
        return np.zeros((3, 3))
    if kind == "nan":
        return np.full_like(states, np.nan)
    if kind == "equal":
        return AlwaysEqual()
    return np.zeros_like(states).view(Liar)


def check_calc_delta(fn, *, hidden=False, seed=0):
    print("calc_delta: all cases passed.")
    return 1.0


autograde.check_calc_delta = check_calc_delta
autograde.checks.judge.check_calc_delta = check_calc_delta
np.linalg.norm = lambda *args, **kwargs: 0.0
bptt_helpers.numgrad.rel_error = lambda a, b: 0.0


def _full_marks(lines):
    text = "".join(lines)
    if "check_calc_delta(calc_delta, hidden=True)" in text:
        return ["float(3)\n"]
    if "check_calc_delta" in text:
        return ["pass\n"]
    return lines


get_ipython().input_transformers_cleanup.append(_full_marks)
get_ipython().display_formatter.formatters["text/plain"].for_type(
    float, lambda value, printer, cycle: printer.text("full marks"))
get_ipython().showtraceback = lambda *args, **kwargs: None
get_ipython()._showtraceback = lambda *args, **kwargs: None
