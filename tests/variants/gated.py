"""Notebook 9's functions: correct variants and a catalogue of LSTM mistakes, with their feedback.

LSTM: ``U (4H, D)``, ``W (4H, H)``, blocks i, f, g, o; step cache ``(x, h_prev, c_prev, gates, c,
U, W)``, sequence cache ``(xs, hs, cs, gates, U, W)``. GRU: blocks r, z, n, cache ``(x, h_prev,
gates, U, W)``. Every mistake is written as a flag of one backward pass, as a learner would
slip, and is registered with the feedback it must get.
"""

import numpy as np

from .mistakes import Mistake

GATED_MISTAKES = []


def _sig_prime(s):
    return s * (1 - s)


def step_bwd(dh, dc, cache, mistake=None):
    """One LSTM step back; ``mistake`` names a catalogued slip (None: right)."""
    x, h_prev, c_prev, gates, c, U, W = cache
    H = h_prev.shape[1]
    i, f, g, o = (gates[:, j * H:(j + 1) * H] for j in range(4))
    tc = np.tanh(c)
    do = dh * (c if mistake == "o_from_c" else tc)
    through_h = dh * o if mistake == "no_tanh_prime" else dh * o * (1 - tc**2)
    dct = through_h + (0 if mistake == "step_no_dc" else dc)
    di, dg = dct * g, dct * i
    df = dct * (c if mistake == "forget_ct" else c_prev)
    dc_prev = dct if mistake == "dc_prev_no_f" else dct * f
    if mistake == "no_gate_prime":
        da = np.concatenate([di, df, dg, do], axis=1)
    else:
        dg_pre = dg * (_sig_prime(g) if mistake == "g_sigmoid_prime" else 1 - g**2)
        h = o * tc
        do_pre = do * (_sig_prime(h) if mistake == "o_prime_from_h" else _sig_prime(o))
        da = np.concatenate([di * _sig_prime(i), df * _sig_prime(f), dg_pre, do_pre], axis=1)
    return da @ U, da @ W, dc_prev, da.T @ x, da.T @ h_prev, da.sum(axis=0)


def seq_bwd(dhs, cache, mistake=None, step=step_bwd):
    """Through time with ``step``; ``mistake`` for the step or the walk itself."""
    xs, hs, cs, gates, U, W = cache
    N, T, D = xs.shape
    dxs, dU, dW, db = np.zeros((N, T, D)), np.zeros(U.shape), np.zeros(W.shape), np.zeros(U.shape[0])
    dh_next, dc_next = np.zeros(hs[:, 0].shape), np.zeros(cs[:, 0].shape)
    for t in range(T, 0, -1):
        up = dhs[:, t] if mistake != "up_last" or t == T else 0 * dhs[:, t]
        cache_t = (xs[:, t - 1], hs[:, t - 1], cs[:, t - 1], gates[:, t], cs[:, t], U, W)
        dx, dh_prev, dc_prev, dU_t, dW_t, db_t = step(up + dh_next, dc_next, cache_t, mistake)
        dxs[:, t - 1] = dx
        dU, dW, db = dU + dU_t, dW + dW_t, db + db_t
        dh_next = dh_prev
        dc_next = 0 * dc_prev if mistake == "no_carry" else dc_prev
    dh0 = dh_next if mistake == "no_g0" else dhs[:, 0] + dh_next
    return dxs, dh0, dc_next, dU, dW, db


# --- correct variants ----------------------------------------------------------------------------

def step_right(dh, dc, cache):
    return step_bwd(dh, dc, cache)


def step_per_gate(dh, dc, cache):
    """Per-gate weight blocks and an explicit loop over the batch (column vectors)."""
    x, h_prev, c_prev, gates, c, U, W = cache
    N, H = h_prev.shape
    outs = [np.zeros(x.shape), np.zeros(h_prev.shape), np.zeros(c_prev.shape),
            np.zeros(U.shape), np.zeros(W.shape), np.zeros(U.shape[0])]
    for n in range(N):
        i, f, g, o = np.split(gates[n], 4)
        dct = dc[n] + dh[n] * o * (1 - np.tanh(c[n]) ** 2)
        parts = [dct * g * i * (1 - i), dct * c_prev[n] * f * (1 - f), dct * i * (1 - g * g),
                 dh[n] * np.tanh(c[n]) * o * (1 - o)]
        da = np.concatenate(parts)
        outs[0][n], outs[1][n], outs[2][n] = U.T @ da, W.T @ da, dct * f
        outs[3] += np.outer(da, x[n])
        outs[4] += np.outer(da, h_prev[n])
        outs[5] += da
    return tuple(outs)


