"""Activation functions with the seed tutorial's interface.

An activator has ``forward(net) -> s = f(net)`` and ``backward(output) -> f'(net)``,
where the derivative is written in terms of the *output* ``s`` (that is all a
layer that stores its states has). Everything is float64.
"""

import numpy as np


class Activator:
    """Base class. ``gamma`` bounds ``|f'|``; it sets how fast deltas can vanish."""

    name = "activator"
    gamma = 1.0

    def forward(self, net):
        raise NotImplementedError

    def backward(self, output):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class IdentityActivator(Activator):
    """``f(net) = net``, ``f' = 1``."""

    name = "identity"
    gamma = 1.0

    def forward(self, net):
        return np.array(net, dtype=np.float64)

    def backward(self, output):
        return np.ones_like(np.asarray(output, dtype=np.float64))


class TanhActivator(Activator):
    """``f(net) = tanh(net)``, ``f' = 1 - s**2``."""

    name = "tanh"
    gamma = 1.0

    def forward(self, net):
        return np.tanh(np.asarray(net, dtype=np.float64))

    def backward(self, output):
        s = np.asarray(output, dtype=np.float64)
        return 1.0 - s**2


class SigmoidActivator(Activator):
    """``f(net) = 1 / (1 + exp(-net))``, ``f' = s * (1 - s)`` (at most 1/4)."""

    name = "sigmoid"
    gamma = 0.25

    def forward(self, net):
        net = np.asarray(net, dtype=np.float64)
        # exp of a negative number only: no overflow warning for large |net|.
        e = np.exp(-np.abs(net))
        return np.where(net >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def backward(self, output):
        s = np.asarray(output, dtype=np.float64)
        return s * (1.0 - s)


class ReluActivator(Activator):
    """``f(net) = max(net, 0)``, ``f' = 1.0`` where ``s > 0`` else ``0.0``."""

    name = "relu"
    gamma = 1.0

    def forward(self, net):
        return np.maximum(np.asarray(net, dtype=np.float64), 0.0)

    def backward(self, output):
        s = np.asarray(output, dtype=np.float64)
        return (s > 0).astype(np.float64)


ACTIVATORS = {
    "identity": IdentityActivator(),
    "tanh": TanhActivator(),
    "sigmoid": SigmoidActivator(),
    "relu": ReluActivator(),
}


def get_activator(activator):
    """Return an activator object given one, or its name (``"tanh"``, ...)."""
    if isinstance(activator, str):
        try:
            return ACTIVATORS[activator]
        except KeyError:
            names = ", ".join(sorted(ACTIVATORS))
            raise ValueError(f"unknown activator {activator!r}; choose one of {names}") from None
    if not (hasattr(activator, "forward") and hasattr(activator, "backward")):
        raise ValueError(
            "activator must have forward(net) and backward(output) methods, "
            f"got {type(activator).__name__}"
        )
    return activator
