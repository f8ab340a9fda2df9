# ruff: noqa
"""the test cells' metadata is edited (points, grade_id)."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """Wrong on every case: no recursion at all."""
    return np.zeros_like(states)
