# ruff: noqa
"""calc_delta returns NaN."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    return np.full_like(states, np.nan)
