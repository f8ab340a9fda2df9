r"""The checker's own LSTM and GRU (notebook 9): forward passes, random cases, losses.

Fused weights, gates in PyTorch's order (docs/notation.md): an LSTM has ``U (4H, D)``,
``W (4H, H)``, ``b (4H,)`` with blocks i, f, g, o; a GRU has ``U (3H, D)``, ``W (3H, H)``,
``b (3H,)`` with blocks r, z, n. No gradient formula is written out here (learners can import
this package): references are central differences of these forward passes, and the hint
candidates are central differences of *surrogate* forward passes, which have the same values
as the real one but whose gradient is the one a catalogued mistake computes. For example the
mistake "the forget gate's gradient uses c_t instead of c_{t-1}" is the gradient of
``c_t = F c_{t-1} + (f_t - F) C_t + i_t g_t`` with ``F`` and ``C_t`` held at their values.
"""

import time

import numpy as np

from bptt_helpers.gated import sigmoid
from bptt_helpers.numgrad import numerical_gradient

from .layer_model import DIRECTIONS, directional
from .probes import batched_gradient, central_differences

LSTM_KEYS = {"dxs": "xs", "dh0": "h0", "dc0": "c0", "dU": "U", "dW": "W", "db": "b"}
STEP_KEYS = {"dx": "x", "dh_prev": "h_prev", "dc_prev": "c_prev", "dU": "U", "dW": "W", "db": "b"}
GRU_KEYS = {"dx": "x", "dh_prev": "h_prev", "dU": "U", "dW": "W", "db": "b"}

# --- surrogate steps: same values, the gradient of a mistake (``k`` holds the step's values) ---


def _gate(name, a, k, mistake):
    """A gate's output from its pre-activation ``a``, or a surrogate of it."""
    fn = np.tanh if name == "g" else sigmoid
    if mistake == "no_gate_prime":  # d gate / d a = 1: the output's gradient used as the pre-activation's
        return k[name] + (a - k["a_" + name])
    if mistake == "g_sigmoid_prime" and name == "g":
        return k["g"] + (a - k["a_g"]) * k["g"] * (1 - k["g"])
    if mistake == "o_prime_from_h" and name == "o":
        return k["o"] + (a - k["a_o"]) * k["h"] * (1 - k["h"])
    return fn(a)


def lstm_step(x, h_prev, c_prev, U, W, b, shift=None, mistake=None, held=None):
    """``(h, c, values)`` of one LSTM step; ``mistake`` needs ``held``, this step's values."""
    H = W.shape[1]
    a = x @ U.T + h_prev @ W.T + b
    if shift is not None:
        a = a + shift
    k = held if mistake else None
    gate = {n: _gate(n, a[:, j * H:(j + 1) * H], k, mistake) if mistake else
            (np.tanh if n == "g" else sigmoid)(a[:, j * H:(j + 1) * H])
            for j, n in enumerate("ifgo")}
    i, f, g, o = (gate[n] for n in "ifgo")
    if mistake == "no_carry":  # c_{t-1} held: no gradient reaches it through c_t
        c = f * k["c_prev"] + i * g
    elif mistake == "forget_ct":
        c = k["f"] * c_prev + (f - k["f"]) * k["c"] + i * g
    elif mistake == "dc_prev_no_f":
        c = f * k["c_prev"] + i * g + (c_prev - k["c_prev"])
    else:
        c = f * c_prev + i * g
    if mistake == "no_tanh_prime":
        h = o * np.tanh(k["c"]) + k["o"] * (c - k["c"])
    elif mistake == "o_from_c":
        h = k["o"] * np.tanh(c) + (o - k["o"]) * k["c"]
    else:
        h = o * np.tanh(c)
    values = {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h, "c_prev": c_prev}
    values.update({"a_" + n: a[:, j * H:(j + 1) * H] for j, n in enumerate("ifgo")})
    return h, c, values


