# ruff: noqa
"""calc_delta allocates memory until the limit."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    hog = []
    while True:
        hog.append(np.zeros(2**27))  # 1 GiB each, not touched
