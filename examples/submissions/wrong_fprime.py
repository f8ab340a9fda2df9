"""One catalogued habit: f' from a neighbouring state (calc_delta: states[t+1]; rnn_layer_backward: states[:, t-1])."""

import numpy as np


# %% answer_step_jacobian
def step_jacobian(W, state, activator):
    """d net_{j+1} / d net_j, shape (H, H)."""
    return W * activator.backward(state)  # f' scales the columns of W

# %% answer_calc_delta
def calc_delta(sensitivity, states, W, activator):
    """All delta_t, shape (T+1, H) -- with the seed program's off-by-one in f'."""
    T = states.shape[0] - 1
    deltas = np.zeros(states.shape)  # (T+1, H)
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        deltas[t] = activator.backward(states[t + 1]) * (W.T @ deltas[t + 1])  # the mistake
    return deltas

# %% answer_calc_gradient
def calc_gradient(deltas, states, xs):
    """(dU (H, D), dW (H, H))."""
    return deltas[1:].T @ xs, deltas[1:].T @ states[:-1]

# %% answer_truncated_bptt
def truncated_bptt(xs, ys, U, V, W, k, s0=None):
    """(dU, dV, dW) of the truncated surrogate loss; k=None is full BPTT."""
    T, H = xs.shape[0], W.shape[0]
    states = np.zeros((T + 1, H))
    states[0] = 0.0 if s0 is None else s0
    for t in range(1, T + 1):
        states[t] = 1 / (1 + np.exp(-(U @ xs[t - 1] + W @ states[t - 1])))
    z = states[1:] @ V.T  # (T, C)
    outs = np.exp(z - z.max(axis=1, keepdims=True))
    outs /= outs.sum(axis=1, keepdims=True)
    errs = outs - ys  # (T, C)
    dV = errs.T @ states[1:]
    dU, dW = np.zeros_like(U), np.zeros_like(W)
    k = T if k is None else k
    for t in range(1, T + 1):
        delta = (V.T @ errs[t - 1]) * states[t] * (1 - states[t])
        for j in range(t, max(t - k, 0), -1):
            dU += np.outer(delta, xs[j - 1])
            dW += np.outer(delta, states[j - 1])
            delta = (W.T @ delta) * states[j - 1] * (1 - states[j - 1])
    return dU, dV, dW

# %% answer_clip_grad_norm
def clip_grad_norm(grads, max_norm):
    """Global-norm clipping; returns copies."""
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    scale = max_norm / total if total > max_norm else 1.0
    return [g * scale for g in grads]

# %% answer_clip_grad_value
def clip_grad_value(grads, clip_value):
    """Element-wise clipping."""
    return [np.clip(g, -clip_value, clip_value) for g in grads]


# %% answer_tbptt_k1k2
def tbptt_k1k2(xs, ys, U, V, W, k1, k2, s0=None):
    """Streaming TBPTT(k1, k2), written over the whole stored sequence."""
    T, H = xs.shape[0], W.shape[0]
    states = np.zeros((T + 1, H))
    states[0] = 0.0 if s0 is None else s0
    for t in range(1, T + 1):
        states[t] = 1 / (1 + np.exp(-(U @ xs[t - 1] + W @ states[t - 1])))
    z = states[1:] @ V.T
    outs = np.exp(z - z.max(axis=1, keepdims=True))
    outs /= outs.sum(axis=1, keepdims=True)
    errs = outs - ys
    dV = errs.T @ states[1:]
    dU, dW = np.zeros_like(U), np.zeros_like(W)
    taus = list(range(k1, T + 1, k1))
    if not taus or taus[-1] != T:
        taus.append(T)
    prev = 0
    for tau in taus:
        for t in range(prev + 1, tau + 1):
            delta = (V.T @ errs[t - 1]) * states[t] * (1 - states[t])
            for j in range(t, max(tau - k2, 0), -1):
                dU += np.outer(delta, xs[j - 1])
                dW += np.outer(delta, states[j - 1])
                delta = (W.T @ delta) * states[j - 1] * (1 - states[j - 1])
        prev = tau
    return dU, dV, dW