def lstm_hs(xs, h0, c0, U, W, b, shift=None):
    """``hs (N, T+1, H)`` of the plain forward pass, lean (finite differences call it often).

    Any input may carry leading axes (``U (P, 4H, D)``, ...): ``P`` perturbed copies run
    together, and ``hs`` is then ``(P, N, T+1, H)``.
    """
    N, T = xs.shape[-3], xs.shape[-2]
    H = W.shape[-1]
    flat = xs.reshape(xs.shape[:-3] + (N * T, xs.shape[-1]))  # (..., N*T, D): one product
    inputs = flat @ np.swapaxes(U, -1, -2) + np.asarray(b)[..., None, :]  # (..., N*T, 4H)
    inputs = inputs.reshape(inputs.shape[:-2] + (N, T, -1))  # (..., N, T, 4H)
    if shift is not None:
        inputs = inputs + shift[..., 1:, :]
    Wt = np.swapaxes(W, -1, -2)
    batch = np.broadcast_shapes(inputs.shape[:-3], np.shape(h0)[:-2], np.shape(c0)[:-2],
                                W.shape[:-2])
    hs = np.empty(batch + (N, T + 1, H))
    hs[..., 0, :], h, c = h0, h0, c0
    for t in range(T):
        a = inputs[..., t, :] + h @ Wt
        s = 0.5 + 0.5 * np.tanh(0.5 * a)  # sigmoid of every block (g's is not used)
        c = s[..., H:2 * H] * c + s[..., :H] * np.tanh(a[..., 2 * H:3 * H])
        h = s[..., 3 * H:] * np.tanh(c)
        hs[..., t + 1, :] = h
    return hs


def lstm_run(xs, h0, c0, U, W, b, shift=None, mistake=None, held=None):
    """``(hs, cs, gates, values)``; ``shift (N, T+1, 4H)`` is added to the pre-activations."""
    N, T, _ = xs.shape
    H = W.shape[1]
    hs, cs, gates = np.zeros((N, T + 1, H)), np.zeros((N, T + 1, H)), np.zeros((N, T + 1, 4 * H))
    hs[:, 0], cs[:, 0] = h0, c0
    values = [None]
    for t in range(1, T + 1):
        hs[:, t], cs[:, t], v = lstm_step(xs[:, t - 1], hs[:, t - 1], cs[:, t - 1], U, W, b,
                                          None if shift is None else shift[:, t], mistake,
                                          held[t] if held else None)
        gates[:, t] = np.concatenate([v[n] for n in "ifgo"], axis=1)
        values.append(v)
    return hs, cs, gates, values


def gru_step(x, h_prev, U, W, b, shift=None, mistake=None, held=None):
    """``(h, gates, values)`` of one GRU step, ``gates = [r, z, n] (N, 3H)``; surrogates as above."""
    H = W.shape[1]
    m, xa = h_prev @ W.T, x @ U.T + b
    if shift is not None:
        xa = xa + shift
    k = held
    a_r, a_z = xa[:, :H] + m[:, :H], xa[:, H:2 * H] + m[:, H:2 * H]
    r, z = sigmoid(a_r), sigmoid(a_z)
    if mistake == "gru_no_gate_prime":
        r, z = k["r"] + (a_r - k["a_r"]), k["z"] + (a_z - k["a_z"])
    m_n = m[:, 2 * H:]
    rm = r * m_n
    if mistake == "gru_no_r":  # d/dm_n = 1 instead of r
        rm = k["r"] * k["m_n"] + (r - k["r"]) * k["m_n"] + (m_n - k["m_n"])
    elif mistake == "gru_dr_from_h":  # d/dr = h_{t-1} instead of m_n
        rm = k["r"] * m_n + (r - k["r"]) * k["h_prev"]
    a_n = xa[:, 2 * H:] + rm
    n = np.tanh(a_n)
    if mistake == "gru_no_gate_prime":
        n = k["n"] + (a_n - k["a_n"])
    elif mistake == "gru_n_sigmoid_prime":
        n = k["n"] + (a_n - k["a_n"]) * k["n"] * (1 - k["n"])
    if mistake == "gru_z_direct":
        h = (1 - z) * n + z * k["h_prev"] + (1 - k["z"]) * (h_prev - k["h_prev"])
    elif mistake == "gru_dz_sign":
        h = (1 - k["z"]) * n + k["z"] * h_prev + (z - k["z"]) * (k["n"] - k["h_prev"])
    else:
        h = (1 - z) * n + z * h_prev
    values = {"r": r, "z": z, "n": n, "a_r": a_r, "a_z": a_z, "a_n": a_n, "m_n": m_n,
              "h_prev": h_prev}
    return h, np.concatenate([r, z, n], axis=1), values


