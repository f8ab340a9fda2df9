"""The recurrent layer of the course: ``net_t = U x_t + W s_{t-1}``, ``s_t = f(net_t)``.

Two forms of the same forward pass:

* :func:`rnn_forward`, a function returning every state at once, ``states`` of
  shape ``(T+1, H)`` with ``states[0] = s_0`` and ``states[t] = s_t``;
* :class:`RecurrentLayer`, the structure of the seed tutorial's program: one
  ``forward`` call per time step, a stored list of states, ``reset``, and a
  ``backward`` that calls the learner's ``calc_delta`` and ``calc_gradient``.
"""

import numpy as np

from .activators import get_activator
from .validate import as_array


def rnn_forward(xs, U, W, activator, s0=None, net_shift=None):
    """Run the recurrent layer over a whole sequence.

    Parameters
    ----------
    xs : ndarray, shape (T, D)
        Inputs, ``xs[t-1] = x_t``.
    U : ndarray, shape (H, D)
        Input weights.
    W : ndarray, shape (H, H)
        Recurrent weights.
    activator : activator or str
        ``f``, e.g. ``"tanh"`` or ``TanhActivator()``.
    s0 : ndarray, shape (H,), optional
        Initial state ``s_0``; zeros if omitted.
    net_shift : ndarray, shape (T+1, H), optional
        Added to ``net_t`` before the activation (row 0 is ignored). Shifting
        ``net_t`` by a tiny amount and watching the loss is how ``delta_t = dE/dnet_t``
        is measured numerically.

    Returns
    -------
    states : ndarray, shape (T+1, H)
        ``states[0] = s_0``, ``states[t] = s_t``.
    """
    sizes = {}
    # the weights first: they fix H and D, so a transposed xs (D, T) is named as such
    U = as_array("U", U, ("H", "D"), sizes)
    W = as_array("W", W, ("H", "H"), sizes)
    xs = as_array("xs", xs, ("T", "D"), sizes)
    T, H = sizes["T"], sizes["H"]
    f = get_activator(activator)
    states = np.zeros((T + 1, H))  # (T+1, H)
    if s0 is not None:
        states[0] = as_array("s0", s0, ("H",), sizes)
    if net_shift is not None:
        net_shift = as_array("net_shift", net_shift, ("T+1", "H"), sizes)
    for t in range(1, T + 1):
        net_t = U @ xs[t - 1] + W @ states[t - 1]  # (H,)
        if net_shift is not None:
            net_t = net_t + net_shift[t]
        states[t] = f.forward(net_t)
    return states


class RecurrentLayer:
    """A recurrent layer that is fed one time step at a time (the seed's structure).

    Parameters
    ----------
    input_width : int
        ``D``, the size of each input ``x_t``.
    state_width : int
        ``H``, the size of each state ``s_t``.
    activator : activator or str
        ``f``.
    seed : int, optional
        Seed for the random initial weights ``U (H, D)`` and ``W (H, H)``.
    s0 : ndarray, shape (H,), optional
        Initial state; zeros if omitted.

    Attributes
    ----------
    state_list : list of ndarray, each (H,)
        ``state_list[t] = s_t``; ``state_list[0] = s_0``.
    input_list : list of ndarray, each (D,)
        ``input_list[t-1] = x_t``.
    deltas : ndarray, shape (T+1, H)
        Set by :meth:`backward`.
    dU, dW : ndarray, shapes (H, D) and (H, H)
        Set by :meth:`backward`.
    """

    def __init__(self, input_width, state_width, activator="tanh", seed=0, s0=None):
        rng = np.random.default_rng(seed)
        self.activator = get_activator(activator)
        self.U = rng.uniform(-0.5, 0.5, (state_width, input_width))  # (H, D)
        self.W = rng.uniform(-0.5, 0.5, (state_width, state_width))  # (H, H)
        self.s0 = np.zeros(state_width) if s0 is None else as_array(
            "s0", s0, ("H",), {"H": state_width}).copy()
        self.reset()

    @property
    def times(self):
        """``T``: how many time steps have been fed since the last reset."""
        return len(self.input_list)

    def reset(self):
        """Forget every state but ``s_0``."""
        self.state_list = [self.s0.copy()]
        self.input_list = []

    def forward(self, x):
        """Feed one input ``x_t`` of shape ``(D,)``; return the new state ``s_t``, ``(H,)``."""
        H, D = self.U.shape
        x = as_array("x", x, ("D",), {"D": D})
        net = self.U @ x + self.W @ self.state_list[-1]
        s = self.activator.forward(net)
        self.input_list.append(x.copy())
        self.state_list.append(s)
        return s

    @property
    def states(self):
        """All states as one array, shape ``(T+1, H)``."""
        return np.array(self.state_list)

    @property
    def xs(self):
        """All inputs as one array, shape ``(T, D)``."""
        return np.array(self.input_list).reshape(self.times, self.U.shape[1])

    def backward(self, sensitivity, calc_delta, calc_gradient):
        """Back-propagate ``sensitivity = dE/dnet_T`` with the given functions.

        Parameters
        ----------
        sensitivity : ndarray, shape (H,)
            ``delta_T``.
        calc_delta : callable
            ``calc_delta(sensitivity, states, W, activator) -> deltas (T+1, H)``.
        calc_gradient : callable
            ``calc_gradient(deltas, states, xs) -> (dU, dW)``.

        Returns
        -------
        dU : ndarray, shape (H, D)
        dW : ndarray, shape (H, H)
        """
        self.deltas = calc_delta(sensitivity, self.states, self.W, self.activator)
        self.dU, self.dW = calc_gradient(self.deltas, self.states, self.xs)
        return self.dU, self.dW
