"""Differently written correct versions of each graded function.

Each must score exactly 1.0 on the visible and the hidden cases. They cover the
ways learners actually write the code: Python loops, vectorised numpy, einsum,
the seed's layout (lists of ``(H, 1)`` column vectors), explicit Jacobian
products, and slow but correct versions. ``CALC_DELTA_QUADRATIC`` holds right
values at a cost quadratic in ``T``: they pass every case but the long one.
"""

import numpy as np

# --- step_jacobian(W, state, activator) -> (H, H) ------------------------------------------


def sj_broadcast(W, state, activator):
    """f' scales the columns of W by broadcasting."""
    return W * activator.backward(state)  # (H, H)


def sj_diag(W, state, activator):
    """The textbook form W diag(f'(net_j))."""
    return W @ np.diag(activator.backward(state))


def sj_loops(W, state, activator):
    """Two Python loops over the entries."""
    H = W.shape[0]
    fp = activator.backward(state)
    J = np.zeros((H, H))
    for i in range(H):
        for k in range(H):
            J[i, k] = W[i, k] * fp[k]
    return J


def sj_einsum(W, state, activator):
    """einsum with an explicit index for the column scaling."""
    return np.einsum("ik,k->ik", W, activator.backward(state))


def sj_columns(W, state, activator):
    """The seed's column-vector layout: the state as (H, 1), a nested-list result."""
    s = np.asarray(state).reshape(-1, 1)  # (H, 1)
    fp = activator.backward(s)  # (H, 1)
    return np.dot(W, np.diag(fp[:, 0])).tolist()


STEP_JACOBIAN = [sj_broadcast, sj_diag, sj_loops, sj_einsum, sj_columns]

# --- calc_delta(sensitivity, states, W, activator) -> (T+1, H) -----------------------------


def cd_vectorised(sensitivity, states, W, activator):
    """One vectorised line per step."""
    T = states.shape[0] - 1
    deltas = np.zeros(states.shape)  # (T+1, H)
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        deltas[t] = activator.backward(states[t]) * (W.T @ deltas[t + 1])
    return deltas


def cd_loops(sensitivity, states, W, activator):
    """Scalar Python loops only."""
    T, H = states.shape[0] - 1, states.shape[1]
    deltas = [[0.0] * H for _ in range(T + 1)]
    deltas[T] = [float(v) for v in sensitivity]
    for t in range(T - 1, 0, -1):
        fp = activator.backward(states[t])
        for k in range(H):
            total = 0.0
            for i in range(H):
                total += W[i, k] * deltas[t + 1][i]
            deltas[t][k] = fp[k] * total
    return np.array(deltas)


def cd_einsum(sensitivity, states, W, activator):
    """einsum for W^\\top delta_{t+1}."""
    T = len(states) - 1
    deltas = np.zeros_like(states)
    deltas[-1] = sensitivity
    for t in reversed(range(1, T)):
        deltas[t] = np.einsum("ik,i->k", W, deltas[t + 1]) * activator.backward(states[t])
    return deltas


def cd_seed_layout(sensitivity, states, W, activator):
    """Works on lists of (H, 1) column vectors and returns one (the seed's layout)."""
    state_list = [s.reshape(-1, 1) for s in states]  # T+1 arrays (H, 1)
    T = len(state_list) - 1
    H = W.shape[0]
    delta_list = [np.zeros((H, 1)) for _ in range(T)] + [np.array(sensitivity).reshape(H, 1)]
    for k in range(T - 1, 0, -1):
        fp = activator.backward(state_list[k])  # (H, 1), a new array
        delta_list[k] = np.dot(delta_list[k + 1].T, W).T * fp
    return delta_list


def cd_jacobian_products(sensitivity, states, W, activator):
    """Slow but correct: delta_t = (J_{T-1} ... J_t)^\\top delta_T from scratch for every t."""
    T, H = states.shape[0] - 1, states.shape[1]
    deltas = np.zeros((T + 1, H))
    for t in range(1, T + 1):
        P = np.eye(H)  # d net_T / d net_t
        for j in range(t, T):
            J = W @ np.diag(activator.backward(states[j]))  # d net_{j+1} / d net_j
            P = J @ P  # J_j ... J_t
        deltas[t] = P.T @ sensitivity
    return deltas


def cd_stacked_columns(sensitivity, states, W, activator):
    """Returns a (T+1, H, 1) stack of column vectors."""
    T = states.shape[0] - 1
    out = np.zeros((T + 1, W.shape[0], 1))
    out[T] = np.reshape(sensitivity, (-1, 1))
    for t in range(T - 1, 0, -1):
        out[t] = W.T @ out[t + 1] * activator.backward(states[t]).reshape(-1, 1)
    return out