# --- drawing cases ---------------------------------------------------------------------------

def draw_lstm(rng, N, T, D, H, nonzero=True, saturated=False):
    """Random inputs and weights with the checker's forward pass.

    Unsaturated: weights ``N(0, 1/fan-in)`` (gates mostly in 0.2-0.8). Saturated: weights and
    biases three times larger, so that many gates sit near 0 or 1 and ``tanh(c_t)`` near +-1.

    Returns
    -------
    dict with ``xs (N, T, D)``, ``h0``, ``c0 (N, H)``, ``U (4H, D)``, ``W (4H, H)``,
    ``b (4H,)``, ``hs``, ``cs (N, T+1, H)``, ``gates (N, T+1, 4H)``, ``values``, ``ref_seconds``.
    """
    scale = 3.0 if saturated else 1.0
    m = {"xs": rng.standard_normal((N, T, D)),
         "h0": 0.5 * rng.uniform(-1, 1, (N, H)) * nonzero,
         "c0": rng.uniform(-1, 1, (N, H)) * nonzero,
         "U": scale * rng.standard_normal((4 * H, D)) / np.sqrt(D),
         "W": scale * rng.standard_normal((4 * H, H)) / np.sqrt(H),
         "b": scale * 0.3 * rng.standard_normal(4 * H)}
    args = [m[k] for k in LSTM_KEYS.values()]
    m["hs"], m["cs"], m["gates"], m["values"] = lstm_run(*args)
    t0 = time.perf_counter()
    lstm_hs(*args)
    m["ref_seconds"] = time.perf_counter() - t0
    return m


def lstm_cache(m):
    """The checker's sequence cache ``[xs, hs, cs, gates, U, W]``."""
    return [m["xs"], m["hs"], m["cs"], m["gates"], m["U"], m["W"]]


def lstm_loss(m, dhs, mistake=None, shift=None, **change):
    """``E = sum(dhs * hs)`` with some of ``xs, h0, c0, U, W, b`` replaced."""
    p = [change.get(k, m[k]) for k in LSTM_KEYS.values()]
    if mistake is None:  # a batch of changed copies gives a loss per copy
        E = np.sum(dhs * lstm_hs(*p, shift=shift), axis=(-3, -2, -1))
        return float(E) if np.ndim(E) == 0 else E
    hs = lstm_run(*p, shift=shift, mistake=mistake, held=m["values"])[0]
    return float(np.sum(dhs * hs))


def lstm_gradient(m, dhs, mistake=None, names=tuple(LSTM_KEYS)):
    """Numerical gradients ``{dxs, dh0, dc0, dU, dW, db}`` (or ``names``) of ``lstm_loss``."""
    grad = numerical_gradient if mistake else batched_gradient  # the plain loss takes batches
    return {g: grad(lambda v, k=LSTM_KEYS[g]: lstm_loss(m, dhs, mistake, **{k: v}),
                    m[LSTM_KEYS[g]]) for g in names}


# Step of the large one-step cases' central differences: their directions move a (4H, D) weight
# matrix by about sqrt(4HD) = 512 times h in norm, and at h = 1e-5 the truncation error reaches
# 3e-8 of the derivative along ``dU``; at 1e-6 truncation and rounding stay below 1e-9 (measured).
STEP_H = 1e-6


