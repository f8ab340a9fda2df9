# ruff: noqa
"""a right calc_delta, and writes to stderr (noise costs nothing)."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    T = len(states) - 1
    deltas = np.zeros_like(states)  # (T+1, H)
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        deltas[t] = activator.backward(states[t]) * (W.T @ deltas[t + 1])
    return deltas


import sys

sys.stderr.write("some noise on stderr\n")
