"""Notebook 7's functions: correct variants and a catalogue of mistakes, with their feedback.

Shapes: ``xs (N, T, D)``, ``s0 (N, H)``, ``states``/``nets`` ``(N, T+1, H)``, ``dstates
(N, T+1, H)``; ``cache = (xs, states, nets, U, W, activator)``.
"""

import numpy as np

from .mistakes import Mistake

# --- correct: rnn_layer_forward ----------------------------------------------------------------


def fwd_loop(xs, s0, U, W, b, activator):
    """A loop over time, the batch in matrix products."""
    N, T, _ = xs.shape
    states, nets = np.zeros((N, T + 1, W.shape[0])), np.zeros((N, T + 1, W.shape[0]))
    states[:, 0] = s0
    for t in range(1, T + 1):
        nets[:, t] = xs[:, t - 1] @ U.T + states[:, t - 1] @ W.T + b
        states[:, t] = activator.forward(nets[:, t])
    return states, (xs, states, nets, U, W, activator)


def fwd_examples(xs, s0, U, W, b, activator):
    """Python loops over examples and steps, column vectors as in notebooks 1-6; cache a list."""
    N, T, _ = xs.shape
    H = W.shape[0]
    states, nets = np.zeros((N, T + 1, H)), np.zeros((N, T + 1, H))
    for n in range(N):
        states[n, 0] = s0[n]
        for t in range(1, T + 1):
            nets[n, t] = U @ xs[n, t - 1] + W @ states[n, t - 1] + b
            states[n, t] = activator.forward(nets[n, t])
    return states, [xs, states, nets, U, W, activator]


def fwd_einsum(xs, s0, U, W, b, activator):
    """Input products for all steps at once (einsum), then the recurrence."""
    inputs = np.einsum("ntd,hd->nth", xs, U) + b  # (N, T, H)
    states = [np.asarray(s0, dtype=float)]
    nets = [np.zeros_like(states[0])]
    for t in range(xs.shape[1]):
        nets.append(inputs[:, t] + np.einsum("nk,hk->nh", states[-1], W))
        states.append(activator.forward(nets[-1]))
    states, nets = np.stack(states, axis=1), np.stack(nets, axis=1)
    return states, (xs, states, nets, U, W, activator)


FORWARD = [fwd_loop, fwd_examples, fwd_einsum]

# --- correct: rnn_layer_backward ---------------------------------------------------------------


def bwd_loop(dstates, cache):
    """One loop back over time; f' from the cached states."""
    xs, states, _nets, U, W, activator = cache
    dxs, dU, dW = np.zeros(xs.shape), np.zeros(U.shape), np.zeros(W.shape)
    db, ds = np.zeros(W.shape[0]), np.zeros(states[:, 0].shape)
    for t in range(xs.shape[1], 0, -1):
        delta = (dstates[:, t] + ds) * activator.backward(states[:, t])  # (N, H)
        dxs[:, t - 1] = delta @ U
        dU += delta.T @ xs[:, t - 1]
        dW += delta.T @ states[:, t - 1]
        db += delta.sum(axis=0)
        ds = delta @ W
    return dxs, dstates[:, 0] + ds, dU, dW, db


def bwd_nets_einsum(dstates, cache):
    """All deltas first, f' from the cached nets; the sums over batch and time by einsum."""
    xs, states, nets, U, W, activator = cache
    T = xs.shape[1]
    deltas = np.zeros(states.shape)  # (N, T+1, H), deltas[:, 0] = 0
    fprime = activator.backward(activator.forward(nets))
    nxt = np.zeros(states[:, 0].shape)
    for t in range(T, 0, -1):
        deltas[:, t] = (dstates[:, t] + nxt @ W) * fprime[:, t]
        nxt = deltas[:, t]
    d = deltas[:, 1:]
    return (np.einsum("nth,hd->ntd", d, U), dstates[:, 0] + deltas[:, 1] @ W,
            np.einsum("nth,ntd->hd", d, xs), np.einsum("nth,ntk->hk", d, states[:, :-1]),
            np.einsum("nth->h", d))


