# ruff: noqa
"""Attacks on the learner's own process, by case length.

step_jacobian's answer cell (right code) ends with sys.exit(0). calc_delta kills its own
process with SIGKILL on T=1 (nbgrader #427: the whole submission used to fail), never
returns and swallows KeyboardInterrupt on T=2, allocates 1 GiB arrays until the memory
limit on T=3, and is wrong (zeros) on every other case.
"""

import numpy as np  # noqa: F401


# %% answer_step_jacobian
# @RIGHT_step_jacobian@ (the instructor's code, put in by tests/test_hostile.py)


import sys

sys.exit(0)


# %% answer_calc_delta
import os
import signal


def calc_delta(sensitivity, states, W, activator):
    T = len(states) - 1
    if T == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    if T == 2:
        while True:
            try:
                pass
            except KeyboardInterrupt:
                pass
    if T == 3:
        hog = []
        while True:
            hog.append(np.zeros(2**27))  # 1 GiB each, not touched
    return np.zeros_like(states)
