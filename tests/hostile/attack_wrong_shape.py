# ruff: noqa
"""calc_delta returns an array of the wrong shape."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    return np.zeros((3, 3))