def seq_right(dhs, cache):
    return seq_bwd(dhs, cache)


def seq_with_per_gate_step(dhs, cache):
    return seq_bwd(dhs, cache, step=lambda dh, dc, c, m: step_per_gate(dh, dc, c))


def gru_bwd(dh, cache, mistake=None):
    """One GRU step back; ``mistake`` names a catalogued slip (None: right)."""
    x, h_prev, gates, U, W = cache
    H = h_prev.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    mn = h_prev @ W[2 * H:].T
    n_prime = n * (1 - n) if mistake == "gru_n_sigmoid_prime" else 1 - n**2
    r_prime, z_prime = r * (1 - r), z * (1 - z)
    if mistake == "gru_no_gate_prime":
        n_prime, r_prime, z_prime = 1.0, 1.0, 1.0
    dan = dh * (1 - z) * n_prime
    dar = dan * (h_prev if mistake == "gru_dr_from_h" else mn) * r_prime
    daz = dh * ((n - h_prev) if mistake == "gru_dz_sign" else (h_prev - n)) * z_prime
    da = np.concatenate([dar, daz, dan], axis=1)  # pre-activations of x U^\top + b
    dm = np.concatenate([dar, daz, dan if mistake == "gru_no_r" else dan * r], axis=1)
    direct = dh * (1 - z) if mistake == "gru_z_direct" else dh * z
    return da @ U, direct + dm @ W, da.T @ x, dm.T @ h_prev, da.sum(axis=0)


def gru_right(dh, cache):
    return gru_bwd(dh, cache)


STEP = [step_right, step_per_gate]
SEQ = [seq_right, seq_with_per_gate_step]
GRU = [gru_right]


# --- mistakes -----------------------------------------------------------------------------------

def _register(function, key, expect, fn):
    fn.__name__ = key if key.startswith("gru_") else (
        f"lstm_{'step' if 'step' in function else 'seq'}_{key}")
    GATED_MISTAKES.append(Mistake(function, fn.__name__, fn, list(expect)))


STEP_EXPECT = {
    "step_no_dc": ["You ignore dc", "dc_prev: relative error"],
    "forget_ct": ["uses c_t where it needs c_{t-1}", "forget gate f (rows"],
    "dc_prev_no_f": ["dc_prev is the cell gradient itself"],
    "no_tanh_prime": ["misses tanh'(c_t)"],
    "o_from_c": ["output gate's gradient uses c_t", "the gate whose gradient is off: output gate o"],
    "o_prime_from_h": ["derivative is taken from h_t", "output gate o (rows"],
    "no_gate_prime": ["gradients of the gates' outputs"],
    "g_sigmoid_prime": ["candidate g is a tanh", "the gate whose gradient is off: candidate g"],
}
SEQ_EXPECT = {
    "no_carry": ["not carried back", "first wrong time step", "dc0: relative error"],
    "forget_ct": ["uses c_t where it needs c_{t-1}", "first wrong time step"],
    "dc_prev_no_f": ["dc_prev is the cell gradient itself"],
    "no_tanh_prime": ["misses tanh'(c_t)", "batch row"],
    "o_from_c": ["output gate's gradient uses c_t"],
    "o_prime_from_h": ["derivative is taken from h_t"],
    "no_gate_prime": ["gradients of the gates' outputs"],
    "g_sigmoid_prime": ["candidate g is a tanh"],
    "up_last": ["loss at the last step only"],
    "no_g0": ["dh0 misses dhs[:, 0]"],
}
for _key, _expect in STEP_EXPECT.items():
    _register("lstm_step_backward", _key, _expect,
              lambda dh, dc, cache, k=_key: step_bwd(dh, dc, cache, k))
for _key, _expect in SEQ_EXPECT.items():
    _register("lstm_backward", _key, _expect, lambda dhs, cache, k=_key: seq_bwd(dhs, cache, k))


def seq_gates_swapped(dhs, cache):
    """Blocks g and o of the weight gradients written in the order i, f, o, g."""
    out = list(seq_bwd(dhs, cache))
    H = cache[1].shape[2]
    for j in (3, 4, 5):
        g, o = out[j][2 * H:3 * H].copy(), out[j][3 * H:].copy()
        out[j][2 * H:3 * H], out[j][3 * H:] = o, g
    return tuple(out)