def directions_of(keys, point, loss, rng, h=1e-5, batched=False):
    """``(dirs, ref)``: random directions ``(DIRECTIONS, *shape)`` for each gradient in ``keys``
    (gradient name -> name in ``point``) and ``loss(**{name: value})``'s derivatives along them.
    ``batched``: ``loss`` takes every shifted copy at once."""
    along = central_differences if batched else directional
    dirs, ref = {}, {}
    for g, k in keys.items():
        dirs[g] = rng.standard_normal((DIRECTIONS,) + point[k].shape)
        ref[g] = along(lambda p, k=k: loss(**{k: p}), point[k], dirs[g], h)
    return dirs, ref


def lstm_directional(m, dhs, rng):
    """Random directions and the loss's directional derivatives for the six gradients."""
    return directions_of(LSTM_KEYS, m, lambda **c: lstm_loss(m, dhs, **c), rng, batched=True)


def step_model(m):
    """The single-step view of ``m`` (T = 1): ``x``, ``h_prev``, ``c_prev`` and the step cache."""
    s = {"x": m["xs"][:, 0], "h_prev": m["h0"], "c_prev": m["c0"], "U": m["U"], "W": m["W"],
         "b": m["b"], "values": m["values"]}
    s["cache"] = [s["x"], s["h_prev"], s["c_prev"], m["gates"][:, 1], m["cs"][:, 1], m["U"], m["W"]]
    s["h"], s["c"] = m["hs"][:, 1], m["cs"][:, 1]
    return s


def step_loss(s, dh, dc, mistake=None, **change):
    """``E = sum(dh * h_t) + sum(dc * c_t)`` of one step, some inputs replaced."""
    p = [change.get(k, s[k]) for k in STEP_KEYS.values()]
    h, c, _ = lstm_step(*p, mistake=mistake, held=s["values"][1] if mistake else None)
    return float(np.sum(dh * h) + np.sum(dc * c))


def step_gradient(s, dh, dc, mistake=None):
    """Numerical ``{dx, dh_prev, dc_prev, dU, dW, db}`` of ``step_loss``."""
    return {g: numerical_gradient(lambda v, k=k: step_loss(s, dh, dc, mistake, **{k: v}), s[k])
            for g, k in STEP_KEYS.items()}


def step_directional(s, dh, dc, rng):
    """Random directions and ``step_loss``'s directional derivatives for the six gradients."""
    return directions_of(STEP_KEYS, s, lambda **c: step_loss(s, dh, dc, **c), rng, STEP_H)


def draw_gru(rng, N, D, H, nonzero=True, saturated=False):
    """A random GRU step: ``x (N, D)``, ``h_prev (N, H)``, ``U (3H, D)``, ``W (3H, H)``, ``b``."""
    scale = 3.0 if saturated else 1.0
    s = {"x": rng.standard_normal((N, D)), "h_prev": 0.8 * rng.uniform(-1, 1, (N, H)) * nonzero,
         "U": scale * rng.standard_normal((3 * H, D)) / np.sqrt(D),
         "W": scale * rng.standard_normal((3 * H, H)) / np.sqrt(H),
         "b": scale * 0.3 * rng.standard_normal(3 * H)}
    s["h"], s["gates"], s["values"] = gru_step(*(s[k] for k in GRU_KEYS.values()))
    s["cache"] = [s["x"], s["h_prev"], s["gates"], s["U"], s["W"]]
    return s


def gru_loss(s, dh, shift=None, mistake=None, **change):
    """``E = sum(dh * h_t)`` of one GRU step; ``shift (N, 3H)`` is added to x U^\\top + b."""
    p = [change.get(k, s[k]) for k in GRU_KEYS.values()]
    h = gru_step(*p, shift=shift, mistake=mistake, held=s["values"] if mistake else None)[0]
    return float(np.sum(dh * h))


def gru_gradient(s, dh, mistake=None):
    """Numerical ``{dx, dh_prev, dU, dW, db}`` of ``gru_loss``."""
    return {g: numerical_gradient(lambda v, k=k: gru_loss(s, dh, None, mistake, **{k: v}), s[k])
            for g, k in GRU_KEYS.items()}


def gru_directional(s, dh, rng):
    """Random directions and ``gru_loss``'s directional derivatives for the five gradients."""
    return directions_of(GRU_KEYS, s, lambda **c: gru_loss(s, dh, **c), rng, STEP_H)
