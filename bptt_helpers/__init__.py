"""Helpers for the BPTT course: activators, the RNN forward pass, numerical gradients, data, plots."""

from .activators import (
    ACTIVATORS,
    IdentityActivator,
    ReluActivator,
    SigmoidActivator,
    TanhActivator,
    get_activator,
)
from .data import one_hot, random_rnn, scale_to_sigma_max
from .notebook_import import load_notebook_functions
from .numgrad import gradient_report, numerical_gradient, numerical_jacobian, rel_error
from .rnn import RecurrentLayer, rnn_forward

__all__ = [
    "ACTIVATORS", "IdentityActivator", "TanhActivator", "SigmoidActivator", "ReluActivator",
    "get_activator", "rnn_forward", "RecurrentLayer", "numerical_gradient", "numerical_jacobian",
    "rel_error", "gradient_report", "random_rnn", "scale_to_sigma_max", "one_hot",
    "load_notebook_functions",
]
