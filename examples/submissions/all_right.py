"""Every function right, written differently from the solutions (explicit Jacobians, loops)."""

import numpy as np


# %% answer_step_jacobian
def step_jacobian(W, state, activator):
    """d net_{j+1} / d net_j = W diag(f'(net_j)), shape (H, H)."""
    slopes = activator.backward(state)  # (H,), f'(net_j) from s_j
    return np.dot(W, np.diag(slopes))  # (H, H)

# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """All delta_t as rows of a (T+1, H) array; row 0 stays zero."""
    T = len(states) - 1
    rows = [np.asarray(sensitivity, dtype=float)]  # delta_T, delta_{T-1}, ...
    for t in range(T - 1, 0, -1):
        J = step_jacobian(W, states[t], activator)  # (H, H), d net_{t+1} / d net_t
        rows.append(J.T.dot(rows[-1]))
    rows.append(np.zeros(W.shape[0]))  # delta_0 = 0: there is no net_0
    return np.array(rows[::-1])  # (T+1, H)

# %% answer_calc_gradient
def calc_gradient(deltas, states, xs):
    """dE/dU (H, D) and dE/dW (H, H) as sums of outer products over t = 1..T."""
    H, D = deltas.shape[1], xs.shape[1]
    dU, dW = np.zeros((H, D)), np.zeros((H, H))
    for t in range(1, len(xs) + 1):
        dU = dU + np.outer(deltas[t], xs[t - 1])
        dW = dW + np.outer(deltas[t], states[t - 1])
    return dU, dW

# %% answer_truncated_bptt
def truncated_bptt(xs, ys, U, V, W, k, s0=None):
    """Gradients (dU, dV, dW) of sum_t E_t, each E_t back-propagated through at most k nets."""
    T, H = len(xs), W.shape[0]
    states = np.zeros((T + 1, H))  # (T+1, H)
    if s0 is not None:
        states[0] = s0
    outs = []
    for t in range(1, T + 1):
        net = U.dot(xs[t - 1]) + W.dot(states[t - 1])
        states[t] = 1.0 / (1.0 + np.exp(-net))
        z = V.dot(states[t])
        e = np.exp(z - z.max())
        outs.append(e / e.sum())  # o_t, (C,)
    dU, dV, dW = np.zeros_like(U), np.zeros_like(V), np.zeros_like(W)
    window = T if k is None else k
    for t in range(1, T + 1):
        err = outs[t - 1] - ys[t - 1]  # dE_t / d(V s_t), (C,)
        dV += np.outer(err, states[t])
        d = V.T.dot(err) * states[t] * (1 - states[t])  # dE_t / dnet_t, (H,)
        for j in range(t, max(t - window + 1, 1) - 1, -1):
            dU += np.outer(d, xs[j - 1])
            dW += np.outer(d, states[j - 1])
            d = W.T.dot(d) * states[j - 1] * (1 - states[j - 1])
    return dU, dV, dW

# %% answer_clip_grad_norm
def clip_grad_norm(grads, max_norm):
    """Scale every array by max_norm / total when the global norm total exceeds max_norm."""
    total = np.sqrt(sum(float(np.sum(np.square(g))) for g in grads))
    factor = max_norm / total if total > max_norm else 1.0
    return [np.array(g, dtype=float) * factor for g in grads]

# %% answer_clip_grad_value
def clip_grad_value(grads, clip_value):
    """Clip every entry to [-clip_value, clip_value]."""
    return [np.minimum(np.maximum(g, -clip_value), clip_value) for g in grads]


# %% answer_tbptt_k1k2
def tbptt_k1k2(xs, ys, U, V, W, k1, k2, s0=None):
    """Streaming TBPTT(k1, k2): (dU, dV, dW) summed over the updates, keeping k2 + 1 states."""
    T, H = len(xs), W.shape[0]
    dU, dV, dW = np.zeros_like(U), np.zeros_like(V), np.zeros_like(W)
    kept = [(0, np.zeros(H) if s0 is None else np.asarray(s0, dtype=float))]  # (t, s_t)
    errors = []  # (t, V^\top (o_t - y_t)) since the last update
    for t in range(1, T + 1):
        net = U.dot(xs[t - 1]) + W.dot(kept[-1][1])
        s = 1.0 / (1.0 + np.exp(-net))
        kept = (kept + [(t, s)])[-(k2 + 1):]
        z = V.dot(s)
        o = np.exp(z - z.max())
        o /= o.sum()
        dV += np.outer(o - ys[t - 1], s)
        errors.append((t, V.T.dot(o - ys[t - 1])))
        if t % k1 and t != T:
            continue
        state = dict(kept)  # t -> s_t for the last k2 + 1 steps
        low = max(t - k2 + 1, 1)
        for t_loss, g in errors:
            d = g * state[t_loss] * (1 - state[t_loss])
            for j in range(t_loss, low - 1, -1):
                dU += np.outer(d, xs[j - 1])
                dW += np.outer(d, state[j - 1])
                if j > low:
                    d = W.T.dot(d) * state[j - 1] * (1 - state[j - 1])
        errors = []
    return dU, dV, dW

