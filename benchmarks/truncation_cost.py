"""Cost of truncated BPTT strategies on seed model 2, as ratios to full BPTT.

Prints, at ``k = 35``, ``T = 1000``, ``H = 64`` (``D = 16``, ``C = 10``) by default,
the time of each backward pass divided by the time of full BPTT's backward pass
(one O(T) walk):

* naive look-back: from every ``t``, walk ``k`` steps back, one matrix-vector
  product per step, adding each step's error into a ``(T, H)`` array;
* naive look-back written as the seed writes it: two outer products per inner step;
* lag-batched look-back: for each lag ``0..k-1``, one batched product over every
  ``t`` at once;
* and, for comparison, the seed-style look-back against a full BPTT also written with two
  outer products per step (the ratio when both loops are written the seed's way).

All start from the same forward pass (not timed). The three look-back versions
must agree to rounding; the script checks that and prints their largest
relative difference. Times are the best of several repeats of the process's CPU time
(``time.process_time``, so that other programs on a busy machine do not skew them), with one
BLAS thread unless ``OPENBLAS_NUM_THREADS`` (or ``OMP_NUM_THREADS``) is set.

Usage: ``python benchmarks/truncation_cost.py [--T 1000] [--H 64] [--k 35] [--repeats 5]``
"""

import os

# One BLAS thread unless the caller chose otherwise: with several threads, the small batched
# products of the lag loop can be 30x slower on a busy two-core machine (threads wait on each
# other), which would measure the machine's load, not the algorithms. Set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from bptt_helpers.data import one_hot, scale_to_sigma_max  # noqa: E402
from bptt_helpers.numgrad import rel_error  # noqa: E402
from bptt_helpers.softmax_rnn import softmax_rnn_forward  # noqa: E402


def full_backward(xs, ys, V, W, states, outs):
    """Full BPTT: ``delta_t = f'(net_t) * (V^\\top (o_t - y_t) + W^\\top delta_{t+1})``, one walk."""
    T, H = xs.shape[0], W.shape[0]
    errs = outs - ys  # (T, C)
    g = errs @ V  # (T, H)
    fp = states * (1 - states)  # (T+1, H)
    deltas = np.zeros((T + 1, H))  # (T+1, H), deltas[0] = 0
    nxt = np.zeros(H)
    for t in range(T, 0, -1):
        nxt = fp[t] * (g[t - 1] + W.T @ nxt)
        deltas[t] = nxt
    return deltas[1:].T @ xs, errs.T @ states[1:], deltas[1:].T @ states[:-1]


def full_seed_style_backward(xs, ys, V, W, states, outs):
    """Full BPTT, one walk, but with two outer products per step (as the seed writes loops)."""
    T = xs.shape[0]
    errs = outs - ys
    dU, dW = np.zeros((W.shape[0], xs.shape[1])), np.zeros_like(W)
    nxt = np.zeros(W.shape[0])
    for t in range(T, 0, -1):
        s = states[t]
        nxt = s * (1 - s) * (V.T @ errs[t - 1] + W.T @ nxt)
        dU += np.outer(nxt, xs[t - 1])
        dW += np.outer(nxt, states[t - 1])
    return dU, errs.T @ states[1:], dW


def naive_backward(xs, ys, V, W, states, outs, k):
    """Look-back ``k`` from every ``t``: ``O(T k)`` matrix-vector products."""
    T, H = xs.shape[0], W.shape[0]
    errs = outs - ys
    g = errs @ V
    fp = states * (1 - states)
    total = np.zeros((T + 1, H))  # (T+1, H): everything that reaches net_j
    WT = W.T
    for t in range(1, T + 1):
        d = fp[t] * g[t - 1]
        total[t] += d
        for j in range(t - 1, max(t - k, 0), -1):
            d = fp[j] * (WT @ d)
            total[j] += d
    return total[1:].T @ xs, errs.T @ states[1:], total[1:].T @ states[:-1]


