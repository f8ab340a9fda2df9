# ruff: noqa
"""calc_delta kills its own process when a check calls it (nbgrader #427)."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
import os
import signal


def calc_delta(sensitivity, states, W, activator):
    os.kill(os.getpid(), signal.SIGKILL)