def bwd_jacobians(dstates, cache):
    """Per example, explicit Jacobian products in the column-vector notation of notebooks 1-6."""
    xs, states, _nets, U, W, activator = cache
    N, T, _ = xs.shape
    dxs, ds0 = np.zeros(xs.shape), np.zeros(states[:, 0].shape)
    dU, dW, db = np.zeros(U.shape), np.zeros(W.shape), np.zeros(W.shape[0])
    for n in range(N):
        delta = np.zeros(W.shape[0])
        for t in range(T, 0, -1):
            carried = W.T @ delta if t < T else 0.0
            delta = np.diag(activator.backward(states[n, t])) @ (dstates[n, t] + carried)
            dxs[n, t - 1] = U.T @ delta
            dU += np.outer(delta, xs[n, t - 1])
            dW += np.outer(delta, states[n, t - 1])
            db += delta
        ds0[n] = dstates[n, 0] + W.T @ delta
    return dxs, ds0, dU, dW, db


BACKWARD = [bwd_loop, bwd_nets_einsum, bwd_jacobians]

# --- correct: rnn_stack_backward ---------------------------------------------------------------


def stack_loop(dstates, caches):
    """Down the stack; each layer's dxs becomes rows 1..T of the next dstates."""
    grads = []
    for cache in reversed(caches):
        g = bwd_loop(dstates, cache)
        grads.append(g)
        dstates = np.concatenate([np.zeros_like(g[0][:, :1]), g[0]], axis=1)
    return grads[::-1]


def stack_recursive(dstates, caches):
    """Recursion on the list of caches, another backward variant; a tuple of tuples."""
    top = bwd_nets_einsum(dstates, caches[-1])
    if len(caches) == 1:
        return (top,)
    below = np.zeros(caches[-2][1].shape)
    below[:, 1:] = top[0]
    return tuple(stack_recursive(below, caches[:-1])) + (top,)


STACK = [stack_loop, stack_recursive]

# --- mistakes ------------------------------------------------------------------------------------

LAYER_MISTAKES = []


def mistake(function, expect, comparable=True):
    def wrap(fn):
        LAYER_MISTAKES.append(Mistake(function, fn.__name__, fn, list(expect), comparable))
        return fn
    return wrap


def _fwd(xs, s0, U, W, b, f, op=lambda s, W: s @ W.T, use_f=True):
    N, T, _ = xs.shape
    states, nets = np.zeros((N, T + 1, W.shape[0])), np.zeros((N, T + 1, W.shape[0]))
    states[:, 0] = s0
    for t in range(1, T + 1):
        nets[:, t] = xs[:, t - 1] @ U.T + op(states[:, t - 1], W) + b
        states[:, t] = f.forward(nets[:, t]) if use_f else nets[:, t]
    return states, nets


@mistake("rnn_layer_forward", ["without the bias"])
def fwd_no_bias(xs, s0, U, W, b, activator):
    states, nets = _fwd(xs, s0, U, W, 0 * b, activator)
    return states, (xs, states, nets, U, W, activator)


@mistake("rnn_layer_forward", ["s_{t-1} W instead of s_{t-1} W^\\top"])
def fwd_W_untransposed(xs, s0, U, W, b, activator):
    states, nets = _fwd(xs, s0, U, W, b, activator, op=lambda s, W: s @ W)
    return states, (xs, states, nets, U, W, activator)


@mistake("rnn_layer_forward", ["start from zeros"])
def fwd_no_s0(xs, s0, U, W, b, activator):
    states, nets = _fwd(xs, 0 * s0, U, W, b, activator)
    return states, (xs, states, nets, U, W, activator)


