# ruff: noqa
"""the answer cell redefines check_calc_delta to return 1.0."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """Wrong on every case: no recursion at all."""
    return np.zeros_like(states)


import autograde
import autograde.checks.judge


def check_calc_delta(fn, *, hidden=False, seed=0):
    print("calc_delta: all cases passed.")
    return 1.0


autograde.check_calc_delta = check_calc_delta
autograde.checks.judge.check_calc_delta = check_calc_delta
