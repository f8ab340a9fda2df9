# ruff: noqa
"""the answer cell patches numpy so that every relative error is 0."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """Wrong on every case: no recursion at all."""
    return np.zeros_like(states)


import bptt_helpers.numgrad

np.linalg.norm = lambda *args, **kwargs: 0.0
bptt_helpers.numgrad.rel_error = lambda a, b: 0.0