@mistake("rnn_layer_forward", ["without the activation"])
def fwd_no_activation(xs, s0, U, W, b, activator):
    states, nets = _fwd(xs, s0, U, W, b, activator, use_f=False)
    return states, (xs, states, nets, U, W, activator)


@mistake("rnn_layer_forward", ["nets are the states"])
def fwd_cache_states_as_nets(xs, s0, U, W, b, activator):
    states, _ = _fwd(xs, s0, U, W, b, activator)
    return states, (xs, states, states, U, W, activator)


@mistake("rnn_layer_forward", ["return the states and the cache"], comparable=False)
def fwd_no_cache(xs, s0, U, W, b, activator):
    return _fwd(xs, s0, U, W, b, activator)[0]


def _bwd(dstates, cache, *, up=lambda G, t: G[:, t], step=None, dxs_w=None, ds0=None,
         db_rule="sum", dW_state=-1, scale=1.0):
    """The correct backward pass with one thing changed."""
    xs, states, _nets, U, W, f = cache
    T = xs.shape[1]
    dxs, dU, dW = np.zeros(xs.shape), np.zeros(U.shape), np.zeros(W.shape)
    db, nxt = np.zeros(W.shape[0]), np.zeros(states[:, 0].shape)
    for t in range(T, 0, -1):
        g, fp = up(dstates, t), f.backward(states[:, t])
        delta = (g + nxt @ W) * fp if step is None else step(g, nxt, W, fp, states, t)
        dxs[:, t - 1] = delta @ (U if dxs_w is None else dxs_w(U, W))
        dU += delta.T @ xs[:, t - 1]
        dW += delta.T @ states[:, t + dW_state]
        db = {"sum": db + delta.sum(0), "overwrite": delta.sum(0), "row0": db + delta[0]}[db_rule]
        nxt = delta
    s0grad = dstates[:, 0] + nxt @ W if ds0 is None else ds0(dstates, nxt, W, f, states)
    return dxs, s0grad, scale * dU, scale * dW, scale * db


M = "rnn_layer_backward"
mistake(M, ["db holds only step 1", "overwrite"])(
    lambda dstates, cache: _bwd(dstates, cache, db_rule="overwrite"))
mistake(M, ["db holds only batch row 0"])(lambda dstates, cache: _bwd(dstates, cache, db_rule="row0"))
mistake(M, ["divided by the batch size N"])(
    lambda dstates, cache: _bwd(dstates, cache, scale=1.0 / dstates.shape[0]))
mistake(M, ["dxs is computed with W"])(lambda d, c: _bwd(d, c, dxs_w=lambda U, W: W))
mistake(M, ["dxs uses U^\\top"])(lambda d, c: _bwd(d, c, dxs_w=lambda U, W: U.T))
mistake(M, ["ds0 is zero"])(lambda d, c: _bwd(d, c, ds0=lambda G, dl, W, f, S: 0 * G[:, 0]))
mistake(M, ["ds0 is delta_1 itself"])(lambda d, c: _bwd(d, c, ds0=lambda G, dl, W, f, S: dl))
mistake(M, ["ds0 multiplies delta_1 by W^\\top"])(
    lambda d, c: _bwd(d, c, ds0=lambda G, dl, W, f, S: G[:, 0] + dl @ W.T))
mistake(M, ["ds0 misses dstates[:, 0]"])(lambda d, c: _bwd(d, c, ds0=lambda G, dl, W, f, S: dl @ W))
mistake(M, ["multiplied by f' at s_0"])(
    lambda d, c: _bwd(d, c, ds0=lambda G, dl, W, f, S: G[:, 0] + (dl @ W) * f.backward(S[:, 0])))
mistake(M, ["dW pairs delta_t with s_t"])(lambda d, c: _bwd(d, c, dW_state=0))
mistake(M, ["added one step late"])(
    lambda d, c: _bwd(d, c, up=lambda G, t: G[:, t - 1]))
mistake(M, ["loss at the last step only"])(
    lambda d, c: _bwd(d, c, up=lambda G, t: G[:, t] * (t == G.shape[1] - 1)))