def cd_recursive(sensitivity, states, W, activator):
    """A recursive helper, the recursion written as it is derived."""
    T = states.shape[0] - 1

    def delta(t):
        if t == T:
            return np.asarray(sensitivity, dtype=float)
        return activator.backward(states[t]) * (W.T @ delta(t + 1))

    rows = [np.zeros(states.shape[1])] + [delta(t) for t in range(1, T + 1)]
    return np.vstack(rows)


def cd_with_step_jacobian(sensitivity, states, W, activator):
    """Uses the learner's own step_jacobian, as the notebook allows."""
    T = states.shape[0] - 1
    deltas = np.zeros_like(states)
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        deltas[t] = sj_broadcast(W, states[t], activator).T @ deltas[t + 1]
    return deltas


def cd_jacobian_accumulated(sensitivity, states, W, activator):
    """Explicit Jacobian matrices, walked back once: delta_t = J_t^\\top delta_{t+1}."""
    T, H = states.shape[0] - 1, states.shape[1]
    deltas = np.zeros((T + 1, H))
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        J = W @ np.diag(activator.backward(states[t]))  # d net_{t+1} / d net_t, (H, H)
        deltas[t] = J.T @ deltas[t + 1]
    return deltas


CALC_DELTA = [cd_vectorised, cd_loops, cd_einsum, cd_seed_layout, cd_jacobian_accumulated,
              cd_stacked_columns, cd_with_step_jacobian]

# Right values, but quadratic in T: each delta_t recomputed from delta_T (or a recursion one
# call deep per step). They pass every short case; the long case rejects them, as it must:
# their cost is that of forward-mode finite differences (see autograde/checks/large.py).
CALC_DELTA_QUADRATIC = [cd_jacobian_products, cd_recursive]

# --- calc_gradient(deltas, states, xs) -> (dU, dW) -----------------------------------------


def cg_vectorised(deltas, states, xs):
    """Two matrix products."""
    return deltas[1:].T @ xs, deltas[1:].T @ states[:-1]


def cg_outer_loop(deltas, states, xs):
    """A sum of outer products, one per step."""
    T = xs.shape[0]
    dU = np.zeros((deltas.shape[1], xs.shape[1]))
    dW = np.zeros((deltas.shape[1], deltas.shape[1]))
    for t in range(1, T + 1):
        dU += np.outer(deltas[t], xs[t - 1])
        dW += np.outer(deltas[t], states[t - 1])
    return dU, dW


def cg_einsum(deltas, states, xs):
    """einsum over the time axis, returned as a list."""
    return [np.einsum("th,td->hd", deltas[1:], xs), np.einsum("th,tk->hk", deltas[1:], states[:-1])]


def cg_seed_layout(deltas, states, xs):
    """Column vectors as in the seed: delta_t (H, 1) times s_{t-1}^\\top (1, H)."""
    delta_list = [d.reshape(-1, 1) for d in deltas]
    state_list = [s.reshape(-1, 1) for s in states]
    x_list = [x.reshape(-1, 1) for x in xs]
    T = len(x_list)
    dU = sum(np.dot(delta_list[t], x_list[t - 1].T) for t in range(1, T + 1))
    dW = sum(np.dot(delta_list[t], state_list[t - 1].T) for t in range(1, T + 1))
    return dU, dW


def cg_scalar_loops(deltas, states, xs):
    """Slow but correct: every entry is its own sum over t."""
    T, D = xs.shape
    H = deltas.shape[1]
    dU = [[sum(deltas[t, i] * xs[t - 1, k] for t in range(1, T + 1)) for k in range(D)]
          for i in range(H)]
    dW = [[sum(deltas[t, i] * states[t - 1, k] for t in range(1, T + 1)) for k in range(H)]
          for i in range(H)]
    return np.array(dU), np.array(dW)


def cg_with_delta_zero(deltas, states, xs):
    """Includes t = 0 by padding xs with a zero row: harmless since deltas[0] = 0."""
    xs_pad = np.vstack([np.zeros((1, xs.shape[1])), xs])  # (T+1, D)
    states_pad = np.vstack([np.zeros((1, states.shape[1])), states[:-1]])  # (T+1, H)
    return deltas.T @ xs_pad, deltas.T @ states_pad


CALC_GRADIENT = [cg_vectorised, cg_outer_loop, cg_einsum, cg_seed_layout, cg_scalar_loops,
                 cg_with_delta_zero]