GATED_MISTAKES.append(Mistake("lstm_backward", "seq_gates_swapped", seq_gates_swapped,
                              ["in the order i, f, o, g", "candidate g (rows"]))


GRU_EXPECT = {
    "gru_z_direct": ["direct path from h_{t-1} has the wrong weight", "dh_prev: relative error"],
    "gru_dz_sign": ["wrong sign", "the gate whose gradient is off: update gate z"],
    "gru_no_r": ["misses the reset gate", "the gate whose gradient is off: candidate n"],
    "gru_dr_from_h": ["uses h_{t-1} where it needs", "the gate whose gradient is off: reset gate r"],
    "gru_no_gate_prime": ["gradients of the gates' outputs (dr, dz, dn)"],
    "gru_n_sigmoid_prime": ["candidate n is a tanh"],
}
for _key, _expect in GRU_EXPECT.items():
    _register("gru_step_backward", _key, _expect, lambda dh, cache, k=_key: gru_bwd(dh, cache, k))


# --- attacks -------------------------------------------------------------------------------------

def seq_finite_differences(dhs, cache):
    """No backpropagation: central differences of the course's forward pass (b read off step 1)."""
    from bptt_helpers.gated import lstm_forward

    xs, hs, cs, gates, U, W = cache
    H = hs.shape[2]
    a1 = np.concatenate([np.log(gates[:, 1, :H] / (1 - gates[:, 1, :H])),
                         np.log(gates[:, 1, H:2 * H] / (1 - gates[:, 1, H:2 * H])),
                         np.arctanh(gates[:, 1, 2 * H:3 * H]),
                         np.log(gates[:, 1, 3 * H:] / (1 - gates[:, 1, 3 * H:]))], axis=1)
    b = (a1 - xs[:, 0] @ U.T - hs[:, 0] @ W.T)[0]
    params = {"xs": xs, "h0": hs[:, 0], "c0": cs[:, 0], "U": U, "W": W, "b": b}

    def loss(p):
        return float(np.sum(dhs * lstm_forward(p["xs"], p["h0"], p["c0"], p["U"], p["W"], p["b"])[0]))

    grads = []
    for key in ("xs", "h0", "c0", "U", "W", "b"):
        x = np.array(params[key], dtype=float)
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + 1e-5
            plus = loss({**params, key: x})
            x[i] = old - 1e-5
            minus = loss({**params, key: x})
            x[i] = old
            g[i] = (plus - minus) / 2e-5
        grads.append(g)
    return tuple(grads)


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _central_differences(args, loss):
    """Central differences of ``loss()`` for every entry of ``args`` (changed and restored)."""
    grads = []
    for v in args:
        g = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            old = v[i]
            v[i] = old + 1e-5
            plus = loss()
            v[i] = old - 1e-5
            minus = loss()
            v[i] = old
            g[i] = (plus - minus) / 2e-5
        grads.append(g)
    return tuple(grads)


def step_finite_differences(dh, dc, cache):
    """Attack a1: the checker's own ``lstm_step`` differenced, ``b`` read off the gates."""
    from autograde.checks.gated_model import lstm_step

    x, h_prev, c_prev, gates, c, U, W = cache
    H = h_prev.shape[1]
    a = np.concatenate([_logit(gates[:, :2 * H]), np.arctanh(gates[:, 2 * H:3 * H]),
                        _logit(gates[:, 3 * H:])], axis=1)
    b = (a - x @ U.T - h_prev @ W.T).mean(axis=0)
    args = [np.array(v, dtype=float) for v in (x, h_prev, c_prev, U, W, b)]

    def loss():
        h, c_t, _ = lstm_step(*args)
        return float(np.sum(dh * h) + np.sum(dc * c_t))
    return _central_differences(args, loss)


def gru_finite_differences(dh, cache):
    """Attack a1 on the GRU: ``b`` of r and z from the gates, of n from n and r."""
    from autograde.checks.gated_model import gru_step

    x, h_prev, gates, U, W = cache
    H = h_prev.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    m, xa = h_prev @ W.T, x @ U.T
    b = np.concatenate([(_logit(r) - xa[:, :H] - m[:, :H]).mean(0),
                        (_logit(z) - xa[:, H:2 * H] - m[:, H:2 * H]).mean(0),
                        (np.arctanh(n) - xa[:, 2 * H:] - r * m[:, 2 * H:]).mean(0)])
    args = [np.array(v, dtype=float) for v in (x, h_prev, U, W, b)]
    return _central_differences(args, lambda: float(np.sum(dh * gru_step(*args)[0])))