mistake(M, ["multiplies by W^\\top where it needs W", "first wrong time step"])(
    lambda d, c: _bwd(d, c, step=lambda g, nx, W, fp, S, t: (g + nx @ W.T) * fp))
mistake(M, ["factor f'(net_t) is missing"])(
    lambda d, c: _bwd(d, c, step=lambda g, nx, W, fp, S, t: g + nx @ W))
mistake(M, ["added after the factor f'"])(
    lambda d, c: _bwd(d, c, step=lambda g, nx, W, fp, S, t: g + (nx @ W) * fp))
mistake(M, ["f' is taken from s_{t-1}"])(
    lambda d, c: _bwd(d, c, step=lambda g, nx, W, fp, S, t: (g + nx @ W)
                      * c[5].backward(S[:, t - 1])))


@mistake(M, ["relative error", "first wrong time step", "batch row 1"])
def bwd_skips_last_row(dstates, cache):
    """The batch loop stops one example short (range(N - 1))."""
    dxs, ds0, dU, dW, db = bwd_loop(dstates, cache)
    N = dstates.shape[0]
    if N > 1:
        short = bwd_loop(dstates[:-1], [cache[0][:-1], cache[1][:-1], cache[2][:-1], *cache[3:]])
        dxs[:-1], ds0[:-1] = short[0], short[1]
        dxs[-1], ds0[-1] = 0.0, 0.0
        dU, dW, db = short[2:]
    return dxs, ds0, dU, dW, db


for fn in [m.fn for m in LAYER_MISTAKES if m.function == M]:
    if fn.__name__ == "<lambda>":
        fn.__name__ = "bwd_" + next(m for m in LAYER_MISTAKES if m.fn is fn).expect[0][:24]
for m in LAYER_MISTAKES:
    m.name = m.fn.__name__


@mistake("rnn_stack_backward", ["bottom layer first"], comparable=False)
def stack_top_first(dstates, caches):
    return stack_loop(dstates, caches)[::-1]


@mistake("rnn_stack_backward", ["one step off"])
def stack_offset(dstates, caches):
    grads = []
    for cache in reversed(caches):
        g = bwd_loop(dstates, cache)
        grads.append(g)
        dstates = np.concatenate([g[0], np.zeros_like(g[0][:, :1])], axis=1)
    return grads[::-1]


@mistake("rnn_stack_backward", ["top layer's gradients are wrong already"])
def stack_wrong_layer(dstates, caches):
    grads = []
    for cache in reversed(caches):
        g = _bwd(dstates, cache, step=lambda g, nx, W, fp, S, t: g + nx @ W)
        grads.append(g)
        dstates = np.concatenate([np.zeros_like(g[0][:, :1]), g[0]], axis=1)
    return grads[::-1]


# --- attacks -------------------------------------------------------------------------------------

def bwd_overflow(dstates, cache):
    """Entries of 1e200: norms overflow to inf, and inf/inf = NaN must not pass."""
    return tuple(np.full(np.shape(a), 1e200) for a in bwd_loop(dstates, cache))


def bwd_overflow_scaled(dstates, cache):
    """The right answer times 1e200: finite, but wrong by a factor."""
    return tuple(1e200 * a for a in bwd_loop(dstates, cache))


def bwd_finite_differences(dstates, cache):
    """No backpropagation: central differences of the learner's own forward pass."""
    xs, states, nets, U, W, f = cache
    b = (nets[:, 1] - xs[:, 0] @ U.T - states[:, 0] @ W.T)[0]  # recovered from step 1
    params = {"xs": xs, "s0": states[:, 0], "U": U, "W": W, "b": b}

    def loss(p):
        return float(np.sum(dstates * fwd_loop(p["xs"], p["s0"], p["U"], p["W"], p["b"], f)[0]))

    grads = []
    for key in ("xs", "s0", "U", "W", "b"):
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