def seed_style_backward(xs, ys, V, W, states, outs, k):
    """Look-back ``k`` with two outer products per inner step (the seed program's shape)."""
    T = xs.shape[0]
    errs = outs - ys
    dU, dW = np.zeros((W.shape[0], xs.shape[1])), np.zeros_like(W)
    for t in range(1, T + 1):
        s = states[t]
        d = (V.T @ errs[t - 1]) * s * (1 - s)
        for j in range(t, max(t - k, 0), -1):
            dU += np.outer(d, xs[j - 1])
            dW += np.outer(d, states[j - 1])
            s = states[j - 1]
            d = (W.T @ d) * s * (1 - s)
    return dU, errs.T @ states[1:], dW


def lag_batched_backward(xs, ys, V, W, states, outs, k):
    """Look-back ``k`` by lag: for each lag, one ``(T-lag, H) @ (H, H)`` product."""
    T = xs.shape[0]
    errs = outs - ys
    fp = states[1:] * (1 - states[1:])  # (T, H): row j-1 = f'(net_j)
    a = fp * (errs @ V)  # (T, H): lag 0
    total = a.copy()  # (T, H)
    for lag in range(1, min(k, T)):
        a = fp[:T - lag] * (a[1:] @ W)  # error of E_{j+lag} at net_j, j = 1..T-lag
        total[:T - lag] += a
    return total.T @ xs, errs.T @ states[1:], total.T @ states[:-1]


def best_time(fn, repeats):
    """Best CPU time of ``repeats`` calls, in seconds.

    CPU time of this process (``time.process_time``), not wall time: on a busy machine a long
    run is interrupted more often than a short one, which would inflate the ratios.
    """
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--T", type=int, default=1000)
    parser.add_argument("--H", type=int, default=64)
    parser.add_argument("--D", type=int, default=16)
    parser.add_argument("--C", type=int, default=10)
    parser.add_argument("--k", type=int, default=35)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    T, H, D, C, k = args.T, args.H, args.D, args.C, args.k
    xs = rng.standard_normal((T, D))
    ys = one_hot(rng.integers(0, C, T), C)
    U = rng.standard_normal((H, D)) / np.sqrt(D)
    W = scale_to_sigma_max(rng.standard_normal((H, H)), 6.0)
    V = rng.standard_normal((C, H))
    states, outs = softmax_rnn_forward(xs, U, V, W)

    results = {
        "full": full_backward(xs, ys, V, W, states, outs),
        "naive": naive_backward(xs, ys, V, W, states, outs, k),
        "seed-style": seed_style_backward(xs, ys, V, W, states, outs, k),
        "lag-batched": lag_batched_backward(xs, ys, V, W, states, outs, k),
    }
    results["full, seed-style"] = full_seed_style_backward(xs, ys, V, W, states, outs)
    agree = max(rel_error(a, b) for name in ("seed-style", "lag-batched")
                for a, b in zip(results[name], results["naive"], strict=True))
    agree_full = max(rel_error(a, b) for a, b in zip(results["full, seed-style"], results["full"],
                                                     strict=True))
    times = {
        "full": best_time(lambda: full_backward(xs, ys, V, W, states, outs), args.repeats),
        "naive": best_time(lambda: naive_backward(xs, ys, V, W, states, outs, k), args.repeats),
        "seed-style": best_time(lambda: seed_style_backward(xs, ys, V, W, states, outs, k),
                                max(1, args.repeats // 2)),
        "lag-batched": best_time(lambda: lag_batched_backward(xs, ys, V, W, states, outs, k),
                                 args.repeats),
        "full, seed-style": best_time(lambda: full_seed_style_backward(xs, ys, V, W, states, outs),
                                      args.repeats),
    }
    print(f"backward passes of seed model 2 at T={T}, H={H}, D={D}, C={C}, k={k} "
          f"(best CPU time of {args.repeats})")
    print(f"look-back versions agree: largest relative difference {agree:.1e}")
    print(f"full BPTT: {1e3 * times['full']:.2f} ms")
    print(f"(full BPTT with outer products per step agrees to {agree_full:.1e}: "
          f"{1e3 * times['full, seed-style']:.2f} ms)")
    for name in ("naive", "seed-style", "lag-batched"):
        print(f"{name + '/full':<18} {times[name] / times['full']:6.1f}x  "
              f"({1e3 * times[name]:.2f} ms)")
    print(f"{'seed-style/full with outer products':<18} "
          f"{times['seed-style'] / times['full, seed-style']:6.1f}x  (both loops written the seed's way)")
    return times


if __name__ == "__main__":
    main()
