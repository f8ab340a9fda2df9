"""Reference implementations for tests of notebook 4: correct versions and catalogued mistakes.

These are solutions, so they live in tests/ only (never in autograde/ or bptt_helpers/).
Every function has the graded signature ``f(xs, ys, U, V, W, k, s0=None) -> (dU, dV, dW)``
(TBPTT: ``f(xs, ys, U, V, W, k1, k2, s0=None)``).
"""

from collections import deque

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _forward(xs, U, V, W, s0):
    T, H = xs.shape[0], W.shape[0]
    states = np.zeros((T + 1, H))  # (T+1, H)
    if s0 is not None:
        states[0] = s0
    for t in range(1, T + 1):
        states[t] = _sigmoid(U @ xs[t - 1] + W @ states[t - 1])
    return states, _softmax_rows(states[1:] @ V.T)  # (T+1, H), (T, C)


# --- correct versions ----------------------------------------------------------------------

def correct_nested(xs, ys, U, V, W, k, s0=None):
    """Nested loops over t and the window, one outer product per step (the seed's shape)."""
    T = xs.shape[0]
    states, outs = _forward(xs, U, V, W, s0)
    dU, dV, dW = np.zeros_like(U), np.zeros_like(V), np.zeros_like(W)
    for t in range(1, T + 1):
        err = outs[t - 1] - ys[t - 1]  # (C,)
        dV += np.outer(err, states[t])
        delta = states[t] * (1 - states[t]) * (V.T @ err)  # (H,): dE_t/dnet_t
        lowest = 1 if k is None else max(t - k + 1, 1)
        for j in range(t, lowest - 1, -1):
            dU += np.outer(delta, xs[j - 1])
            dW += np.outer(delta, states[j - 1])
            delta = states[j - 1] * (1 - states[j - 1]) * (W.T @ delta)
    return dU, dV, dW


def correct_one_pass(xs, ys, U, V, W, k, s0=None):
    """One O(T) backward pass when k covers the sequence; otherwise a window per loss."""
    T, H = xs.shape[0], W.shape[0]
    states, outs = _forward(xs, U, V, W, s0)
    errs = outs - ys  # (T, C)
    fp = states * (1 - states)  # (T+1, H)
    g = errs @ V  # (T, H): V^\top (o_t - y_t) as rows
    deltas = np.zeros((T + 2, H))  # (T+2, H): row T+1 = 0
    if k is None or k >= T:
        for t in range(T, 0, -1):
            deltas[t] = fp[t] * (g[t - 1] + W.T @ deltas[t + 1])
    else:
        for t in range(1, T + 1):
            d = fp[t] * g[t - 1]
            for j in range(t, max(t - k, 0), -1):
                deltas[j] += d
                d = fp[j - 1] * (W.T @ d)
    deltas = deltas[1:T + 1]  # (T, H)
    return deltas.T @ xs, errs.T @ states[1:], deltas.T @ states[:-1]


def correct_seed_layout(xs, ys, U, V, W, k, s0=None):
    """The seed's layout: ``st[t-1] = s_t`` and ``s_0`` stored in the last row, read as st[-1]."""
    T, H = xs.shape[0], W.shape[0]
    st = np.zeros((T + 1, H))
    st[-1] = 0.0 if s0 is None else s0
    outs = np.zeros((T, V.shape[0]))
    for i in range(T):  # i = t - 1
        st[i] = _sigmoid(U @ xs[i] + W @ st[i - 1])
        outs[i] = _softmax_rows(V @ st[i])
    err = outs - ys
    dV = err.T @ st[:-1]
    dU, dW = np.zeros_like(U), np.zeros_like(W)
    span = T if k is None else k
    for i in range(T - 1, -1, -1):
        ds = (V.T @ err[i]) * st[i] * (1 - st[i])
        for j in range(i, max(-1, i - span), -1):
            dU += np.outer(ds, xs[j])
            dW += np.outer(ds, st[j - 1])
            ds = (W.T @ ds) * st[j - 1] * (1 - st[j - 1])
    return dU, dV, dW


