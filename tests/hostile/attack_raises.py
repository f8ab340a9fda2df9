# ruff: noqa
"""calc_delta raises."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    raise RuntimeError("not today")