# %% answer_rnn_layer_forward
def rnn_layer_forward(xs, s0, U, W, b, activator):
    """Batched forward pass (right)."""
    N, T, _ = xs.shape
    states, nets = np.zeros((N, T + 1, W.shape[0])), np.zeros((N, T + 1, W.shape[0]))
    states[:, 0] = s0
    for t in range(1, T + 1):
        nets[:, t] = xs[:, t - 1] @ U.T + states[:, t - 1] @ W.T + b
        states[:, t] = activator.forward(nets[:, t])
    return states, (xs, states, nets, U, W, activator)

# %% answer_rnn_layer_backward
def rnn_layer_backward(dstates, cache):
    """Batched backward pass -- the same habit again: f' from the neighbouring state, s_{t-1}."""
    xs, states, nets, U, W, activator = cache
    dxs, dU, dW = np.zeros(xs.shape), np.zeros(U.shape), np.zeros(W.shape)
    db, carried = np.zeros(W.shape[0]), np.zeros(states[:, 0].shape)
    for t in range(xs.shape[1], 0, -1):
        delta = (dstates[:, t] + carried) * activator.backward(states[:, t - 1])  # the mistake
        dxs[:, t - 1] = delta @ U
        dU += delta.T @ xs[:, t - 1]
        dW += delta.T @ states[:, t - 1]
        db += delta.sum(axis=0)
        carried = delta @ W
    return dxs, dstates[:, 0] + carried, dU, dW, db

# %% answer_rnn_stack_backward
def rnn_stack_backward(dstates, caches):
    """Stack backward (right, but it calls the mistaken rnn_layer_backward)."""
    grads = []
    for cache in reversed(caches):
        grads.append(rnn_layer_backward(dstates, cache))
        dstates = np.concatenate([np.zeros_like(grads[-1][0][:, :1]), grads[-1][0]], axis=1)
    return grads[::-1]

# %% answer_lstm_step_backward
def lstm_step_backward(dh, dc, cache):
    """One LSTM step back (right: the gates' derivatives come from their own outputs)."""
    x, h_prev, c_prev, gates, c, U, W = cache
    i, f, g, o = np.split(gates, 4, axis=1)
    dct = dc + dh * o * (1 - np.tanh(c) ** 2)
    da = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f),
                         dct * i * (1 - g**2), dh * np.tanh(c) * o * (1 - o)], axis=1)
    return da @ U, da @ W, dct * f, da.T @ x, da.T @ h_prev, da.sum(axis=0)

# %% answer_lstm_backward
def lstm_backward(dhs, cache):
    """Through time (right)."""
    xs, hs, cs, gates, U, W = cache
    dxs, dU, dW, db = np.zeros(xs.shape), np.zeros(U.shape), np.zeros(W.shape), np.zeros(U.shape[0])
    dh, dc = np.zeros(hs[:, 0].shape), np.zeros(cs[:, 0].shape)
    for t in range(xs.shape[1], 0, -1):
        step = (xs[:, t - 1], hs[:, t - 1], cs[:, t - 1], gates[:, t], cs[:, t], U, W)
        dxs[:, t - 1], dh, dc, dU_t, dW_t, db_t = lstm_step_backward(dhs[:, t] + dh, dc, step)
        dU, dW, db = dU + dU_t, dW + dW_t, db + db_t
    return dxs, dhs[:, 0] + dh, dc, dU, dW, db

# %% answer_gru_step_backward
def gru_step_backward(dh, cache):
    """One GRU step back (right)."""
    x, h_prev, gates, U, W = cache
    r, z, n = np.split(gates, 3, axis=1)
    H = h_prev.shape[1]
    da_n = dh * (1 - z) * (1 - n**2)
    da_r = da_n * (h_prev @ W[2 * H:].T) * r * (1 - r)
    da_z = dh * (h_prev - n) * z * (1 - z)
    da_in = np.concatenate([da_r, da_z, da_n], axis=1)
    da_rec = np.concatenate([da_r, da_z, da_n * r], axis=1)
    return da_in @ U, dh * z + da_rec @ W, da_in.T @ x, da_rec.T @ h_prev, da_in.sum(axis=0)
