"""The seed-1 program's backward pass, re-created in the course's notation with its defects.

The course grew from an article whose first program is a recurrent layer fed one
step at a time (the structure of :class:`bptt_helpers.RecurrentLayer`) with a
backward pass in two parts, ``calc_delta`` and ``calc_gradient``, that computes
``dE/dW``. That backward pass has three defects, kept here on purpose so that
notebook 3 can measure them (this is course code written for diagnosis, not the
article's code, and there is deliberately no switch that repairs it):

1. ``delta_t`` takes its factor from the *next* state ``s_{t+1}``; the chain
   rule needs ``f'(net_t)``, which comes from ``s_t``;
2. ``activator.backward`` is applied in place to the stored states, so the
   states that ``calc_gradient`` reads afterwards are derivatives, not states;
3. the factor used is a copy of the state taken *before* differentiating, so
   no derivative enters the recursion at all.

Together: ``delta_t = s_{t+1} * (W^\\top delta_{t+1})`` for ``t < T``, and
``dW = sum_t delta_t c_{t-1}^\\top`` where ``c_{t-1}`` is ``s_{t-1}`` for
``t - 1 <= 1`` but the overwritten ``activator.backward(s_{t-1})`` for
``2 <= t - 1 <= T - 1``. A check of ``dW`` alone with ``T = 2`` and ``s_0 = 0``
cannot see any of this: the only delta it computes, ``delta_1``, is multiplied
by ``s_0 = 0``, and the only state it overwrites, ``s_2``, is never read.
"""

import numpy as np

from .activators import get_activator
from .numgrad import numerical_gradient, rel_error
from .rnn import RecurrentLayer, rnn_forward
from .validate import as_array


def seed1_delta_step(t, deltas, states, W, activator):
    """One step of the seed-1 recursion, defects included: ``deltas[t]`` from ``deltas[t+1]``.

    Parameters
    ----------
    t : int
        The step being computed, ``1 <= t < T``.
    deltas : ndarray, shape (T+1, H)
        ``deltas[t+1]`` is already filled in; ``deltas[t]`` is written.
    states : ndarray (T+1, H) or list of T+1 arrays (H,)
        Row ``t+1`` is overwritten by its derivative (the in-place defect).
    W : ndarray, shape (H, H)
    activator : activator
    """
    kept = states[t + 1].copy()  # (H,) defect 1: s_{t+1}, though the chain rule needs step t
    states[t + 1] = activator.backward(states[t + 1])  # defect 2: the stored state is overwritten
    deltas[t] = kept * (W.T @ deltas[t + 1])  # defect 3: the undifferentiated copy is used


def seed1_calc_delta(sensitivity, states, W, activator, in_place=False):
    """The seed-1 ``calc_delta``, defects included, with the course's signature.

    Parameters
    ----------
    sensitivity : ndarray, shape (H,)
        ``delta_T = dE/dnet_T``.
    states : ndarray, shape (T+1, H)
        ``states[t] = s_t``. Overwritten in place (as in the seed) only when
        ``in_place`` is true; otherwise the function works on a private copy.
    W : ndarray, shape (H, H)
    activator : activator or str
    in_place : bool, optional
        Commit the in-place defect on the caller's array too.

    Returns
    -------
    deltas : ndarray, shape (T+1, H)
        ``deltas[0] = 0``, ``deltas[T] = sensitivity``, the rest wrong.
    """
    f = get_activator(activator)
    if not in_place:
        states = np.array(states, dtype=np.float64)  # a private copy
    T = np.shape(states)[0] - 1
    deltas = np.zeros(np.shape(states))  # (T+1, H)
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        seed1_delta_step(t, deltas, states, W, f)
    return deltas


class Seed1Layer(RecurrentLayer):
    """A :class:`~bptt_helpers.RecurrentLayer` whose backward pass is the seed-1 program's.

    Like the seed, ``backward`` works on the layer's own stored ``state_list``
    (and overwrites it) and computes only ``dW``. The constructor's parameters
    are those of ``RecurrentLayer``.

    Attributes
    ----------
    deltas : ndarray, shape (T+1, H)
        Set by :meth:`calc_delta`.
    dW : ndarray, shape (H, H)
        Set by :meth:`calc_gradient`.
    """

    def calc_delta(self, sensitivity):
        """Fill ``self.deltas`` (T+1, H) from ``sensitivity = delta_T``, seed style."""
        H = self.W.shape[0]
        sensitivity = as_array("sensitivity", sensitivity, ("H",), {"H": H})
        T = self.times
        self.deltas = np.zeros((T + 1, H))
        self.deltas[T] = sensitivity
        for t in range(T - 1, 0, -1):
            # the stored list itself is handed over, as in the seed, and gets overwritten
            seed1_delta_step(t, self.deltas, self.state_list, self.W, self.activator)
        return self.deltas

    def calc_gradient(self):
        """``dW = sum_t delta_t s_{t-1}^\\top``, read from the (by now overwritten) state list."""
        H = self.W.shape[0]
        self.dW = np.zeros((H, H))
        for t in range(self.times, 0, -1):
            self.dW += np.outer(self.deltas[t], self.state_list[t - 1])
        return self.dW

    def backward(self, sensitivity):
        """The seed's backward pass: ``calc_delta`` then ``calc_gradient``; returns ``dW`` (H, H)."""
        self.calc_delta(sensitivity)
        return self.calc_gradient()


def dW_check(backward, T, activator="tanh", s0_scale=0.5, D=3, H=4, seed=0,
             layer_class=Seed1Layer):
    """Gradient check of ``dE/dW`` for ``E = sum(s_T)``, the kind of check the seed relied on.

    A fresh layer (its weights drawn from ``seed``) is fed ``T``
    random inputs; ``backward(layer, sensitivity)`` must return ``dW``; the
    result is compared with a central-difference gradient of the course's own
    forward pass.

    Parameters
    ----------
    backward : callable
        ``backward(layer, sensitivity) -> dW (H, H)``, e.g.
        ``lambda layer, sens: layer.backward(sens)`` for a :class:`Seed1Layer`.
    T : int
        Sequence length. The seed checked ``T = 2``.
    activator : activator or str
        The seed checked the identity.
    s0_scale : float
        Size of a random ``s_0``; the seed used ``s_0 = 0`` (``s0_scale=0``).
    D, H, seed : int
    layer_class : class, optional
        :class:`Seed1Layer` (default) or :class:`~bptt_helpers.RecurrentLayer`.

    Returns
    -------
    err : float
        Norm-wise relative error of ``dW``.
    dW, dW_num : ndarray, shape (H, H)
    """
    f = get_activator(activator)
    rng = np.random.default_rng([seed, 17])
    xs = rng.uniform(-1, 1, (T, D))  # (T, D)
    s0 = s0_scale * rng.uniform(-1, 1, H)  # (H,)
    layer = layer_class(D, H, f, seed=seed, s0=s0)
    for x in xs:
        layer.forward(x)
    U, W = layer.U.copy(), layer.W.copy()

    def loss(W_):
        return float(np.sum(rnn_forward(xs, U, W_, f, s0)[-1]))

    dW_num = numerical_gradient(loss, W)  # (H, H)
    sensitivity = f.backward(layer.state_list[-1])  # dE/dnet_T = f'(net_T) * 1
    dW = np.asarray(backward(layer, sensitivity), dtype=np.float64)
    return rel_error(dW, dW_num), dW, dW_num
