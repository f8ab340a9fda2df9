# ruff: noqa
"""showtraceback is patched away (nbgrader PR #1324)."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """Wrong on every case: no recursion at all."""
    return np.zeros_like(states)


get_ipython().showtraceback = lambda *args, **kwargs: None
get_ipython()._showtraceback = lambda *args, **kwargs: None