# %% answer_rnn_layer_forward
def rnn_layer_forward(xs, s0, U, W, b, activator):
    """Batched forward pass; input products for all steps at once, then the recurrence."""
    inputs = np.einsum("ntd,hd->nth", xs, U) + b  # (N, T, H)
    N, T, H = inputs.shape
    nets = np.zeros((N, T + 1, H))
    states = np.zeros((N, T + 1, H))
    states[:, 0] = s0
    for t in range(1, T + 1):
        nets[:, t] = inputs[:, t - 1] + states[:, t - 1] @ W.T
        states[:, t] = activator.forward(nets[:, t])
    return states, [xs, states, nets, U, W, activator]

# %% answer_rnn_layer_backward
def rnn_layer_backward(dstates, cache):
    """All deltas first (f' from the cached nets), then the sums over batch and time by einsum."""
    xs, states, nets, U, W, activator = cache
    deltas = np.zeros(states.shape)  # (N, T+1, H), row 0 stays 0
    fprime = activator.backward(activator.forward(nets))
    for t in range(xs.shape[1], 0, -1):
        after = deltas[:, t + 1] @ W if t < xs.shape[1] else 0.0
        deltas[:, t] = (dstates[:, t] + after) * fprime[:, t]
    d = deltas[:, 1:]
    return (np.einsum("nth,hd->ntd", d, U), dstates[:, 0] + deltas[:, 1] @ W,
            np.einsum("nth,ntd->hd", d, xs), np.einsum("nth,ntk->hk", d, states[:, :-1]),
            d.sum(axis=(0, 1)))

# %% answer_rnn_stack_backward
def rnn_stack_backward(dstates, caches):
    """Top layer first; each dxs becomes rows 1..T of the next layer's dstates."""
    grads = [None] * len(caches)
    for i in range(len(caches) - 1, -1, -1):
        grads[i] = rnn_layer_backward(dstates, caches[i])
        dstates = np.concatenate([np.zeros_like(grads[i][0][:, :1]), grads[i][0]], axis=1)
    return grads

# %% answer_lstm_step_backward
def lstm_step_backward(dh, dc, cache):
    """One LSTM step back, gate by gate with per-gate weight blocks (U[k*H:(k+1)*H] for gate k)."""
    x, h_prev, c_prev, gates, c, U, W = cache
    H = h_prev.shape[1]
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    dc_total = dc + dh * o * (1.0 - np.tanh(c) ** 2)  # (N, H)
    pre = [dc_total * g * i * (1 - i), dc_total * c_prev * f * (1 - f),
           dc_total * i * (1 - g * g), dh * np.tanh(c) * o * (1 - o)]  # per gate, (N, H) each
    dx = sum(p @ U[k * H:(k + 1) * H] for k, p in enumerate(pre))
    dh_prev = sum(p @ W[k * H:(k + 1) * H] for k, p in enumerate(pre))
    dU = np.vstack([p.T @ x for p in pre])
    dW = np.vstack([p.T @ h_prev for p in pre])
    db = np.concatenate([p.sum(axis=0) for p in pre])
    return dx, dh_prev, dc_total * f, dU, dW, db

# %% answer_lstm_backward
def lstm_backward(dhs, cache):
    """Through time with lstm_step_backward; weight gradients collected in lists and summed."""
    xs, hs, cs, gates, U, W = cache
    T = xs.shape[1]
    dxs = np.zeros(xs.shape)
    dh, dc, parts = np.zeros(hs[:, 0].shape), np.zeros(cs[:, 0].shape), []
    for t in range(T, 0, -1):
        step = [xs[:, t - 1], hs[:, t - 1], cs[:, t - 1], gates[:, t], cs[:, t], U, W]
        dxs[:, t - 1], dh, dc, *weights = lstm_step_backward(dhs[:, t] + dh, dc, step)
        parts.append(weights)
    dU, dW, db = (sum(p[k] for p in parts) for k in range(3))
    return dxs, dhs[:, 0] + dh, dc, dU, dW, db

# %% answer_gru_step_backward
def gru_step_backward(dh, cache):
    """One GRU step back; the reset gate scales only the recurrent part of the candidate."""
    x, h_prev, gates, U, W = cache
    H = h_prev.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    d_n = dh * (1.0 - z) * (1.0 - n * n)  # of n's pre-activation
    d_r = d_n * (h_prev @ W[2 * H:].T) * r * (1.0 - r)
    d_z = dh * (h_prev - n) * z * (1.0 - z)
    d_in = np.hstack([d_r, d_z, d_n])
    d_rec = np.hstack([d_r, d_z, d_n * r])
    return d_in @ U, dh * z + d_rec @ W, d_in.T @ x, d_rec.T @ h_prev, d_in.sum(axis=0)
