# ruff: noqa
"""The notebook itself is edited (tests/test_hostile.py, NOTEBOOK_EDITS["tampered_tests"]).

calc_delta's visible test cell is deleted; its hidden test cell is flagged as a solution
(an answer the learner may edit), its points set to 100 and its source to `float(100)`;
step_jacobian's visible test is rewritten to `pass`; a graded cell of the learner's own
(`grade_id` test_mine, 100 points) is added. calc_delta itself is wrong on every case.
"""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """Wrong on every case: no recursion at all."""
    return np.zeros_like(states)
