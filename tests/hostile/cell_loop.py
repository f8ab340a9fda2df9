# ruff: noqa
"""The answer cell loops forever, swallowing KeyboardInterrupt."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """Wrong on every case: no recursion at all."""
    return np.zeros_like(states)


import time

while True:
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass
