"""Time per epoch of notebook 8's character-level model, and where it goes.

Trains the notebook's model (embedding D = 32, one tanh layer of H = 128, softmax over the
C characters, N = 32 rows, chunks of k = 32) for a fraction of an epoch over the same
training text, with the solution's notebook 7 functions, and splits the time of each update:

* ``layer forward``: ``rnn_layer_forward`` over the chunk (one loop over k steps, matmuls over the batch);
* ``head``: the embedding lookup, the softmax output, the loss and ``o - y``, ``dV``, ``dc``, ``dstates``;
* ``layer backward``: ``rnn_stack_backward`` (one loop over k steps);
* ``embedding grad``: ``np.add.at`` of ``dxs`` into the rows of ``dE``;
* ``clip + Adam``: global-norm clipping and the optimiser step.

Times are CPU seconds of this process (``time.process_time``: other programs on a busy machine
do not count), with one BLAS thread unless ``OPENBLAS_NUM_THREADS`` is set; the epoch time is
the measured rate times the chunks of one epoch. ``--threads 2`` shows what several BLAS threads
do to these small products (wall-clock time is printed too).

Usage: ``python benchmarks/char_lm.py [--chunks 100] [--threads 1] [--layers 1]``
"""

import argparse
import os
import sys

if __name__ == "__main__":  # the number of BLAS threads must be set before numpy loads
    _threads = "1"
    if "--threads" in sys.argv:
        _threads = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, _threads)

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bptt_helpers import get_activator, load_notebook_functions  # noqa: E402
from bptt_helpers.charlm import global_norm, init_char_model, zero_states  # noqa: E402
from bptt_helpers.softmax_rnn import softmax  # noqa: E402
from bptt_helpers.text import (  # noqa: E402
    TRAIN_MODULES,
    Vocabulary,
    batched_stream,
    chunks_per_epoch,
    stdlib_source,
)
from bptt_helpers.training import Adam  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("layer forward", "head", "layer backward", "embedding grad", "clip + Adam")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100, help="updates to time")
    parser.add_argument("--threads", default="1", help="BLAS threads (set before numpy loads)")
    parser.add_argument("--layers", type=int, default=1, help="recurrent layers of H = 128")
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--k", type=int, default=32)
    args = parser.parse_args(argv)

    nb7 = load_notebook_functions(ROOT / "solutions" / "bptt" / "07_full_layer.ipynb",
                                  ["rnn_layer_forward", "rnn_stack_backward"])
    text, _ = stdlib_source(TRAIN_MODULES)
    vocab = Vocabulary(text)
    ids = vocab.encode(text)
    C, N, k, tanh = len(vocab), args.rows, args.k, get_activator("tanh")
    params = init_char_model(C, 32, [128] * args.layers, seed=0)
    optimizer, spent = Adam(0.003), dict.fromkeys(PARTS, 0.0)
    carried = zero_states(params, N)
    wall, cpu = time.perf_counter(), time.process_time()
    for i, (inputs, targets) in enumerate(batched_stream(ids, N, k)):
        if i == args.chunks:
            break
        t0 = time.process_time()
        xs, caches = params["E"][inputs], []
        for layer, s0 in enumerate(carried, start=1):
            states, cache = nb7.rnn_layer_forward(xs, s0, params[f"U{layer}"], params[f"W{layer}"],
                                                  params[f"b{layer}"], tanh)
            caches.append(cache)
            xs = states[:, 1:]
        t1 = time.process_time()
        top = states[:, 1:].reshape(N * k, -1)
        probs = softmax(top @ params["V"].T + params["c"])
        rows = np.arange(N * k)
        _ = -np.mean(np.log(probs[rows, targets.ravel()]))
        probs[rows, targets.ravel()] -= 1.0
        dz = probs / (N * k)
        grads = {"V": dz.T @ top, "c": dz.sum(axis=0)}
        dstates = np.zeros(states.shape)
        dstates[:, 1:] = (dz @ params["V"]).reshape(N, k, -1)
        t2 = time.process_time()
        per_layer = nb7.rnn_stack_backward(dstates, caches)
        t3 = time.process_time()
        for layer, (_, _, dU, dW, db) in enumerate(per_layer, start=1):
            grads[f"U{layer}"], grads[f"W{layer}"], grads[f"b{layer}"] = dU, dW, db
        grads["E"] = np.zeros(params["E"].shape)
        np.add.at(grads["E"], inputs.ravel(), per_layer[0][0].reshape(N * k, -1))
        t4 = time.process_time()
        norm = global_norm(grads)
        if norm > 1.0:
            grads = {n: g / norm for n, g in grads.items()}
        params.update(optimizer.step(params, grads))
        carried = [cache[1][:, -1] for cache in caches]
        t5 = time.process_time()
        for part, seconds in zip(PARTS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            spent[part] += seconds
    done = min(args.chunks, i + 1)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per_epoch = chunks_per_epoch(len(ids), N, k)
    print(f"model: D = 32, H = 128 x {args.layers}, C = {C}; N = {N}, k = {k}; "
          f"{len(ids):,} training characters = {per_epoch} updates per epoch; "
          f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(f"timed {done} updates: {1000 * cpu / done:.1f} ms CPU per update "
          f"({1000 * wall / done:.1f} ms wall-clock), {per_epoch * cpu / done:.1f} s CPU per epoch")
    total = sum(spent.values())
    for part in PARTS:
        print(f"  {part:<15} {spent[part] / done * 1000:7.2f} ms  {spent[part] / total:6.1%}")


if __name__ == "__main__":
    main()