def correct_columns(xs, ys, U, V, W, k, s0=None):
    """Column vectors throughout, lists of (H, 1) arrays as in the seed-1 program."""
    T, H = xs.shape[0], W.shape[0]
    s = [np.zeros((H, 1)) if s0 is None else np.asarray(s0).reshape(H, 1)]
    x = [xs[i].reshape(-1, 1) for i in range(T)]
    y = [ys[i].reshape(-1, 1) for i in range(T)]
    o = []
    for t in range(1, T + 1):
        s.append(_sigmoid(U @ x[t - 1] + W @ s[t - 1]))
        z = V @ s[t]
        e = np.exp(z - z.max())
        o.append(e / e.sum())
    dU, dV, dW = np.zeros(U.shape), np.zeros(V.shape), np.zeros(W.shape)
    for t in range(1, T + 1):
        err = o[t - 1] - y[t - 1]  # (C, 1)
        dV = dV + err @ s[t].T
        d = (V.T @ err) * s[t] * (1 - s[t])  # (H, 1)
        j = t
        while j >= 1 and (k is None or j > t - k):
            dU = dU + d @ x[j - 1].T
            dW = dW + d @ s[j - 1].T
            d = (W.T @ d) * s[j - 1] * (1 - s[j - 1])
            j -= 1
    return dU, dV, dW


def correct_lag_batched(xs, ys, U, V, W, k, s0=None):
    """Loop over the lag: for each lag, one batched product over every loss at once."""
    T = xs.shape[0]
    states, outs = _forward(xs, U, V, W, s0)
    errs = outs - ys
    fp = states[1:] * (1 - states[1:])  # (T, H): row j-1 = f'(net_j)
    a = fp * (errs @ V)  # (T, H): lag 0, row j-1 = error of E_j at net_j
    total = a.copy()  # (T, H): row j-1 = everything that reaches net_j
    lags = T if k is None else min(k, T)
    for lag in range(1, lags):
        a = fp[:T - lag] * (a[1:] @ W)  # error of E_{j+lag} at net_j, j = 1..T-lag
        total[:T - lag] += a
    return total.T @ xs, errs.T @ states[1:], total.T @ states[:-1]


CORRECT = [correct_nested, correct_one_pass, correct_seed_layout, correct_columns,
           correct_lag_batched]


# --- catalogued mistakes -------------------------------------------------------------------

def _configurable(xs, ys, U, V, W, k, s0=None, *, lowest=None, fp_at_t=True, tanh=False,
                  out_minus_y=True, dv_prev=False, ignore_s0=False, back_w=False,
                  dw_current=False):
    """A look-back loop with one knob per mistake; ``lowest(t)`` is the last net reached."""
    T = xs.shape[0]
    states, outs = _forward(xs, U, V, W, None if ignore_s0 else s0)
    errs = outs - ys if out_minus_y else outs
    dV = errs.T @ (states[:-1] if dv_prev else states[1:])
    fp = 1 - states**2 if tanh else states * (1 - states)
    if lowest is None:
        def lowest(t):
            return 1 if k is None else max(t - k + 1, 1)
    dU, dW = np.zeros_like(U), np.zeros_like(W)
    for t in range(1, T + 1):
        d = V.T @ errs[t - 1]
        if fp_at_t:
            d = fp[t] * d
        for j in range(t, lowest(t) - 1, -1):
            dU += np.outer(d, xs[j - 1])
            dW += np.outer(d, states[j] if dw_current else states[j - 1])
            d = fp[j - 1] * ((W if back_w else W.T) @ d)
    return dU, dV, dW


def window_too_long(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0,
                         lowest=lambda t: 1 if k is None else max(t - k, 1))


def window_too_short(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0,
                         lowest=lambda t: 1 if k is None else max(t - k + 2, 1))


def ignores_k(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, None, s0)


