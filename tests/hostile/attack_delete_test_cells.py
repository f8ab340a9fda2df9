# ruff: noqa
"""the visible and hidden test cells of calc_delta are deleted."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """Wrong on every case: no recursion at all."""
    return np.zeros_like(states)
