# ruff: noqa
"""The answer cell calls os._exit(0): the kernel dies, and so does the trusted step's process."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """Wrong on every case: no recursion at all."""
    return np.zeros_like(states)


import os

os._exit(0)