def chunks(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0,
                         lowest=lambda t: 1 if k is None else k * ((t - 1) // k) + 1)


def window_from_end(xs, ys, U, V, W, k, s0=None):
    T = xs.shape[0]
    return _configurable(xs, ys, U, V, W, k, s0,
                         lowest=lambda t: 1 if k is None else max(T - k + 1, 1))


def no_derivative_at_t(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0, fp_at_t=False)


def tanh_derivative(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0, tanh=True)


def dv_from_previous_state(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0, dv_prev=True)


def ignores_s0(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0, ignore_s0=True)


def o_not_o_minus_y(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0, out_minus_y=False)


def w_not_w_transpose(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0, back_w=True)


def dw_with_current_state(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0, dw_current=True)


def swapped_return_order(xs, ys, U, V, W, k, s0=None):
    dU, dV, dW = correct_nested(xs, ys, U, V, W, k, s0)
    return dU, dW, dV


def modifies_input(xs, ys, U, V, W, k, s0=None):
    W[:] = W.T  # "transpose in place", a bug that corrupts the caller's W
    return correct_nested(xs, ys, U, V, W, k, s0)


def crashes_on_none(xs, ys, U, V, W, k, s0=None):
    return _configurable(xs, ys, U, V, W, k, s0, lowest=lambda t: max(t - k + 1, 1))


# mistake -> words its feedback must contain (on at least one visible case)
MISTAKES = {
    window_too_long: "one step too long",
    window_too_short: "one step too short",
    ignores_k: "ignores k",
    chunks: "counted from the start of the sequence",
    window_from_end: "counted from the end of the sequence",
    no_derivative_at_t: "derivative at step t is missing",
    tanh_derivative: "tanh's derivative",
    dv_from_previous_state: "dV pairs o_t - y_t with s_{t-1}",
    ignores_s0: "right for s_0 = 0",
    o_not_o_minus_y: "You used o_t where",
    w_not_w_transpose: "multiplies by W where it needs W^\\top",
    dw_with_current_state: "dW pairs the error at net_j with s_j",
    swapped_return_order: "return (dU, dV, dW)",
    modifies_input: "its input W in place",
    crashes_on_none: "TypeError",
}


# --- TBPTT(k1, k2) ---------------------------------------------------------------------------

def tbptt_streaming(xs, ys, U, V, W, k1, k2, s0=None):
    """Streaming TBPTT: keeps at most k2 + 1 states (and their inputs and output errors)."""
    T, H = xs.shape[0], W.shape[0]
    dU, dV, dW = np.zeros_like(U), np.zeros_like(V), np.zeros_like(W)
    kept = deque([np.zeros(H) if s0 is None else np.array(s0, dtype=float)], maxlen=k2 + 1)
    inputs, errors = deque(maxlen=k2), deque(maxlen=k2)
    last = 0
    for t in range(1, T + 1):
        s = _sigmoid(U @ xs[t - 1] + W @ kept[-1])
        kept.append(s)
        err = _softmax_rows(V @ s) - ys[t - 1]
        inputs.append(xs[t - 1])
        errors.append(err)
        dV += np.outer(err, s)
        if t % k1 == 0 or t == T:  # an update at tau = t
            tau, n = t, len(inputs)  # the window holds steps tau-n+1 .. tau
            d = np.zeros(H)
            for i in range(n - 1, -1, -1):  # i indexes step j = tau - (n-1) + i
                j = tau - (n - 1) + i
                s_j, s_prev = kept[i + 1], kept[i]
                if j > last:  # E_j is handled by this update
                    d = d + V.T @ errors[i]
                d = s_j * (1 - s_j) * d
                dU += np.outer(d, inputs[i])
                dW += np.outer(d, s_prev)
                d = W.T @ d
            last = tau
    return dU, dV, dW


def tbptt_by_windows(xs, ys, U, V, W, k1, k2, s0=None):
    """Not streaming: each loss gets its window from its update time."""
    T = xs.shape[0]
    taus = list(range(k1, T + 1, k1))
    if not taus or taus[-1] != T:
        taus.append(T)
    low = {}
    prev = 0
    for tau in taus:
        for t in range(prev + 1, tau + 1):
            low[t] = max(tau - k2 + 1, 1)
        prev = tau
    return _configurable(xs, ys, U, V, W, None, s0, lowest=lambda t: low[t])


def tb_lookback(xs, ys, U, V, W, k1, k2, s0=None):
    return _configurable(xs, ys, U, V, W, k2, s0)


def tb_no_last_update(xs, ys, U, V, W, k1, k2, s0=None):
    T = xs.shape[0]
    cut = T // k1 * k1
    dU, dV, dW = tbptt_by_windows(xs[:cut], ys[:cut], U, V, W, k1, k2, s0)
    return dU, dV, dW


def tb_swapped(xs, ys, U, V, W, k1, k2, s0=None):
    T = xs.shape[0]
    taus = list(range(k2, T + 1, k2))
    if not taus or taus[-1] != T:
        taus.append(T)
    low, prev = {}, 0
    for tau in taus:
        for t in range(prev + 1, tau + 1):
            low[t] = min(max(tau - k1 + 1, 1), t + 1)
        prev = tau
    return _configurable(xs, ys, U, V, W, None, s0, lowest=lambda t: low[t])


def tb_chunks(xs, ys, U, V, W, k1, k2, s0=None):
    return tbptt_by_windows(xs, ys, U, V, W, k1, k1, s0)


def tb_too_long(xs, ys, U, V, W, k1, k2, s0=None):
    return tbptt_by_windows(xs, ys, U, V, W, k1, k2 + 1, s0)


TB_CORRECT = [tbptt_streaming, tbptt_by_windows]
TB_MISTAKES = {
    tb_lookback: "from its own t",
    tb_no_last_update: "one more update at tau = T",
    tb_swapped: "k1 and k2 swapped",
    tb_chunks: "detach-every-k1",
    tb_too_long: "one step too long",
}
