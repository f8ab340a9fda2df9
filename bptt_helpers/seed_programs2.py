"""The seed-2 program (sigmoid states, softmax outputs, look-back 10) re-created with its defects.

The course grew from an article whose second program trains seed model 2 with a
``bptt`` that looks back at most 10 steps and a ``loss`` it prints. This is course
code written for diagnosis, not the article's code; its defects are kept on
purpose so that notebook 4 can measure them:

1. the printed loss is a *binary* cross-entropy applied to the softmax outputs,
   ``sum_t sum_c -y log o - (1 - y) log(1 - o)``, while the backward pass uses the
   output error ``o_t - y_t``, the gradient of the *categorical* cross-entropy
   ``-sum_t y_t . log o_t``. A gradient check against the printed loss fails, one
   against the categorical cross-entropy passes;
2. its state array keeps ``s_t`` in row ``t-1`` and one extra row at the end that
   is never written. The look-back reads ``row[j-1]`` for the state before step
   ``j``; at the first step that is ``row[-1]``, the last row, which Python's
   negative indexing turns into "the zero initial state" only because that row is
   still zero. Nothing else says so: give the program an initial state, or reuse
   an array whose last row holds something, and the gradient silently changes;
3. every inner step of the look-back adds two outer products to ``dU`` and ``dW``
   (``O(T k H^2)`` work in many small numpy calls): tens of times the cost of full
   BPTT at ``k = 35``, ``T = 1000``, ``H = 64`` (``benchmarks/truncation_cost.py``
   prints the ratio on your machine).
"""

import numpy as np

from .activators import SigmoidActivator
from .softmax_rnn import softmax

SIGMOID = SigmoidActivator()


class SeedRNN2:
    """Seed model 2 as the seed program structures it.

    Parameters
    ----------
    U : ndarray, shape (H, D)
    V : ndarray, shape (C, H)
    W : ndarray, shape (H, H)

    Each loss is back-propagated 10 steps, as in the seed. On purpose there is no
    parameter or attribute for it, not even a constant to overwrite: the graded
    ``truncated_bptt`` and ``tbptt_k1k2`` are yours to write.

    Attributes
    ----------
    rows : ndarray, shape (T+1, H)
        After :meth:`run`: ``rows[t-1] = s_t`` for ``t = 1..T``; ``rows[T]`` (also
        ``rows[-1]``) is never written and stands in for ``s_0``.
    """

    def __init__(self, U, V, W):
        self.U = np.array(U, dtype=np.float64)  # (H, D)
        self.V = np.array(V, dtype=np.float64)  # (C, H)
        self.W = np.array(W, dtype=np.float64)  # (H, H)
        self.rows = None

    def run(self, xs):
        """Forward pass. ``xs (T, D)`` -> outputs ``(T, C)``, ``outputs[t-1] = o_t``."""
        xs = np.asarray(xs, dtype=np.float64)
        T, H = xs.shape[0], self.W.shape[0]
        self.rows = np.zeros((T + 1, H))  # the last row is never written
        for i in range(T):  # i = t - 1; rows[i - 1] is rows[-1] when i = 0
            self.rows[i] = SIGMOID.forward(self.U @ xs[i] + self.W @ self.rows[i - 1])
        return softmax(self.rows[:T] @ self.V.T)

    def bptt(self, xs, ys, rerun=True):
        """Look-back gradients ``(dU, dV, dW)``, with the seed's indexing and cost.

        Parameters
        ----------
        xs : ndarray, shape (T, D)
        ys : ndarray, shape (T, C)
        rerun : bool
            Run the forward pass first (the seed always does). ``False`` uses
            :attr:`rows` as they are, to show what the look-back reads.
        """
        xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
        T = xs.shape[0]
        if rerun:
            self.run(xs)
        rows = self.rows
        outs = softmax(rows[:T] @ self.V.T)
        err = outs - ys  # (T, C): the gradient of the categorical cross-entropy
        dV = err.T @ rows[:T]
        dU, dW = np.zeros_like(self.U), np.zeros_like(self.W)
        for i in range(T - 1, -1, -1):
            s = rows[i]
            d = (self.V.T @ err[i]) * s * (1 - s)  # (H,): at net of step i+1
            for j in range(i, max(-1, i - 10), -1):  # the seed's look-back: 10 steps
                dU += np.outer(d, xs[j])
                dW += np.outer(d, rows[j - 1])  # rows[-1] when j = 0
                s = rows[j - 1]
                d = (self.W.T @ d) * s * (1 - s)
        return dU, dV, dW

    def loss(self, xs, ys):
        """The loss the seed program prints: binary cross-entropy on the softmax outputs."""
        o = self.run(xs)
        ys = np.asarray(ys, dtype=np.float64)
        return float(np.sum(-ys * np.log(np.maximum(o, 1e-12))
                            - (1 - ys) * np.log(np.maximum(1 - o, 1e-12))))
