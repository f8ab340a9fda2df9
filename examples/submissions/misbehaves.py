"""Code that misbehaves: an endless loop, an in-place change of an input, chatty output."""

import numpy as np


# %% answer_step_jacobian
def step_jacobian(W, state, activator):
    """A loop whose counter is never updated: it never ends."""
    H = W.shape[0]
    J = np.zeros((H, H))
    k = 0
    while k < H:
        J[:, k] = W[:, k] * activator.backward(state)[k]
    return J


# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """Applies the derivative in place to the stored states (a defect of the seed program)."""
    T = len(states) - 1
    deltas = np.zeros_like(states)
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        states[t] = activator.backward(states[t])  # overwrites the caller's states
        deltas[t] = states[t] * (W.T @ deltas[t + 1])
    return deltas


# %% answer_calc_gradient
def calc_gradient(deltas, states, xs):
    """Right, but it prints on every call."""
    print("calc_gradient called with T =", len(xs))
    return deltas[1:].T @ xs, deltas[1:].T @ states[:-1]
