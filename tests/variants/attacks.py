"""Finite-difference "solutions": right values, no backpropagation.

Each passes the ordinary (short) cases of its check and must fail the long case by
running past its limit (:mod:`autograde.checks.large`). They are written the ways a
learner could avoid the backward walk: numerical_gradient of the course's own forward
pass or surrogate, a loop over every entry, finite differences vectorised over all of
a step's directions, perturbations of all steps propagated at once (forward mode).
"""

import numpy as np

from bptt_helpers import numerical_gradient, rnn_forward
from bptt_helpers.softmax_rnn import surrogate_loss, tbptt_surrogate_loss

H_STEP = 1e-5


def _inverse(activator, s):
    """``net`` from ``s = f(net)`` (ReLU's negative side is lost; any value <= 0 will do)."""
    name = activator.name
    if name == "tanh":
        return np.arctanh(s)
    if name == "sigmoid":
        return np.log(s / (1 - s))
    if name == "relu":
        return np.where(s > 0, s, -1.0)
    return np.array(s, dtype=float)


def _drives(states, W, activator):
    """``b_t = net_t - W s_{t-1}`` (the inputs' part), rows t = 1..T; row 0 is 0. (T+1, H)."""
    b = np.zeros_like(states)
    b[1:] = _inverse(activator, states[1:]) - states[:-1] @ W.T
    return b


# --- calc_delta ------------------------------------------------------------------------------

def cd_fd_course_forward(sensitivity, states, W, activator):
    """numerical_gradient of the course's rnn_forward, one net_t row at a time."""
    T, H = states.shape[0] - 1, states.shape[1]
    b = _drives(states, W, activator)
    zeros_x, zeros_U = np.zeros((T, 1)), np.zeros((H, 1))
    deltas = np.zeros((T + 1, H))
    for t in range(1, T + 1):
        def loss(row, t=t):
            shift = b.copy()
            shift[t] += row
            s = rnn_forward(zeros_x, zeros_U, W, activator, states[0], net_shift=shift)
            return float(sensitivity @ (W @ s[T - 1] + shift[T]))
        deltas[t] = numerical_gradient(loss, np.zeros(H))
    return deltas


def cd_fd_from_t(sensitivity, states, W, activator):
    """A loop over every entry, each perturbation run forward from its own step only."""
    T, H = states.shape[0] - 1, states.shape[1]
    b = _drives(states, W, activator)
    deltas = np.zeros((T + 1, H))
    for t in range(1, T + 1):
        for i in range(H):
            out = []
            for h in (H_STEP, -H_STEP):
                net = W @ states[t - 1] + b[t]
                net[i] += h
                for j in range(t + 1, T + 1):
                    net = W @ activator.forward(net) + b[j]
                out.append(sensitivity @ net)
            deltas[t, i] = (out[0] - out[1]) / (2 * H_STEP)
    return deltas


def cd_fd_vectorised(sensitivity, states, W, activator):
    """Each step's H perturbations at once (an (H, H) batch), run forward from that step."""
    T, H = states.shape[0] - 1, states.shape[1]
    b = _drives(states, W, activator)
    deltas = np.zeros((T + 1, H))
    for t in range(1, T + 1):
        base = W @ states[t - 1] + b[t]
        nets = np.stack([base + H_STEP * np.eye(H), base - H_STEP * np.eye(H)])  # (2, H, H)
        for j in range(t + 1, T + 1):
            nets = activator.forward(nets) @ W.T + b[j]
        deltas[t] = (nets[0] - nets[1]) @ sensitivity / (2 * H_STEP)
    return deltas


def cd_forward_mode(sensitivity, states, W, activator):
    """Tangents of every (t, i) perturbation propagated forward together, one step at a time."""
    T, H = states.shape[0] - 1, states.shape[1]
    tangents = np.zeros((0, H))  # row (t, i): d net_j / d net_{t,i}
    for j in range(1, T + 1):
        if j > 1:
            tangents = (tangents * activator.backward(states[j - 1])) @ W.T
        tangents = np.vstack([tangents, np.eye(H)])
    deltas = np.zeros((T + 1, H))
    deltas[1:] = (tangents @ sensitivity).reshape(T, H)
    return deltas


CALC_DELTA_FD = [cd_fd_course_forward, cd_fd_from_t, cd_fd_vectorised, cd_forward_mode]

# --- calc_gradient ---------------------------------------------------------------------------


def cg_fd_numerical_gradient(deltas, states, xs):
    """numerical_gradient of sum_t delta_t . net_t over U and W (states held)."""
    H, D = deltas.shape[1], xs.shape[1]

    def loss(U, W):
        return float(np.sum(deltas[1:] * (xs @ U.T + states[:-1] @ W.T)))

    dU = numerical_gradient(lambda U: loss(U, np.zeros((H, H))), np.zeros((H, D)))
    dW = numerical_gradient(lambda W: loss(np.zeros((H, D)), W), np.zeros((H, H)))
    return dU, dW


def cg_fd_per_step(deltas, states, xs):
    """Finite differences of each step's own term, accumulated over t."""
    T, H, D = xs.shape[0], deltas.shape[1], xs.shape[1]
    dU, dW = np.zeros((H, D)), np.zeros((H, H))
    for t in range(1, T + 1):
        def term(U, W, t=t):
            return float(deltas[t] @ (U @ xs[t - 1] + W @ states[t - 1]))
        dU += numerical_gradient(lambda U, t=t: term(U, np.zeros((H, H)), t), np.zeros((H, D)))
        dW += numerical_gradient(lambda W, t=t: term(np.zeros((H, D)), W, t), np.zeros((H, H)))
    return dU, dW


CALC_GRADIENT_FD = [cg_fd_numerical_gradient, cg_fd_per_step]

# --- truncated_bptt and tbptt_k1k2 -----------------------------------------------------------


def _frozen(xs, U, W, s0):
    from bptt_helpers.softmax_rnn import SIGMOID
    states = np.zeros((xs.shape[0] + 1, W.shape[0]))
    states[0] = 0.0 if s0 is None else s0
    for t in range(1, xs.shape[0] + 1):
        states[t] = SIGMOID.forward(U @ xs[t - 1] + W @ states[t - 1])
    return states


def tb_fd_surrogate(xs, ys, U, V, W, k, s0=None):
    """numerical_gradient of the course's surrogate_loss (the set-up cell imports both)."""
    frozen = _frozen(xs, U, W, s0)
    return (numerical_gradient(lambda u: surrogate_loss(xs, ys, u, V, W, k, frozen), U),
            numerical_gradient(lambda v: surrogate_loss(xs, ys, U, v, W, k, frozen), V),
            numerical_gradient(lambda w: surrogate_loss(xs, ys, U, V, w, k, frozen), W))


def k1k2_fd_surrogate(xs, ys, U, V, W, k1, k2, s0=None):
    """numerical_gradient of the course's tbptt_surrogate_loss."""
    frozen = _frozen(xs, U, W, s0)

    def loss(u, v, w):
        return tbptt_surrogate_loss(xs, ys, u, v, w, k1, k2, frozen)

    return (numerical_gradient(lambda u: loss(u, V, W), U),
            numerical_gradient(lambda v: loss(U, v, W), V),
            numerical_gradient(lambda w: loss(U, V, w), W))


TRUNCATED_FD = [tb_fd_surrogate]
TBPTT_FD = [k1k2_fd_surrogate]
